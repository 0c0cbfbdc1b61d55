"""Distributed crawling on scrapy-redis: `-s REDIS_URL=redis://host:6379/0`.

With REDIS_URL set, `scrapy crawl <site>` becomes a worker. Any number of
workers, on any machines, share one frontier held in Redis by scrapy-redis
(its scheduler, priority queue and fingerprint dupefilter). They push their
items to Redis, and one writer, `newscrawl drain`, stores them in SQLite
with the same pipelines. Without REDIS_URL this module does nothing.

What the project adds around scrapy-redis:

- Run keys: a run's queue and fingerprints live under
  newscrawl:<REDIS_RUN>:<spider>:..., so one run's fingerprints never hide
  the next run's pages. Give all workers of a run the same REDIS_RUN (the
  default, "default", suits one crawl at a time).
- Leases: a request a worker takes from the queue is leased to it until its
  callback has run. A worker that dies (its heartbeat stops) has its leases
  put back on the queue by the others: killing a worker loses nothing.
- Ending: an idle worker stays while the queue holds requests or another
  live worker holds leases (it may enqueue more); it ends once the frontier
  has been empty for REDIS_IDLE_GRACE seconds.
- Politeness across workers: each site's next request time is reserved in
  Redis (a Lua script), so N workers together keep the site's delay, not N
  times its rate.
- Archive facts: workers read what the archive holds from Redis
  (newscrawl.redis_state.RedisState), published there by `newscrawl drain`.
- Redis going away: every Redis call retries with backoff for
  REDIS_RETRY_FOR seconds (newscrawl.redis_state.RetryFor), so a restart of a
  Redis that keeps its data (appendonly yes) costs a pause, nothing else.
  A call that still fails stops the worker (finish reason redis_unavailable,
  exit 1, one log line), and what it was doing stays unacknowledged: a
  callback whose Redis reads or writes failed, an item not pushed, a request
  not queued keep their page's lease, and the page is fetched again by
  another worker or the next run. Each write is safe to send twice (a retry
  after a reply lost with the connection): taking a request and leasing it
  is one script, so is marking it seen and queueing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any
from weakref import WeakKeyDictionary

from itemadapter import is_item
from scrapy import Request, signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, DropItem, NotConfigured, ScrapyDeprecationWarning
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis import connection
from scrapy_redis.pipelines import RedisPipeline
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from newscrawl.items import ArticleItem
from newscrawl.redis_state import REDIS_DOWN, outage_of, redis_client, redis_name, retry_params
from newscrawl.sitemap_ledger import Claims
from newscrawl.state import KEY, worker_id

logger = logging.getLogger(__name__)

# crawler -> its LeasingScheduler: the components that end leases or report
# Redis lost find it here (not through an attribute set on the crawler).
_schedulers: WeakKeyDictionary = WeakKeyDictionary()


def scheduler_of(crawler) -> LeasingScheduler | None:
    """The crawl's leasing scheduler, or None (not a distributed crawl, or not started yet)."""
    return _schedulers.get(crawler)

# scrapy-redis 0.9.1 still calls two Scrapy APIs deprecated since: warned
# about on every request, they would bury a worker's own warnings. Its
# fixes come with the next pinned release.
for _message in ("Passing a 'spider' argument to StatsCollector", r"Spider.log\(\) is deprecated"):
    warnings.filterwarnings("ignore", message=_message, category=ScrapyDeprecationWarning)



def run_key(settings) -> str:
    return f"{KEY}:{settings.get('REDIS_RUN') or 'default'}"


# The finish reason of a worker that stopped because Redis stayed
# unreachable (newscrawl.extensions.run_status: "failed", exit 1).
REDIS_LOST = "redis_unavailable"


# Above the project's settings (20), below the spider's and -s (30, 40): a
# worker's components replace the project's, and a person can still override.
WORKER = 25


