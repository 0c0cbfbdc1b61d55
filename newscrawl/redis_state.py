"""The archive's facts in Redis, for the workers of a distributed crawl
(newscrawl/state.py says what they are), and the Redis connections every
part of the distributed mode makes: they retry for a while when Redis goes
away, and say so.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from newscrawl import archive
from newscrawl import settings as defaults  # for settings made without the project's (a bare Settings())
from newscrawl.state import KEY, SqliteState, worker_id

logger = logging.getLogger(__name__)


# --- Redis connections ---------------------------------------------------------
#
# Every client of the crawl and drain paths (scrapy-redis's scheduler,
# dupefilter and items pipeline, the project's own) is made with the same
# redis-py retry policy: on ConnectionError or TimeoutError (BusyLoadingError,
# Redis reading its AOF after a restart, is one) the connection is dropped
# and the command sent again on a new one, with exponential backoff, for
# REDIS_RETRY_FOR seconds; then the call raises its last error. What a call
# that raised means is for its caller: a worker stops (newscrawl.distributed),
# the drain keeps trying (newscrawl.drain).

# What "Redis is unreachable" looks like once redis-py has given up retrying.
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)


class RedisOutage:
    """What all connections of one process know of Redis being away: since
    when, how often, and whether to stop waiting for it (`give_up`: a worker
    that has decided to stop fails at once instead of waiting again)."""

    def __init__(self, name: str, seconds: float):
        self.name = name
        self.seconds = seconds
        self.lock = threading.Lock()
        self.down_since: float | None = None  # time.monotonic() of the first failure of this outage
        self.last_failure = 0.0  # time.monotonic() of the latest failure
        self.count = 0  # outages seen
        self.given_up = threading.Event()

    def failed(self, error: Exception) -> None:
        now = time.monotonic()
        with self.lock:
            self.last_failure = now
            first = self.down_since is None
            if first:
                self.down_since = now
                self.count += 1
        if first and not self.given_up.is_set():
            logger.warning("Redis at %s unreachable (%s); retrying for up to %.0f s", self.name, error, self.seconds)

    def reached(self) -> None:
        if self.down_since is None:  # the usual case: no lock taken
            return
        with self.lock:
            since, self.down_since = self.down_since, None
        if since is not None:
            logger.warning("Redis at %s reachable again after %.1f s", self.name, time.monotonic() - since)

    def give_up(self) -> None:
        self.given_up.set()


class RetryFor(Retry):
    """redis-py's Retry (ExponentialBackoff between attempts, on ConnectionError
    and TimeoutError), bounded by time instead of by a count: a call keeps
    trying for `seconds`, then raises its last error.

    redis-py nests retries (a command's retry reconnects through the
    connection's own connect retry), so a count would multiply; a deadline
    taken per call does not. redis-py copies the Retry into every connection:
    the copies share one RedisOutage."""

    def __init__(self, seconds: float, name: str = "redis", backoff=None):
        super().__init__(backoff or ExponentialBackoff(cap=2.0, base=0.05), retries=-1, supported_errors=REDIS_DOWN)
        self.seconds = seconds
        self.outage = RedisOutage(name, seconds)

    def __deepcopy__(self, memo):
        return copy.copy(self)  # ExponentialBackoff keeps no state; the outage must stay shared

    def call_with_retry(self, do, fail, is_retryable=None, with_failure_count=False) -> Any:
        deadline = time.monotonic() + self.seconds
        outage = self.outage

        def failed(error, *failures):
            fail(error, *failures)  # redis-py's own handler: drop the connection
            outage.failed(error)
            if outage.given_up.is_set() or time.monotonic() >= deadline:
                raise error

        result = super().call_with_retry(do, failed, is_retryable, with_failure_count)
        outage.reached()
        return result


def redis_name(url: str | None) -> str:
    """host:port/db of a Redis URL, without its password, for log lines."""
    parts = urlsplit(url or "")
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}{parts.path if parts.path not in ('', '/') else ''}"


def retry_params(seconds: float, name: str) -> dict:
    """redis-py client options: the retry policy above, and timeouts that let
    it notice a Redis that went away (a dead peer answers nothing)."""
    return {
        "retry": RetryFor(seconds, name),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
        "health_check_interval": 30,  # PING a connection idle that long before using it
        "socket_timeout": 30,  # above any blocking call made (the drain blocks for a second)
        "socket_connect_timeout": 5,
    }


def redis_params(settings) -> dict:
    """Client options for a crawl's settings: REDIS_PARAMS (which the
    distributed add-on fills with one RetryFor for the whole worker), or a
    new retry policy of REDIS_RETRY_FOR seconds."""
    params = {k: v for k, v in settings.getdict("REDIS_PARAMS").items() if k != "redis_cls"}
    if "retry" not in params:
        params.update(retry_params(settings.getfloat("REDIS_RETRY_FOR", defaults.REDIS_RETRY_FOR),
                                   redis_name(settings.get("REDIS_URL"))))
    return params


def redis_client(settings) -> redis.Redis:
    return redis.Redis.from_url(settings.get("REDIS_URL"), **redis_params(settings))


def outage_of(server) -> RedisOutage | None:
    """The RedisOutage a client's connections share, if it retries with RetryFor."""
    return getattr(server.get_retry(), "outage", None)


