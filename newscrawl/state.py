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

The Redis side (the state, the writer's publishing, and the connections
that retry) is newscrawl/redis_state.py, imported only where Redis is used.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import socket
import uuid
from typing import TYPE_CHECKING

from newscrawl import archive

if TYPE_CHECKING:
    from newscrawl.redis_state import RedisState

logger = logging.getLogger(__name__)

KEY = "newscrawl"  # prefix of every Redis key the project uses


def state_for(settings) -> SqliteState | RedisState:
    """The state a crawl with these settings should use."""
    if settings.get("REDIS_URL"):
        # Imported here: redis-py takes 60 ms to import, and only distributed crawls need it.
        from newscrawl.redis_state import RedisState, redis_client

        return RedisState(redis_client(settings))
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

    def start_run(self, spider: str, args: dict) -> int:
        return archive.start_run(self.db, spider, args)

    def finish_run(self, run_id, **fields) -> None:
        archive.finish_run(self.db, run_id, **fields)

    def close(self) -> None:
        if self.owned:
            self.db.close()


@functools.cache
def worker_id() -> str:
    """This process's name among the workers: host:pid:token, the same for its whole life."""
    # host:pid, and a token: a container restarted after a crash often gets
    # the same host name and pid, and must not take the dead one's leases for its own.
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