class Distributed:
    """Add-on (ADDONS): turn a crawl into a worker when REDIS_URL is set."""

    def update_settings(self, settings) -> None:
        if not settings.get("REDIS_URL"):
            return
        run = run_key(settings)
        # One retry policy for every Redis client of the worker (scrapy-redis
        # builds its own from REDIS_PARAMS; newscrawl.redis_state.redis_params reads it too).
        params = {**retry_params(settings.getfloat("REDIS_RETRY_FOR"),
                                 redis_name(settings.get("REDIS_URL"))),
                  **settings.getdict("REDIS_PARAMS")}
        settings.set("REDIS_PARAMS", params, priority=max(WORKER, settings.getpriority("REDIS_PARAMS") or 0))
        settings.set("SCHEDULER", "newscrawl.distributed.LeasingScheduler", priority=WORKER)
        # The lease scripts work on a sorted set.
        settings.set("SCHEDULER_QUEUE_CLASS", "scrapy_redis.queue.PriorityQueue", priority=WORKER)
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority=WORKER)
        settings.set("SCHEDULER_PERSIST", True, priority=WORKER)  # one worker's end is not the run's
        settings.set("SCHEDULER_QUEUE_KEY", f"{run}:%(spider)s:requests", priority=WORKER)
        settings.set("SCHEDULER_DUPEFILTER_KEY", f"{run}:%(spider)s:dupefilter", priority=WORKER)
        settings.set("REDIS_ITEMS_KEY", f"{KEY}:items", priority=WORKER)
        # A worker crawls one site: it takes from the shared queue no more
        # requests than it may send to that site at once, leaving the rest
        # to the other workers instead of holding them in its own downloader.
        settings.set("CONCURRENT_REQUESTS", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), priority=WORKER)
        pipelines = dict(settings.getdict("ITEM_PIPELINES"))
        pipelines.pop("pipelines.dedupe.DedupePipeline", None)  # the drain's store merges by id
        pipelines.pop("pipelines.store.StorePipeline", None)  # the drain stores
        pipelines["newscrawl.distributed.RedisItemsPipeline"] = 900
        settings.set("ITEM_PIPELINES", pipelines, priority=WORKER)
        middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
        middlewares["newscrawl.distributed.SharedPoliteness"] = 900
        middlewares["newscrawl.distributed.LeaseOnFailure"] = 50
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority=WORKER)
        spider_mw = dict(settings.getdict("SPIDER_MIDDLEWARES"))
        spider_mw["newscrawl.distributed.LeaseRelease"] = 10
        settings.set("SPIDER_MIDDLEWARES", spider_mw, priority=WORKER)
        extensions = dict(settings.getdict("EXTENSIONS"))
        extensions["newscrawl.distributed.WorkerKeeper"] = 530
        settings.set("EXTENSIONS", extensions, priority=WORKER)


# Take the first request of the queue and lease it, in one step. Sent again
# with the same lease (a retry after the reply was lost), it answers the
# request it leased the first time instead of taking another.
_TAKE = """
local held = redis.call('HGET', KEYS[2], ARGV[1])
if held then return held end
local first = redis.call('ZRANGE', KEYS[1], 0, 0)
if #first == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], first[1])
return first[1]
"""

# Mark a request seen and queue it, in one step (fingerprint '': not
# filtered). Sent again, it finds the request seen, and queued already.
_QUEUE = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""


