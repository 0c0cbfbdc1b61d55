"""Scrapy extensions of the project."""

from __future__ import annotations

import logging
import sqlite3

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

from newscrawl import health
from newscrawl.health import STORE_FAILED, run_status
from newscrawl.state import state_for

logger = logging.getLogger(__name__)


class RunRecorder:
    """One row per run in the archive's ``crawl_runs`` table: when it started
    and ended, how it ended, its spider arguments, all Scrapy stats, its field
    coverage and a verdict. In a distributed crawl the worker hands this
    report to Redis and `newscrawl drain` stores it.

    A run killed before it could close keeps status "running" until the next
    run sees that its process is gone and marks it "killed".
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.run = None

    @classmethod
    def from_crawler(cls, crawler) -> RunRecorder:
        if not crawler.settings.get("ARCHIVE_DB") and not crawler.settings.get("REDIS_URL"):
            raise NotConfigured("neither ARCHIVE_DB nor REDIS_URL is set")
        recorder = cls(crawler)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider) -> None:
        args = {name: getattr(spider, name, None) for name in getattr(spider, "ARGUMENTS", ())}
        state = state_for(self.crawler.settings)
        try:
            self.run = state.start_run(spider.name, args)
        except sqlite3.Error as exc:
            # A read-only or full archive: nothing this run reads could be stored.
            logger.error("the archive refuses writes (%s: %s); not crawling", type(exc).__name__, exc)
            self.crawler.stats.set_value("archive/store_failed", f"{type(exc).__name__}: {exc}")
            raise CloseSpider(STORE_FAILED) from None  # Scrapy closes the spider before it starts
        finally:
            state.close()
        if isinstance(self.run, int):
            self.crawler.stats.set_value("newscrawl/run_id", self.run)
        logger.info("crawl run %s started", self.run if isinstance(self.run, int) else "(distributed worker)")

    def spider_closed(self, spider, reason) -> None:
        if self.run is None:
            return
        stats = self.crawler.stats.get_stats()
        status = run_status(reason, stats)
        settings = self.crawler.settings
        state = state_for(settings)
        try:
            usual = health.baseline(state.runs_coverage(spider.name), settings.getint("HEALTH_MIN_PAGES"),
                                    settings.getint("HEALTH_BASELINE_RUNS"))
            found = health.coverage(stats)
            said = health.verdict(reason, stats, usual, settings.getfloat("HEALTH_MAX_DROP"))
            try:
                state.finish_run(self.run, status=status, reason=reason, stats=stats, coverage=found, verdict=said)
            except sqlite3.Error as exc:
                # The disk that stopped the items may refuse this row too: the
                # run stays "running" until the next run marks it killed.
                logger.error("crawl run %s: its end could not be recorded in the archive (%s: %s)",
                             self.run, type(exc).__name__, exc)
        finally:
            state.close()
        stats["newscrawl/verdict"] = said
        stats["newscrawl/status"] = status
        # The line that says how the run went: an error when it did not
        # finish, so that it stands out in a log of warnings about single pages.
        level = logging.ERROR if status != "finished" else logging.WARNING if said != "ok" else logging.INFO
        logger.log(
            level,
            "crawl run %s %s (%s), verdict: %s; %s new, %s updated, %s unchanged articles; %s new comments",
            self.run if isinstance(self.run, int) else "(worker)", status, reason, said,
            stats.get("archive/articles_new", 0), stats.get("archive/articles_updated", 0),
            stats.get("archive/articles_unchanged", 0), stats.get("archive/comments_new", 0),
        )
