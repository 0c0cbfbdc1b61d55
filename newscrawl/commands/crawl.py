"""`scrapy crawl`, with an exit status that cron can act on.

Scrapy's own command exits 0 whenever the crawler started. Ours exits:

    0  the run finished (or stopped at a CLOSESPIDER_* limit it was given),
       including a run that fetched nothing because nothing changed
    1  the run failed or was interrupted: shutdown; storing failed (disk
       full, read-only archive, any SQLite error: the crawl stops at the
       first); extraction raised on an article page; nothing could be read
       of the site (robots.txt, every sitemap and feed, or every article
       page asked for failed); the archive writer process died
    2  bad spider arguments, an unknown argument or spider name (one line on
       stderr, no traceback)
    3  the site blocked us (403/429/captcha, or a Retry-After too long to wait)
    4  another crawl is writing the same archive (this one did nothing)
    5  the extraction rules stopped matching the site (a template change)

The status and the verdict recorded in `crawl_runs` come from the same
rules (newscrawl.health.run_status and verdict).
"""

from __future__ import annotations

import difflib
import logging
import os
import sys
from contextlib import ExitStack

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

from newscrawl import archive
from newscrawl.control import EXIT_BAD_ARGUMENTS, EXIT_FAILED, EXIT_LOCKED, exit_code
from newscrawl.health import run_status
from newscrawl.lock import ArchiveLocked, archive_lock
from newscrawl.text import terminal_safe, terminal_safe_logging

logger = logging.getLogger(__name__)

# settings.py's NEWSCRAWL_CONTACT: a crawl still sending it names the
# project, not whoever runs the crawl (tests/test_run_verdicts.py keeps the two equal).
PROJECT_CONTACT = "https://github.com/newscrawl/newscrawl"


class Command(ScrapyCrawl):
    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name, e.g. scrapy crawl elaph")
        assert self.crawler_process
        # Scrapy's log quotes what pages say (URLs, links, titles): no
        # control in them may act on the terminal that shows the log.
        terminal_safe_logging()
        loader = self.crawler_process.spider_loader
        try:
            spider_cls = loader.load(args[0])
        except KeyError:
            names = sorted(loader.list())
            close = difflib.get_close_matches(args[0], names, n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            self._refuse(f"no spider named {args[0]!r}; {hint}the spiders are: {', '.join(names)}")
            return
        known = getattr(spider_cls, "ARGUMENTS", None)
        if known is not None:
            # Scrapy hands every -a to the spider as an attribute, so a typo
            # (max_article=5) would crawl the whole site without a word.
            unknown = sorted(set(opts.spargs) - set(known))
            if unknown:
                close = difflib.get_close_matches(unknown[0], known, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                self._refuse(f"unknown spider argument{'s' if len(unknown) > 1 else ''} "
                             f"{', '.join(unknown)}{hint}; {spider_cls.name} takes: {', '.join(known)}")
                return
        check = getattr(spider_cls, "parse_arguments", None)
        if check is not None:
            try:
                check(**{k: v for k, v in opts.spargs.items() if k in spider_cls.ARGUMENTS})
            except ValueError as exc:
                self._refuse(str(exc))
                return
        # A distributed worker writes no archive (`newscrawl drain` does): no lock.
        db_path = None if self.settings.get("REDIS_URL") else self.settings.get("ARCHIVE_DB")
        with ExitStack() as held:
            if db_path:
                try:
                    # Before the lock file is made beside it: another
                    # application's SQLite file is left byte for byte as it was.
                    archive.check_archive(db_path, create=True)
                except archive.ArchiveError as exc:
                    print(f"Error: {terminal_safe(str(exc))}; not crawling", file=sys.stderr)
                    self.exitcode = EXIT_FAILED
                    return
                try:
                    held.enter_context(archive_lock(db_path))
                except ArchiveLocked as exc:
                    print(terminal_safe(f"Error: {exc}; not starting a second crawl on it"), file=sys.stderr)
                    self.exitcode = EXIT_LOCKED
                    return
                except OSError as exc:  # a read-only or full file system, a folder we may not write
                    print(terminal_safe(f"Error: cannot write beside the archive {db_path}: {exc}"), file=sys.stderr)
                    self.exitcode = EXIT_FAILED
                    return
            self._warn_without_contact()
            crawler = self._create_crawler(args[0])
            self.crawler_process.crawl(crawler, **opts.spargs)
            self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = EXIT_FAILED
            return
        stats = crawler.stats.get_stats()
        status = run_status(stats.get("finish_reason") or "", stats)
        self.exitcode = exit_code(status)

    def _refuse(self, message: str) -> None:
        print(f"Error: {message}", file=sys.stderr)
        self.exitcode = EXIT_BAD_ARGUMENTS

    def _warn_without_contact(self) -> None:
        """One line when the User-Agent would name the project instead of
        whoever runs the crawl. (The spider reads the environment's
        NEWSCRAWL_CONTACT in update_settings; -s NEWSCRAWL_CONTACT wins over it.)"""
        if self.settings.getpriority("NEWSCRAWL_CONTACT") >= SETTINGS_PRIORITIES["cmdline"]:
            contact = self.settings.get("NEWSCRAWL_CONTACT")
        else:
            contact = os.environ.get("NEWSCRAWL_CONTACT", "").strip() or self.settings.get("NEWSCRAWL_CONTACT")
        if not contact or contact == PROJECT_CONTACT:
            logger.warning(
                "NEWSCRAWL_CONTACT is not set: the User-Agent names %s, not you. Set it to your URL or mailto: "
                "(environment or -s NEWSCRAWL_CONTACT=...) so a site can ask whoever runs this crawl to slow down",
                PROJECT_CONTACT,
            )
