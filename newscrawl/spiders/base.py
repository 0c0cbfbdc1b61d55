"""A spider for a news site described by a site profile.

It only finds and parses: discovery goes robots.txt -> sitemap index ->
monthly sitemaps -> article pages; each article page is extracted with the
profile, then the comment thread is followed page by page
(``comments_next``) and the article is yielded once, with every comment.
Storing, validating and deduplicating are the pipelines' jobs.

Incremental runs: a monthly sitemap whose <lastmod> has not changed since
it was last read in full is not fetched again, nor an article whose
<lastmod> is not newer than the archived one; articles published in the
last ``refresh_days`` are always fetched again to collect new comments.

A single crawl sends its requests with ``dont_filter``: the spider asks for
each article id once per run by itself, and Scrapy's fingerprint filter,
which a JOBDIR keeps on disk, would otherwise drop the sitemaps and the
changed articles of every later run that reuses that JOBDIR. Distributed
workers (REDIS_URL) do use the shared filter, whose fingerprints last one
run (newscrawl/distributed.py). Comment pages are never filtered: their
request carries the article being read.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit, urlunsplit

import scrapy
from parsel import Selector
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from w3lib.url import canonicalize_url

from newscrawl import archive
from newscrawl.dates import parse_date, to_iso
from newscrawl.doctor import doctor_command
from newscrawl.exceptions import BlockedPage, CrawlStopped, DuplicateArticle
from newscrawl.comment_signals import comment_signals
from newscrawl.extract import extract_article, extract_comments, page_selector
from newscrawl.items import ArticleItem
from newscrawl.sites.base import SiteProfile
from newscrawl.state import state_for

logger = logging.getLogger(__name__)

# A thread longer than this many pages is cut (and reported): a guard
# against comment links that never end, which loop detection cannot see
# when every URL is new.
MAX_COMMENT_PAGES = 500
# Comment pages go first so an article in progress is finished (and its
# memory freed) before new articles start.
COMMENTS_PRIORITY = 10
_YEAR_MONTH = re.compile(r"^\s*(\d{4})(?:-(\d{2}))?\s*$")


class SpiderArgumentError(ValueError):
    """A spider argument (-a name=value) that cannot be used."""


def _utc_iso(value: str | None) -> str | None:
    """A sitemap <lastmod> (any W3C datetime form) as a comparable UTC ISO string."""
    if not value:
        return None
    short = _YEAR_MONTH.match(value)  # "2015" and "2015-03" are valid W3C dates too
    if short:
        value = f"{short.group(1)}-{short.group(2) or '01'}-01"
    parsed = parse_date(value, tz="UTC")
    return parsed.astimezone(timezone.utc).isoformat(timespec="seconds") if parsed else None


def _instant(iso: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(iso) if iso else None
    except ValueError:
        return None


class SitemapLedger:
    """Which monthly sitemaps this run read in full.

    A sitemap is done when every article it lists that needed fetching was
    settled: stored, gone (404/410), forbidden by robots.txt, or a duplicate
    of one stored. Articles that failed, were blocked, were dropped by
    validation or were left out (``since``, ``max_articles``) keep it open,
    so the next run reads it again and fetches just those.
    """

    def __init__(self):
        self.lastmods: dict[str, str | None] = {}
        self.pending: dict[str, set[str]] = defaultdict(set)
        self.listed_in: dict[str, set[str]] = defaultdict(set)
        self.settled: set[str] = set()  # a refresh fetch can settle before its sitemap is read

    def opened(self, sitemap_url: str, lastmod: str | None) -> None:
        self.lastmods[sitemap_url] = lastmod
        self.pending[sitemap_url]  # noqa: B018 - an empty sitemap is done too

    def expect(self, sitemap_url: str, article_id: str) -> None:
        if article_id not in self.settled:
            self.pending[sitemap_url].add(article_id)
            self.listed_in[article_id].add(sitemap_url)

    def settle(self, article_id: str) -> None:
        self.settled.add(article_id)
        for sitemap_url in self.listed_in.pop(article_id, ()):
            self.pending[sitemap_url].discard(article_id)

    def done(self) -> list[tuple[str, str | None]]:
        return [(url, self.lastmods.get(url)) for url, ids in self.pending.items() if not ids]


class ArticleClaims:
    """The articles one run has asked for, each with its URLs not tried yet.

    newscrawl.distributed.RedisArticleClaims keeps the same in Redis, so that
    workers reading different sitemaps do not fetch one article twice and a
    404 on one worker can fall back to a URL another worker found."""

    def __init__(self):
        self._alternates: dict[str, list[str]] = {}

    def asked(self, article_id: str) -> bool:
        return article_id in self._alternates

    def claim(self, article_id: str, url: str) -> bool:
        """True if this call is the first to ask for the article."""
        if article_id in self._alternates:
            return False
        self._alternates[article_id] = []
        return True

    def add_alternate(self, article_id: str, url: str) -> None:
        urls = self._alternates.setdefault(article_id, [])
        if url not in urls:
            urls.append(url)

    def next_alternate(self, article_id: str) -> str | None:
        urls = self._alternates.get(article_id)
        return urls.pop(0) if urls else None


class SiteSpider(scrapy.Spider):
    """Base class: a subclass names itself and its profile, nothing else."""

    profile: SiteProfile
    ARGUMENTS = ("base_url", "refresh_days", "since", "urls", "max_articles", "feed")

    def __init__(self, base_url=None, refresh_days=7, since=None, urls=None, max_articles=None, feed=None,
                 *args, **kwargs):
        super().__init__(*args, **kwargs)
        options = self.parse_arguments(
            base_url=base_url, refresh_days=refresh_days, since=since, urls=urls, max_articles=max_articles, feed=feed
        )
        self.__dict__.update(options)
        # elaph.com and www.elaph.com are one site: sitemaps may name either.
        # (Scrapy's offsite filter lets subdomains of an allowed domain through.)
        self.allowed_domains = [urlsplit(self.base_url).hostname.removeprefix("www.")]
        self.articles_requested = 0
        self.truncated = False
        # Which articles this run has asked for, and their URLs not tried yet
        # (another section, .htm/.html), tried in turn when one answers 404.
        # Shared in Redis when workers share a frontier.
        self.claims = ArticleClaims()
        self.ledger = SitemapLedger()
        # What the archive holds: SQLite, or Redis for a distributed worker.
        # (Not "state": Scrapy keeps spider.state in a JOBDIR.)
        self.archive_state = None
        self.unshared = True

    @classmethod
    def parse_arguments(cls, *, base_url=None, refresh_days=7, since=None, urls=None, max_articles=None,
                        feed=None) -> dict:
        """Check the -a arguments; SpiderArgumentError says what is wrong in one line."""
        base = (base_url or cls.default_base_url(urls, feed)).rstrip("/")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SpiderArgumentError(f"base_url must be an http(s) URL, got {base_url!r}")
        try:
            refresh = int(refresh_days)
            if refresh < 0:
                raise ValueError
        except (TypeError, ValueError):
            raise SpiderArgumentError(f"refresh_days must be a whole number of days >= 0, got {refresh_days!r}") from None
        since_dt = None
        if since:
            since_dt = parse_date(since, tz="UTC")
            if since_dt is None:
                raise SpiderArgumentError(f"since must be an ISO date such as 2024-01-31, got {since!r}")
        limit = None
        if max_articles not in (None, ""):
            try:
                limit = int(max_articles)
                if limit < 1:
                    raise ValueError
            except (TypeError, ValueError):
                raise SpiderArgumentError(f"max_articles must be a whole number >= 1, got {max_articles!r}") from None
        direct = [u.strip() for u in (urls or "").split(",") if u.strip()]
        feeds = [f.strip() for f in (feed or "").split(",") if f.strip()]
        return {
            "base_url": base,
            "refresh_days": refresh,
            "since": since_dt,
            "urls": [urljoin(base + "/", u) for u in direct],
            "max_articles": limit,
            "feeds": [urljoin(base + "/", f) for f in feeds],
        }

    @classmethod
    def default_base_url(cls, urls: str | None, feed: str | None) -> str:
        return cls.profile.base_url

    # --- what the generic spider changes -------------------------------------

    def site_for(self, url: str) -> str:
        """The archive's site name for an article URL."""
        return self.profile.name

    def archived_sites(self) -> list[str]:
        """Sites whose archived articles this spider refreshes."""
        return [self.profile.name]

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        # The User-Agent names whoever runs the crawl; built here, once
        # -s NEWSCRAWL_CONTACT=... is known. An explicit -s USER_AGENT wins.
        contact_priority = settings.getpriority("NEWSCRAWL_CONTACT")
        if contact_priority > settings.getpriority("USER_AGENT"):
            agent = settings.get("USER_AGENT_TEMPLATE").format(contact=settings.get("NEWSCRAWL_CONTACT"))
            settings.set("USER_AGENT", agent, priority=contact_priority)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.archive_state = state_for(crawler.settings)
        # Workers sharing a frontier rely on its fingerprint filter so that
        # each page is fetched once by one of them; alone, the spider dedupes
        # by article id itself (see the module's docstring on JOBDIR).
        spider.unshared = not crawler.settings.get("REDIS_URL")
        if not spider.unshared:
            from newscrawl.distributed import RedisArticleClaims

            spider.claims = RedisArticleClaims.for_spider(crawler.settings, spider.name)
        crawler.signals.connect(spider._item_stored, signal=signals.item_scraped)
        crawler.signals.connect(spider._item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    # --- discovery ---------------------------------------------------------

    async def start(self):
        for request in self._refresh_requests():
            yield request
        if self.urls or self.feeds:
            for url in self.urls:
                request = self._article_request(url, source="argument")
                if request is not None:
                    yield request
            for url in self.feeds:
                yield self._feed_request(url)
            return
        yield scrapy.Request(
            f"{self.base_url}/robots.txt", callback=self.parse_robots, errback=self.robots_failed,
            dont_filter=self.unshared,
        )
        for path in self.profile.feeds:
            yield self._feed_request(urljoin(self.base_url + "/", path))

    def _feed_request(self, url: str):
        return scrapy.Request(url, callback=self.parse_feed, errback=self.sitemap_failed, dont_filter=self.unshared)

    def parse_feed(self, response):
        """RSS 2.0 or Atom: every item whose link or guid is an article URL."""
        stats = self.crawler.stats
        try:
            selector = Selector(text=response.text, type="xml")
        except (ValueError, AttributeError) as exc:
            logger.error("feed %s is not XML (%s)", response.url, exc)
            stats.inc_value("discovery/feed_invalid")
            return
        selector.remove_namespaces()
        entries = selector.xpath("//item | //entry")
        if not entries:
            logger.error("feed %s has no items", response.url)
            stats.inc_value("discovery/feed_invalid")
            return
        stats.inc_value("discovery/feed")
        for entry in entries:
            candidates = entry.xpath("guid/text() | link/text() | link[not(@rel) or @rel='alternate']/@href").getall()
            url = next((c.strip() for c in candidates if self.profile.article_id(c.strip())), None)
            if url is None:
                stats.inc_value("discovery/not_an_article")
                continue
            article_id = self.profile.article_id(url)
            if not self._on_site(url):
                stats.inc_value("discovery/offsite")
                continue
            published = parse_date(entry.xpath("pubDate/text() | published/text() | updated/text()").get(), tz="UTC")
            if self.since and published and published < self.since:
                stats.inc_value("discovery/older_than_since")
                continue
            if not self._needs_fetch(article_id, None, self.site_for(url)):
                stats.inc_value("discovery/up_to_date")
                continue
            request = self._article_request(url, source="feed")
            if request is not None:
                yield request

    def _refresh_requests(self):
        """Archived articles to fetch again: recent ones (new comments) and
        ones whose comment thread could not be read in full last time."""
        cutoff = datetime.now(timezone.utc) - timedelta(days=self.refresh_days)
        if self.since and self.since > cutoff:
            cutoff = self.since
        rows = []
        for site in self.archived_sites():
            if self.refresh_days:
                rows += self.archive_state.recent(site, to_iso(cutoff))
            rows += self.archive_state.incomplete(site)
        for row in rows:
            # The archived URL, moved onto base_url (tests serve the site on
            # another port); the query is kept where it is the identity (?p=).
            parts = urlsplit(row["url"])
            rebased = urljoin(self.base_url + "/", parts.path.lstrip("/")) + (f"?{parts.query}" if parts.query else "")
            request = self._article_request(self.profile.article_url(rebased), source="refresh")
            if request is not None:
                self.crawler.stats.inc_value("discovery/refresh")
                yield request

    def parse_robots(self, response):
        sitemaps = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        if not sitemaps:
            logger.info("robots.txt names no sitemap; using the profile's: %s", ", ".join(self.profile.sitemap_paths))
            sitemaps = [self.base_url + path for path in self.profile.sitemap_paths]
        for url in sitemaps:
            yield self._sitemap_request(url, None)

    def robots_failed(self, failure):
        logger.warning("robots.txt could not be read (%s); using the profile's sitemaps", failure.value)
        for path in self.profile.sitemap_paths:
            yield self._sitemap_request(self.base_url + path, None)

    def _sitemap_request(self, url: str, lastmod: str | None):
        return scrapy.Request(
            url, callback=self.parse_sitemap, errback=self.sitemap_failed, meta={"sitemap_lastmod": lastmod},
            dont_filter=self.unshared,
        )

    def sitemap_failed(self, failure):
        self.crawler.stats.inc_value("discovery/sitemap_failed")
        logger.error("sitemap %s could not be read: %s", failure.request.url, failure.value)

    def _sitemap_body(self, response) -> bytes | None:
        body = response.body
        if gzip_magic_number(response):
            try:
                body = gunzip(body, max_size=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            except Exception as exc:  # a broken or oversized gzip is one bad sitemap, not a crash
                logger.error("sitemap %s: cannot gunzip (%s)", response.url, exc)
                return None
        return body

    def parse_sitemap(self, response):
        body = self._sitemap_body(response)
        try:
            sitemap = Sitemap(body) if body else None
        except Exception as exc:  # lxml raises on garbage; report and go on
            logger.error("sitemap %s is not XML (%s)", response.url, exc)
            sitemap = None
        if sitemap is None or sitemap.type not in ("sitemapindex", "urlset"):
            self.crawler.stats.inc_value("discovery/sitemap_invalid")
            logger.error("ignoring %s: not a sitemap", response.url)
            return
        self.crawler.stats.inc_value(f"discovery/{sitemap.type}")
        if sitemap.type == "sitemapindex":
            yield from self._child_sitemaps(sitemap)
        else:
            yield from self._sitemap_articles(sitemap, response.url, response.meta.get("sitemap_lastmod"))

    def _child_sitemaps(self, sitemap):
        since = self.since.astimezone(timezone.utc).isoformat(timespec="seconds") if self.since else None
        for entry in sitemap:
            loc, lastmod = entry.get("loc"), _utc_iso(entry.get("lastmod"))
            if not loc:
                continue
            if since and lastmod and lastmod < since:
                self.crawler.stats.inc_value("discovery/sitemap_older_than_since")
                continue
            if lastmod and self.archive_state.sitemap_lastmod(self.profile.name, loc) == lastmod:
                self.crawler.stats.inc_value("discovery/sitemap_unchanged")
                continue
            yield self._sitemap_request(loc, lastmod)

    def _sitemap_articles(self, sitemap, sitemap_url: str, sitemap_lastmod: str | None):
        self.ledger.opened(sitemap_url, sitemap_lastmod)
        stats = self.crawler.stats
        for entry in sitemap:
            loc = entry.get("loc") or ""
            article_id = self.profile.article_id(loc)
            if article_id is None:
                stats.inc_value("discovery/not_an_article")
                continue
            if not self._on_site(loc):
                stats.inc_value("discovery/offsite")
                continue
            lastmod = _utc_iso(entry.get("lastmod"))
            if not self._needs_fetch(article_id, lastmod, self.site_for(loc)):
                stats.inc_value("discovery/up_to_date")
                continue
            self.ledger.expect(sitemap_url, article_id)  # settled when stored, gone or forbidden
            if self.since and not self._url_may_be_since(loc):
                stats.inc_value("discovery/older_than_since")
                continue
            request = self._article_request(loc, source="sitemap", sitemap_lastmod=lastmod)
            if request is not None:
                yield request

    def _needs_fetch(self, article_id: str, lastmod: str | None, site: str) -> bool:
        """Whether an article listed in a sitemap or feed needs fetching on this run."""
        state = self.archive_state.article(site, article_id)
        if state is None:
            gone = self.archive_state.gone(site, article_id)
            return gone is None or bool(lastmod and lastmod > gone)  # new, or gone until its entry changes
        if not state["comments_complete"] or not state["url"]:
            return True  # thread not read in full, or known only from an imported dump
        # Changed since the entry we last fetched it from. (Not compared with
        # when we fetched it: a date-only <lastmod> would hide a change made
        # later that day. An article fetched by refresh_days keeps the older
        # entry's <lastmod>, and costs one more fetch when its sitemap is next read.)
        if lastmod and (state["sitemap_lastmod"] is None or lastmod > state["sitemap_lastmod"]):
            return True
        published = _instant(state["published"])
        cutoff = datetime.now(timezone.utc) - timedelta(days=self.refresh_days)
        return bool(self.refresh_days and published and published >= cutoff)

    def _on_site(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        domain = self.allowed_domains[0]
        return host == domain or host.endswith("." + domain)

    def _url_may_be_since(self, url: str) -> bool:
        """Cheap check on the /YYYY/M/ in an article URL before fetching it."""
        numbers = [p for p in urlsplit(url).path.split("/") if p.isdigit()]
        if len(numbers) >= 2 and len(numbers[0]) == 4:
            return (int(numbers[0]), int(numbers[1])) >= (self.since.year, self.since.month)
        return True

    def _article_request(self, url: str, *, source: str, sitemap_lastmod=None):
        """The request for an article, or None when this run already asked
        for that article (its other URLs are kept as alternates)."""
        article_id = self.profile.article_id(url)
        if article_id is None:
            logger.warning("not an article URL for %s: %s", self.profile.name, url)
            self.crawler.stats.inc_value("discovery/not_an_article")
            return None
        url = self.profile.article_url(url)
        if not self._on_site(url):
            logger.warning("not fetched: %s is not on %s", url, self.allowed_domains[0])
            self.crawler.stats.inc_value("discovery/offsite")
            return None
        if self.claims.asked(article_id):
            self.crawler.stats.inc_value("discovery/duplicate_url")
            self.claims.add_alternate(article_id, url)
            return None
        if self.max_articles is not None and self.articles_requested >= self.max_articles:
            if not self.truncated:
                logger.info("max_articles=%d reached: no more articles this run", self.max_articles)
            self.truncated = True
            return None
        if not self.claims.claim(article_id, url):
            self.crawler.stats.inc_value("discovery/duplicate_url")  # another worker asked for it just now
            self.claims.add_alternate(article_id, url)
            return None
        self.articles_requested += 1
        return self._fetch_article(url, article_id, source, sitemap_lastmod)

    def _fetch_article(self, url, article_id, source, sitemap_lastmod):
        meta = {"article_id": article_id, "source": source, "sitemap_lastmod": sitemap_lastmod, "page_kind": "article"}
        headers = self._validators(self.site_for(url), article_id)
        if headers:
            meta["handle_httpstatus_list"] = [304]
        return scrapy.Request(
            url, callback=self.parse_article, errback=self.article_failed, dont_filter=self.unshared, meta=meta,
            headers=headers,
        )

    def _validators(self, site: str, article_id: str) -> dict:
        """If-None-Match / If-Modified-Since for an article we hold, when a 304
        can be trusted: its thread was read in full and fits on the article page
        (new comments on a later page would not change the first page)."""
        state = self.archive_state.article(site, article_id)
        # comment_pages is NULL for articles stored before it was recorded: unknown is not one.
        if not state or not state["comments_complete"] or state["comment_pages"] != 1:
            return {}
        headers = {}
        if state["http_etag"]:
            headers["If-None-Match"] = state["http_etag"]
        if state["http_last_modified"]:
            headers["If-Modified-Since"] = state["http_last_modified"]
        return headers

    # --- parsing -------------------------------------------------------------

    def parse_article(self, response):
        stats = self.crawler.stats
        meta = response.meta
        article_id = meta["article_id"]
        if response.status == 304:
            stats.inc_value("articles/not_modified")  # unchanged since we stored it: nothing to do
            self.ledger.settle(article_id)
            return
        if not hasattr(response, "text"):
            stats.inc_value("extract/not_html")
            logger.error("%s is not an HTML page (%s)", response.url, response.headers.get("Content-Type"))
            return
        extracted = extract_article(response.text, response.url, self.profile, captured=_capture_day(response))
        stats.inc_value("extract/pages")  # the denominator of the run's field coverage
        thread = extracted.comments
        if self.profile.comments is not None and not thread.block_found:
            stats.inc_value("extract/missing/comments_block")
        stats.inc_value(f"extract/comments_method/{thread.method.replace(' ', '_')}")
        if thread.problems or thread.failure:
            # A thread the page shows and the profile did not read (a block
            # with nothing readable, or comments only the detector found).
            stats.inc_value("extract/missing/comments")
            self._save_sample(response, "comments")
        self._report_problems(response, extracted)
        url = self.profile.article_url(response.url)  # no tracking query, but an id parameter kept
        if extracted.canonical:
            if self.profile.article_id(extracted.canonical) == article_id:
                url = extracted.canonical
            else:
                logger.warning("%s: canonical link %s names another article; ignoring it", response.url, extracted.canonical)
        item = ArticleItem(
            site=self.site_for(url),
            article_id=article_id,
            url=url,
            title=extracted.title,
            subtitle=extracted.subtitle,
            body=extracted.body,
            published=extracted.published,
            author=extracted.author,
            section=extracted.section or self.profile.section_from_url(url),
            tags=extracted.tags,
            comments=list(thread.comments),
            comment_pages=1,
            # A thread the profile could not read (a block with nothing readable, or
            # comments only the detector found) is stored as read so far and
            # fetched again next run, when a fixed profile may read it.
            comments_complete=not (thread.problems or thread.failure),
            comments_shown=thread.shown,
            extraction=extracted.notes,
            fetched_at=archive.utcnow(),
            sitemap_lastmod=meta.get("sitemap_lastmod"),
            http={
                "status": response.status,
                "encoding": getattr(response, "encoding", None),
                "etag": _header(response, "ETag"),
                "last_modified": _header(response, "Last-Modified"),
            },
        )
        if extracted.notes.get("body") == "trafilatura":
            stats.inc_value("extract/body_trafilatura")
        published = _instant(item.published)
        if self.since and published and published < self.since:
            stats.inc_value("discovery/older_than_since")  # left pending: a run without `since` takes it
            return
        seen = {canonicalize_url(response.url)}
        if self._thread_may_be_on_amp(thread):
            yield self._amp_copy_request(item, seen)
            return
        yield from self._follow_comments(item, thread.next_urls, seen, declared=thread.method.startswith("profile"))

    # --- the AMP copy ---------------------------------------------------------

    def _thread_may_be_on_amp(self, thread) -> bool:
        """A site with AMP copies may print the thread on one template only.
        A page with no comments, no comments block and no sign of a thread
        says nothing about it: the AMP copy is asked (AMP_COMMENTS_FALLBACK)."""
        return bool(self.profile.amp_prefix and self.crawler.settings.getbool("AMP_COMMENTS_FALLBACK")
                    and not thread.comments and not thread.block_found and not thread.signals)

    def _amp_copy_request(self, item: ArticleItem, seen: set[str]):
        parts = urlsplit(item.url)
        url = urlunsplit((parts.scheme, parts.netloc, self.profile.amp_prefix + parts.path, parts.query, ""))
        seen.add(canonicalize_url(url))
        self.crawler.stats.inc_value("comments/amp_asked")
        return scrapy.Request(
            url, callback=self.parse_amp_copy, errback=self.amp_copy_failed, cb_kwargs={"item": item, "seen": seen},
            dont_filter=True, priority=COMMENTS_PRIORITY, meta={"page_kind": "comments", "article_id": item.article_id},
        )

    def parse_amp_copy(self, response, item: ArticleItem, seen: set[str]):
        item.comment_pages += 1
        if not hasattr(response, "text"):
            yield from self._follow_comments(item, [], seen)
            return
        sel = page_selector(response.text, response.url)
        page = extract_comments(sel, self.profile, response.url)
        signals = comment_signals(sel.root, page.elements, response.url)
        if item.comments_shown is None:
            item.comments_shown = signals.shown
        failed = None
        if page.method == "detector" and self.profile.comments is not None:
            failed = f"AMP copy {response.url}: the {self.profile.name} profile read no comment; the detector read {len(page.comments)}"
        elif not page.comments and signals.any:
            failed = f"AMP copy {response.url} shows comments ({', '.join(signals.sources)}) and none could be read"
        if failed:
            # As on an article page: the comments field failing, for the run's health.
            self.crawler.stats.inc_value("extract/missing/comments")
            self._save_sample(response, "comments")
            self._note(item, "comments/amp_not_read", failed, complete=False)
            logger.warning("%s: %s", item.url, failed)
        if not page.comments:
            item.extraction["comments"] = "none (article page and AMP copy)"
            yield from self._follow_comments(item, [], seen)
            return
        self.crawler.stats.inc_value("comments/from_amp")
        item.extraction["comments"] = f"AMP copy ({page.method})"
        logger.info("%s: the thread is on the AMP copy %s (%d comments)", item.url, response.url, len(page.comments))
        _append_page(item, page.comments, self.crawler.stats)
        yield from self._follow_comments(item, page.next_urls, seen, declared=page.method.startswith("profile"))

    def amp_copy_failed(self, failure):
        request = failure.request
        item: ArticleItem = request.cb_kwargs["item"]
        gone = failure.check(HttpError) and failure.value.response.status in (404, 410)
        if gone:
            self.crawler.stats.inc_value("comments/amp_missing")  # no AMP copy: the article page said it all
        else:
            # Not known whether the AMP copy holds a thread: ask again next run.
            self._note(item, "comments/amp_failed", f"AMP copy failed: {request.url}: {failure.value}", complete=False)
            logger.warning("%s: AMP copy %s failed (%s); asked again next run", item.url, request.url, failure.value)
        yield from self._follow_comments(item, [], request.cb_kwargs["seen"])

    def _save_sample(self, response, field: str) -> None:
        """Keep the first page of the run on which `field` failed, and say
        once how to look at it (`newscrawl doctor`)."""
        stats = self.crawler.stats
        if stats.get_value(f"health/sample/{field}"):
            return
        command = doctor_command(self.crawler.settings, self.name, response)
        stats.set_value(f"health/sample/{field}", command)
        logger.warning("%s: see what the %s profile matches on this page: %s", response.url, self.profile.name, command)

    def _report_problems(self, response, extracted) -> None:
        stats, url = self.crawler.stats, response.url
        # A field rescued by what the page states (notes["fallback"]) is still
        # one the profile's selectors missed: counted, for the run's health.
        for name in (*extracted.notes.get("missing", ()), *extracted.notes.get("fallback", ())):
            stats.inc_value(f"extract/missing/{name}")
            self._save_sample(response, name)
        for problem in extracted.notes.get("problems", ()):
            stats.inc_value("extract/problems")
            logger.warning("%s: %s", url, problem)
        missing = extracted.notes.get("missing")
        if missing:
            logger.warning("%s: the %s profile found no %s", url, self.profile.name, ", ".join(missing))
        rescued = extracted.notes.get("fallback")
        if rescued:
            logger.warning("%s: the %s profile found no %s; taken from what the page states", url,
                           self.profile.name, ", ".join(rescued))

    def _note(self, item: ArticleItem, stat: str, problem: str, *, complete: bool) -> None:
        """Record a problem with the thread; an incomplete thread is fetched again next run."""
        self.crawler.stats.inc_value(stat)
        item.extraction.setdefault("problems", []).append(problem)
        if not complete:
            item.comments_complete = False

    def _follow_comments(self, item: ArticleItem, candidates: list[str], seen: set[str],
                         pending: list[str] | None = None, *, declared: bool = False):
        """Yield the request for the thread's next page not read yet, or the finished item.

        `candidates`: the links a page gives to other pages of its thread.
        A profile's link is declared the next page (`declared`: one that
        leads back is a loop); the detector's are neighbours ("older" and
        "newer" both), each queued once in `pending`, so a thread is read
        whole from whichever page the article shows (WordPress shows the
        newest page first and links older ones)."""
        pending = [] if pending is None else pending
        queued = {canonicalize_url(url) for url in pending}
        for url in candidates:
            key = canonicalize_url(url)
            if self.profile.article_id(url) != item.article_id:
                # Structural, not transient: refetching would meet the same link.
                logger.warning("%s: comments link %s leads elsewhere; thread read up to it", item.url, url)
                self._note(item, "comments/foreign_link", f"comments link leads elsewhere: {url}", complete=True)
            elif key in seen or key in queued:
                if declared:
                    logger.warning("%s article %s: comments link loops back to %s; thread ends after %d pages",
                                   item.site, item.article_id, url, item.comment_pages)
                    self.crawler.stats.inc_value("comments/loop")
            else:
                pending.append(url)
                queued.add(key)
        if pending and item.comment_pages >= MAX_COMMENT_PAGES:
            logger.warning("%s: stopping after %d comment pages", item.url, item.comment_pages)
            self._note(item, "comments/too_many_pages", f"thread cut at {MAX_COMMENT_PAGES} pages", complete=True)
        elif pending:
            next_url = pending.pop(0)
            seen.add(canonicalize_url(next_url))
            yield scrapy.Request(
                next_url,
                callback=self.parse_comments,
                errback=self.comments_failed,
                cb_kwargs={"item": item, "seen": seen, "pending": pending},
                dont_filter=True,
                priority=COMMENTS_PRIORITY,
                meta={"page_kind": "comments", "article_id": item.article_id},
            )
            return
        self._compare_with_shown(item)
        self.crawler.stats.inc_value("comments/threads")
        self.crawler.stats.inc_value("comments/read", len(item.comments))
        yield item

    def _compare_with_shown(self, item: ArticleItem) -> None:
        """Flag a thread whose length is not the count its page prints (pingbacks
        counted in, comments held for moderation, a thread over more pages)."""
        if item.comments_shown is None or item.comments_shown == len(item.comments):
            return
        self.crawler.stats.inc_value("comments/count_differs")
        item.extraction["comments_differ"] = {"shown": item.comments_shown, "read": len(item.comments)}
        logger.info("%s: the page shows %d comments, %d were read", item.url, item.comments_shown, len(item.comments))

    def parse_comments(self, response, item: ArticleItem, seen: set[str], pending: list[str] | None = None):
        item.comment_pages += 1
        self.crawler.stats.inc_value("comments/pages")
        if not hasattr(response, "text"):
            self._note(item, "comments/page_not_html", f"comments page is not HTML: {response.url}", complete=False)
            yield item
            return
        page = extract_comments(page_selector(response.text, response.url), self.profile, response.url)
        if page.method == "detector" and self.profile.comments is not None:
            self.crawler.stats.inc_value("comments/pages_by_detector")
        if not page.comments and not page.block_found and self.profile.comments is not None:
            logger.warning("%s: comments page has no comments block; thread kept as read so far", response.url)
            self._note(item, "comments/page_without_block", f"comments page without comments block: {response.url}",
                       complete=False)
        for problem in page.problems:
            logger.warning("%s: %s", response.url, problem)
        _append_page(item, page.comments, self.crawler.stats)
        yield from self._follow_comments(item, page.next_urls, seen, pending, declared=page.method.startswith("profile"))

    def comments_failed(self, failure):
        request = failure.request
        item: ArticleItem = request.cb_kwargs["item"]
        self._note(item, "comments/page_failed", f"comments page failed: {request.url}: {failure.value}", complete=False)
        logger.error(
            "%s article %s: comments page %s failed (%s); storing %d comments read so far, "
            "the thread is fetched again next run",
            item.site, item.article_id, request.url, failure.value, len(item.comments),
        )
        yield item

    def article_failed(self, failure):
        request = failure.request
        article_id = request.meta["article_id"]
        stats = self.crawler.stats
        if failure.check(HttpError):
            status = failure.value.response.status
            stats.inc_value(f"articles/failed/http_{status}")
            url = self.claims.next_alternate(article_id) if status in (404, 410) else None
            if url:
                logger.warning("article %s: HTTP %d; trying its other URL %s", request.url, status, url)
                yield self._fetch_article(url, article_id, request.meta["source"], request.meta.get("sitemap_lastmod"))
                return
            logger.error("article %s: HTTP %d", request.url, status)
            if status in (404, 410):
                self.ledger.settle(article_id)  # gone: nothing to retry
                self.archive_state.mark_gone(self.site_for(request.url), article_id, request.meta.get("sitemap_lastmod"))
        elif failure.check(CrawlStopped, BlockedPage):
            stats.inc_value("articles/not_fetched")  # stays pending: the next run fetches it
        elif failure.check(IgnoreRequest):
            stats.inc_value("articles/ignored")
            logger.info("article %s not fetched: %s", request.url, failure.value)
            self.ledger.settle(article_id)  # forbidden by robots.txt
        else:
            stats.inc_value("articles/failed/network")
            logger.error("article %s failed: %s", request.url, failure.value)

    # --- sitemap completion -------------------------------------------------

    def _item_stored(self, item, response=None, spider=None):
        if isinstance(item, ArticleItem):
            self.ledger.settle(item.article_id)

    def _item_dropped(self, item, response=None, exception=None, spider=None):
        # A duplicate was stored under its first URL. Other drops (no title,
        # mojibake) leave the article pending: the next run tries again.
        if isinstance(item, ArticleItem) and isinstance(exception, DuplicateArticle):
            self.ledger.settle(item.article_id)

    def _closed(self, spider, reason):
        """Record each monthly sitemap read in full, so the next run can skip
        it while its <lastmod> stays the same."""
        done = self.ledger.done()
        for url, lastmod in done:
            self.archive_state.mark_sitemap_done(self.profile.name, url, lastmod)
        self.crawler.stats.set_value("discovery/sitemaps_completed", len(done))
        if self.archive_state is not None:
            self.archive_state.close()


def _capture_day(response) -> date:
    """The day the page was fetched: today, or the WARC record's date when
    `newscrawl reextract` replays it (it picks a layout for undated pages)."""
    stamp = response.meta.get("captured")
    try:
        return date.fromisoformat(stamp[:10]) if stamp else date.today()
    except ValueError:
        return date.today()


def _append_page(item: ArticleItem, comments: list[dict], stats) -> None:
    """Add one comments page to the thread. A page's `parent` indexes point
    into that page; they are moved to the thread's list. A page whose every
    comment was read already is a page read already (the article page seen
    again under its comment-page URL): nothing is added."""
    read_before = {c["comment_id"]: n for n, c in enumerate(item.comments) if c.get("comment_id")}
    texts_before = {(c.get("author"), c.get("text")) for c in item.comments}
    if comments and all(c["comment_id"] in read_before if c.get("comment_id") else (c.get("author"), c.get("text"))
                        in texts_before for c in comments):
        stats.inc_value("comments/page_read_already")
        return
    moved: dict[int, int] = {}  # index on the page -> index in the thread
    for n, comment in enumerate(comments):
        site_id = comment.get("comment_id")
        if site_id and site_id in read_before:
            # Pagination shifted while we read (a new comment pushed one
            # onto the next page): the same comment twice.
            stats.inc_value("comments/duplicate_in_thread")
            moved[n] = read_before[site_id]
            continue
        parent = comment.get("parent")
        moved[n] = len(item.comments)
        item.comments.append({**comment, "parent": moved.get(parent) if parent is not None else None})


def _header(response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
