"""A spider for a news site described by a site profile.

It only finds and parses: discovery goes robots.txt -> sitemap index ->
monthly sitemaps -> article pages; each article page is extracted with the
profile, then the comment thread is followed page by page
(``comments_next``) and the article is yielded once, with every comment.
Storing, validating and deduplicating are the pipelines' jobs.

Only the site's own hosts are fetched, over http(s): every URL a page or a
sitemap names is checked by newscrawl/fetch_policy.py before it is
scheduled, and again by its downloader middleware before it is sent
(redirects included). A single crawl reads sitemaps and feeds lazily: their
requests are scheduled a batch at a time as the scheduler runs dry
(newscrawl/backlog.py), and discovery stops once ``max_articles`` are queued.

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
import os
import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable
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

from newscrawl import archive, health
from newscrawl.dates import parse_date, to_iso
from newscrawl.doctor import doctor_command
from newscrawl.exceptions import BlockedPage, CrawlStopped, DuplicateArticle
from newscrawl.comment_signals import comment_signals
from newscrawl.extract import extract_article, extract_comments, page_selector
from newscrawl import fetch_policy
from newscrawl.backlog import DiscoveryBacklog
from newscrawl.fetch_policy import FetchPolicy, OffsiteRedirect, RefusedRequest
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
        asked = self._asked(article_id) if self._asked is not None else article_id in self._requested
        if asked and article_id not in self.outstanding:
            return  # settled already this run
        self.pending[sitemap_url].add(article_id)
        self.listed_in[article_id].add(sitemap_url)

    def settle(self, article_id: str) -> None:
        self.outstanding.discard(article_id)
        for sitemap_url in self.listed_in.pop(article_id, ()):
            self.pending[sitemap_url].discard(article_id)

    def unreadable(self, sitemap_url: str) -> None:
        """The sitemap could not be read in full: never done, the next run reads it again."""
        self.unread.add(sitemap_url)

    def done(self) -> list[tuple[str, str | None]]:
        return [(url, self.lastmods.get(url)) for url, ids in self.pending.items()
                if not ids and url not in self.unread and url not in self.open]


class ArticleClaims:
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
        """True if this call is the first to ask for the article."""
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


class SiteSpider(scrapy.Spider):
    """Base class: a subclass names itself and its profile, nothing else."""

    profile: SiteProfile
    ARGUMENTS = ("base_url", "refresh_days", "since", "urls", "max_articles", "feed")

    # The methods requests are sent with (callback, errback).
    CALLBACKS = ("discover", "robots_failed", "sitemap_failed", "parse_article", "article_failed",
                 "parse_comments", "comments_failed", "parse_amp_copy", "amp_copy_failed")

    def __init__(self, base_url=None, refresh_days=7, since=None, urls=None, max_articles=None, feed=None,
                 *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Each bound once: Scrapy checks every callback it calls for a
        # generator's `return value` (inspect.getsource and ast.parse of the
        # method) and caches the answer per bound-method object, weakly. A
        # method bound anew for each request is parsed again whenever the
        # previous one was freed: 7 % of the crawl process's CPU
        # (benchmarks/crawl_bench.py). One object per method: parsed once a run.
        for name in self.CALLBACKS:
            setattr(self, name, getattr(self, name))
        options = self.parse_arguments(
            base_url=base_url, refresh_days=refresh_days, since=since, urls=urls, max_articles=max_articles, feed=feed
        )
        self.__dict__.update(options)
        # What may be fetched: the site's own hosts over http(s), decided by
        # newscrawl/fetch_policy.py for every request, here before it is
        # scheduled and in FetchPolicyMiddleware before it is sent (redirects
        # too). elaph.com and www.elaph.com are one site: sitemaps may name either.
        self.fetch_policy = self.site_policy()
        # Informative only: Scrapy's OffsiteMiddleware is replaced by the policy.
        self.allowed_domains = self.fetch_policy.domains
        self.articles_requested = 0
        self.truncated = False
        # Which articles this run has asked for, and their URLs not tried yet
        # (another section, .htm/.html), tried in turn when one answers 404.
        # Shared in Redis when workers share a frontier.
        self.claims = ArticleClaims()
        # Asked for locally only: a worker's claims live in Redis, and its
        # ledger marks nothing done (RedisState.mark_sitemap_done).
        self.ledger = SitemapLedger(asked=lambda article_id: self.unshared and self.claims.asked(article_id))
        # What the archive holds: SQLite, or Redis for a distributed worker.
        # (Not "state": Scrapy keeps spider.state in a JOBDIR.)
        self.archive_state = None
        self.unshared = True
        # A single crawl's discovery requests, queued as the scheduler runs dry
        # (newscrawl/backlog.py); None for distributed workers, whose frontier is in Redis.
        self.backlog: DiscoveryBacklog | None = None
        # Articles that answered 404/410 with no other URL known yet: a URL
        # of theirs met later in a sitemap (read lazily) is still tried.
        self.gone_unanswered: set[str] = set()

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

    def site_policy(self) -> FetchPolicy:
        """The hosts this crawl may fetch from (FETCH_EXTRA_HOSTS are added in from_crawler)."""
        return FetchPolicy.for_site(self.base_url, self.profile.base_url, self.profile.hosts)

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
        # The environment's NEWSCRAWL_CONTACT (cron, systemd) counts for more
        # than settings.py and less than -s NEWSCRAWL_CONTACT=...
        from_environment = os.environ.get("NEWSCRAWL_CONTACT", "").strip()
        if from_environment:
            settings.set("NEWSCRAWL_CONTACT", from_environment, priority="spider")
        # The User-Agent names whoever runs the crawl; built here, once
        # the contact is known. An explicit -s USER_AGENT wins.
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
        else:
            spider.backlog = DiscoveryBacklog.from_crawler(crawler, wanted=lambda: not spider._enough())
        spider.fetch_policy = spider.fetch_policy.with_hosts(crawler.settings.getlist("FETCH_EXTRA_HOSTS"))
        crawler.signals.connect(spider._item_stored, signal=signals.item_scraped)
        crawler.signals.connect(spider._item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        crawler.signals.connect(_make_only_records_a_handler_writes, signal=signals.engine_started)
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
                request = self._feed_request(url)
                if request is not None:
                    yield request
            return
        yield scrapy.Request(
            f"{self.base_url}/robots.txt", callback=self.discover, errback=self.robots_failed,
            dont_filter=self.unshared, meta={"discovery": "robots"},
        )
        for path in self.profile.feeds:
            request = self._feed_request(urljoin(self.base_url + "/", path))
            if request is not None:
                yield request

    def _feed_request(self, url: str):
        if not self._allowed(url, "feed"):
            return None
        return scrapy.Request(url, callback=self.discover, errback=self.sitemap_failed, dont_filter=self.unshared,
                              meta={"discovery": "feed"})

    # robots.txt, sitemaps and feeds: their answer is more requests.
    _DISCOVERY_PARSERS = {"robots": "parse_robots", "sitemap": "parse_sitemap", "feed": "parse_feed"}

    def discover(self, response):
        """The callback of every robots.txt, sitemap and feed request. A single
        crawl hands the parser's requests to the backlog, which schedules them
        as the scheduler runs dry (newscrawl/backlog.py): a sitemap of a million
        URLs is read a batch at a time, not turned into a million requests at once."""
        parse = getattr(self, self._DISCOVERY_PARSERS[response.meta["discovery"]])
        if self.backlog is None:
            return parse(response)  # distributed: straight into the shared frontier in Redis
        self.backlog.add(parse(response))
        self.backlog.answered(response.request)
        return ()

    def _lazily(self, requests):
        """Discovery requests made outside a callback (an errback's): through the backlog too."""
        if self.backlog is None:
            return requests
        self.backlog.add(requests)
        return ()

    def _allowed(self, url: str, where: str) -> bool:
        """Whether `url` may be fetched (newscrawl/fetch_policy.py decides); a
        refusal is logged and counted before anything is scheduled."""
        refusal = self.fetch_policy.refusal(url)
        if refusal is None:
            return True
        fetch_policy.record(self.crawler, refusal, where)
        return False

    def _enough(self) -> bool:
        """max_articles are queued: discovery stops reading sitemaps and feeds."""
        if self.max_articles is None or self.articles_requested < self.max_articles:
            return False
        if not self.truncated:
            logger.info("max_articles=%d reached: no more articles this run", self.max_articles)
            self.crawler.stats.set_value("discovery/max_articles_reached", self.max_articles)
        self.truncated = True
        return True

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
            if self._enough():
                break  # the rest of the feed is not read
            candidates = entry.xpath("guid/text() | link/text() | link[not(@rel) or @rel='alternate']/@href").getall()
            articles = [c.strip() for c in candidates if self.profile.article_id(c.strip())]
            if not articles:
                stats.inc_value("discovery/not_an_article")
                continue
            # The link on the site, if the item has one; else the item is refused (and said so).
            url = next((c for c in articles if self._on_site(c)), None)
            if url is None:
                stats.inc_value("discovery/offsite")
                self._allowed(articles[0], "feed")
                continue
            article_id = self.profile.article_id(url)
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
        # `Sitemap:` lines are the site's word for where its sitemaps are,
        # but only those on the site are fetched (another host's, file://...: refused).
        named = on_site = 0
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            if self._enough():
                return
            named += 1
            request = self._sitemap_request(url, None, where="robots")
            if request is not None:
                on_site += 1
                yield request
        if not on_site:
            logger.info("robots.txt names no sitemap%s; using the profile's: %s", " on the site" if named else "",
                        ", ".join(self.profile.sitemap_paths))
            yield from self._profile_sitemaps()

    def robots_failed(self, failure):
        logger.warning("robots.txt could not be read (%s); using the profile's sitemaps", failure.value)
        return self._lazily(self._profile_sitemaps())

    def _profile_sitemaps(self):
        for path in self.profile.sitemap_paths:
            request = self._sitemap_request(self.base_url + path, None)
            if request is not None:
                yield request

    def _sitemap_request(self, url: str, lastmod: str | None, *, where: str = "sitemap"):
        """The request for a sitemap, or None when the fetch policy refuses its URL."""
        if not self._allowed(url, where):
            return None
        return scrapy.Request(
            url, callback=self.discover, errback=self.sitemap_failed,
            meta={"sitemap_lastmod": lastmod, "discovery": "sitemap"}, dont_filter=self.unshared,
        )

    def sitemap_failed(self, failure):
        if self.backlog is not None:
            self.backlog.answered(failure.request)  # the next sitemap may go
        if failure.check(CrawlStopped):
            # Not a failure of the site: the run is stopping (a block, a
            # template change, a store failure) and said why already.
            self.crawler.stats.inc_value("discovery/sitemap_cancelled")
            logger.info("sitemap %s not read: %s", failure.request.url, failure.value)
            return
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
        problems: list[str] = []
        entries = _sitemap_entries(sitemap, problems)
        if sitemap.type == "sitemapindex":
            yield from self._child_sitemaps(entries)
        else:
            yield from self._sitemap_articles(entries, response.url, response.meta.get("sitemap_lastmod"))
        if problems:
            # Scrapy's Sitemap parses with recover=True: a document that breaks
            # part-way simply ends early. Its later entries were never seen.
            self.crawler.stats.inc_value("discovery/sitemap_incomplete")
            self.ledger.unreadable(response.url)
            logger.error("sitemap %s could not be read in full (%s); it is read again next run",
                         response.url, "; ".join(problems))

    def _child_sitemaps(self, sitemap):
        since = self.since.astimezone(timezone.utc).isoformat(timespec="seconds") if self.since else None
        for entry in sitemap:
            if self._enough():
                return  # no more sitemaps asked for: max_articles are queued
            loc, lastmod = entry.get("loc"), _utc_iso(entry.get("lastmod"))
            if not loc:
                continue
            if since and lastmod and lastmod < since:
                self.crawler.stats.inc_value("discovery/sitemap_older_than_since")
                continue
            if lastmod and self.archive_state.sitemap_lastmod(self.profile.name, loc) == lastmod:
                self.crawler.stats.inc_value("discovery/sitemap_unchanged")
                continue
            request = self._sitemap_request(loc, lastmod, where="sitemap_index")
            if request is not None:
                yield request

    def _sitemap_articles(self, sitemap, sitemap_url: str, sitemap_lastmod: str | None):
        """The requests for a urlset's articles, made one entry at a time as
        they are taken (newscrawl/backlog.py): nothing here holds the whole
        list. The ledger records the sitemap done only if it was read to its end."""
        self.ledger.opened(sitemap_url, sitemap_lastmod)
        stats = self.crawler.stats
        left_out = False
        for entry in sitemap:
            if self._enough():
                return  # not read to its end: it stays open, the next run reads it again
            loc = entry.get("loc") or ""
            if not loc:
                stats.inc_value("discovery/not_an_article")
                continue
            if not self._allowed(loc, "sitemap"):
                stats.inc_value("discovery/offsite")
                continue
            article_id = self.profile.article_id(loc)
            if article_id is None:
                stats.inc_value("discovery/not_an_article")
                continue
            lastmod = _utc_iso(entry.get("lastmod"))
            if not self._needs_fetch(article_id, lastmod, self.site_for(loc)):
                stats.inc_value("discovery/up_to_date")
                continue
            if self.since and not self._url_may_be_since(loc):
                stats.inc_value("discovery/older_than_since")
                left_out = True  # for a run without `since`: the sitemap stays open
                continue
            self.ledger.expect(sitemap_url, article_id)  # settled when stored, gone or forbidden
            request = self._article_request(loc, source="sitemap", sitemap_lastmod=lastmod)
            if request is not None:
                yield request
        self.ledger.read_to_end(sitemap_url, left_out=left_out)

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
        """Whether the fetch policy lets `url` be fetched (nothing logged or counted)."""
        return self.fetch_policy.allows(url)

    def _url_may_be_since(self, url: str) -> bool:
        """Cheap check on the /YYYY/M/ in an article URL before fetching it."""
        numbers = [p for p in urlsplit(url).path.split("/") if p.isdigit()]
        if len(numbers) >= 2 and len(numbers[0]) == 4:
            return (int(numbers[0]), int(numbers[1])) >= (self.since.year, self.since.month)
        return True

    def _article_request(self, url: str, *, source: str, sitemap_lastmod=None):
        """The request for an article, or None when this run already asked
        for that article (its other URLs are kept as alternates), or when the
        fetch policy refuses the URL."""
        if not self._allowed(url, source):
            self.crawler.stats.inc_value("discovery/offsite")
            return None
        article_id = self.profile.article_id(url)
        if article_id is None:
            logger.warning("not an article URL for %s: %s", self.profile.name, url)
            self.crawler.stats.inc_value("discovery/not_an_article")
            return None
        url = self.profile.article_url(url)
        if self.claims.asked(article_id):
            if article_id in self.gone_unanswered:
                # Its first URL answered 404 before this one was read (sitemaps
                # are read lazily): this URL is its alternate, tried now.
                self.gone_unanswered.discard(article_id)
                self.crawler.stats.inc_value("discovery/alternate_after_404")
                self.ledger.requested(article_id)
                return self._fetch_article(url, article_id, source, sitemap_lastmod)
            self.crawler.stats.inc_value("discovery/duplicate_url")
            self.claims.add_alternate(article_id, url)
            return None
        if self._enough():
            return None
        if not self.claims.claim(article_id, url):
            self.crawler.stats.inc_value("discovery/duplicate_url")  # another worker asked for it just now
            self.claims.add_alternate(article_id, url)
            return None
        self.articles_requested += 1
        self.ledger.requested(article_id)
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
        try:
            extracted = extract_article(response.text, response.url, self.profile, captured=_capture_day(response))
        except Exception as exc:  # noqa: BLE001 - a bug meets a page: count it, name it, carry on
            # Not stored and not settled: its sitemap stays open, the next run tries again.
            health.extraction_failed(stats, response.url, exc)
            return
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
            canonical = urljoin(response.url, extracted.canonical)
            if not self._on_site(canonical):
                # Never the stored URL: an article is archived under the site it was read from.
                stats.inc_value("extract/canonical_offsite")
                logger.warning("%s: canonical link %s is not on the site (%s); ignoring it", response.url,
                               extracted.canonical, self.fetch_policy.describe())
            elif self.profile.article_id(canonical) == article_id:
                url = canonical
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
            fetched_at=_fetched_at(response),
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
        try:
            sel = page_selector(response.text, response.url)
            page = extract_comments(sel, self.profile, response.url)
            signals = comment_signals(sel.root, page.elements, response.url)
        except Exception as exc:  # noqa: BLE001 - a bug meets a page: the article is kept, the run says so
            yield self._thread_page_unreadable(item, response, exc)
            return
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
        if failure.check(RefusedRequest):
            # The AMP copy redirects off the site: none to read here, as with a 404.
            logger.warning("%s: AMP copy not read: %s", item.url, failure.value)
            self.crawler.stats.inc_value("comments/amp_offsite")
        elif gone:
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

    def _thread_page_unreadable(self, item: ArticleItem, response, exc: Exception) -> ArticleItem:
        """A comments page (or AMP copy) whose extraction raised: the article
        is stored with the comments read so far, its thread marked incomplete
        (read again next run), and the error counted as an article page's is
        (comments/errors/<Name>: the verdict names it, `scrapy crawl` exits 1)."""
        name = type(exc).__name__
        stats = self.crawler.stats
        stats.inc_value(f"comments/errors/{name}")
        if not stats.get_value("comments/error_sample"):
            stats.set_value("comments/error_sample", response.url)
        detail = str(exc).strip().splitlines()
        self._note(item, "comments/page_unreadable", f"comments page {response.url}: extraction failed ({name})",
                   complete=False)
        logger.error("%s: extraction of comments page %s failed (%s%s); storing %d comments read so far, "
                     "the thread is read again next run", item.url, response.url, name,
                     f": {detail[0][:200]}" if detail else "", len(item.comments))
        logger.debug("extraction of %s failed", response.url, exc_info=exc)
        return item

    def _note(self, item: ArticleItem, stat: str, problem: str, *, complete: bool, cut: bool = False) -> None:
        """Record a problem with the thread; an incomplete thread is fetched again next run.
        `cut`: read up to a point for good (a page limit, a link off the site),
        so comments archived beyond it are not taken as gone from the page."""
        self.crawler.stats.inc_value(stat)
        item.extraction.setdefault("problems", []).append(problem)
        if not complete:
            item.comments_complete = False
        if cut:
            item.thread_whole = False

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
            refusal = self.fetch_policy.refusal(url)
            if refusal is not None:
                # Checked by host (and scheme), not by path alone: a path with
                # the article's id may sit on any host, or behind file://.
                fetch_policy.record(self.crawler, refusal, "comments", log=False)
                logger.warning("%s: comments link %s is not on the site (%s); thread read up to it", item.url, url,
                               refusal.why)
                self._note(item, "comments/offsite_link", f"comments link off the site: {url}", complete=True, cut=True)
            elif self.profile.article_id(url) != item.article_id:
                # Structural, not transient: refetching would meet the same link.
                logger.warning("%s: comments link %s leads elsewhere; thread read up to it", item.url, url)
                self._note(item, "comments/foreign_link", f"comments link leads elsewhere: {url}", complete=True, cut=True)
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
            self._note(item, "comments/too_many_pages", f"thread cut at {MAX_COMMENT_PAGES} pages", complete=True, cut=True)
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
        try:
            page = extract_comments(page_selector(response.text, response.url), self.profile, response.url)
        except Exception as exc:  # noqa: BLE001 - a bug meets a page: the article is kept, the run says so
            yield self._thread_page_unreadable(item, response, exc)
            return
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
        if failure.check(RefusedRequest):
            # A comments page that redirects off the site: structural, a
            # refetch would meet the same redirect. Kept as read so far.
            self._note(item, "comments/offsite_link", f"comments page not fetched: {failure.value}", complete=True, cut=True)
            logger.warning("%s: %s; thread read up to it", item.url, failure.value)
            yield item
            return
        self._note(item, "comments/page_failed", f"comments page failed: {request.url}: {failure.value}", complete=False)
        # A stopping run cancels pages it will not fetch: said once already, not an error of this page.
        logger.log(
            logging.INFO if failure.check(CrawlStopped) else logging.ERROR,
            "%s article %s: comments page %s failed (%s); storing %d comments read so far, "
            "the thread is fetched again next run",
            item.site, item.article_id, request.url, failure.value, len(item.comments),
        )
        yield item

    def article_failed(self, failure):
        request = failure.request
        article_id = request.meta["article_id"]
        stats = self.crawler.stats
        moved = failure.value if failure.check(OffsiteRedirect) else None
        if moved is None and failure.check(HttpError):
            # A redirect Scrapy would not follow (to file:// or another scheme)
            # arrives as an HTTP error: off the site all the same.
            moved = self._unfollowed_redirect(failure.value.response, request)
        if moved is not None:
            # Moved off the site: not followed, nothing stored from the other
            # host (an archived copy stays as it was). Recorded as gone, like a
            # 404, until its sitemap entry changes; the target is kept in the
            # log line and the run's stats (crawl_runs.stats: fetch_policy/moved_offsite).
            stats.inc_value("articles/moved_offsite")
            fetch_policy.record_move(self.crawler, moved.source, moved.url)
            logger.warning("article %s moved to %s, off the site (%s): not followed, not stored", moved.source,
                           moved.url, moved.why)
            self.ledger.settle(article_id)
            self.archive_state.mark_gone(self.site_for(moved.source), article_id, request.meta.get("sitemap_lastmod"))
        elif failure.check(HttpError):
            status = failure.value.response.status
            stats.inc_value(f"articles/failed/http_{status}")
            url = self.claims.next_alternate(article_id) if status in (404, 410) else None
            if url:
                logger.warning("article %s: HTTP %d; trying its other URL %s", request.url, status, url)
                yield self._fetch_article(url, article_id, request.meta["source"], request.meta.get("sitemap_lastmod"))
                return
            logger.error("article %s: HTTP %d", request.url, status)
            if status in (404, 410):
                self.gone_unanswered.add(article_id)  # another URL of it may still come
                self.ledger.settle(article_id)  # gone: nothing to retry
                self.archive_state.mark_gone(self.site_for(request.url), article_id, request.meta.get("sitemap_lastmod"))
        elif failure.check(CrawlStopped, BlockedPage):
            stats.inc_value("articles/not_fetched")  # stays pending: the next run fetches it
        elif failure.check(IgnoreRequest):
            stats.inc_value("articles/ignored")
            logger.info("article %s not fetched: %s", request.url, failure.value)
            self.ledger.settle(article_id)  # forbidden by robots.txt (or by the fetch policy)
        else:
            stats.inc_value("articles/failed/network")
            logger.error("article %s failed: %s", request.url, failure.value)

    def _unfollowed_redirect(self, response, request) -> OffsiteRedirect | None:
        """The refusal for a 3xx whose Location the fetch policy refuses, or None."""
        location = response.headers.get("Location") if 300 <= response.status < 400 else None
        if not location:
            return None
        target = urljoin(request.url, location.decode("latin-1"))
        refusal = self.fetch_policy.refusal(target)
        if refusal is None:
            return None
        moved = OffsiteRedirect(target, refusal.why, source=(request.meta.get("redirect_urls") or [request.url])[0])
        fetch_policy.record(self.crawler, moved, "redirect", log=False)  # article_failed logs the move
        return moved

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
        try:
            for url, lastmod in done:
                self.archive_state.mark_sitemap_done(self.profile.name, url, lastmod)
        except sqlite3.Error as exc:
            # The archive refused a write (a full disk stopped the run): those
            # sitemaps are read again next run, which costs requests, not articles.
            logger.error("sitemaps read in full could not be marked so (%s: %s)", type(exc).__name__, exc)
        self.crawler.stats.set_value("discovery/sitemaps_completed", len(done))
        if self.archive_state is not None:
            self.archive_state.close()


def _make_only_records_a_handler_writes() -> None:
    """Raise the level of the root logger, and of loggers set below it, to
    the lowest level a log handler writes.

    Scrapy sets the root logger to NOTSET and the "scrapy" logger to DEBUG,
    and filters in its handlers (at LOG_LEVEL): every DEBUG record is made
    and then thrown away, a "Scraped from" line holding the item's repr for
    every article and about a hundred per page charset_normalizer is asked
    about, each formatted by the terminal-safe record factory
    (newscrawl/text.py): 5 % of the crawl process's CPU
    (benchmarks/crawl_bench.py). The log is the same: only records that no
    handler would write are not made."""
    loggers = [logging.root, *(lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger))]
    levels = [handler.level for logger in loggers for handler in logger.handlers
              if not isinstance(handler, logging.NullHandler)]
    if not levels:
        return
    floor = min(levels)
    for logger in loggers:
        # NOTSET on a logger other than the root means "as its parent".
        if logger.level < floor and (logger is logging.root or logger.level != logging.NOTSET):
            logger.setLevel(floor)


def _fetched_at(response) -> str:
    """When the page was fetched (UTC, ISO 8601): now, or the WARC record's
    date when `newscrawl reextract` replays it."""
    stamp = response.meta.get("captured")
    if stamp:
        try:
            return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(timezone.utc).isoformat(
                timespec="seconds")
        except ValueError:
            pass
    return archive.utcnow()


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


# libxml2 errors that spoil one entry's text (an unescaped "&" in a URL), not
# the document: the entries after them are still read.
_TEXT_ERRORS = frozenset(("ERR_ENTITYREF_SEMICOL_MISSING", "ERR_UNDECLARED_ENTITY", "WAR_UNDECLARED_ENTITY",
                          "ERR_INVALID_HEX_CHARREF", "ERR_INVALID_DEC_CHARREF", "ERR_INVALID_CHARREF"))


def _sitemap_entries(sitemap: Sitemap, problems: list[str]):
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