def with_retries(server, seconds: float) -> redis.Redis:
    """The same Redis as `server` (a plain client, as `newscrawl drain` gets
    one), through connections that retry as above."""
    pool = server.connection_pool
    kwargs = dict(pool.connection_kwargs)
    name = f"{kwargs.get('path') or kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
    kwargs.update(retry_params(seconds, name))
    return redis.Redis(connection_pool=redis.ConnectionPool(connection_class=pool.connection_class, **kwargs))


class RedisState:
    """The archive's facts as published in Redis by `newscrawl drain`.

    Keys: newscrawl:state:<site> (hash: article id -> JSON of article_state),
    newscrawl:sitemaps:<site> (hash: sitemap URL -> lastmod),
    newscrawl:gone:<site> (hash: article id -> lastmod when it answered 404/410),
    newscrawl:coverage:<spider> (JSON list, newest first),
    newscrawl:runs (list of run reports, for the drain to store).
    """

    def __init__(self, server):
        self.server = server

    def article(self, site, article_id) -> dict | None:
        raw = self.server.hget(f"{KEY}:state:{site}", str(article_id))
        return json.loads(raw) if raw else None

    def _articles(self, site):
        for article_id, raw in self.server.hscan_iter(f"{KEY}:state:{site}", count=1000):
            yield article_id.decode(), json.loads(raw)

    def recent(self, site, since_iso) -> list[dict]:
        since = datetime.fromisoformat(since_iso)
        out = []
        for article_id, state in self._articles(site):
            published = state.get("published")
            if published and state.get("url") and datetime.fromisoformat(published) >= since:
                out.append({"article_id": article_id, "url": state["url"]})
        return out

    def incomplete(self, site) -> list[dict]:
        return [{"article_id": i, "url": s["url"]} for i, s in self._articles(site)
                if not s.get("comments_complete") and s.get("url")]

    def sitemap_lastmod(self, site, url) -> str | None:
        raw = self.server.hget(f"{KEY}:sitemaps:{site}", url)
        return raw.decode() if raw else None

    def mark_sitemap_done(self, site, url, lastmod) -> None:
        # A worker sees only the articles it fetched itself, never a whole
        # sitemap's: in distributed mode monthly sitemaps are read every run.
        return None

    def gone(self, site, article_id) -> str | None:
        """The <lastmod> at which a listed article answered 404/410 ("" if
        none), for GONE_RECHECK_DAYS; then None, and it is asked again."""
        raw = self.server.hget(f"{KEY}:gone:{site}", str(article_id))
        if raw is None:
            return None
        try:
            mark = json.loads(raw)
            seen = datetime.fromisoformat(mark["at"])
        except (ValueError, KeyError, TypeError):
            return None  # unreadable: ask again
        if datetime.now(UTC) - seen > timedelta(days=GONE_RECHECK_DAYS):
            return None  # a page listed before it went live, a moved article: look again
        return mark.get("lastmod") or ""

    def mark_gone(self, site, article_id, lastmod) -> None:
        # What the sitemap ledger does for a single crawl: not asked again
        # until its sitemap entry changes (or, for listings without a
        # <lastmod>, such as feeds, until GONE_RECHECK_DAYS have passed).
        mark = {"lastmod": lastmod or "", "at": datetime.now(UTC).isoformat(timespec="seconds")}
        self.server.hset(f"{KEY}:gone:{site}", str(article_id), json.dumps(mark))

    def runs_coverage(self, spider) -> list[dict]:
        try:
            raw = self.server.get(f"{KEY}:coverage:{spider}")
        except REDIS_DOWN as exc:
            self._unreachable(exc, "no health baseline")
            return []
        return json.loads(raw) if raw else []

    def start_run(self, spider, args) -> dict:
        run = {"spider": spider, "started": archive.utcnow(), "args": args,
               "pid": os.getpid(), "host": socket.gethostname(), "worker": worker_id()}
        return run

    def finish_run(self, run, **fields) -> None:
        report = {**run, **fields, "finished": archive.utcnow()}
        try:
            self.server.rpush(f"{KEY}:runs", json.dumps(report, ensure_ascii=False, default=str))
        except REDIS_DOWN as exc:
            self._unreachable(exc, "this worker's run report is not recorded")

    def _unreachable(self, exc, consequence: str) -> None:
        """The run's bookkeeping without Redis (retried for REDIS_RETRY_FOR in
        vain): said once, and not at all when the worker is already stopping
        for that reason and has said so."""
        outage = outage_of(self.server)
        level = logging.DEBUG if outage is not None and outage.given_up.is_set() else logging.ERROR
        logger.log(level, "Redis unreachable (%s): %s", exc, consequence)

    def close(self) -> None:
        self.server.close()