class LeasingScheduler(Scheduler):
    """scrapy-redis's scheduler, but a request taken from the queue stays
    leased to this worker (in Redis) until its callback has run."""

    @classmethod
    def from_settings(cls, settings) -> LeasingScheduler:
        try:
            return super().from_settings(settings)  # which pings Redis, with the retries
        except REDIS_DOWN as exc:
            unreachable = exc
        # Unreachable for REDIS_RETRY_FOR as the worker starts: built all the
        # same (from the settings the add-on set), it stops as it opens.
        scheduler = cls(server=connection.from_settings(settings), persist=True,
                        queue_key=settings.get("SCHEDULER_QUEUE_KEY"), queue_cls=settings.get("SCHEDULER_QUEUE_CLASS"),
                        dupefilter_key=settings.get("SCHEDULER_DUPEFILTER_KEY"),
                        dupefilter_cls=settings.get("DUPEFILTER_CLASS"))
        scheduler.unreachable = unreachable
        return scheduler

    @classmethod
    def from_crawler(cls, crawler) -> LeasingScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        scheduler.run = run_key(crawler.settings)
        scheduler.worker = worker_id()
        scheduler.heartbeat = crawler.settings.getfloat("REDIS_HEARTBEAT")  # seconds between signs of life
        scheduler.outstanding = {}  # lease -> its callback and outputs not yet safe in Redis
        scheduler.held = set()  # leases taken and not ended
        scheduler.lease_numbers = itertools.count()
        scheduler.lost = None  # why this worker gave up on Redis, once it has
        scheduler.stopping = None
        _schedulers[crawler] = scheduler  # for LeaseRelease and WorkerKeeper (scheduler_of)
        return scheduler

    def open(self, spider) -> None:
        unreachable = getattr(self, "unreachable", None)
        if unreachable is not None:
            self.redis_lost(unreachable, close=False)
        try:
            super().open(spider)  # ends by counting the queued requests
        except REDIS_DOWN as exc:
            self.redis_lost(exc, close=False)
        if not isinstance(self.queue, PriorityQueue):
            raise TypeError("leases need scrapy_redis.queue.PriorityQueue as SCHEDULER_QUEUE_CLASS, "
                            f"not {self.queue_cls}")
        self._take = self.server.register_script(_TAKE)
        self._queue = self.server.register_script(_QUEUE)

    def leases_key(self, worker: str | None = None) -> str:
        return f"{self.run}:{self.spider.name}:leases:{worker or self.worker}"

    def alive_key(self, worker: str | None = None) -> str:
        return f"{self.run}:{self.spider.name}:alive:{worker or self.worker}"

    def redis_lost(self, exc: Exception, message: str | None = None, close: bool = True) -> None:
        """Redis stayed unreachable for REDIS_RETRY_FOR seconds (or lost the
        run's data): this worker stops, exit 1. Nothing it holds is settled:
        its leases stay in Redis, and their pages are fetched again by another
        worker (once this one's heartbeat stops) or by the next run."""
        if self.lost is not None:
            return
        self.lost = exc
        outage = outage_of(self.server)
        if outage is not None:
            outage.give_up()  # calls still retrying stop; later ones fail at once instead of waiting again
        seconds = self.crawler.settings.getfloat("REDIS_RETRY_FOR")
        name = redis_name(self.crawler.settings.get("REDIS_URL"))
        self.crawler.stats.set_value("distributed/redis_lost", f"{type(exc).__name__}: {exc}")
        if message:
            logger.error("%s: stopping this worker (exit 1); run the crawl again", message)
        else:
            held = len(self.held)
            logger.error("Redis at %s unreachable for %.0f s (%s): stopping this worker (exit 1); %s",
                         name, seconds, exc, f"the {held} request{'s' * (held != 1)} it holds stay{'s' * (held == 1)} "
                         "leased in Redis, for another worker or the next run" if held else "it holds no request")
        engine = self.crawler.engine
        # Still starting (not running yet): WorkerKeeper.spider_opened asks
        # Scrapy to close once every component is open.
        if close and engine is not None and engine.running and engine.spider is not None:
            self.stopping = deferred_from_coro(self._stop(engine))

    @staticmethod
    async def _stop(engine) -> None:
        with contextlib.suppress(RuntimeError):  # closed meanwhile
            await engine.close_spider_async(reason=REDIS_LOST)

    def next_request(self) -> Request | None:
        if self.lost is not None:
            return None  # stopping: take no more
        lease = f"{time.time_ns()}.{next(self.lease_numbers)}"
        try:
            encoded = self._take(keys=[self.queue.key, self.leases_key()], args=[lease])
        except REDIS_DOWN as exc:
            self.redis_lost(exc)
            return None
        if encoded is None:
            return None
        request = self.queue._decode_request(encoded)
        request.meta["newscrawl_lease"] = lease
        self.held.add(lease)
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def enqueue_request(self, request) -> bool:
        # A leased request coming back (a retry, a redirect: copies keep its
        # meta) is safe in the queue again: its lease ends here.
        lease = request.meta.pop("newscrawl_lease", None)
        parent = request.meta.pop("newscrawl_parent_lease", None)
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        try:
            queued = bool(self._queue(keys=[self.df.key, self.queue.key],
                                      args=[fingerprint, -request.priority, self.queue._encode_request(request)]))
        except REDIS_DOWN as exc:
            # Not queued: the lease it came from (its own, or its parent's) is
            # kept, and that page is fetched again.
            self.redis_lost(exc)
            return False
        if queued:
            if self.stats:
                self.stats.inc_value("scheduler/enqueued/redis")
        else:
            self.df.log(request, self.spider)
        if lease:
            self.end(lease)
        if parent:
            self.settle(parent)  # one output of a leased callback is safe in the queue
        return queued

    def has_pending_requests(self) -> bool:
        try:
            return len(self.queue) > 0
        except REDIS_DOWN as exc:
            self.redis_lost(exc)
            return False

    # A lease ends when nothing its callback produced exists only in this
    # process any more: every request it yielded is in the shared queue and
    # every item it yielded has been pushed to Redis (or dropped).
    def hold(self, lease: str) -> None:
        self.outstanding[lease] = self.outstanding.get(lease, 0) + 1

    def settle(self, lease: str) -> None:
        left = self.outstanding.get(lease, 0) - 1
        if left > 0:
            self.outstanding[lease] = left
            return
        self.end(lease)

    def release(self, request) -> None:
        lease = request.meta.get("newscrawl_lease")
        if lease:
            self.end(lease)

    def end(self, lease: str) -> None:
        """The lease is over: its request, and all it led to, are safe in Redis."""
        self.outstanding.pop(lease, None)
        self.held.discard(lease)
        try:
            self.server.hdel(self.leases_key(), lease)
        except REDIS_DOWN as exc:
            self.redis_lost(exc)  # the lease stays: its page is fetched once more, nothing is lost

    def frontier_busy(self) -> bool:
        """Requests queued, or leased by a live worker (which may add more)."""
        if len(self.queue):
            return True
        for key in self.server.scan_iter(f"{self.run}:{self.spider.name}:leases:*"):
            worker = key.decode().rsplit(":leases:", 1)[1]
            if worker != self.worker and self.server.exists(self.alive_key(worker)) and self.server.hlen(key):
                return True
        return False

    def reclaim(self) -> int:
        """Put the leases of dead workers back on the queue."""
        returned = 0
        for key in self.server.scan_iter(f"{self.run}:{self.spider.name}:leases:*"):
            worker = key.decode().rsplit(":leases:", 1)[1]
            if worker == self.worker or self.server.exists(self.alive_key(worker)):
                continue
            if not self.server.set(f"{self.run}:{self.spider.name}:reclaiming:{worker}", self.worker, nx=True, ex=60):
                continue  # another worker is on it
            for encoded in self.server.hvals(key):
                request = self.queue._decode_request(encoded)
                request.dont_filter = True  # its fingerprint is already seen
                request.meta.pop("newscrawl_lease", None)
                self.queue.push(request)
                returned += 1
            self.server.delete(key)
            logger.warning("worker %s is gone: %d of its requests put back on the queue", worker, returned)
        return returned


