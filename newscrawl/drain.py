"""`newscrawl drain`: the one writer of a distributed crawl.

Workers (`scrapy crawl <site> -s REDIS_URL=...`) push finished articles to
the Redis list newscrawl:items. The drain moves them, up to a batch
(STORE_BATCH_ARTICLES) at a time, to newscrawl:items:processing, stores
them with the crawl's own pipelines (normalize, validate, store: the
no-loss rules of newscrawl.archive) in one transaction, then removes them.
Killed between the two, it finds the items still in the processing list on
its next start and stores them then (storing is idempotent). It also publishes what the archive holds for the workers
(newscrawl.redis_state) and turns their run reports into crawl_runs rows.

Redis going away does not end it: each call retries with backoff for
REDIS_RETRY_FOR seconds (newscrawl.redis_state.RetryFor), and a step that still
fails is logged and started again from what Redis holds, until Redis is
back. Each step is safe to run twice: items are taken with BLMOVE/LMOVE,
left in the processing list until they are stored, and removed by value
(LREM); one left there by a step cut short (or taken twice by a BLMOVE
sent again after its reply was lost) is stored first, and not stored twice.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from scrapy.exceptions import DropItem

from newscrawl import archive
from newscrawl.redis_state import REDIS_DOWN, outage_of, publish_article, publish_state, with_retries
from newscrawl.state import KEY, worker_id
from pipelines.normalize import NormalizeWhitespacePipeline
from pipelines.validate import ValidatePipeline

logger = logging.getLogger(__name__)
T = TypeVar("T")  # what a step given to Drain.patiently returns

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

    def inc_value(self, key, count=1, start=0) -> None:
        self.values[key] += count

    def set_value(self, key, value) -> None:
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
    batches: int = 0  # transactions the items were stored in


# Keep the drain's lock if it is still ours, or take it again if it expired
# (Redis was away longer than LOCK_SECONDS, or came back without its data).
_KEEP_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
return 0
"""


def _batch_articles() -> int:
    from newscrawl import settings

    return int(settings.STORE_BATCH_ARTICLES)  # articles per transaction, as a crawl's writer


def _retry_for() -> float:
    from newscrawl import settings

    return float(settings.REDIS_RETRY_FOR)


