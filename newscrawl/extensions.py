"""Scrapy extensions of the project."""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newscrawl import archive, health

logger = logging.getLogger(__name__)

# Finish reasons that mean the run did what it was asked to do.
GOOD_REASONS = ("finished",)
# Finish reasons that are their own status (and exit code of `scrapy crawl`).
OWN_STATUS = ("blocked", "template_changed")
GOOD_PREFIXES = ("closespider_",)


def run_status(reason: str) -> str:
    if reason in GOOD_REASONS or reason.startswith(GOOD_PREFIXES):
        return "finished"
    if reason in OWN_STATUS:
        return reason
    return "failed"


class RunRecorder:
    """One row per run in the archive's ``crawl_runs`` table: when it started
    and ended, how it ended, its spider arguments and all Scrapy stats.

    A run killed before it could close keeps status "running" until the next
    run sees that its process is gone and marks it "killed".
    """

    def __init__(self, crawler, db_path: str):
        self.crawler = crawler
        self.db_path = db_path
        self.run_id = None

    @classmethod
    def from_crawler(cls, crawler):
        db_path = crawler.settings.get("ARCHIVE_DB")
        if not db_path:
            raise NotConfigured("ARCHIVE_DB not set")
        recorder = cls(crawler, db_path)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider):
        args = {
            name: getattr(spider, name, None)
            for name in getattr(spider, "ARGUMENTS", ())
        }
        db = archive.open_archive(self.db_path)
        try:
            self.run_id = archive.start_run(db, spider.name, args)
        finally:
            db.close()
        self.crawler.stats.set_value("newscrawl/run_id", self.run_id)
        logger.info("crawl run %s started; archive %s", self.run_id, self.db_path)

    def spider_closed(self, spider, reason):
        if self.run_id is None:
            return
        stats = self.crawler.stats.get_stats()
        status = run_status(reason)
        settings = self.crawler.settings
        db = archive.open_archive(self.db_path)
        try:
            usual = health.baseline(db, spider.name, settings.getint("HEALTH_MIN_PAGES", 20),
                                    settings.getint("HEALTH_BASELINE_RUNS", 5))
            found = health.coverage(stats)
            said = health.verdict(reason, stats, usual, settings.getfloat("HEALTH_MAX_DROP", 0.5))
            archive.finish_run(db, self.run_id, status=status, reason=reason, stats=stats, coverage=found, verdict=said)
        finally:
            db.close()
        stats["newscrawl/verdict"] = said
        logger.info(
            "crawl run %s %s (%s), verdict: %s; %s new, %s updated, %s unchanged articles; %s new comments",
            self.run_id, status, reason, said,
            stats.get("archive/articles_new", 0), stats.get("archive/articles_updated", 0),
            stats.get("archive/articles_unchanged", 0), stats.get("archive/comments_new", 0),
        )
