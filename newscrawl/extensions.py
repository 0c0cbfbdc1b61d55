"""Scrapy extensions of the project."""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newscrawl import archive

logger = logging.getLogger(__name__)

# Finish reasons that mean the run did what it was asked to do.
GOOD_REASONS = ("finished",)
GOOD_PREFIXES = ("closespider_",)


def run_status(reason: str) -> str:
    if reason in GOOD_REASONS or reason.startswith(GOOD_PREFIXES):
        return "finished"
    return reason or "failed"


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
        db = archive.open_archive(self.db_path)
        try:
            archive.finish_run(db, self.run_id, status=status, reason=reason, stats=stats)
        finally:
            db.close()
        logger.info(
            "crawl run %s %s (%s): %s new, %s updated, %s unchanged articles; %s new comments",
            self.run_id, status, reason,
            stats.get("archive/articles_new", 0), stats.get("archive/articles_updated", 0),
            stats.get("archive/articles_unchanged", 0), stats.get("archive/comments_new", 0),
        )