GONE_RECHECK_DAYS = 30


# --- the writer's side ---------------------------------------------------------

STATE_FIELDS = ("sitemap_lastmod", "published", "comments_complete", "url", "comment_pages", "http_etag",
                "http_last_modified")


def publish_article(server, db, site: str, article_id: str) -> None:
    row = archive.article_state(db, site, article_id)
    if row:
        server.hset(f"{KEY}:state:{site}", str(article_id), json.dumps(row, ensure_ascii=False))


def publish_state(server, db) -> int:
    """Everything workers need from the archive, written to Redis. Returns articles published.

    The archive's facts replace whatever Redis held, all at once: facts left
    there by another archive would make workers skip articles this one has
    never stored. Each hash is built under a temporary name and renamed over
    the old one in one transaction, so workers never see it half made."""
    started = time.monotonic()
    count = 0
    building = f"{KEY}:publishing:"
    for stale in server.scan_iter(f"{building}*"):
        server.delete(stale)  # left by a drain killed while publishing
    pipe = server.pipeline(transaction=False)
    sql = "SELECT site, article_id, " + ", ".join(STATE_FIELDS) + " FROM articles"
    for row in db.query(sql):
        site, article_id = row.pop("site"), row.pop("article_id")
        pipe.hset(f"{building}state:{site}", article_id, json.dumps(row, ensure_ascii=False))
        count += 1
        if count % 5000 == 0:
            pipe.execute()
    for row in db.query("SELECT site, url, lastmod FROM sitemaps"):
        if row["lastmod"]:
            pipe.hset(f"{building}sitemaps:{row['site']}", row["url"], row["lastmod"])
    local = SqliteState(db=db)
    for spider in [r["spider"] for r in db.query("SELECT DISTINCT spider FROM crawl_runs")]:
        pipe.set(f"{building}coverage:{spider}", json.dumps(local.runs_coverage(spider)))
    pipe.execute()
    built = {key.decode() for key in server.scan_iter(f"{building}*")}  # SCAN may name a key twice
    # Not the "gone" marks: a 404 is a fact about the site, whichever
    # archive it was seen for, and the archive does not hold them.
    old = {key.decode() for pattern in ("state:*", "sitemaps:*", "coverage:*")
           for key in server.scan_iter(f"{KEY}:{pattern}")}
    swap = server.pipeline(transaction=True)
    if old:
        swap.unlink(*old)  # freed in the background: a big hash must not block Redis
    for key in built:
        swap.rename(key, KEY + ":" + key[len(building):])
    swap.set(f"{KEY}:state-published", json.dumps({"articles": count, "seconds": round(time.monotonic() - started, 2)}))
    swap.execute()
    return count

