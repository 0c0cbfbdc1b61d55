"""What a crawl needs to know of the archive, wherever the archive is.

A single crawl reads the SQLite file itself (SqliteState). Workers of a
distributed crawl may run on machines without it: they read the same facts
from Redis (RedisState), where the one writer, `newscrawl drain`, publishes
them when it starts and keeps them current as it stores items
(publish_state, publish_article). Both answer the same questions:

- what the archive holds of an article (for "does it need fetching?"),
- which articles to fetch again (recent ones, unfinished threads),
- which monthly sitemaps were read in full, and at which <lastmod>,
- how well recent runs read the site (the health baseline),
and record a run's start and end.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import uuid
import time
from datetime import datetime, timedelta, timezone

from newscrawl import archive

KEY = "newscrawl"  # prefix of every Redis key the project uses


def state_for(settings):
    """The state a crawl with these settings should use."""
    if settings.get("REDIS_URL"):
        import redis

        return RedisState(redis.Redis.from_url(settings.get("REDIS_URL")))
    return SqliteState(settings.get("ARCHIVE_DB"))


class SqliteState:
    def __init__(self, db_path=None, *, db=None):
        self.owned = db is None
        self.db = archive.open_archive(db_path) if db is None else db

    def article(self, site: str, article_id: str) -> dict | None:
        return archive.article_state(self.db, site, article_id)

    def recent(self, site: str, since_iso: str) -> list[dict]:
        return archive.recent_articles(self.db, site, since_iso)

    def incomplete(self, site: str) -> list[dict]:
        return archive.incomplete_articles(self.db, site)

    def sitemap_lastmod(self, site: str, url: str) -> str | None:
        return archive.sitemap_lastmod(self.db, site, url)

    def mark_sitemap_done(self, site: str, url: str, lastmod: str | None) -> None:
        archive.mark_sitemap_done(self.db, site, url, lastmod)

    def gone(self, site: str, article_id: str) -> str | None:
        # A single crawl remembers a 404 through its sitemap being done.
        return None

    def mark_gone(self, site: str, article_id: str, lastmod: str | None) -> None:
        return None

    def runs_coverage(self, spider: str) -> list[dict]:
        """Coverage of recent finished runs (newest first), for the health baseline."""
        return [
            json.loads(r["coverage"])
            for r in self.db.query(
                "SELECT coverage FROM crawl_runs WHERE spider = ? AND status = 'finished' AND coverage IS NOT NULL "
                "ORDER BY id DESC LIMIT 50",
                [spider],
            )
        ]

    def start_run(self, spider: str, args: dict):
        return archive.start_run(self.db, spider, args)

    def finish_run(self, run_id, **fields) -> None:
        archive.finish_run(self.db, run_id, **fields)

    def close(self) -> None:
        if self.owned:
            self.db.close()


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

    def article(self, site, article_id):
        raw = self.server.hget(f"{KEY}:state:{site}", str(article_id))
        return json.loads(raw) if raw else None

    def _articles(self, site):
        for article_id, raw in self.server.hscan_iter(f"{KEY}:state:{site}", count=1000):
            yield article_id.decode(), json.loads(raw)

    def recent(self, site, since_iso):
        since = datetime.fromisoformat(since_iso)
        out = []
        for article_id, state in self._articles(site):
            published = state.get("published")
            if published and state.get("url") and datetime.fromisoformat(published) >= since:
                out.append({"article_id": article_id, "url": state["url"]})
        return out

    def incomplete(self, site):
        return [{"article_id": i, "url": s["url"]} for i, s in self._articles(site)
                if not s.get("comments_complete") and s.get("url")]

    def sitemap_lastmod(self, site, url):
        raw = self.server.hget(f"{KEY}:sitemaps:{site}", url)
        return raw.decode() if raw else None

    def mark_sitemap_done(self, site, url, lastmod):
        # A worker sees only the articles it fetched itself, never a whole
        # sitemap's: in distributed mode monthly sitemaps are read every run.
        return None

    def gone(self, site, article_id):
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
        if datetime.now(timezone.utc) - seen > timedelta(days=GONE_RECHECK_DAYS):
            return None  # a page listed before it went live, a moved article: look again
        return mark.get("lastmod") or ""

    def mark_gone(self, site, article_id, lastmod):
        # What the sitemap ledger does for a single crawl: not asked again
        # until its sitemap entry changes (or, for listings without a
        # <lastmod>, such as feeds, until GONE_RECHECK_DAYS have passed).
        mark = {"lastmod": lastmod or "", "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        self.server.hset(f"{KEY}:gone:{site}", str(article_id), json.dumps(mark))

    def runs_coverage(self, spider):
        raw = self.server.get(f"{KEY}:coverage:{spider}")
        return json.loads(raw) if raw else []

    def start_run(self, spider, args):
        run = {"spider": spider, "started": archive.utcnow(), "args": args,
               "pid": os.getpid(), "host": socket.gethostname(), "worker": worker_id()}
        return run

    def finish_run(self, run, **fields):
        report = {**run, **fields, "finished": archive.utcnow()}
        self.server.rpush(f"{KEY}:runs", json.dumps(report, ensure_ascii=False, default=str))

    def close(self):
        self.server.close()


GONE_RECHECK_DAYS = 30


@functools.lru_cache(maxsize=None)
def worker_id() -> str:
    """This process's name among the workers: host:pid:token, the same for its whole life."""
    # host:pid, and a token: a container restarted after a crash often gets
    # the same host name and pid, and must not take the dead one's leases for its own.
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


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