class Drain:
    def __init__(self, db, server, retry_for: float | None = None):
        self.db = db
        self.retry_for = _retry_for() if retry_for is None else retry_for
        self.server = with_retries(server, self.retry_for)
        self.outage = outage_of(self.server)
        self.outages_seen = 0
        self.counts = Counts()
        self.normalize = NormalizeWhitespacePipeline()
        self.validate = ValidatePipeline(self.counts)
        self.report = DrainReport()
        self.me = worker_id()
        self._keep_lock = self.server.register_script(_KEEP_LOCK)
        self.batch = max(1, _batch_articles())
        self._stored: set[bytes] = set()  # items stored, until they are off the processing list
        self._told: list[tuple] = []  # what Redis has still to hear about them (see take)
        self._stored_run: bytes | None = None

    def store(self, raws: list[bytes]) -> list[tuple]:
        """Store items, one transaction for them all (newscrawl.archive.store_articles).
        Returns what is left to tell Redis, in order: ("publish", site,
        article_id) for each item stored, ("failed", raw, error) for each
        that cannot be stored (malformed, or a bug met on the way): kept in
        newscrawl:items:failed for a person to look at, not in the way of
        the others. An error of the archive itself is raised: the drain
        stops and the items stay in Redis."""
        todo: list[tuple] = []
        items, origins = [], []
        for raw in raws:
            try:
                item = json.loads(raw)
                item = self.validate.process_item(self.normalize.process_item(item))
            except DropItem as exc:
                self.report.dropped[str(exc).split(": ", 1)[-1][:60]] += 1
                continue
            except Exception as exc:
                todo.append(("failed", raw, exc))
                continue
            items.append(item)
            origins.append(raw)
        results = archive.store_articles(self.db, items) if items else []
        for raw, item, result in zip(origins, items, results, strict=True):
            if isinstance(result, Exception):
                todo.append(("failed", raw, result))
                continue
            self.report.items += 1
            self.report.articles[result.status] += 1
            self.report.comments_new += result.comments_new
            todo.append(("publish", item["site"], str(item["article_id"])))
        if items:
            self.report.batches += 1
        return todo

    def take(self, raws: list[bytes]) -> None:
        """Store items of the processing list, tell Redis what became of
        them, and remove them from the list. Run again after Redis failed
        part-way, it stores none of them twice: `_stored` holds the items
        stored and not yet off the list, `_told` what Redis has still to
        hear about them."""
        fresh = [raw for raw in dict.fromkeys(raws) if raw not in self._stored]
        if fresh:
            self._told.extend(self.store(fresh))
            self._stored.update(fresh)
        while self._told:
            kind, *what = self._told[0]
            if kind == "publish":
                publish_article(self.server, self.db, *what)
            else:
                self._set_aside(*what)
            self._told.pop(0)
        for raw in raws:
            self.server.lrem(PROCESSING, 1, raw)
            self._stored.discard(raw)

    def _set_aside(self, raw: bytes, exc: Exception) -> None:
        self.report.failed += 1
        logger.error("item not stored, kept in %s: %s: %s", FAILED, type(exc).__name__, exc)
        self.server.rpush(FAILED, json.dumps(
            {"error": f"{type(exc).__name__}: {exc}", "item": raw.decode("utf-8", "replace")}, ensure_ascii=False))

    def _workers_alive(self) -> bool:
        return next(self.server.scan_iter(f"{KEY}:*:alive:*", count=1000), None) is not None

    def store_runs(self) -> None:
        while raw := self.server.lindex(RUNS, 0):
            if raw != self._stored_run:
                self._store_run(raw)
                self._stored_run = raw
            self.server.lrem(RUNS, 1, raw)
            self._stored_run = None

    def _store_run(self, raw: bytes) -> None:
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
        except BaseException:
            self.outage.give_up()  # stopped (Ctrl-C, the archive failing): no more waiting for Redis
            raise
        finally:
            try:
                if self.server.get(LOCK) == self.me.encode():
                    self.server.delete(LOCK)
            except REDIS_DOWN:
                pass  # the lock expires by itself within LOCK_SECONDS

    def _take_redis(self) -> None:
        """One drain per Redis: a second one would take the first's items
        half-stored from the processing list, and publish another archive's facts."""
        if not self.server.set(LOCK, self.me, nx=True, ex=LOCK_SECONDS):
            holder = (self.server.get(LOCK) or b"?").decode()
            raise DrainBusy(f"another drain ({holder}) is using this Redis; one drain per Redis "
                            f"(a drain killed with -9 frees it within {LOCK_SECONDS} s)")

    def _run(self, idle: float | None, poll: float) -> DrainReport:
        self.report.published = self.patiently(lambda: publish_state(self.server, self.db))
        self.outages_seen = self.outage.count
        self.patiently(self._recover)
        last = time.monotonic()
        while True:
            if self.patiently(lambda: self.step(poll)):
                last = time.monotonic()
                continue
            self.patiently(self.store_runs)
            if self.patiently(self._workers_alive):
                last = time.monotonic()  # a live worker may still push items, and its run report
            # Redis away is not idleness: the workers may be waiting for it too.
            last = max(last, self.outage.last_failure)
            if idle is not None and time.monotonic() - last >= idle:
                break
        self.patiently(self.store_runs)
        return self.report

    def _recover(self) -> None:
        """What a killed drain had taken but not stored."""
        while raws := self.server.lrange(PROCESSING, 0, self.batch - 1):
            self.take(raws)
            self.report.recovered += len(raws)

    def step(self, poll: float) -> bool:
        """Store a batch of items, waiting up to `poll` seconds for the first. False: none came."""
        if not self._keep_lock(keys=[LOCK], args=[self.me, LOCK_SECONDS]):
            holder = (self.server.get(LOCK) or b"?").decode()
            raise DrainBusy(f"another drain ({holder}) took this Redis while it was unreachable; one drain per Redis")
        # Items already in the processing list were left there by a step that
        # Redis cut short (or taken twice by a BLMOVE sent again): first.
        raws = self.server.lrange(PROCESSING, 0, self.batch - 1)
        if not raws:
            first = self.server.blmove(ITEMS, PROCESSING, poll, src="LEFT", dest="RIGHT")
            if first is None:
                return False
            raws = [first]
            # Then what is waiting, up to a batch, without waiting for more.
            while len(raws) < self.batch and (raw := self.server.lmove(ITEMS, PROCESSING, "LEFT", "RIGHT")):
                raws.append(raw)
        self.take(raws)
        return True

    def patiently(self, step: Callable[[], T]) -> T:
        """Run a step until Redis lets it finish: each call is retried for
        REDIS_RETRY_FOR seconds, and a step that still failed is logged and
        run again. The drain ends only when stopped, or idle."""
        while True:
            try:
                result = step()
            except REDIS_DOWN as exc:
                logger.error("Redis unreachable for %.0f s (%s); the drain keeps trying", self.retry_for, exc)
                time.sleep(1)
                continue
            if self.outage.count != self.outages_seen:
                self.outages_seen = self.outage.count
                self._after_outage()
            return result

    def _after_outage(self) -> None:
        """Redis is back. One that restarted without its data has lost the
        archive's facts the workers read: published again."""
        if not self.server.exists(f"{KEY}:state-published"):
            logger.warning("Redis came back without the archive's facts: publishing them again")
            self.report.published = publish_state(self.server, self.db)
