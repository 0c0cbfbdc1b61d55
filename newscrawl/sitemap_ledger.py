"""What one run asked for, and which monthly sitemaps it read in full.

ArticleClaims: the articles the run has asked for, each with its URLs not
tried yet (another section, .htm/.html), tried in turn when one answers 404.
SitemapLedger: which sitemaps had every article they list settled, so that
the next run skips them while their <lastmod> stays the same.

Both stand behind small interfaces, because a distributed crawl keeps them
elsewhere: workers share their claims in Redis
(newscrawl.distributed.RedisArticleClaims implements `Claims`), and a
worker's ledger marks nothing done, since no worker sees a whole sitemap
(newscrawl.redis_state.RedisState.mark_sitemap_done, a `SitemapsRead`, does
nothing; it remembers 404s with mark_gone instead).
"""

from __future__ import annotations

import logging
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from newscrawl.exceptions import DuplicateArticle
from newscrawl.items import ArticleItem

# Said for the spider, under the name its lines have always had ([newscrawl.spiders.base]):
# log filters and alerts match on it.
logger = logging.getLogger("newscrawl.spiders.base")


@runtime_checkable
class Claims(Protocol):
    """The articles a run has asked for: ArticleClaims in memory, RedisArticleClaims shared by workers."""

    def asked(self, article_id: str) -> bool:
        """Whether the run asked for this article already."""
        ...

    def claim(self, article_id: str, url: str) -> bool:
        """True if this call is the first to ask for the article."""
        ...

    def add_alternate(self, article_id: str, url: str) -> None:
        """Another URL of an article asked for: tried if the first answers 404/410."""
        ...

    def next_alternate(self, article_id: str) -> str | None:
        """The article's next URL not tried yet, taken off the list; None when there is none."""
        ...


@runtime_checkable
class SitemapsRead(Protocol):
    """Where the sitemaps read in full are kept between runs
    (newscrawl.state.SqliteState, newscrawl.redis_state.RedisState)."""

    def sitemap_lastmod(self, site: str, url: str) -> str | None: ...

    def mark_sitemap_done(self, site: str, url: str, lastmod: str | None) -> None: ...


class ArticleClaims(Claims):
    """The articles one run has asked for, each with its URLs not tried yet.

    newscrawl.distributed.RedisArticleClaims keeps the same in Redis, so that
    workers reading different sitemaps do not fetch one article twice and a
    404 on one worker can fall back to a URL another worker found."""

    def __init__(self):
        # One set entry per article asked for (a numeric id as an int: 60
        # bytes, not 90, so a site of a million articles costs 60 MB), and a
        # list only for the few with other URLs.
        self._asked: set[int | str] = set()
        self._alternates: dict[str, list[str]] = {}

    @staticmethod
    def _key(article_id: str) -> int | str:
        # "0123" stays a string: int() would make it 123, another article.
        if article_id.isascii() and article_id.isdigit() and (article_id[0] != "0" or article_id == "0"):
            return int(article_id)
        return article_id

    def asked(self, article_id: str) -> bool:
        return self._key(article_id) in self._asked

    def claim(self, article_id: str, url: str) -> bool:
        key = self._key(article_id)
        if key in self._asked:
            return False
        self._asked.add(key)
        return True

    def add_alternate(self, article_id: str, url: str) -> None:
        urls = self._alternates.setdefault(article_id, [])
        if url not in urls:
            urls.append(url)

    def next_alternate(self, article_id: str) -> str | None:
        urls = self._alternates.get(article_id)
        if not urls:
            return None
        url = urls.pop(0)
        if not urls:
            del self._alternates[article_id]
        return url


