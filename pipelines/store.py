"""Store articles and their comments in the SQLite archive (setting ARCHIVE_DB)."""

import asyncio
import logging
import multiprocessing
import os
import signal
import sqlite3
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from newscrawl.archive import open_archive, store_article
from newscrawl.health import STORE_FAILED
from newscrawl.middlewares import close_crawl

logger = logging.getLogger(__name__)

_db = None  # the writer process's connection


def _open_writer(db_path) -> None:
    global _db
    # Ctrl-C reaches the whole process group, and systemd's stop the whole
    # cgroup: the crawl stops gracefully and ends its writer once everything
    # it was given is stored, so the writer does not stop on its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _db = open_archive(db_path)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), name="parent-watch", daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """A crawl killed with SIGKILL cannot stop its writer, and the writer's
    queue never reports the end (it holds both ends of its pipe): it watches
    for itself. A transaction cut short here is rolled back by SQLite, and
    its item was never reported stored, so the next run fetches it again."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _store(article: dict):
    return store_article(_db, article)


class StorePipeline:
    """Items are stored by one writer process that owns the SQLite
    connection, in the order they come (a pool of one worker is a queue).

    Storing, the search index above all, costs as much CPU as downloading
    and parsing a page; in a process of its own it runs on another core
    while the crawl goes on (a thread would share the crawl's GIL). An item
    counts as scraped only once its transaction is committed, so a killed
    crawl loses nothing it reported stored. STORE_IN_PROCESS = False keeps
    the writing in the crawl's own process (one core; simpler to debug).

    The first item the archive refuses (disk full, read-only file, I/O
    error, a corrupt page: any sqlite3 error) stops the crawl with finish
    reason "store_failed": every later item would fail the same way. What
    was committed stays; items still in flight are dropped quietly and
    fetched again next run (their sitemaps are not marked read)."""

    def __init__(self, db_path, stats, in_process: bool = True):
        self.db_path = db_path
        self.stats = stats
        self.in_process = in_process
        self.writer = None
        self.db = None
        self.crawler = None
        self.failed: str | None = None  # the first error the archive gave, once storing failed

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        pipeline = cls(settings.get("ARCHIVE_DB"), crawler.stats, settings.getbool("STORE_IN_PROCESS", True))
        pipeline.crawler = crawler
        return pipeline

    def open_spider(self):
        if not self.in_process:
            self.db = open_archive(self.db_path)
            return
        open_archive(self.db_path).close()  # a bad path or file fails here, with the archive's own message
        # spawn, not fork: the crawl process runs a reactor and threads.
        self.writer = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"),
            initializer=_open_writer, initargs=(str(self.db_path),),
        )
        # Started now, not waited for: the process comes up (about half a
        # second of imports) while the crawl reads robots.txt and sitemaps.
        self.writer.submit(_noop)

    def close_spider(self):
        if self.writer is not None:
            self.writer.shutdown(wait=True)
            self.writer = None
        if self.db is not None:
            self.db.close()
            self.db = None

    async def process_item(self, item):
        # Shallow: the fields hold plain dicts and lists already, and asdict()
        # would walk every comment asking whether it is an item.
        article = dict(ItemAdapter(item).items())
        if self.failed:
            self.stats.inc_value("archive/not_stored")
            raise DropItem(f"not stored: {self.failed}", log_level="DEBUG")
        try:
            if self.writer is None:
                result = store_article(self.db, article)
            else:
                result = await asyncio.get_running_loop().run_in_executor(self.writer, _store, article)
        except BrokenProcessPool:
            # Every later item would fail the same way: stop the run, cleanly.
            # Nothing is lost: what was not stored is fetched again next run.
            if not getattr(self.crawler, "newscrawl_stopping", None):
                logger.error("the archive writer process died; stopping the crawl")
                close_crawl(self.crawler, "archive_writer_died")
            raise RuntimeError("the archive writer process died; this item was not stored") from None
        except sqlite3.Error as exc:  # in the writer process it is pickled across, class and message
            self.stats.inc_value("archive/not_stored")
            if self.failed is None:
                self._storing_failed(article, exc)
            # Quiet: the line above said it once; one traceback per item said nothing more.
            raise DropItem(f"not stored: {self.failed}", log_level="DEBUG") from None
        self.stats.inc_value(f"archive/articles_{result.status}")
        self.stats.inc_value("archive/comments_new", result.comments_new)
        if result.comments_updated:
            self.stats.inc_value("archive/comments_updated", result.comments_updated)
        if result.comments_gone:
            # Moderation or deletion, as a researcher wants to know: kept, marked gone_since.
            self.stats.inc_value("archive/comments_gone", result.comments_gone)
            logger.info("%s/%s: %d archived comments no longer shown on the page; kept, marked gone",
                        article["site"], article["article_id"], result.comments_gone)
        if result.comments_back:
            self.stats.inc_value("archive/comments_back", result.comments_back)
        logger.debug(
            "stored %s/%s: %s, %d new comments (%d in archive)",
            article["site"], article["article_id"], result.status, result.comments_new, result.comments_total,
        )
        return item

    def _storing_failed(self, article: dict, exc: sqlite3.Error) -> None:
        """Say once what the archive refused, and stop the crawl."""
        self.failed = f"{type(exc).__name__}: {exc}"
        # Read by health.run_status: the run is "failed" even if it was
        # stopping for another reason already (a block, a template change).
        self.stats.set_value("archive/store_failed", self.failed)
        stored = sum(self.stats.get_value(f"archive/articles_{s}", 0) for s in ("new", "updated", "unchanged", "kept"))
        logger.error(
            "storing %s/%s in %s failed (%s); stopping the crawl. The %d articles stored before it are kept; "
            "what was not stored is fetched again next run",
            article.get("site"), article.get("article_id"), self.db_path, self.failed, stored,
        )
        if not getattr(self.crawler, "newscrawl_stopping", None):
            close_crawl(self.crawler, STORE_FAILED)


def _noop():
    return None
