"""`scrapy crawl`, with an exit status that cron can act on.

Scrapy's own command exits 0 whenever the crawler started. Ours exits:

    0  the run finished (or stopped at a CLOSESPIDER_* limit it was given)
    1  the run failed or was interrupted (shutdown, error)
    2  bad spider arguments (one line on stderr, no traceback)
    3  the site blocked us (403/429/captcha, or a Retry-After too long to wait)
    4  another crawl is writing the same archive (this one did nothing)
    5  the extraction rules stopped matching the site (a template change)
"""

from __future__ import annotations

import sys
from contextlib import nullcontext

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from newscrawl.extensions import run_status
from newscrawl.lock import ArchiveLocked, archive_lock

EXIT_FAILED = 1
EXIT_BAD_ARGUMENTS = 2
EXIT_BLOCKED = 3
EXIT_LOCKED = 4
EXIT_TEMPLATE_CHANGED = 5


class Command(ScrapyCrawl):
    def run(self, args, opts):
        if len(args) != 1:
            raise UsageError("give exactly one spider name, e.g. scrapy crawl elaph")
        assert self.crawler_process
        spider_cls = self.crawler_process.spider_loader.load(args[0])
        check = getattr(spider_cls, "parse_arguments", None)
        if check is not None:
            try:
                check(**{k: v for k, v in opts.spargs.items() if k in spider_cls.ARGUMENTS})
            except ValueError as exc:
                print(f"Error: {exc}", file=sys.stderr)
                self.exitcode = EXIT_BAD_ARGUMENTS
                return
        # A distributed worker writes no archive (`newscrawl drain` does): no lock.
        db_path = None if self.settings.get("REDIS_URL") else self.settings.get("ARCHIVE_DB")
        try:
            with archive_lock(db_path) if db_path else nullcontext():
                crawler = self._create_crawler(args[0])
                self.crawler_process.crawl(crawler, **opts.spargs)
                self.crawler_process.start()
        except ArchiveLocked as exc:
            print(f"Error: {exc}; not starting a second crawl on it", file=sys.stderr)
            self.exitcode = EXIT_LOCKED
            return
        if self.crawler_process.bootstrap_failed:
            self.exitcode = EXIT_FAILED
            return
        reason = crawler.stats.get_value("finish_reason") or ""
        status = run_status(reason)
        self.exitcode = {"finished": 0, "blocked": EXIT_BLOCKED, "template_changed": EXIT_TEMPLATE_CHANGED}.get(
            status, EXIT_FAILED
        )
