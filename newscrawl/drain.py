"""`newscrawl drain`: the one writer of a distributed crawl.

Workers (`scrapy crawl <site> -s REDIS_URL=...`) push finished articles to
the Redis list newscrawl:items. The drain moves each one to
newscrawl:items:processing, stores it with the crawl's own pipelines
(normalize, validate, store: the no-loss rules of newscrawl.archive), then
removes it. Killed between the two, it finds the item still in the
processing list on its next start and stores it then (storing is
idempotent). It also publishes what the archive holds for the workers
(newscrawl.state) and turns their run reports into crawl_runs rows.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field

from scrapy.exceptions import DropItem

from newscrawl import archive
from newscrawl.state import KEY, publish_article, publish_state, worker_id
from pipelines.normalize import NormalizeWhitespacePipeline
from pipelines.validate import ValidatePipeline

logger = logging.getLogger(__name__)

ITEMS = f"{KEY}:items"
PROCESSING = f"{KEY}:items:processing"
RUNS = f"{KEY}:runs"
FAILED = f"{KEY}:items:failed"
LOCK = f"{KEY}:drain"
LOCK_SECONDS = 60


class DrainBusy(Exception):
    pass


class Counts:
    """Stats for the pipelines the drain runs (they count drops by reason)."""

    def __init__(self):
        self.values = Counter()

    def inc_value(self, key, count=1, start=0):
        self.values[key] += count

    def set_value(self, key, value):
        self.values[key] = value


@dataclass
class DrainReport:
    published: int = 0
    items: int = 0
    articles: Counter = field(default_factory=Counter)
    comments_new: int = 0
    dropped: Counter = field(default_factory=Counter)
    runs: int = 0
    recovered: int = 0
    failed: int = 0


class Drain:
    def __init__(self, db, server):
        self.db = db
        self.server = server
        self.counts = Counts()
        self.normalize = NormalizeWhitespacePipeline()
        self.validate = ValidatePipeline(self.counts)
        self.report = DrainReport()
        self.me = worker_id()

    def store(self, raw: bytes) -> None:
        """Store one item. One that cannot be stored (malformed, or a bug met
        on the way) goes to newscrawl:items:failed with the error, logged:
        kept for a person to look at, and not in the way of the others."""
        try:
            item = json.loads(raw)
            item = self.validate.process_item(self.normalize.process_item(item))
        except DropItem as exc:
            self.report.dropped[str(exc).split(": ", 1)[-1][:60]] += 1
            return
        except Exception as exc:
            self._set_aside(raw, exc)
            return
        try:
            result = archive.store_article(self.db, item)
        except sqlite3.OperationalError:
            raise  # the archive itself (locked, disk full): stop, the item stays in Redis
        except Exception as exc:
            self._set_aside(raw, exc)
            return
        self.report.items += 1
        self.report.articles[result.status] += 1
        self.report.comments_new += result.comments_new
        publish_article(self.server, self.db, item["site"], str(item["article_id"]))

    def _set_aside(self, raw: bytes, exc: Exception) -> None:
        self.report.failed += 1
        logger.error("item not stored, kept in %s: %s: %s", FAILED, type(exc).__name__, exc)
        self.server.rpush(FAILED, json.dumps({"error": f"{type(exc).__name__}: {exc}", "item": raw.decode("utf-8", "replace")},
                                             ensure_ascii=False))

    def _workers_alive(self) -> bool:
        return next(self.server.scan_iter(f"{KEY}:*:alive:*", count=1000), None) is not None

    def store_runs(self) -> None:
        while raw := self.server.lpop(RUNS):
            run = json.loads(raw)
            with self.db.atomic():
                self.db["crawl_runs"].insert({
                    "spider": run["spider"], "started": run["started"], "finished": run.get("finished"),
                    "status": run.get("status"), "finish_reason": run.get("reason"), "pid": run.get("pid"),
                    "host": run.get("host"),
                    "args": json.dumps({**(run.get("args") or {}), "worker": run.get("worker")}, ensure_ascii=False),
                    "stats": json.dumps(run.get("stats") or {}, ensure_ascii=False, sort_keys=True),
                    "coverage": json.dumps(run.get("coverage")) if run.get("coverage") is not None else None,
                    "verdict": run.get("verdict"),
                })
            self.report.runs += 1

    def run(self, idle: float | None = None, poll: float = 1.0) -> DrainReport:
        self._take_redis()
        try:
            return self._run(idle, poll)
        finally:
            if self.server.get(LOCK) == self.me.encode():
                self.server.delete(LOCK)

    def _take_redis(self) -> None:
        """One drain per Redis: a second one would take the first's items
        half-stored from the processing list, and publish another archive's facts."""
        if not self.server.set(LOCK, self.me, nx=True, ex=LOCK_SECONDS):
            holder = (self.server.get(LOCK) or b"?").decode()
            raise DrainBusy(f"another drain ({holder}) is using this Redis; one drain per Redis "
                            f"(a drain killed with -9 frees it within {LOCK_SECONDS} s)")

    def _run(self, idle: float | None, poll: float) -> DrainReport:
        self.report.published = publish_state(self.server, self.db)
        # What a killed drain had taken but not stored.
        while raw := self.server.lindex(PROCESSING, 0):
            self.store(raw)
            self.server.lpop(PROCESSING)
            self.report.recovered += 1
        last = time.monotonic()
        while True:
            self.server.expire(LOCK, LOCK_SECONDS)
            raw = self.server.blmove(ITEMS, PROCESSING, poll, src="LEFT", dest="RIGHT")
            if raw is not None:
                self.store(raw)
                self.server.lrem(PROCESSING, 1, raw)
                last = time.monotonic()
                continue
            self.store_runs()
            if self._workers_alive():
                last = time.monotonic()  # a live worker may still push items, and its run report
            if idle is not None and time.monotonic() - last >= idle:
                break
        self.store_runs()
        return self.report
