"""Article pages: the item an extracted page gives, and what a failed one means.

The spider's parse_article extracts the page (newscrawl/extract.py) and
hands the result here: the run's field coverage is counted, what the
profile missed is logged (with a `newscrawl doctor` command for the first
page of each field), the URL to store it under is chosen (its canonical
link when that names the same article on the site) and the ArticleItem is
made. article_failed hands its failure here: a 404 tries the article's
other URL, a move off the site is recorded as gone, and so on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from newscrawl import archive, fetch_policy
from newscrawl.doctor import doctor_command
from newscrawl.exceptions import BlockedPage, CrawlStopped
from newscrawl.fetch_policy import OffsiteRedirect
from newscrawl.html_text import join_url
from newscrawl.items import ArticleItem

if TYPE_CHECKING:
    from scrapy.statscollectors import StatsCollector

    from newscrawl.spiders.base import SiteSpider

# The spider's lines keep the logger name they have always had ([newscrawl.spiders.base]),
# whichever module of the spider says them: log filters and alerts match on it.
logger = logging.getLogger("newscrawl.spiders.base")


class ArticlePages:
    """Makes one spider's items from its extracted article pages, and handles
    the article requests that failed. It reads the spider's profile, fetch
    policy and crawler when asked (`newscrawl reextract` swaps the policy)."""

    def __init__(self, spider: SiteSpider):
        self.spider = spider

    @property
    def stats(self) -> StatsCollector:
        return self.spider.crawler.stats

    def item(self, response, extracted) -> ArticleItem:
        """The article an extracted page gives, with its first page of comments;
        what the profile missed on it is counted and logged."""
        stats = self.stats
        stats.inc_value("extract/pages")  # the denominator of the run's field coverage
        thread = extracted.comments
        if self.spider.profile.comments is not None and not thread.block_found:
            stats.inc_value("extract/missing/comments_block")
        stats.inc_value(f"extract/comments_method/{thread.method.replace(' ', '_')}")
        if thread.problems or thread.failure:
            # A thread the page shows and the profile did not read (a block
            # with nothing readable, or comments only the detector found).
            stats.inc_value("extract/missing/comments")
            self.save_sample(response, "comments")
        self._report_problems(response, extracted)
        item = self._item(response, extracted, self._stored_url(response, extracted))
        if extracted.notes.get("body") == "trafilatura":
            stats.inc_value("extract/body_trafilatura")
        return item

    def _item(self, response, extracted, url: str) -> ArticleItem:
        thread = extracted.comments
        return ArticleItem(
            site=self.spider.site_for(url),
            article_id=response.meta["article_id"],
            url=url,
            title=extracted.title,
            subtitle=extracted.subtitle,
            body=extracted.body,
            published=extracted.published,
            author=extracted.author,
            section=extracted.section or self.spider.profile.section_from_url(url),
            tags=extracted.tags,
            comments=list(thread.comments),
            comment_pages=1,
            # A thread the profile could not read (a block with nothing readable, or
            # comments only the detector found) is stored as read so far and
            # fetched again next run, when a fixed profile may read it.
            comments_complete=not (thread.problems or thread.failure),
            comments_shown=thread.shown,
            extraction=extracted.notes,
            fetched_at=fetched_at(response),
            sitemap_lastmod=response.meta.get("sitemap_lastmod"),
            http={
                "status": response.status,
                "encoding": getattr(response, "encoding", None),
                "etag": _header(response, "ETag"),
                "last_modified": _header(response, "Last-Modified"),
            },
        )

    def _stored_url(self, response, extracted) -> str:
        """The URL to store the article under: the page's (no tracking query,
        but an id parameter kept), or its canonical link if that names the
        same article on the site."""
        spider = self.spider
        url = spider.profile.article_url(response.url)
        if not extracted.canonical:
            return url
        canonical = join_url(response.url, extracted.canonical)
        if canonical is None:  # "http://[": no URL to store the article under
            self.stats.inc_value("extract/canonical_unreadable")
            logger.warning("%s: canonical link %s is not a URL; ignoring it", response.url, extracted.canonical)
        elif not spider.fetch_policy.allows(canonical):
            # Never the stored URL: an article is archived under the site it was read from.
            self.stats.inc_value("extract/canonical_offsite")
            logger.warning("%s: canonical link %s is not on the site (%s); ignoring it", response.url,
                           extracted.canonical, spider.fetch_policy.describe())
        elif spider.profile.article_id(canonical) == response.meta["article_id"]:
            return canonical
        else:
            logger.warning("%s: canonical link %s names another article; ignoring it", response.url,
                           extracted.canonical)
        return url

    def save_sample(self, response, field: str) -> None:
        """Keep the first page of the run on which `field` failed, and say
        once how to look at it (`newscrawl doctor`)."""
        stats, spider = self.stats, self.spider
        if stats.get_value(f"health/sample/{field}"):
            return
        command = doctor_command(spider.crawler.settings, spider.name, response)
        stats.set_value(f"health/sample/{field}", command)
        logger.warning("%s: see what the %s profile matches on this page: %s", response.url, spider.profile.name,
                       command)

    def _report_problems(self, response, extracted) -> None:
        stats, url, profile = self.stats, response.url, self.spider.profile
        # A field rescued by what the page states (notes["fallback"]) is still
        # one the profile's selectors missed: counted, for the run's health.
        for name in (*extracted.notes.get("missing", ()), *extracted.notes.get("fallback", ())):
            stats.inc_value(f"extract/missing/{name}")
            self.save_sample(response, name)
        for problem in extracted.notes.get("problems", ()):
            stats.inc_value("extract/problems")
            logger.warning("%s: %s", url, problem)
        missing = extracted.notes.get("missing")
        if missing:
            logger.warning("%s: the %s profile found no %s", url, profile.name, ", ".join(missing))
        rescued = extracted.notes.get("fallback")
        if rescued:
            logger.warning("%s: the %s profile found no %s; taken from what the page states", url,
                           profile.name, ", ".join(rescued))

    # --- an article request that failed ---------------------------------------

    def failed(self, failure) -> Iterator[scrapy.Request]:
        """What a failed article request means: moved off the site or gone
        (settled, recorded as gone), another URL to try (404), or left
        pending for the next run (blocked, stopping, a network error)."""
        request = failure.request
        moved = failure.value if failure.check(OffsiteRedirect) else None
        if moved is None and failure.check(HttpError):
            # A redirect Scrapy would not follow (to file:// or another scheme)
            # arrives as an HTTP error: off the site all the same.
            moved = self._unfollowed_redirect(failure.value.response, request)
        if moved is not None:
            self._moved_offsite(moved, request)
        elif failure.check(HttpError):
            yield from self._http_error(failure.value.response.status, request)
        elif failure.check(CrawlStopped, BlockedPage):
            self.stats.inc_value("articles/not_fetched")  # stays pending: the next run fetches it
        elif failure.check(IgnoreRequest):
            self.stats.inc_value("articles/ignored")
            logger.info("article %s not fetched: %s", request.url, failure.value)
            self.spider.ledger.settle(request.meta["article_id"])  # forbidden by robots.txt (or by the fetch policy)
        else:
            self.stats.inc_value("articles/failed/network")
            logger.error("article %s failed: %s", request.url, failure.value)

    def _moved_offsite(self, moved: OffsiteRedirect, request) -> None:
        # Moved off the site: not followed, nothing stored from the other
        # host (an archived copy stays as it was). Recorded as gone, like a
        # 404, until its sitemap entry changes; the target is kept in the
        # log line and the run's stats (crawl_runs.stats: fetch_policy/moved_offsite).
        spider = self.spider
        self.stats.inc_value("articles/moved_offsite")
        fetch_policy.record_move(spider.crawler, moved.source, moved.url)
        logger.warning("article %s moved to %s, off the site (%s): not followed, not stored", moved.source,
                       moved.url, moved.why)
        article_id = request.meta["article_id"]
        spider.ledger.settle(article_id)
        spider.archive_state.mark_gone(spider.site_for(moved.source), article_id, request.meta.get("sitemap_lastmod"))

    def _http_error(self, status: int, request) -> Iterator[scrapy.Request]:
        spider, article_id = self.spider, request.meta["article_id"]
        self.stats.inc_value(f"articles/failed/http_{status}")
        url = spider.claims.next_alternate(article_id) if status in (404, 410) else None
        if url:
            logger.warning("article %s: HTTP %d; trying its other URL %s", request.url, status, url)
            yield spider.discovery.fetch_article(url, article_id, request.meta["source"],
                                                 request.meta.get("sitemap_lastmod"))
            return
        logger.error("article %s: HTTP %d", request.url, status)
        if status in (404, 410):
            spider.discovery.gone_unanswered.add(article_id)  # another URL of it may still come
            spider.ledger.settle(article_id)  # gone: nothing to retry
            spider.archive_state.mark_gone(spider.site_for(request.url), article_id,
                                           request.meta.get("sitemap_lastmod"))

    def _unfollowed_redirect(self, response, request) -> OffsiteRedirect | None:
        """The refusal for a 3xx whose Location the fetch policy refuses, or None."""
        location = response.headers.get("Location") if 300 <= response.status < 400 else None
        if not location:
            return None
        target = location.decode("latin-1")
        target = join_url(request.url, target) or target  # not a URL: the policy refuses it as written
        refusal = self.spider.fetch_policy.refusal(target)
        if refusal is None:
            return None
        moved = OffsiteRedirect(target, refusal.why, source=(request.meta.get("redirect_urls") or [request.url])[0])
        fetch_policy.record(self.spider.crawler, moved, "redirect", log=False)  # failed() logs the move
        return moved


def fetched_at(response) -> str:
    """When the page was fetched (UTC, ISO 8601): now, or the WARC record's
    date when `newscrawl reextract` replays it."""
    return archive.utc_stamp(response.meta.get("captured")) or archive.utcnow()


def capture_day(response) -> date:
    """The day the page was fetched: today, or the WARC record's date when
    `newscrawl reextract` replays it (it picks a layout for undated pages)."""
    stamp = response.meta.get("captured")
    try:
        return date.fromisoformat(stamp[:10]) if stamp else date.today()
    except ValueError:
        return date.today()


def _header(response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
