"""Discovery: which URLs a crawl asks for, and each article once.

A run starts from the archive (recent articles and unfinished threads,
fetched again), then from the `urls` and `feed` arguments, or else from
robots.txt -> sitemap index -> monthly sitemaps -> article pages, and the
profile's feeds. Every URL a page or a sitemap names is checked by
newscrawl/fetch_policy.py before it is scheduled.

A single crawl reads sitemaps and feeds lazily: their requests are handed
to the scheduler a batch at a time as it runs dry (newscrawl/backlog.py),
and discovery stops once ``max_articles`` are queued. A monthly sitemap
whose <lastmod> has not changed since it was last read in full is not
fetched again (newscrawl/sitemap_ledger.py), nor an article the refetch
rules say is up to date (newscrawl/refetch.py).

The spider's callbacks (discover, parse_robots, parse_sitemap, parse_feed,
robots_failed, sitemap_failed) hand their response to a Discovery, and the
requests it makes name the spider's methods: a JOBDIR stores a request's
callback by its method name on the spider.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import scrapy
from parsel import Selector
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from newscrawl import fetch_policy
from newscrawl.dates import parse_date
from newscrawl.exceptions import CrawlStopped
from newscrawl.refetch import utc_lastmod

if TYPE_CHECKING:
    from scrapy.statscollectors import StatsCollector

    from newscrawl.spiders.base import SiteSpider

# The spider's lines keep the logger name they have always had ([newscrawl.spiders.base]),
# whichever module of the spider says them: log filters and alerts match on it.
logger = logging.getLogger("newscrawl.spiders.base")

# libxml2 errors that spoil one entry's text (an unescaped "&" in a URL), not
# the document: the entries after them are still read.
_TEXT_ERRORS = frozenset(("ERR_ENTITYREF_SEMICOL_MISSING", "ERR_UNDECLARED_ENTITY", "WAR_UNDECLARED_ENTITY",
                          "ERR_INVALID_HEX_CHARREF", "ERR_INVALID_DEC_CHARREF", "ERR_INVALID_CHARREF"))


class Discovery:
    """The requests one spider's run asks for, made from what robots.txt,
    sitemaps, feeds, the archive and the arguments list.

    It reads the spider's profile, fetch policy, archive state, claims and
    ledger when asked, not once: `newscrawl reextract` swaps the fetch
    policy after from_crawler, and claims are Redis's for a worker."""

    def __init__(self, spider: SiteSpider):
        self.spider = spider
        self.articles_requested = 0
        self.truncated = False
        # Articles that answered 404/410 with no other URL known yet: a URL
        # of theirs met later in a sitemap (read lazily) is still tried.
        self.gone_unanswered: set[str] = set()

    @property
    def stats(self) -> StatsCollector:
        return self.spider.crawler.stats

    # --- where a run starts ------------------------------------------------

    def start_requests(self) -> Iterator[scrapy.Request]:
        """The run's first requests: refreshes, then the arguments' URLs and feeds, or robots.txt and the feeds."""
        spider = self.spider
        yield from self.refresh_requests()
        if spider.urls or spider.feeds:
            yield from _given(self.article_request(url, source="argument") for url in spider.urls)
            yield from _given(self.feed_request(url) for url in spider.feeds)
            return
        yield scrapy.Request(
            f"{spider.base_url}/robots.txt", callback=spider.discover, errback=spider.robots_failed,
            dont_filter=spider.unshared, meta={"discovery": "robots"},
        )
        yield from _given(self.feed_request(urljoin(spider.base_url + "/", path)) for path in spider.profile.feeds)

    def refresh_requests(self) -> Iterator[scrapy.Request]:
        """Archived articles to fetch again: recent ones (new comments) and
        ones whose comment thread could not be read in full last time."""
        spider = self.spider
        since = spider.refetch.refresh_since()
        rows = []
        for site in spider.archived_sites():
            if since is not None:
                rows += spider.archive_state.recent(site, since)
            rows += spider.archive_state.incomplete(site)
        for row in rows:
            # The archived URL, moved onto base_url (tests serve the site on
            # another port); the query is kept where it is the identity (?p=).
            parts = urlsplit(row["url"])
            path = parts.path.lstrip("/")
            rebased = urljoin(spider.base_url + "/", path) + (f"?{parts.query}" if parts.query else "")
            request = self.article_request(spider.profile.article_url(rebased), source="refresh")
            if request is not None:
                self.stats.inc_value("discovery/refresh")
                yield request

    def queue(self, requests: Iterable[scrapy.Request], answered: scrapy.Request | None = None
              ) -> Iterable[scrapy.Request]:
        """Discovery requests, through the backlog for a single crawl: it
        schedules them as the scheduler runs dry (newscrawl/backlog.py), so a
        sitemap of a million URLs is read a batch at a time, not turned into a
        million requests at once. `answered`: the request whose answer made them."""
        backlog = self.spider.backlog
        if backlog is None:
            return requests  # distributed: straight into the shared frontier in Redis
        backlog.add(requests)
        if answered is not None:
            backlog.answered(answered)
        return ()

    def allowed(self, url: str, where: str) -> bool:
        """Whether `url` may be fetched (newscrawl/fetch_policy.py decides); a
        refusal is logged and counted before anything is scheduled."""
        refusal = self.spider.fetch_policy.refusal(url)
        if refusal is None:
            return True
        fetch_policy.record(self.spider.crawler, refusal, where)
        return False

    def enough(self) -> bool:
        """max_articles are queued: discovery stops reading sitemaps and feeds."""
        limit = self.spider.max_articles
        if limit is None or self.articles_requested < limit:
            return False
        if not self.truncated:
            logger.info("max_articles=%d reached: no more articles this run", limit)
            self.stats.set_value("discovery/max_articles_reached", limit)
        self.truncated = True
        return True

    # --- robots.txt ---------------------------------------------------------

    def robots(self, response) -> Iterator[scrapy.Request]:
        # `Sitemap:` lines are the site's word for where its sitemaps are,
        # but only those on the site are fetched (another host's, file://...: refused).
        named = on_site = 0
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            if self.enough():
                return
            named += 1
            request = self.sitemap_request(url, None, where="robots")
            if request is not None:
                on_site += 1
                yield request
        if not on_site:
            logger.info("robots.txt names no sitemap%s; using the profile's: %s", " on the site" if named else "",
                        ", ".join(self.spider.profile.sitemap_paths))
            yield from self.profile_sitemaps()

    def robots_failed(self, failure) -> Iterable[scrapy.Request]:
        logger.warning("robots.txt could not be read (%s); using the profile's sitemaps", failure.value)
        return self.queue(self.profile_sitemaps())

    def profile_sitemaps(self) -> Iterator[scrapy.Request]:
        base_url = self.spider.base_url
        yield from _given(self.sitemap_request(base_url + path, None) for path in self.spider.profile.sitemap_paths)

    # --- sitemaps -------------------------------------------------------------

    def sitemap_request(self, url: str, lastmod: str | None, *, where: str = "sitemap") -> scrapy.Request | None:
        """The request for a sitemap, or None when the fetch policy refuses its URL."""
        if not self.allowed(url, where):
            return None
        spider = self.spider
        return scrapy.Request(
            url, callback=spider.discover, errback=spider.sitemap_failed,
            meta={"sitemap_lastmod": lastmod, "discovery": "sitemap"}, dont_filter=spider.unshared,
        )

    def sitemap_failed(self, failure) -> None:
        if self.spider.backlog is not None:
            self.spider.backlog.answered(failure.request)  # the next sitemap may go
        if failure.check(CrawlStopped):
            # Not a failure of the site: the run is stopping (a block, a
            # template change, a store failure) and said why already.
            self.stats.inc_value("discovery/sitemap_cancelled")
            logger.info("sitemap %s not read: %s", failure.request.url, failure.value)
            return
        self.stats.inc_value("discovery/sitemap_failed")
        logger.error("sitemap %s could not be read: %s", failure.request.url, failure.value)

    def sitemap(self, response) -> Iterator[scrapy.Request]:
        """A sitemap index's monthly sitemaps, or a urlset's articles."""
        sitemap = _read_sitemap(response, self.spider.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        if sitemap is None or sitemap.type not in ("sitemapindex", "urlset"):
            self.stats.inc_value("discovery/sitemap_invalid")
            logger.error("ignoring %s: not a sitemap", response.url)
            return
        self.stats.inc_value(f"discovery/{sitemap.type}")
        problems: list[str] = []
        entries = sitemap_entries(sitemap, problems)
        if sitemap.type == "sitemapindex":
            yield from self._child_sitemaps(entries)
        else:
            yield from self._sitemap_articles(entries, response.url, response.meta.get("sitemap_lastmod"))
        if problems:
            # Scrapy's Sitemap parses with recover=True: a document that breaks
            # part-way simply ends early. Its later entries were never seen.
            self.stats.inc_value("discovery/sitemap_incomplete")
            self.spider.ledger.unreadable(response.url)
            logger.error("sitemap %s could not be read in full (%s); it is read again next run",
                         response.url, "; ".join(problems))

    def _child_sitemaps(self, entries: Iterable[dict]) -> Iterator[scrapy.Request]:
        spider = self.spider
        for entry in entries:
            if self.enough():
                return  # no more sitemaps asked for: max_articles are queued
            loc, lastmod = entry.get("loc"), utc_lastmod(entry.get("lastmod"))
            if not loc:
                continue
            if spider.refetch.sitemap_before_since(lastmod):
                self.stats.inc_value("discovery/sitemap_older_than_since")
                continue
            if lastmod and spider.archive_state.sitemap_lastmod(spider.profile.name, loc) == lastmod:
                self.stats.inc_value("discovery/sitemap_unchanged")
                continue
            request = self.sitemap_request(loc, lastmod, where="sitemap_index")
            if request is not None:
                yield request

    def _sitemap_articles(self, entries: Iterable[dict], sitemap_url: str, sitemap_lastmod: str | None
                          ) -> Iterator[scrapy.Request]:
        """The requests for a urlset's articles, made one entry at a time as
        they are taken (newscrawl/backlog.py): nothing here holds the whole
        list. The ledger records the sitemap done only if it was read to its end."""
        ledger = self.spider.ledger
        ledger.opened(sitemap_url, sitemap_lastmod)
        left_out = False
        for entry in entries:
            if self.enough():
                return  # not read to its end: it stays open, the next run reads it again
            loc = entry.get("loc") or ""
            article_id, lastmod, skipped = self._listed_article(loc, entry.get("lastmod"))
            if skipped:
                self.stats.inc_value(skipped)
                if skipped == "discovery/older_than_since":
                    left_out = True  # for a run without `since`: the sitemap stays open
                continue
            ledger.expect(sitemap_url, article_id)  # settled when stored, gone or forbidden
            request = self.article_request(loc, source="sitemap", sitemap_lastmod=lastmod)
            if request is not None:
                yield request
        ledger.read_to_end(sitemap_url, left_out=left_out)

    def _listed_article(self, loc: str, lastmod: str | None) -> tuple[str | None, str | None, str | None]:
        """A urlset entry's article id and <lastmod> (UTC), and the stat that
        says why it is not fetched, or None when it is."""
        spider = self.spider
        if not loc:
            return None, None, "discovery/not_an_article"
        if not self.allowed(loc, "sitemap"):
            return None, None, "discovery/offsite"
        article_id = spider.profile.article_id(loc)
        if article_id is None:
            return None, None, "discovery/not_an_article"
        lastmod = utc_lastmod(lastmod)
        if not spider.refetch.needs_fetch(article_id, lastmod, spider.site_for(loc)):
            return article_id, lastmod, "discovery/up_to_date"
        if spider.refetch.url_before_since(loc):
            return article_id, lastmod, "discovery/older_than_since"
        return article_id, lastmod, None

    # --- feeds ----------------------------------------------------------------

    def feed_request(self, url: str) -> scrapy.Request | None:
        if not self.allowed(url, "feed"):
            return None
        spider = self.spider
        return scrapy.Request(url, callback=spider.discover, errback=spider.sitemap_failed,
                              dont_filter=spider.unshared, meta={"discovery": "feed"})

    def feed(self, response) -> Iterator[scrapy.Request]:
        """RSS 2.0 or Atom: every item whose link or guid is an article URL."""
        try:
            selector = Selector(text=response.text, type="xml")
        except (ValueError, AttributeError) as exc:
            logger.error("feed %s is not XML (%s)", response.url, exc)
            self.stats.inc_value("discovery/feed_invalid")
            return
        selector.remove_namespaces()
        entries = selector.xpath("//item | //entry")
        if not entries:
            logger.error("feed %s has no items", response.url)
            self.stats.inc_value("discovery/feed_invalid")
            return
        self.stats.inc_value("discovery/feed")
        for entry in entries:
            if self.enough():
                break  # the rest of the feed is not read
            request = self._feed_article(entry)
            if request is not None:
                yield request

    def _feed_article(self, entry: Selector) -> scrapy.Request | None:
        """The request for a feed item's article, or None (counted) when there is none to fetch."""
        spider, stats = self.spider, self.stats
        candidates = entry.xpath("guid/text() | link/text() | link[not(@rel) or @rel='alternate']/@href").getall()
        articles = [c.strip() for c in candidates if spider.profile.article_id(c.strip())]
        if not articles:
            stats.inc_value("discovery/not_an_article")
            return None
        # The link on the site, if the item has one; else the item is refused (and said so).
        url = next((c for c in articles if spider.fetch_policy.allows(c)), None)
        if url is None:
            stats.inc_value("discovery/offsite")
            self.allowed(articles[0], "feed")
            return None
        article_id = spider.profile.article_id(url)
        published = parse_date(entry.xpath("pubDate/text() | published/text() | updated/text()").get(), tz="UTC")
        if spider.refetch.published_before_since(published):
            stats.inc_value("discovery/older_than_since")
            return None
        if not spider.refetch.needs_fetch(article_id, None, spider.site_for(url)):
            stats.inc_value("discovery/up_to_date")
            return None
        return self.article_request(url, source="feed")

    # --- articles: each asked for once ----------------------------------------

    def article_request(self, url: str, *, source: str, sitemap_lastmod: str | None = None) -> scrapy.Request | None:
        """The request for an article, or None when this run already asked
        for that article (its other URLs are kept as alternates), or when the
        fetch policy refuses the URL."""
        spider, stats = self.spider, self.stats
        if not self.allowed(url, source):
            stats.inc_value("discovery/offsite")
            return None
        article_id = spider.profile.article_id(url)
        if article_id is None:
            logger.warning("not an article URL for %s: %s", spider.profile.name, url)
            stats.inc_value("discovery/not_an_article")
            return None
        url = spider.profile.article_url(url)
        if spider.claims.asked(article_id):
            return self._asked_again(url, article_id, source, sitemap_lastmod)
        if self.enough():
            return None
        if not spider.claims.claim(article_id, url):
            stats.inc_value("discovery/duplicate_url")  # another worker asked for it just now
            spider.claims.add_alternate(article_id, url)
            return None
        self.articles_requested += 1
        spider.ledger.requested(article_id)
        return self.fetch_article(url, article_id, source, sitemap_lastmod)

    def _asked_again(self, url: str, article_id: str, source: str, sitemap_lastmod: str | None
                     ) -> scrapy.Request | None:
        """Another URL of an article this run asked for: kept as an alternate,
        or tried now if the first answered 404 before this one was read."""
        spider = self.spider
        if article_id in self.gone_unanswered:
            # Its first URL answered 404 before this one was read (sitemaps
            # are read lazily): this URL is its alternate, tried now.
            self.gone_unanswered.discard(article_id)
            self.stats.inc_value("discovery/alternate_after_404")
            spider.ledger.requested(article_id)
            return self.fetch_article(url, article_id, source, sitemap_lastmod)
        self.stats.inc_value("discovery/duplicate_url")
        spider.claims.add_alternate(article_id, url)
        return None

    def fetch_article(self, url: str, article_id: str, source: str, sitemap_lastmod: str | None
                      ) -> scrapy.Request:
        """The article's request, conditional (a 304 is welcome) when the refetch rules trust one."""
        spider = self.spider
        meta = {"article_id": article_id, "source": source, "sitemap_lastmod": sitemap_lastmod, "page_kind": "article"}
        headers = spider.refetch.validators(spider.site_for(url), article_id)
        if headers:
            meta["handle_httpstatus_list"] = [304]
        return scrapy.Request(
            url, callback=spider.parse_article, errback=spider.article_failed, dont_filter=spider.unshared, meta=meta,
            headers=headers,
        )


def _given(requests: Iterable[scrapy.Request | None]) -> Iterator[scrapy.Request]:
    """The requests made, without the Nones of URLs refused or asked for already."""
    return (request for request in requests if request is not None)


def _read_sitemap(response, max_size: int) -> Sitemap | None:
    """The response's Sitemap (gunzipped if need be), or None when it is not XML."""
    body = response.body
    if gzip_magic_number(response):
        try:
            body = gunzip(body, max_size=max_size)
        except Exception as exc:  # a broken or oversized gzip is one bad sitemap, not a crash
            logger.error("sitemap %s: cannot gunzip (%s)", response.url, exc)
            return None
    try:
        return Sitemap(body) if body else None
    except Exception as exc:  # lxml raises on garbage; report and go on
        logger.error("sitemap %s is not XML (%s)", response.url, exc)
        return None


def sitemap_entries(sitemap: Sitemap, problems: list[str]) -> Iterator[dict]:
    """The entries of a Scrapy Sitemap; what kept it from being read in full
    is appended to `problems` once they are all read.

    Scrapy parses with recover=True, resolve_entities=False and no huge_tree:
    truncated or broken XML, a text node over 10 MB or nesting over 256 end
    the document early without an exception (only the parser's error log
    says so), and an entity-expansion bomb reads as empty entries."""
    try:
        yield from sitemap
    except Exception as exc:  # noqa: BLE001 - lxml may still raise mid-document
        problems.append(f"{type(exc).__name__}: {exc}")
    root = sitemap.xmliter.root
    dtd = root.getroottree().docinfo.internalDTD if root is not None else None
    if dtd is not None and any(True for _ in dtd.iterentities()):
        problems.append("it declares XML entities, which are not expanded (an entity-expansion bomb?)")
    broken = [e for e in sitemap.xmliter.error_log
              if e.type_name not in _TEXT_ERRORS and not e.message.startswith(("xmlParseEntityRef", "xmlParseCharRef"))]
    if broken:
        problems.append(f"line {broken[0].line}: {broken[0].message.strip()}")
