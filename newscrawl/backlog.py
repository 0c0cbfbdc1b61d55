"""Discovery's requests, handed to Scrapy's scheduler only as it runs dry.

Scrapy drains a callback's generator at once: every request a sitemap
lists would be built and held in the scheduler (about 2 KB each, so 2 GB
for a million URLs), and every monthly sitemap of an index would be fetched
before the first article. Instead, in a single crawl the spider hands the
generator of each robots.txt, sitemap and feed callback to this backlog
(SiteSpider.discover): the entries stay where they are, in the sitemap
being read (Scrapy's Sitemap parses incrementally), until the scheduler is
empty (Scrapy's ``scheduler_empty`` signal); then up to DISCOVERY_BATCH
requests are taken from the oldest generator and scheduled.

Requests for more sitemaps (robots.txt's, an index's children) wait while
any article request is waiting, and go one at a time: the next sitemap is
asked for once the last one was answered. So memory holds about one
sitemap's body and one batch of requests whatever the size of the site,
and ``max_articles=5`` reads one monthly sitemap, not all of them.

A single crawl only. Distributed workers (REDIS_URL) yield straight into
the shared frontier, which lives in Redis, not in a worker's memory, and
whose leases need every output of a callback to be in Redis before the
callback counts as done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider

logger = logging.getLogger(__name__)

OUT = "backlog_out"  # meta key of a discovery request this backlog handed out


class _Source:
    """One callback's output, with the next request looked at but not taken yet."""

    __slots__ = ("requests", "peeked", "ended")

    def __init__(self, requests: Iterable[Request]):
        self.requests: Iterator[Request] = iter(requests)
        self.peeked: Request | None = None
        self.ended = False


def is_discovery(request: Request) -> bool:
    """A request for a sitemap, robots.txt or feed (whose answer is more requests)."""
    return bool(request.meta.get("discovery"))


class DiscoveryBacklog:
    def __init__(self, crawler, batch: int, wanted: Callable[[], bool] | None = None):
        self.crawler = crawler
        self.batch = max(1, batch)
        # Asked before a discovery request goes out: a sitemap request
        # looked at while articles were waiting may no longer be wanted
        # (max_articles reached meanwhile).
        self.wanted = wanted or (lambda: True)
        self.sources: list[_Source] = []  # oldest first
        self.out = 0  # discovery requests handed out whose answer was not read yet

    @classmethod
    def from_crawler(cls, crawler, wanted: Callable[[], bool] | None = None) -> DiscoveryBacklog:
        backlog = cls(crawler, crawler.settings.getint("DISCOVERY_BATCH"), wanted)
        crawler.signals.connect(backlog.scheduler_empty, signal=signals.scheduler_empty)
        crawler.signals.connect(backlog.spider_idle, signal=signals.spider_idle)
        return backlog

    def add(self, requests: Iterable[Request]) -> None:
        self.sources.append(_Source(requests))

    def answered(self, request: Request) -> None:
        """A discovery request handed out here was answered (or failed): the next may go."""
        if request.meta.get(OUT):
            self.out = max(0, self.out - 1)

    def __len__(self) -> int:
        return len(self.sources)

    def scheduler_empty(self) -> None:
        self.feed()

    def spider_idle(self, spider) -> None:
        # Idle: nothing is in flight, whatever was reported (a request
        # dropped without its errback must not hold discovery back for ever).
        self.out = 0
        if self.feed():
            raise DontCloseSpider

    def feed(self) -> int:
        """Schedule up to DISCOVERY_BATCH requests; how many were scheduled."""
        engine = self.crawler.engine
        if engine is None or engine.spider is None or not engine.running:
            return 0
        given = 0
        while given < self.batch:
            source = self._first(articles=True)
            if source is None and not self.out:
                source = self._first(articles=False)
            if source is None:
                break
            request, source.peeked = source.peeked, None
            if is_discovery(request):
                if not self.wanted():
                    continue  # dropped; its source ends when next asked
                request.meta[OUT] = True
                self.out += 1
            engine.crawl(request)
            given += 1
        if given:
            self.crawler.stats.inc_value("discovery/queued_lazily", given)
        return given

    def _first(self, *, articles: bool) -> _Source | None:
        """The oldest source whose next request is an article (or, with
        articles=False, a discovery request); ended sources are dropped."""
        for source in self.sources:
            if source.peeked is None and not source.ended:
                source.peeked = self._next(source)
            if source.peeked is not None and is_discovery(source.peeked) != articles:
                return source
        self.sources = [s for s in self.sources if s.peeked is not None or not s.ended]
        return None

    def _next(self, source: _Source) -> Request | None:
        while True:
            try:
                output = next(source.requests)
            except StopIteration:
                source.ended = True
                return None
            except Exception as exc:  # the callback's error, raised late: counted as Scrapy counts them
                source.ended = True
                stats = self.crawler.stats
                stats.inc_value("spider_exceptions/count")
                stats.inc_value(f"spider_exceptions/{type(exc).__name__}")
                logger.error("discovery stopped reading a sitemap or feed: %s", exc, exc_info=True)
                return None
            if isinstance(output, Request):
                return output
            if output is not None:  # discovery yields requests only; anything else is a bug, said once
                self.crawler.stats.inc_value("discovery/not_a_request")
                logger.error("discovery yielded %r, not a request; ignored", type(output).__name__)
