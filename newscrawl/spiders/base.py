"""A spider for a news site described by a site profile.

It only finds and parses: discovery goes robots.txt -> sitemap index ->
monthly sitemaps -> article pages; each article page is extracted with the
profile, then the comment thread is followed page by page
(``comments_next``) and the article is yielded once, with every comment.
Storing, validating and deduplicating are the pipelines' jobs.

SiteSpider holds the crawl together: its arguments, and the callbacks and
errbacks its requests name (a JOBDIR stores a request's callback by its
method name, so they stay methods of the spider). Each callback extracts
its page and hands the rest to the module whose job it is:

    spiders/arguments.py      the -a arguments, checked (SpiderArguments)
    spiders/discovery.py      robots.txt, sitemaps, feeds, refreshes: which URLs are asked for
    spiders/article_pages.py  the item an article page gives; a failed article request
    spiders/comment_pages.py  the comment thread, page by page, and the AMP copy
    newscrawl/refetch.py      whether an archived article needs fetching again (RefetchRules)
    newscrawl/sitemap_ledger.py  the articles asked for (claims), the sitemaps read in full

Only the site's own hosts are fetched, over http(s): every URL a page or a
sitemap names is checked by newscrawl/fetch_policy.py before it is
scheduled, and again by its downloader middleware before it is sent
(redirects included).

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
from collections.abc import AsyncIterator, Iterable, Iterator

import scrapy
from scrapy import signals
from w3lib.url import canonicalize_url

from newscrawl import health
from newscrawl.backlog import DiscoveryBacklog
from newscrawl.comment_signals import comment_signals
from newscrawl.extract import extract_article, extract_comments, page_selector
from newscrawl.fetch_policy import FetchPolicy
from newscrawl.items import ArticleItem
from newscrawl.refetch import RefetchRules, instant
from newscrawl.sitemap_ledger import ArticleClaims, Claims, SitemapLedger
from newscrawl.sites.base import SiteProfile
from newscrawl.spiders.arguments import ARGUMENTS, SpiderArguments
from newscrawl.spiders.article_pages import ArticlePages, capture_day
from newscrawl.spiders.comment_pages import CommentPages
from newscrawl.spiders.discovery import Discovery
from newscrawl.state import state_for

logger = logging.getLogger(__name__)


class SiteSpider(scrapy.Spider):
    """Base class: a subclass names itself and its profile, nothing else."""

    profile: SiteProfile
    ARGUMENTS = ARGUMENTS

    # The methods requests are sent with (callback, errback).
    CALLBACKS = ("discover", "robots_failed", "sitemap_failed", "parse_article", "article_failed",
                 "parse_comments", "comments_failed", "parse_amp_copy", "amp_copy_failed")

    def __init__(self, *args, **kwargs):
        given = {name: kwargs.pop(name) for name in ARGUMENTS if name in kwargs}
        super().__init__(*args, **kwargs)
        # Each bound once: Scrapy checks every callback it calls for a
        # generator's `return value` (inspect.getsource and ast.parse of the
        # method) and caches the answer per bound-method object, weakly. A
        # method bound anew for each request is parsed again whenever the
        # previous one was freed: 7 % of the crawl process's CPU
        # (benchmarks/crawl_bench.py). One object per method: parsed once a run.
        for name in self.CALLBACKS:
            setattr(self, name, getattr(self, name))
        # As attributes, the way Scrapy hands -a arguments to a spider: base_url,
        # refresh_days, since, urls, max_articles, feeds.
        vars(self).update(vars(self.parse_arguments(**given)))
        # What may be fetched: the site's own hosts over http(s), decided by
        # newscrawl/fetch_policy.py for every request, here before it is
        # scheduled and in FetchPolicyMiddleware before it is sent (redirects
        # too). elaph.com and www.elaph.com are one site: sitemaps may name either.
        self.fetch_policy = self.site_policy()
        # Informative only: Scrapy's OffsiteMiddleware is replaced by the policy.
        self.allowed_domains = self.fetch_policy.domains
        # Which articles this run has asked for, and their URLs not tried yet
        # (another section, .htm/.html), tried in turn when one answers 404.
        # Shared in Redis when workers share a frontier.
        self.claims: Claims = ArticleClaims()
        # Asked for locally only: a worker's claims live in Redis, and its
        # ledger marks nothing done (RedisState.mark_sitemap_done).
        self.ledger = SitemapLedger(asked=lambda article_id: self.unshared and self.claims.asked(article_id))
        # What the archive holds: SQLite, or Redis for a distributed worker.
        # (Not "state": Scrapy keeps spider.state in a JOBDIR.) Both, and the
        # refetch rules that read it, are made in from_crawler.
        self.archive_state = None
        self.refetch: RefetchRules | None = None
        self.unshared = True
        # A single crawl's discovery requests, queued as the scheduler runs dry
        # (newscrawl/backlog.py); None for distributed workers, whose frontier is in Redis.
        self.backlog: DiscoveryBacklog | None = None
        self.discovery = Discovery(self)
        self.article_pages = ArticlePages(self)
        self.comment_pages = CommentPages(self)

    @classmethod
    def parse_arguments(cls, **given) -> SpiderArguments:
        """Check the -a arguments; SpiderArgumentError says what is wrong in one line.
        (`scrapy crawl` calls it before crawling: newscrawl/commands/crawl.py.)"""
        return SpiderArguments.parse(default_base_url=cls.default_base_url, **given)

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
    def update_settings(cls, settings) -> None:
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
    def from_crawler(cls, crawler, *args, **kwargs) -> SiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.archive_state = state_for(crawler.settings)
        spider.refetch = RefetchRules(spider.archive_state, refresh_days=spider.refresh_days, since=spider.since)
        # Workers sharing a frontier rely on its fingerprint filter so that
        # each page is fetched once by one of them; alone, the spider dedupes
        # by article id itself (see the module's docstring on JOBDIR).
        spider.unshared = not crawler.settings.get("REDIS_URL")
        if not spider.unshared:
            from newscrawl.distributed import RedisArticleClaims

            spider.claims = RedisArticleClaims.for_spider(crawler.settings, spider.name)
        else:
            spider.backlog = DiscoveryBacklog.from_crawler(crawler, wanted=lambda: not spider.discovery.enough())
        spider.fetch_policy = spider.fetch_policy.with_hosts(crawler.settings.getlist("FETCH_EXTRA_HOSTS"))
        crawler.signals.connect(spider.ledger.item_stored, signal=signals.item_scraped)
        crawler.signals.connect(spider.ledger.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        crawler.signals.connect(_make_only_records_a_handler_writes, signal=signals.engine_started)
        return spider

    def _on_site(self, url: str) -> bool:
        """Whether the fetch policy lets `url` be fetched (nothing logged or counted)."""
        return self.fetch_policy.allows(url)

    # --- discovery (spiders/discovery.py) ----------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.discovery.start_requests():
            yield request

    # robots.txt, sitemaps and feeds: their answer is more requests.
    _DISCOVERY_PARSERS = {"robots": "parse_robots", "sitemap": "parse_sitemap", "feed": "parse_feed"}

    def discover(self, response) -> Iterable[scrapy.Request]:
        """The callback of every robots.txt, sitemap and feed request. A single
        crawl hands the parser's requests to the backlog, which schedules them
        as the scheduler runs dry (newscrawl/backlog.py)."""
        parse = getattr(self, self._DISCOVERY_PARSERS[response.meta["discovery"]])
        return self.discovery.queue(parse(response), answered=response.request)

    def parse_robots(self, response) -> Iterator[scrapy.Request]:
        return self.discovery.robots(response)

    def robots_failed(self, failure) -> Iterable[scrapy.Request]:
        return self.discovery.robots_failed(failure)

    def parse_sitemap(self, response) -> Iterator[scrapy.Request]:
        return self.discovery.sitemap(response)

    def sitemap_failed(self, failure) -> None:
        return self.discovery.sitemap_failed(failure)

    def parse_feed(self, response) -> Iterator[scrapy.Request]:
        return self.discovery.feed(response)

    # --- article pages (spiders/article_pages.py) ----------------------------

    def parse_article(self, response) -> Iterator[scrapy.Request | ArticleItem]:
        stats = self.crawler.stats
        if response.status == 304:
            stats.inc_value("articles/not_modified")  # unchanged since we stored it: nothing to do
            self.ledger.settle(response.meta["article_id"])
            return
        if not hasattr(response, "text"):
            stats.inc_value("extract/not_html")
            logger.error("%s is not an HTML page (%s)", response.url, response.headers.get("Content-Type"))
            return
        try:
            extracted = extract_article(response.text, response.url, self.profile, captured=capture_day(response))
        except Exception as exc:  # noqa: BLE001 - a bug meets a page: count it, name it, carry on
            # Not stored and not settled: its sitemap stays open, the next run tries again.
            health.extraction_failed(stats, response.url, exc)
            return
        item = self.article_pages.item(response, extracted)
        if self.refetch.published_before_since(instant(item.published)):
            stats.inc_value("discovery/older_than_since")  # left pending: a run without `since` takes it
            return
        seen = {canonicalize_url(response.url)}
        thread = extracted.comments
        if self.comment_pages.may_be_on_amp(thread):
            yield self.comment_pages.amp_copy_request(item, seen)
            return
        yield from self.comment_pages.follow(item, thread.next_urls, seen, declared=thread.method.startswith("profile"))

    def article_failed(self, failure) -> Iterator[scrapy.Request]:
        return self.article_pages.failed(failure)

    # --- comment pages (spiders/comment_pages.py) ------------------------------

    def parse_comments(self, response, item: ArticleItem, seen: set[str], pending: list[str] | None = None
                       ) -> Iterator[scrapy.Request | ArticleItem]:
        item.comment_pages += 1
        self.crawler.stats.inc_value("comments/pages")
        if not hasattr(response, "text"):
            yield self.comment_pages.not_html(item, response)
            return
        try:
            page = extract_comments(page_selector(response.text, response.url), self.profile, response.url)
        except Exception as exc:  # noqa: BLE001 - a bug meets a page: the article is kept, the run says so
            yield self.comment_pages.unreadable(item, response, exc)
            return
        yield from self.comment_pages.read_page(item, response, page, seen, pending)

    def comments_failed(self, failure) -> Iterator[ArticleItem]:
        return self.comment_pages.page_failed(failure)

    def parse_amp_copy(self, response, item: ArticleItem, seen: set[str]) -> Iterator[scrapy.Request | ArticleItem]:
        item.comment_pages += 1
        if not hasattr(response, "text"):
            yield from self.comment_pages.follow(item, [], seen)
            return
        try:
            sel = page_selector(response.text, response.url)
            page = extract_comments(sel, self.profile, response.url)
            shown = comment_signals(sel.root, page.elements, response.url)
        except Exception as exc:  # noqa: BLE001 - a bug meets a page: the article is kept, the run says so
            yield self.comment_pages.unreadable(item, response, exc)
            return
        yield from self.comment_pages.read_amp_copy(item, response, page, shown, seen)

    def amp_copy_failed(self, failure) -> Iterator[scrapy.Request | ArticleItem]:
        return self.comment_pages.amp_copy_failed(failure)

    # --- the end of the run ---------------------------------------------------

    def _closed(self, spider, reason) -> None:
        self.ledger.record_done(self.archive_state, self.profile.name, self.crawler.stats)
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
    known = logging.Logger.manager.loggerDict.values()
    loggers = [logging.root, *(lg for lg in known if isinstance(lg, logging.Logger))]
    levels = [handler.level for logger in loggers for handler in logger.handlers
              if not isinstance(handler, logging.NullHandler)]
    if not levels:
        return
    floor = min(levels)
    for logger in loggers:
        # NOTSET on a logger other than the root means "as its parent".
        if logger.level < floor and (logger is logging.root or logger.level != logging.NOTSET):
            logger.setLevel(floor)
