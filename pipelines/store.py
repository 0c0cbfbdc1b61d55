"""Store articles and their comments in the SQLite archive (setting ARCHIVE_DB)."""

from __future__ import annotations

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

from newscrawl.archive import open_archive, store_articles
from newscrawl.control import stop, stopping_reason
from newscrawl.health import STORE_FAILED

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


def _store_batch(articles: list[dict]):
    return store_articles(_db, articles)


class StorePipeline:
    """Items are stored by one writer process that owns the SQLite
    connection, in the order they come, a batch at a time.

    Storing, the search index above all, costs as much CPU as downloading
    and parsing a page; in a process of its own it runs on another core
    while the crawl goes on (a thread would share the crawl's GIL).
    STORE_IN_PROCESS = False keeps the writing in the crawl's own process
    (one core; simpler to debug).

    Articles are gathered into batches of up to STORE_BATCH_ARTICLES, or
    what came within STORE_BATCH_SECONDS of the first, each stored in one
    transaction (newscrawl.archive.store_articles): one commit and one
    full-text write per batch instead of per article. An item counts as
    scraped only once its batch is committed, so a killed crawl loses
    nothing it reported stored, and fetches again at most the batch that
    was being written.

    An article the archive refuses alone (a value it cannot take) is set
    aside: counted (archive/errors/<error>), logged, dropped, and fetched
    again next run; the rest of its batch is stored, and the run's verdict
    is "failed". The first error of the archive itself (disk full,
    read-only file, I/O error, a corrupt page) stops the crawl with finish
    reason "store_failed": every later item would fail the same way. What
    was committed stays; items still in flight are dropped quietly and
    fetched again next run (their sitemaps are not marked read)."""

    def __init__(self, db_path, stats, in_process: bool = True, batch_articles: int = 100,
                 batch_seconds: float = 0.5):
        self.db_path = db_path
        self.stats = stats
        self.in_process = in_process
        self.batch_articles = max(1, batch_articles)
        self.batch_seconds = batch_seconds
        self.writer = None
        self.db = None
        self.crawler = None
        self.failed: str | None = None  # the first error the archive gave, once storing failed
        self.gathering: list[tuple[dict, asyncio.Future]] = []  # the batch being gathered
        self.timer: asyncio.TimerHandle | None = None
        self.writing: set[asyncio.Task] = set()

    @classmethod
    def from_crawler(cls, crawler) -> StorePipeline:
        settings = crawler.settings
        pipeline = cls(settings.get("ARCHIVE_DB"), crawler.stats, settings.getbool("STORE_IN_PROCESS"),
                       settings.getint("STORE_BATCH_ARTICLES"), settings.getfloat("STORE_BATCH_SECONDS"))
        pipeline.crawler = crawler
        return pipeline

    def open_spider(self) -> None:
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

    def close_spider(self) -> None:
        # Scrapy closes the spider once no item is in progress, so nothing is
        # gathering now; the writer finishes what it was given.
        if self.writer is not None:
            self.writer.shutdown(wait=True)
            self.writer = None
        if self.db is not None:
            self.db.close()
            self.db = None

    async def process_item(self, item: object) -> object:
        # Shallow: the fields hold plain dicts and lists already, and asdict()
        # would walk every comment asking whether it is an item.
        article = dict(ItemAdapter(item).items())
        if self.failed:
            self.stats.inc_value("archive/not_stored")
            raise DropItem(f"not stored: {self.failed}", log_level="DEBUG")
        loop = asyncio.get_running_loop()
        stored = loop.create_future()
        self.gathering.append((article, stored))
        if len(self.gathering) >= self.batch_articles:
            self._send_batch()
        elif self.timer is None:
            self.timer = loop.call_later(self.batch_seconds, self._send_batch)
        result = await stored
        if isinstance(result, Exception):
            self._article_refused(article, result)
        self._count(article, result)
        return item

    def _send_batch(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.gathering = self.gathering, []
        if batch:
            task = asyncio.ensure_future(self._write(batch))
            self.writing.add(task)  # held: the loop keeps only weak references to tasks
            task.add_done_callback(self.writing.discard)

    async def _write(self, batch: list[tuple[dict, asyncio.Future]]) -> None:
        """Store one batch; hand each item its result, or the error that stopped the batch."""
        articles = [article for article, _ in batch]
        try:
            if self.writer is None:
                results = store_articles(self.db, articles)
            else:
                results = await asyncio.get_running_loop().run_in_executor(self.writer, _store_batch, articles)
        except Exception as exc:  # noqa: BLE001 - every item of the batch is told, whatever it was
            failure = self._batch_failed(articles, exc)
            for _, stored in batch:
                if not stored.done():
                    stored.set_exception(failure)
            return
        self.stats.inc_value("archive/batches")
        for (_, stored), result in zip(batch, results, strict=True):
            if not stored.done():
                stored.set_result(result)

    def _batch_failed(self, articles: list[dict], exc: Exception) -> Exception:
        """What each item of a batch that was not stored raises."""
        if isinstance(exc, BrokenProcessPool):
            # Every later item would fail the same way: stop the run, cleanly.
            # Nothing is lost: what was not stored is fetched again next run.
            if not stopping_reason(self.crawler):
                logger.error("the archive writer process died; stopping the crawl")
                stop(self.crawler, "archive_writer_died")
            return RuntimeError("the archive writer process died; this item was not stored")
        if isinstance(exc, sqlite3.Error):  # in the writer process it is pickled across, class and message
            self.stats.inc_value("archive/not_stored", len(articles))
            if self.failed is None:
                self._storing_failed(articles[0], exc)
            # Quiet: the line above said it once; one traceback per item said nothing more.
            return DropItem(f"not stored: {self.failed}", log_level="DEBUG")
        return exc

    def _article_refused(self, article: dict, exc: Exception) -> None:
        """One article the archive could not take; the rest of its batch is stored."""
        name = type(exc).__name__
        self.stats.inc_value("archive/not_stored")
        self.stats.inc_value(f"archive/errors/{name}")
        if not self.stats.get_value("archive/error_sample"):
            self.stats.set_value("archive/error_sample", f"{article.get('site')}/{article.get('article_id')}")
        detail = str(exc).strip().splitlines()
        logger.error("%s/%s (%s) could not be stored (%s%s); the rest of its batch is stored, this article is "
                     "fetched again next run", article.get("site"), article.get("article_id"), article.get("url"), name,
                     f": {detail[0][:200]}" if detail else "")
        raise DropItem(f"not stored: {name}", log_level="DEBUG")

    def _count(self, article: dict, result) -> None:
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
        if not stopping_reason(self.crawler):
            stop(self.crawler, STORE_FAILED)


def _noop():
    return None