_ADD_ALTERNATE = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return 0 end
local listed = redis.call('HGET', KEYS[2], ARGV[1])
local urls = listed and cjson.decode(listed) or {}
for _, url in ipairs(urls) do if url == ARGV[2] then return 0 end end
table.insert(urls, ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(urls))
return 1
"""

_NEXT_ALTERNATE = """
local listed = redis.call('HGET', KEYS[1], ARGV[1])
if not listed then return false end
local urls = cjson.decode(listed)
if #urls == 0 then return false end
local url = table.remove(urls, 1)
if #urls == 0 then redis.call('HDEL', KEYS[1], ARGV[1])
else redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(urls)) end
return url
"""


class RedisArticleClaims(Claims):
    """newscrawl.sitemap_ledger.ArticleClaims shared by a run's workers: which
    articles the run asked for (hash <run>:<spider>:articles, id -> first URL)
    and the URLs of each not tried yet (hash <run>:<spider>:alternates)."""

    def __init__(self, server, prefix: str):
        self.server = server
        self.asked_key = f"{prefix}:articles"
        self.alternates_key = f"{prefix}:alternates"
        self._add = server.register_script(_ADD_ALTERNATE)
        self._next = server.register_script(_NEXT_ALTERNATE)

    @classmethod
    def for_spider(cls, settings, spider_name: str) -> RedisArticleClaims:
        return cls(redis_client(settings), f"{run_key(settings)}:{spider_name}")

    def asked(self, article_id: str) -> bool:
        return bool(self.server.hexists(self.asked_key, article_id))

    def claim(self, article_id: str, url: str) -> bool:
        # Already asked under this very URL: by this claim sent twice (a retry
        # after its reply was lost), or by a worker whose request the shared
        # fingerprints stop anyway. Either way not another article's claim.
        return bool(self.server.hsetnx(self.asked_key, article_id, url)) or \
            self.server.hget(self.asked_key, article_id) == url.encode()

    def add_alternate(self, article_id: str, url: str) -> None:
        self._add(keys=[self.asked_key, self.alternates_key], args=[article_id, url])

    def next_alternate(self, article_id: str) -> str | None:
        url = self._next(keys=[self.alternates_key], args=[article_id])
        return url.decode() if url else None


class RedisItemsPipeline(RedisPipeline):
    """scrapy-redis's RedisPipeline (RPUSH of the item as JSON to
    REDIS_ITEMS_KEY, off the reactor thread), in the form current Scrapy
    calls: a coroutine without the spider argument."""

    @classmethod
    def from_crawler(cls, crawler) -> RedisItemsPipeline:
        pipeline = super().from_crawler(crawler)
        pipeline.crawler = crawler
        return pipeline

    async def process_item(self, item: ArticleItem | dict) -> ArticleItem | dict:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, self._process_item, item, self.crawler.spider)
        except REDIS_DOWN as exc:
            scheduler_of(self.crawler).redis_lost(exc)
            raise NotPushed(f"not pushed to Redis ({exc}); its page stays leased", log_level="DEBUG") from None


class NotPushed(DropItem):
    """An item the items pipeline could not push to Redis: its page's lease
    is not settled (LeaseRelease), so the page is fetched again."""


class LeaseOnFailure:
    """Downloader middleware: a request that fails to download for good (an
    exception no middleware retried, robots.txt forbidding it) ends its
    lease; its errback runs without spider middlewares."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler) -> LeaseOnFailure:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        return cls(crawler)

    def process_exception(self, request, exception) -> None:
        scheduler = scheduler_of(self.crawler)
        if scheduler is not None and not isinstance(exception, REDIS_DOWN):
            scheduler.release(request)
        return None


