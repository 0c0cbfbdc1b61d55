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
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

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
from newscrawl.extract import extract_article, extract_comments, is_block_page
from newscrawl.items import ArticleItem
from newscrawl.middlewares import CrawlStopped
from newscrawl.sites.base import SiteProfile

logger = logging.getLogger(__name__)

# A thread longer than this many pages is cut (and reported): a guard
# against comment links that never end, which loop detection cannot see
# when every URL is new.
MAX_COMMENT_PAGES = 500
# Comment pages go first so an article in progress is finished (and its
# memory freed) before new articles start.
COMMENTS_PRIORITY = 10


class SpiderArgumentError(ValueError):
    """A spider argument (-a name=value) that cannot be used."""


def _utc_iso(value: str | None) -> str | None:
    """A sitemap <lastmod> as a comparable UTC ISO string."""
    parsed = parse_date(value, tz="UTC") if value else None
    return parsed.astimezone(timezone.utc).isoformat(timespec="seconds") if parsed else None


class SiteSpider(scrapy.Spider):
    """Base class: a subclass names itself and its profile, nothing else."""

    profile: SiteProfile
    ARGUMENTS = ("base_url", "refresh_days", "since", "urls", "max_articles")

    def __init__(
        self,
        base_url: str | None = None,
        refresh_days: str | int = 7,
        since: str | None = None,
        urls: str | None = None,
        max_articles: str | int | None = None,
        *args,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        options = self.parse_arguments(
            base_url=base_url, refresh_days=refresh_days, since=since, urls=urls, max_articles=max_articles
        )
        self.__dict__.update(options)
        # elaph.com and www.elaph.com are one site: sitemaps may name either.
        # (Scrapy's offsite filter lets subdomains of an allowed domain through.)
        host = urlsplit(self.base_url).hostname
        self.allowed_domains = [host.removeprefix("www.")]
        self.requested_ids: set[str] = set()
        self.articles_requested = 0
        self.truncated = False
        # Monthly sitemap URL -> article ids asked for and not yet settled.
        self.sitemap_pending: dict[str, set[str]] = defaultdict(set)
        self.sitemap_lastmods: dict[str, str | None] = {}
        self.db = None

    @classmethod
    def parse_arguments(cls, *, base_url=None, refresh_days=7, since=None, urls=None, max_articles=None) -> dict:
        """Check the -a arguments; SpiderArgumentError says what is wrong in one line."""
        base = (base_url or cls.profile.base_url).rstrip("/")
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
        return {
            "base_url": base,
            "refresh_days": refresh,
            "since": since_dt,
            "urls": [urljoin(base + "/", u) for u in direct],
            "max_articles": limit,
        }

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.db = archive.open_archive(crawler.settings.get("ARCHIVE_DB"))
        crawler.signals.connect(spider._item_settled, signal=signals.item_scraped)
        crawler.signals.connect(spider._item_settled, signal=signals.item_dropped)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    # --- discovery ---------------------------------------------------------

    async def start(self):
        for request in self._refresh_requests():
            yield request
        if self.urls:
            for url in self.urls:
                request = self._article_request(url, source="argument")
                if request is not None:
                    yield request
            return
        yield scrapy.Request(
            f"{self.base_url}/robots.txt",
            callback=self.parse_robots,
            errback=self.robots_failed,
            dont_filter=True,
        )

    def _refresh_requests(self):
        """Archived articles to fetch again: recent ones (new comments) and
        ones whose comment thread could not be read in full last time."""
        cutoff = datetime.now(timezone.utc) - timedelta(days=self.refresh_days)
        if self.since and self.since > cutoff:
            cutoff = self.since
        rows = []
        if self.refresh_days:
            rows += archive.recent_articles(self.db, self.profile.name, to_iso(cutoff))
        rows += archive.incomplete_articles(self.db, self.profile.name)
        for row in rows:
            parts = urlsplit(row["url"])
            url = urljoin(self.base_url + "/", parts.path.lstrip("/")) + (f"?{parts.query}" if parts.query else "")
            request = self._article_request(url, source="refresh")
            if request is not None:
                self.crawler.stats.inc_value("discovery/refresh")
                yield request

    def parse_robots(self, response):
        sitemaps = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        if not sitemaps:
            logger.info("robots.txt names no sitemap; using the profile's: %s", ", ".join(self.profile.sitemap_paths))
            sitemaps = [self.base_url + path for path in self.profile.sitemap_paths]
        for url in sitemaps:
            yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.sitemap_failed)

    def robots_failed(self, failure):
        logger.warning("robots.txt could not be read (%s); using the profile's sitemaps", failure.value)
        for path in self.profile.sitemap_paths:
            yield scrapy.Request(self.base_url + path, callback=self.parse_sitemap, errback=self.sitemap_failed)

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
        for entry in sitemap:
            loc, lastmod = entry.get("loc"), _utc_iso(entry.get("lastmod"))
            if not loc:
                continue
            if self.since and lastmod and lastmod < to_iso(self.since.astimezone(timezone.utc)):
                self.crawler.stats.inc_value("discovery/sitemap_older_than_since")
                continue
            if lastmod and archive.sitemap_lastmod(self.db, self.profile.name, loc) == lastmod:
                self.crawler.stats.inc_value("discovery/sitemap_unchanged")
                continue
            yield scrapy.Request(
                loc, callback=self.parse_sitemap, errback=self.sitemap_failed, meta={"sitemap_lastmod": lastmod}
            )

    def _sitemap_articles(self, sitemap, sitemap_url: str, sitemap_lastmod: str | None):
        self.sitemap_lastmods[sitemap_url] = sitemap_lastmod
        pending = self.sitemap_pending[sitemap_url]
        for entry in sitemap:
            loc = entry.get("loc")
            article_id = self.profile.article_id(loc or "")
            if article_id is None:
                self.crawler.stats.inc_value("discovery/not_an_article")
                continue
            lastmod = _utc_iso(entry.get("lastmod"))
            if not self._wanted(article_id, loc, lastmod):
                continue
            request = self._article_request(
                loc, source="sitemap", sitemap_url=sitemap_url, sitemap_lastmod=lastmod
            )
            if request is None:
                if self.truncated:
                    pending.add(article_id)  # not fetched: the sitemap is not done
                continue
            pending.add(article_id)
            yield request

    def _wanted(self, article_id: str, url: str, lastmod: str | None) -> bool:
        """Whether an article listed in a sitemap needs fetching on this run."""
        stats = self.crawler.stats
        if article_id in self.requested_ids:
            stats.inc_value("discovery/duplicate_url")
            return False
        if not self._on_site(url):
            stats.inc_value("discovery/offsite")
            return False
        if self.since and not self._url_may_be_since(url):
            stats.inc_value("discovery/older_than_since")
            return False
        state = archive.article_state(self.db, self.profile.name, article_id)
        if state is None or not state["comments_complete"]:
            return True
        if lastmod and (state["sitemap_lastmod"] is None or lastmod > state["sitemap_lastmod"]):
            return True
        cutoff = to_iso(datetime.now(timezone.utc) - timedelta(days=self.refresh_days))
        if self.refresh_days and state["published"] and state["published"] >= cutoff:
            return True
        stats.inc_value("discovery/up_to_date")
        return False

    def _on_site(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        domain = self.allowed_domains[0]
        return host == domain or host.endswith("." + domain)

    def _url_may_be_since(self, url: str) -> bool:
        """Cheap check on the /YYYY/M/ in an article URL before fetching it."""
        parts = urlsplit(url).path.split("/")
        numbers = [p for p in parts if p.isdigit()]
        if len(numbers) >= 2 and len(numbers[0]) == 4:
            year, month = int(numbers[0]), int(numbers[1])
            return (year, month) >= (self.since.year, self.since.month)
        return True

    def _article_request(self, url: str, *, source: str, sitemap_url=None, sitemap_lastmod=None):
        article_id = self.profile.article_id(url)
        if article_id is None:
            logger.warning("not an article URL for %s: %s", self.profile.name, url)
            self.crawler.stats.inc_value("discovery/not_an_article")
            return None
        if article_id in self.requested_ids:
            self.crawler.stats.inc_value("discovery/duplicate_url")
            return None
        if self.max_articles is not None and self.articles_requested >= self.max_articles:
            if not self.truncated:
                logger.info("max_articles=%d reached: no more articles this run", self.max_articles)
            self.truncated = True
            return None
        self.requested_ids.add(article_id)
        self.articles_requested += 1
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            meta={
                "article_id": article_id,
                "source": source,
                "sitemap_url": sitemap_url,
                "sitemap_lastmod": sitemap_lastmod,
                "page_kind": "article",
            },
        )

    # --- parsing -------------------------------------------------------------

    def parse_article(self, response):
        stats = self.crawler.stats
        meta = response.meta
        article_id = meta.get("article_id") or self.profile.article_id(response.url)
        if not hasattr(response, "text"):
            stats.inc_value("extract/not_html")
            logger.error("%s is not an HTML page (%s)", response.url, response.headers.get("Content-Type"))
            self._settle(meta, article_id)
            return
        html = response.text
        extracted = extract_article(html, response.url, self.profile)
        if not extracted.title and is_block_page(html, self.profile):
            # A WAF page with status 200: the block middleware counts status
            # codes; this is the same signal for pages that hide it.
            stats.inc_value("blocked/page")
            logger.error("blocked: %s served a block/captcha page; not an article", response.url)
            return
        self._report_problems(response.url, extracted)
        url = extracted.canonical if extracted.canonical else response.url.split("?")[0]
        if extracted.canonical and self.profile.article_id(extracted.canonical) != article_id:
            logger.warning("%s: canonical link %s names another article; ignoring it", response.url, extracted.canonical)
            url = response.url.split("?")[0]
        item = ArticleItem(
            site=self.profile.name,
            article_id=article_id,
            url=url,
            title=extracted.title,
            subtitle=extracted.subtitle,
            body=extracted.body,
            published=extracted.published,
            author=extracted.author,
            section=extracted.section or self.profile.section_from_url(url),
            comments=list(extracted.comments.comments),
            comment_pages=1,
            extraction=extracted.notes,
            fetched_at=archive.utcnow(),
            sitemap_url=meta.get("sitemap_url"),
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
        if self.since and item.published and item.published < to_iso(self.since):
            stats.inc_value("discovery/older_than_since")
            self._settle(meta, article_id)
            return
        yield from self._follow_comments(item, extracted.comments.next_url, {canonicalize_url(response.url)})

    def _report_problems(self, url: str, extracted) -> None:
        stats = self.crawler.stats
        for name in extracted.notes.get("missing", ()):
            stats.inc_value(f"extract/missing/{name}")
        for problem in extracted.notes.get("problems", ()):
            stats.inc_value("extract/problems")
            logger.warning("%s: %s", url, problem)
        missing = extracted.notes.get("missing")
        if missing:
            logger.warning("%s: the %s profile found no %s", url, self.profile.name, ", ".join(missing))

    def _follow_comments(self, item: ArticleItem, next_url: str | None, seen: set[str]):
        """Yield the request for the next comments page, or the finished item."""
        stats = self.crawler.stats
        if next_url:
            key = canonicalize_url(next_url)
            if key in seen:
                stats.inc_value("comments/loop")
                logger.warning(
                    "%s article %s: comments link loops back to %s; thread ends after %d pages",
                    item.site, item.article_id, next_url, item.comment_pages,
                )
            elif self.profile.article_id(next_url) != item.article_id:
                stats.inc_value("comments/foreign_link")
                logger.warning("%s: comments link %s leads to another article; ignored", item.url, next_url)
            elif item.comment_pages >= MAX_COMMENT_PAGES:
                stats.inc_value("comments/too_many_pages")
                logger.warning("%s: stopping after %d comment pages", item.url, item.comment_pages)
                item.comments_complete = False
            else:
                seen.add(key)
                yield scrapy.Request(
                    next_url,
                    callback=self.parse_comments,
                    errback=self.comments_failed,
                    cb_kwargs={"item": item, "seen": seen},
                    # Loops are caught above; the dupe filter must never drop
                    # a thread page silently, or the article would be lost.
                    dont_filter=True,
                    priority=COMMENTS_PRIORITY,
                    meta={"page_kind": "comments", "article_id": item.article_id},
                )
                return
        stats.inc_value("comments/threads")
        stats.inc_value("comments/read", len(item.comments))
        yield item

    def parse_comments(self, response, item: ArticleItem, seen: set[str]):
        selector = Selector(text=response.text, base_url=response.url)
        page = extract_comments(selector, self.profile, response.url)
        item.comment_pages += 1
        self.crawler.stats.inc_value("comments/pages")
        if not page.block_found:
            item.comments_complete = False
            item.extraction.setdefault("problems", []).append(f"comments page without comments block: {response.url}")
            logger.warning("%s: comments page has no comments block; thread kept as read so far", response.url)
        for problem in page.problems:
            logger.warning("%s: %s", response.url, problem)
        known = {c["comment_id"] for c in item.comments if c.get("comment_id")}
        for comment in page.comments:
            if comment.get("comment_id") and comment["comment_id"] in known:
                # Pagination shifted while we read (a new comment pushed one
                # onto the next page): the same comment twice.
                self.crawler.stats.inc_value("comments/duplicate_in_thread")
                continue
            item.comments.append(comment)
        yield from self._follow_comments(item, page.next_url, seen)

    def comments_failed(self, failure):
        request = failure.request
        item: ArticleItem = request.cb_kwargs["item"]
        item.comments_complete = False
        item.extraction.setdefault("problems", []).append(f"comments page failed: {request.url}: {failure.value}")
        self.crawler.stats.inc_value("comments/page_failed")
        logger.error(
            "%s article %s: comments page %s failed (%s); storing %d comments read so far, "
            "the thread is fetched again next run",
            item.site, item.article_id, request.url, failure.value, len(item.comments),
        )
        yield item

    def article_failed(self, failure):
        request = failure.request
        stats = self.crawler.stats
        if failure.check(HttpError):
            status = failure.value.response.status
            stats.inc_value(f"articles/failed/http_{status}")
            logger.error("article %s: HTTP %d", request.url, status)
            if status in (404, 410):
                self._settle(request.meta, request.meta.get("article_id"))  # gone: nothing to retry
        elif failure.check(CrawlStopped):
            stats.inc_value("articles/not_fetched_crawl_stopped")  # stays pending: next run fetches it
        elif failure.check(IgnoreRequest):
            stats.inc_value("articles/ignored")
            logger.info("article %s not fetched: %s", request.url, failure.value)
            self._settle(request.meta, request.meta.get("article_id"))
        else:
            stats.inc_value("articles/failed/network")
            logger.error("article %s failed: %s", request.url, failure.value)

    # --- sitemap completion -------------------------------------------------

    def _settle(self, meta, article_id) -> None:
        sitemap_url = meta.get("sitemap_url")
        if sitemap_url and article_id:
            self.sitemap_pending[sitemap_url].discard(str(article_id))

    def _item_settled(self, item, response=None, spider=None, exception=None):
        if isinstance(item, ArticleItem):
            self._settle({"sitemap_url": item.sitemap_url}, item.article_id)

    def _closed(self, spider, reason):
        """Record each monthly sitemap whose every article was settled, so the
        next run can skip it while its <lastmod> stays the same."""
        done = 0
        for url, pending in self.sitemap_pending.items():
            if not pending:
                archive.mark_sitemap_done(self.db, self.profile.name, url, self.sitemap_lastmods.get(url))
                done += 1
        self.crawler.stats.set_value("discovery/sitemaps_completed", done)
        if self.db is not None:
            self.db.close()


def _header(response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