class SitemapLedger:
    """Which monthly sitemaps this run read in full.

    A sitemap is done when every article it lists that needed fetching was
    settled: stored, gone (404/410), forbidden by robots.txt, or a duplicate
    of one stored. Articles that failed, were blocked, were dropped by
    validation or were left out (``since``, ``max_articles``) keep it open,
    so the next run reads it again and fetches just those.
    """

    def __init__(self, asked: Callable[[str], bool] | None = None):
        self.lastmods: dict[str, str | None] = {}
        self.pending: dict[str, set[str]] = defaultdict(set)
        self.listed_in: dict[str, set[str]] = defaultdict(set)
        # An article can be settled before a sitemap listing it is read (a
        # refresh fetch, an alias in a later sitemap): it was asked for and is
        # no longer outstanding. `asked` is the run's own record (ArticleClaims),
        # so only the outstanding ids are kept here, not every settled one:
        # memory follows what is in flight, not the size of the site.
        self._asked = asked
        self._requested: set[str] = set()  # without `asked`: kept here
        self.outstanding: set[str] = set()
        self.unread: set[str] = set()  # sitemaps that failed to parse part-way: entries never seen
        # Sitemaps whose entries are not all read yet (they are read lazily,
        # newscrawl/backlog.py), or never will be this run (max_articles) or
        # that list articles left out (since): not done.
        self.open: set[str] = set()

    def opened(self, sitemap_url: str, lastmod: str | None) -> None:
        """The sitemap's entries are being read."""
        self.lastmods[sitemap_url] = lastmod
        self.pending[sitemap_url]  # noqa: B018 - an empty sitemap is done too
        self.open.add(sitemap_url)

    def read_to_end(self, sitemap_url: str, *, left_out: bool = False) -> None:
        """Every entry was read; `left_out`: some were not fetched on purpose (since)."""
        if not left_out:
            self.open.discard(sitemap_url)

    def requested(self, article_id: str) -> None:
        """This run asked for the article: outstanding until settled."""
        self.outstanding.add(article_id)
        if self._asked is None:
            self._requested.add(article_id)

    def expect(self, sitemap_url: str, article_id: str) -> None:
        """The sitemap lists an article to fetch: it is not done until the article is settled."""
        asked = self._asked(article_id) if self._asked is not None else article_id in self._requested
        if asked and article_id not in self.outstanding:
            return  # settled already this run
        self.pending[sitemap_url].add(article_id)
        self.listed_in[article_id].add(sitemap_url)

    def settle(self, article_id: str) -> None:
        """The article needs nothing more this run (stored, gone, forbidden, a duplicate, unchanged)."""
        self.outstanding.discard(article_id)
        for sitemap_url in self.listed_in.pop(article_id, ()):
            self.pending[sitemap_url].discard(article_id)

    def unreadable(self, sitemap_url: str) -> None:
        """The sitemap could not be read in full: never done, the next run reads it again."""
        self.unread.add(sitemap_url)

    def done(self) -> list[tuple[str, str | None]]:
        """The sitemaps read in full, each with its <lastmod>."""
        return [(url, self.lastmods.get(url)) for url, ids in self.pending.items()
                if not ids and url not in self.unread and url not in self.open]

    # --- the signal handlers (connected by the spider's from_crawler) --------

    def item_stored(self, item, response=None, spider=None) -> None:
        """item_scraped: the pipelines stored the article."""
        if isinstance(item, ArticleItem):
            self.settle(item.article_id)

    def item_dropped(self, item, response=None, exception=None, spider=None) -> None:
        """item_dropped: a duplicate was stored under its first URL. Other drops
        (no title, mojibake) leave the article pending: the next run tries again."""
        if isinstance(item, ArticleItem) and isinstance(exception, DuplicateArticle):
            self.settle(item.article_id)

    def record_done(self, store: SitemapsRead, site: str, stats) -> None:
        """spider_closed: record each monthly sitemap read in full, so the next
        run can skip it while its <lastmod> stays the same."""
        done = self.done()
        try:
            for url, lastmod in done:
                store.mark_sitemap_done(site, url, lastmod)
        except sqlite3.Error as exc:
            # The archive refused a write (a full disk stopped the run): those
            # sitemaps are read again next run, which costs requests, not articles.
            logger.error("sitemaps read in full could not be marked so (%s: %s)", type(exc).__name__, exc)
        stats.set_value("discovery/sitemaps_completed", len(done))