class LeaseRelease:
    """Spider middleware: a request's lease ends once its callback has run
    (an errback's too, when an HTTP error led to it) and everything it
    produced is safe in Redis: its requests in the shared queue, its items
    pushed by the items pipeline (item_scraped) or dropped. A worker killed
    before that leaves the lease, and another worker fetches the page again."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.items: dict[int, str] = {}  # id(item) -> lease of the callback that made it

    @classmethod
    def from_crawler(cls, crawler) -> LeaseRelease:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        middleware = cls(crawler)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(middleware._item_done, signal=signal)
        return middleware

    def _item_done(self, item, **kwargs):
        lease = self.items.pop(id(item), None)
        if lease and not isinstance(kwargs.get("exception"), NotPushed):
            scheduler_of(self.crawler).settle(lease)

    def _lease(self, response):
        scheduler = scheduler_of(self.crawler)
        request = response.request
        lease = request.meta.get("newscrawl_lease") if request is not None else None
        return (scheduler, lease) if scheduler is not None and lease else (None, None)

    def _track(self, scheduler, lease, output):
        if isinstance(output, Request):
            scheduler.hold(lease)
            output.meta["newscrawl_parent_lease"] = lease
        elif is_item(output):
            scheduler.hold(lease)
            self.items[id(output)] = lease

    # A callback that met Redis unreachable (its reads of the archive's facts,
    # its article claims, its 404 marks: retried for REDIS_RETRY_FOR in vain)
    # did not run in full: it is not acknowledged, its lease stays, and the
    # worker stops. Any other exception is the callback's own: it has run.

    def process_spider_output(self, response, result) -> Iterator[Any]:
        scheduler, lease = self._lease(response)
        if scheduler is None:
            yield from result
            return
        scheduler.hold(lease)  # the callback itself
        ran = True
        try:
            for output in result:
                self._track(scheduler, lease, output)
                yield output
        except REDIS_DOWN as exc:
            ran = False
            scheduler.redis_lost(exc)
        finally:
            if ran:
                scheduler.settle(lease)

    async def process_spider_output_async(self, response, result) -> AsyncIterator[Any]:
        scheduler, lease = self._lease(response)
        if scheduler is None:
            async for output in result:
                yield output
            return
        scheduler.hold(lease)
        ran = True
        try:
            async for output in result:
                self._track(scheduler, lease, output)
                yield output
        except REDIS_DOWN as exc:
            ran = False
            scheduler.redis_lost(exc)
        finally:
            if ran:
                scheduler.settle(lease)

    async def process_start(self, start) -> AsyncIterator[Any]:
        # The spider's first requests read the archive's facts (articles to
        # refresh) from Redis: unreachable there, the worker stops.
        try:
            async for item_or_request in start:
                yield item_or_request
        except REDIS_DOWN as exc:
            scheduler_of(self.crawler).redis_lost(exc)


class WorkerKeeper:
    """Heartbeat, reclaiming dead workers' leases, and ending when the shared
    frontier stays empty."""

    def __init__(self, crawler, grace: float):
        self.crawler = crawler
        self.grace = grace
        self.empty_since: float | None = None
        self.task = None
        self.redis_run: str | None = None  # the run_id of the Redis process last seen

    @classmethod
    def from_crawler(cls, crawler) -> WorkerKeeper:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        keeper = cls(crawler, crawler.settings.getfloat("REDIS_IDLE_GRACE"))
        crawler.signals.connect(keeper.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(keeper.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(keeper.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(keeper.spider_error, signal=signals.spider_error)
        return keeper

    def spider_error(self, failure, response, spider) -> None:
        # An errback Scrapy runs outside the spider middlewares (a download
        # that failed for good; its lease has ended) that met Redis unreachable.
        if failure.check(*REDIS_DOWN):
            self.scheduler.redis_lost(failure.value)

    @property
    def scheduler(self) -> LeasingScheduler | None:
        return scheduler_of(self.crawler)

    def beat(self) -> bool:
        """Say this worker is alive, and take back the leases of dead ones.
        Never raises: a looping call that raised would stop beating for good,
        and the others would take this live worker for dead."""
        scheduler = self.scheduler
        if scheduler.lost is not None:
            return False
        try:
            # Silent for four beats: dead, and its leases go back to the queue.
            ttl_ms = int(scheduler.heartbeat * 4000)
            scheduler.server.set(scheduler.alive_key(), int(time.time()), px=ttl_ms)
            up_for = self.check_redis()
            if scheduler.lost is not None:
                return False
            # A Redis just restarted has let every worker's sign of life expire
            # while it was down: none is dead until it had time to beat again.
            returned = scheduler.reclaim() if up_for * 1000 >= ttl_ms else 0
        except REDIS_DOWN as exc:  # retried for REDIS_RETRY_FOR in vain
            scheduler.redis_lost(exc)
            return False
        except Exception as exc:  # another Redis error: try again next beat
            self.crawler.stats.inc_value("distributed/redis_errors")
            logger.error("heartbeat failed (%s); trying again in %.0f s", exc, scheduler.heartbeat)
            return False
        if returned:
            self.crawler.stats.inc_value("distributed/reclaimed", returned)
        return True

    def marker_key(self) -> str:
        return f"{self.scheduler.run}:{self.crawler.spider.name}:running"

    def check_redis(self) -> float:
        """Seconds Redis has been up. After a restart, the run's marker and
        the leases this worker holds must still be there: a Redis that came
        back without its data (no append-only file) has lost the run's
        frontier, and this worker stops rather than end as if it were done."""
        scheduler = self.scheduler
        info = scheduler.server.info("server")
        run_id = info.get("run_id")
        if self.redis_run is not None and run_id != self.redis_run:
            self.crawler.stats.inc_value("distributed/redis_restarts")
            held = sorted(scheduler.held)
            kept = scheduler.server.hmget(scheduler.leases_key(), held) if held else []
            missing = sum(value is None for value in kept)
            if missing or not scheduler.server.exists(self.marker_key()):
                name = redis_name(self.crawler.settings.get("REDIS_URL"))
                gone = (f"{missing} of the {len(held)} requests this worker holds no longer leased" if missing
                        else "the run's marker is gone")
                scheduler.redis_lost(RuntimeError("Redis lost the run's data"),
                                     f"Redis at {name} restarted without the run's data ({gone}; it needs "
                                     "appendonly yes, appendfsync always)")
            else:
                logger.warning("Redis restarted with the run's data; the %d requests this worker holds are still "
                               "leased there", len(held))
        self.redis_run = run_id
        return float(info.get("uptime_in_seconds", 0))

    def spider_opened(self, spider) -> None:
        from scrapy.utils.asyncio import create_looping_call

        scheduler = self.scheduler
        self.beat()
        if scheduler.lost is None:
            try:
                self.forget_an_ended_run(spider)
                scheduler.server.set(self.marker_key(), worker_id(), nx=True)  # gone after a restart: data lost
            except REDIS_DOWN as exc:
                scheduler.redis_lost(exc)
        if scheduler.lost is not None:
            raise CloseSpider(REDIS_LOST)  # unreachable as the worker started: Scrapy closes once all is open
        self.task = create_looping_call(self.beat)
        self.task.start(self.scheduler.heartbeat, now=False)

    def forget_an_ended_run(self, spider) -> None:
        """Alone in the run: an earlier run under this REDIS_RUN ended without
        clearing its keys (stopped, blocked, killed). Its fingerprints and
        article claims would make this run skip robots.txt, the sitemaps and
        every article it asked for; its queued requests are kept, and fetched."""
        scheduler = self.scheduler
        server = scheduler.server
        prefix = f"{scheduler.run}:{spider.name}"
        others = [k for k in server.scan_iter(f"{prefix}:alive:*") if k.decode() != scheduler.alive_key()]
        if others:
            return
        stale = [k for k in (scheduler.df.key, f"{prefix}:articles", f"{prefix}:alternates") if server.exists(k)]
        if stale:
            server.delete(*stale)
            logger.warning("%s: an earlier run left its fingerprints; starting discovery afresh "
                           "(%d queued requests kept)", scheduler.run, len(scheduler.queue))

    def spider_idle(self, spider) -> None:
        if self.scheduler.lost is not None:
            raise CloseSpider(REDIS_LOST)  # stopping: not "finished"
        if not self.beat():
            self.empty_since = None
            if self.scheduler.lost is not None:
                raise CloseSpider(REDIS_LOST)
            raise DontCloseSpider  # cannot see the frontier: not a reason to end
        try:
            busy = self.scheduler.frontier_busy()
        except REDIS_DOWN as exc:
            self.scheduler.redis_lost(exc)
            raise CloseSpider(REDIS_LOST) from None
        except Exception as exc:
            logger.error("cannot read the shared frontier (%s); waiting", exc)
            raise DontCloseSpider from None
        if busy:
            self.empty_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.empty_since is None:
            self.empty_since = now
        if now - self.empty_since < self.grace:
            raise DontCloseSpider  # another worker may still be reading a page that adds more

    def spider_closed(self, spider, reason) -> None:
        if self.task and self.task.running:
            self.task.stop()
        try:
            self.leave(spider, reason)
        except REDIS_DOWN as exc:
            # Its sign of life expires by itself, and its leases stay: the
            # other workers, or the next run, fetch those pages again.
            if self.scheduler.lost is None:
                logger.error("Redis unreachable as this worker ends (%s); its leases stay there, and are "
                             "fetched again by another worker or the next run", exc)

    def leave(self, spider, reason) -> None:
        scheduler = self.scheduler
        server = scheduler.server
        if reason == "finished":
            server.delete(scheduler.leases_key())  # all its work is done
        server.delete(scheduler.alive_key())  # first: a worker closing beside it then sees it gone
        others = list(server.scan_iter(f"{scheduler.run}:{spider.name}:alive:*"))
        if reason == "finished" and not others and not len(scheduler.queue):
            # The last worker of the run: forget the run's fingerprints, or the
            # next run under the same REDIS_RUN would find every page "seen".
            prefix = f"{scheduler.run}:{spider.name}"
            server.delete(scheduler.df.key, scheduler.queue.key, f"{prefix}:articles", f"{prefix}:alternates",
                          self.marker_key())
            logger.info("last worker of %s: run keys cleared", scheduler.run)


_RESERVE = """
local now = tonumber(ARGV[1])
local gap = tonumber(ARGV[2])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
redis.call('SET', KEYS[1], slot + gap, 'PX', gap * 4 + 60000)
return slot - now
"""


class SharedPoliteness:
    """Downloader middleware: one site's requests are spaced by its delay
    across all workers, not per worker. Each request reserves the site's
    next free moment in Redis and waits for it."""

    def __init__(self, crawler, server):
        self.crawler = crawler
        self.server = server
        self.reserve = server.register_script(_RESERVE)
        self.default_delay = crawler.settings.getfloat("DOWNLOAD_DELAY")

    @classmethod
    def from_crawler(cls, crawler) -> SharedPoliteness:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        return cls(crawler, redis_client(crawler.settings))

    async def process_request(self, request) -> None:
        downloader = self.crawler.engine.downloader
        key = request.meta.get("download_slot") or downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        delay = max(slot.delay if slot else 0.0, self.default_delay)
        if delay <= 0:
            return None
        try:
            wait_ms = self.reserve(keys=[f"{KEY}:polite:{key}"], args=[int(time.time() * 1000), int(delay * 1000)])
        except REDIS_DOWN as exc:
            # The worker stops; the requests it still sends keep the delay
            # between themselves, and their pages stay leased.
            scheduler_of(self.crawler).redis_lost(exc)
            wait_ms = delay * 1000
        if wait_ms > 0:
            self.crawler.stats.inc_value("distributed/polite_waits")
            await asyncio.sleep(wait_ms / 1000)
        return None
