"""Comment following: an article's thread read page by page, then the item.

An article page gives the first page of its thread and the links to the
others (``comments_next``, or the detector's neighbours); each is fetched
in turn, the comments appended, and the article is yielded once, with
every comment. A site with AMP copies may print the thread on one template
only: an article page showing no sign of a thread has its AMP copy asked.
Problems (a page that failed, a link off the site, a loop, a thread too
long) are noted on the item: an incomplete thread is fetched again next run.

The spider's callbacks (parse_comments, parse_amp_copy, comments_failed,
amp_copy_failed) extract the page and hand it here; the requests made
here name those methods of the spider (a JOBDIR stores callbacks by name).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError
from w3lib.url import canonicalize_url

from newscrawl import fetch_policy
from newscrawl.exceptions import CrawlStopped
from newscrawl.fetch_policy import RefusedRequest
from newscrawl.items import ArticleItem

if TYPE_CHECKING:
    from scrapy.statscollectors import StatsCollector

    from newscrawl.spiders.base import SiteSpider

# The spider's lines keep the logger name they have always had ([newscrawl.spiders.base]),
# whichever module of the spider says them: log filters and alerts match on it.
logger = logging.getLogger("newscrawl.spiders.base")

# A thread longer than this many pages is cut (and reported): a guard
# against comment links that never end, which loop detection cannot see
# when every URL is new.
MAX_COMMENT_PAGES = 500
# Comment pages go first so an article in progress is finished (and its
# memory freed) before new articles start.
COMMENTS_PRIORITY = 10


class CommentPages:
    """Follows the comment threads of one spider's articles.

    It reads the spider's profile, fetch policy and crawler when asked, not
    once: `newscrawl reextract` swaps the fetch policy after from_crawler."""

    def __init__(self, spider: SiteSpider):
        self.spider = spider

    @property
    def stats(self) -> StatsCollector:
        return self.spider.crawler.stats

    # --- what a page of the thread gives ------------------------------------

    def read_page(self, item: ArticleItem, response, page, seen: set[str], pending: list[str] | None
                  ) -> Iterator[scrapy.Request | ArticleItem]:
        """A further comments page, extracted: its comments appended, then the next page or the item."""
        profile = self.spider.profile
        if page.method == "detector" and profile.comments is not None:
            self.stats.inc_value("comments/pages_by_detector")
        if not page.comments and not page.block_found and profile.comments is not None:
            logger.warning("%s: comments page has no comments block; thread kept as read so far", response.url)
            note(item, self.stats, "comments/page_without_block",
                 f"comments page without comments block: {response.url}", complete=False)
        for problem in page.problems:
            logger.warning("%s: %s", response.url, problem)
        append_page(item, page.comments, self.stats)
        yield from self.follow(item, page.next_urls, seen, pending, declared=page.method.startswith("profile"))

    def not_html(self, item: ArticleItem, response) -> ArticleItem:
        """A comments page that is not HTML: the thread is kept as read so far, fetched again next run."""
        note(item, self.stats, "comments/page_not_html", f"comments page is not HTML: {response.url}", complete=False)
        return item

    def unreadable(self, item: ArticleItem, response, exc: Exception) -> ArticleItem:
        """A comments page (or AMP copy) whose extraction raised: the article
        is stored with the comments read so far, its thread marked incomplete
        (read again next run), and the error counted as an article page's is
        (comments/errors/<Name>: the verdict names it, `scrapy crawl` exits 1)."""
        name = type(exc).__name__
        stats = self.stats
        stats.inc_value(f"comments/errors/{name}")
        if not stats.get_value("comments/error_sample"):
            stats.set_value("comments/error_sample", response.url)
        detail = str(exc).strip().splitlines()
        note(item, stats, "comments/page_unreadable", f"comments page {response.url}: extraction failed ({name})",
             complete=False)
        logger.error("%s: extraction of comments page %s failed (%s%s); storing %d comments read so far, "
                     "the thread is read again next run", item.url, response.url, name,
                     f": {detail[0][:200]}" if detail else "", len(item.comments))
        logger.debug("extraction of %s failed", response.url, exc_info=exc)
        return item

    def page_failed(self, failure) -> Iterator[ArticleItem]:
        """A comments page that could not be fetched: the article is stored with what was read."""
        request = failure.request
        item: ArticleItem = request.cb_kwargs["item"]
        if failure.check(RefusedRequest):
            # A comments page that redirects off the site: structural, a
            # refetch would meet the same redirect. Kept as read so far.
            note(item, self.stats, "comments/offsite_link", f"comments page not fetched: {failure.value}",
                 complete=True, cut=True)
            logger.warning("%s: %s; thread read up to it", item.url, failure.value)
            yield item
            return
        note(item, self.stats, "comments/page_failed", f"comments page failed: {request.url}: {failure.value}",
             complete=False)
        # A stopping run cancels pages it will not fetch: said once already, not an error of this page.
        logger.log(
            logging.INFO if failure.check(CrawlStopped) else logging.ERROR,
            "%s article %s: comments page %s failed (%s); storing %d comments read so far, "
            "the thread is fetched again next run",
            item.site, item.article_id, request.url, failure.value, len(item.comments),
        )
        yield item

    # --- the AMP copy ---------------------------------------------------------

    def may_be_on_amp(self, thread) -> bool:
        """A site with AMP copies may print the thread on one template only.
        A page with no comments, no comments block and no sign of a thread
        says nothing about it: the AMP copy is asked (AMP_COMMENTS_FALLBACK)."""
        spider = self.spider
        return bool(spider.profile.amp_prefix and spider.crawler.settings.getbool("AMP_COMMENTS_FALLBACK")
                    and not thread.comments and not thread.block_found and not thread.signals)

    def amp_copy_request(self, item: ArticleItem, seen: set[str]) -> scrapy.Request:
        spider = self.spider
        parts = urlsplit(item.url)
        url = urlunsplit((parts.scheme, parts.netloc, spider.profile.amp_prefix + parts.path, parts.query, ""))
        seen.add(canonicalize_url(url))
        self.stats.inc_value("comments/amp_asked")
        return scrapy.Request(
            url, callback=spider.parse_amp_copy, errback=spider.amp_copy_failed, cb_kwargs={"item": item, "seen": seen},
            dont_filter=True, priority=COMMENTS_PRIORITY, meta={"page_kind": "comments", "article_id": item.article_id},
        )

    def read_amp_copy(self, item: ArticleItem, response, page, signals, seen: set[str]
                      ) -> Iterator[scrapy.Request | ArticleItem]:
        """The AMP copy, extracted (`signals`: what it shows of a thread): its comments are the thread's."""
        profile = self.spider.profile
        if item.comments_shown is None:
            item.comments_shown = signals.shown
        failed = None
        if page.method == "detector" and profile.comments is not None:
            failed = (f"AMP copy {response.url}: the {profile.name} profile read no comment; "
                      f"the detector read {len(page.comments)}")
        elif not page.comments and signals.any:
            failed = f"AMP copy {response.url} shows comments ({', '.join(signals.sources)}) and none could be read"
        if failed:
            # As on an article page: the comments field failing, for the run's health.
            self.stats.inc_value("extract/missing/comments")
            self.spider.article_pages.save_sample(response, "comments")
            note(item, self.stats, "comments/amp_not_read", failed, complete=False)
            logger.warning("%s: %s", item.url, failed)
        if not page.comments:
            item.extraction["comments"] = "none (article page and AMP copy)"
            yield from self.follow(item, [], seen)
            return
        self.stats.inc_value("comments/from_amp")
        item.extraction["comments"] = f"AMP copy ({page.method})"
        logger.info("%s: the thread is on the AMP copy %s (%d comments)", item.url, response.url, len(page.comments))
        append_page(item, page.comments, self.stats)
        yield from self.follow(item, page.next_urls, seen, declared=page.method.startswith("profile"))

    def amp_copy_failed(self, failure) -> Iterator[scrapy.Request | ArticleItem]:
        request = failure.request
        item: ArticleItem = request.cb_kwargs["item"]
        gone = failure.check(HttpError) and failure.value.response.status in (404, 410)
        if failure.check(RefusedRequest):
            # The AMP copy redirects off the site: none to read here, as with a 404.
            logger.warning("%s: AMP copy not read: %s", item.url, failure.value)
            self.stats.inc_value("comments/amp_offsite")
        elif gone:
            self.stats.inc_value("comments/amp_missing")  # no AMP copy: the article page said it all
        else:
            # Not known whether the AMP copy holds a thread: ask again next run.
            note(item, self.stats, "comments/amp_failed", f"AMP copy failed: {request.url}: {failure.value}",
                 complete=False)
            logger.warning("%s: AMP copy %s failed (%s); asked again next run", item.url, request.url, failure.value)
        yield from self.follow(item, [], request.cb_kwargs["seen"])

    # --- the next page, or the finished item ------------------------------------

    def follow(self, item: ArticleItem, candidates: list[str], seen: set[str], pending: list[str] | None = None,
               *, declared: bool = False) -> Iterator[scrapy.Request | ArticleItem]:
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
            if self._leads_off_the_thread(item, url):
                continue
            key = canonicalize_url(url)  # after the policy's check: it raises on a link that is no URL
            if key in seen or key in queued:
                if declared:
                    logger.warning("%s article %s: comments link loops back to %s; thread ends after %d pages",
                                   item.site, item.article_id, url, item.comment_pages)
                    self.stats.inc_value("comments/loop")
            else:
                pending.append(url)
                queued.add(key)
        if pending and item.comment_pages >= MAX_COMMENT_PAGES:
            logger.warning("%s: stopping after %d comment pages", item.url, item.comment_pages)
            note(item, self.stats, "comments/too_many_pages", f"thread cut at {MAX_COMMENT_PAGES} pages",
                 complete=True, cut=True)
        elif pending:
            yield self._next_page_request(item, seen, pending)
            return
        compare_with_shown(item, self.stats)
        self.stats.inc_value("comments/threads")
        self.stats.inc_value("comments/read", len(item.comments))
        yield item

    def _leads_off_the_thread(self, item: ArticleItem, url: str) -> bool:
        """A comments link off the site, or to another article: the thread is read up to it (noted)."""
        refusal = self.spider.fetch_policy.refusal(url)
        if refusal is not None:
            # Checked by host (and scheme), not by path alone: a path with
            # the article's id may sit on any host, or behind file://.
            fetch_policy.record(self.spider.crawler, refusal, "comments", log=False)
            logger.warning("%s: comments link %s is not on the site (%s); thread read up to it", item.url, url,
                           refusal.why)
            note(item, self.stats, "comments/offsite_link", f"comments link off the site: {url}", complete=True,
                 cut=True)
            return True
        if self.spider.profile.article_id(url) != item.article_id:
            # Structural, not transient: refetching would meet the same link.
            logger.warning("%s: comments link %s leads elsewhere; thread read up to it", item.url, url)
            note(item, self.stats, "comments/foreign_link", f"comments link leads elsewhere: {url}", complete=True,
                 cut=True)
            return True
        return False

    def _next_page_request(self, item: ArticleItem, seen: set[str], pending: list[str]) -> scrapy.Request:
        next_url = pending.pop(0)
        seen.add(canonicalize_url(next_url))
        return scrapy.Request(
            next_url,
            callback=self.spider.parse_comments,
            errback=self.spider.comments_failed,
            cb_kwargs={"item": item, "seen": seen, "pending": pending},
            dont_filter=True,
            priority=COMMENTS_PRIORITY,
            meta={"page_kind": "comments", "article_id": item.article_id},
        )


def note(item: ArticleItem, stats, stat: str, problem: str, *, complete: bool, cut: bool = False) -> None:
    """Record a problem with the thread; an incomplete thread is fetched again next run.
    `cut`: read up to a point for good (a page limit, a link off the site),
    so comments archived beyond it are not taken as gone from the page."""
    stats.inc_value(stat)
    item.extraction.setdefault("problems", []).append(problem)
    if not complete:
        item.comments_complete = False
    if cut:
        item.thread_whole = False


def compare_with_shown(item: ArticleItem, stats) -> None:
    """Flag a thread whose length is not the count its page prints (pingbacks
    counted in, comments held for moderation, a thread over more pages)."""
    if item.comments_shown is None or item.comments_shown == len(item.comments):
        return
    stats.inc_value("comments/count_differs")
    item.extraction["comments_differ"] = {"shown": item.comments_shown, "read": len(item.comments)}
    logger.info("%s: the page shows %d comments, %d were read", item.url, item.comments_shown, len(item.comments))


def append_page(item: ArticleItem, comments: list[dict], stats) -> None:
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
