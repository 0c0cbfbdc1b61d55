"""Downloader middlewares: honest charset, Retry-After, and backing off when blocked.

Each is a small Scrapy component configured by settings (see settings.py).
"""

from __future__ import annotations

import codecs
import email.utils
import logging
import re
import time

import charset_normalizer
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response, TextResponse

from newscrawl.control import stop, stopping_reason
from newscrawl.exceptions import BlockedPage, CrawlStopped
from newscrawl.text import looks_like_mojibake

logger = logging.getLogger(__name__)

# request.meta key: the charset CharsetMiddleware settled a page's response on.
CHARSET_META = "newscrawl_charset"

_TAGS = re.compile(rb"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)


def visible_sample(body: bytes, limit: int = 200_000) -> bytes:
    """The page without tags, scripts and styles: what charset checks should judge."""
    return _TAGS.sub(b" ", body[:limit])


class CharsetMiddleware:
    """Make sure every HTML page is decoded with the charset its bytes are in.

    Scrapy takes the charset from the HTTP header, a BOM or <meta>, and
    guesses (charset-normalizer) only when none is declared. Old Elaph pages
    are windows-1256, sometimes under a declaration that says otherwise; read
    that way they turn into mojibake ("ÇáÍßæãÉ"). When the decoded text
    looks like mojibake, the charset is detected from the bytes instead and
    the page is decoded again; the log says so.
    """

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler) -> CharsetMiddleware:
        return cls(crawler.stats)

    def process_response(self, request, response) -> Response:
        if not isinstance(response, TextResponse) or not response.body:
            return response
        response, settled = self._settle(response)
        if settled and request is not None:
            # Kept beside the page in the WARC (newscrawl/warc.py): re-extraction reads it as the crawl did.
            request.meta[CHARSET_META] = response.encoding
        return response

    def _settle(self, response: TextResponse) -> tuple[TextResponse, bool]:
        """The response decoded with the charset its bytes are in, and
        whether one was found (False: no charset decodes it cleanly)."""
        declared = response._declared_encoding()
        sample = visible_sample(response.body)
        if response.encoding.lower().replace("-", "").replace("_", "") not in ("utf8", "ascii") and _is_utf8(sample):
            # Bytes that are valid UTF-8 with non-ASCII in them are UTF-8,
            # whatever the page says: no real windows-1256 text is.
            self.stats.inc_value("charset/declared_wrong")
            logger.warning("%s: page says %s but its bytes are UTF-8; decoding as UTF-8",
                           response.url, response.encoding)
            return response.replace(encoding="utf-8"), True
        text = sample.decode(response.encoding, errors="replace")
        if not looks_like_mojibake(text):
            if not declared:
                self.stats.inc_value("charset/detected")
            return response, True
        best = charset_normalizer.from_bytes(sample).best()
        if best is None or looks_like_mojibake(str(best)):
            self.stats.inc_value("charset/undecodable")
            logger.error("%s: cannot find a charset that decodes this page cleanly (tried %s)",
                         response.url, response.encoding)
            return response, False
        self.stats.inc_value("charset/declared_wrong" if declared else "charset/redetected")
        logger.warning(
            "%s: page %s %s but its bytes are %s; decoding as %s",
            response.url,
            "declares" if declared else "was guessed as",
            response.encoding,
            best.encoding,
            best.encoding,
        )
        return response.replace(encoding=best.encoding), True


def _is_utf8(data: bytes) -> bool:
    if data.isascii():
        return False
    try:  # incremental: the sample may end in the middle of a character
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, plus: a Retry-After header on a 429 or 503
    slows the whole site down (its download slot waits that long between
    requests; AutoThrottle eases it back as the site recovers). A wait longer
    than RETRY_AFTER_MAX is not waited out in-process: the crawl stops
    cleanly as "blocked" and the next scheduled run picks up the rest.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX")
        # Without AutoThrottle nothing eases a raised delay back: Retry-After
        # is a one-time wait, so the slot's own delay returns after the next
        # good answer.
        self.restore_delay = not settings.getbool("AUTOTHROTTLE_ENABLED")
        self.raised: dict[str, float] = {}  # slot key -> delay before the Retry-After

    def process_response(self, request, response) -> Request | Response:
        if self.raised and 200 <= response.status < 300:
            self._restore(request)
        if response.status in (429, 503) and not request.meta.get("dont_retry", False):
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if wait is not None:
                self.crawler.stats.inc_value("retry/retry_after")
                if wait > self.retry_after_max:
                    logger.error(
                        "%s asks us to wait %.0f s (Retry-After); stopping this run, above RETRY_AFTER_MAX=%.0f",
                        request.url, wait, self.retry_after_max,
                    )
                    self.crawler.stats.set_value("blocked/stopped", True)
                    stop(self.crawler, "blocked")
                    return response
                previous = slow_down(self.crawler, request, wait, f"Retry-After {wait:.0f}s")
                if previous is not None and self.restore_delay:
                    self.raised.setdefault(previous[0], previous[1])
        return super().process_response(request, response)

    def _restore(self, request) -> None:
        downloader = self.crawler.engine.downloader
        key = request.meta.get("download_slot") or downloader.get_slot_key(request)
        if key in self.raised and key in downloader.slots:
            downloader.slots[key].delay = self.raised.pop(key)


def slow_down(crawler, request, delay: float, why: str) -> tuple[str, float] | None:
    """Raise the delay of the request's download slot (the site) to `delay`.
    Returns (slot key, previous delay) when it raised it."""
    downloader = crawler.engine.downloader
    key = request.meta.get("download_slot") or downloader.get_slot_key(request)
    slot = downloader.slots.get(key)
    if slot is None or delay <= slot.delay:
        return None
    logger.warning("slowing down %s: %.1f s between requests (%s)", key, delay, why)
    previous = slot.delay
    slot.delay = delay
    return key, previous


class BlockMiddleware:
    """A site that blocks us (403, 429, or a captcha page) is slowed down for,
    then left alone: after BLOCK_STOP_AFTER blocked responses in a row the
    crawl stops with finish reason "blocked". Never evasion: no new
    User-Agent, no proxies; a person decides what happens next.
    """

    BLOCK_STATUSES = (403, 429)

    def __init__(self, crawler, stop_after: int, max_delay: float):
        self.crawler = crawler
        self.stop_after = stop_after
        self.max_delay = max_delay
        self.in_a_row = 0
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler) -> BlockMiddleware:
        settings = crawler.settings
        return cls(
            crawler,
            settings.getint("BLOCK_STOP_AFTER"),
            settings.getfloat("AUTOTHROTTLE_MAX_DELAY"),
        )

    def _is_captcha(self, request, response) -> bool:
        spider = self.crawler.spider
        profile = getattr(spider, "profile", None)
        if profile is None or not isinstance(response, TextResponse) or response.status != 200:
            return False
        if request.meta.get("page_kind") not in ("article", "comments"):
            return False
        head = response.text[:20000].lower()
        if not any(m.lower() in head for m in profile.block_markers):
            return False
        # An article page that happens to mention "captcha" still has its
        # title. (Asked only then: it parses the whole page.)
        return not any(response.css(css.split("::")[0]) for css in profile.title)

    def process_request(self, request) -> None:
        reason = stopping_reason(self.crawler)
        if reason:
            raise CrawlStopped(f"crawl stopping ({reason})")

    def process_response(self, request, response) -> Response:
        if stopping_reason(self.crawler):
            return response
        if response.status in self.BLOCK_STATUSES or self._is_captcha(request, response):
            self.in_a_row += 1
            stats = self.crawler.stats
            stats.inc_value("blocked/responses")
            stats.inc_value(f"blocked/status_{response.status}")
            downloader = self.crawler.engine.downloader
            key = request.meta.get("download_slot") or downloader.get_slot_key(request)
            slot = downloader.slots.get(key)
            current = slot.delay if slot else 1.0
            slow_down(self.crawler, request, min(max(current * 2, 5.0), self.max_delay), f"HTTP {response.status}")
            if self.in_a_row >= self.stop_after and not self.stopping:
                self.stopping = True
                logger.error(
                    "%s blocked %d responses in a row (last: HTTP %d at %s); stopping the crawl",
                    key, self.in_a_row, response.status, request.url,
                )
                stats.set_value("blocked/stopped", True)
                stop(self.crawler, "blocked")
            if response.status == 200:
                # A captcha page is no article: the spider's errback sees it.
                raise BlockedPage(f"block/captcha page instead of {request.url}")
        elif 200 <= response.status < 400 and request.meta.get("page_kind") in ("article", "comments"):
            # Only a page that was read ends a run of blocks: sitemaps are read
            # between articles (newscrawl/backlog.py), and a site that serves
            # its sitemaps but blocks every article is blocking us.
            self.in_a_row = 0
        return response


class _UnreadableTargetIsNoRedirect:
    """Scrapy's redirect middlewares raise ValueError on a target no URL
    parser reads (`Location: http://[x`: an IPv6 bracket never closed), and
    the page's request fails as if the network had: an article retried
    every run, for ever. Here the answer goes on as it came instead, as
    Scrapy does for a redirect to another scheme: a 3xx reaches the
    errback, which names where it pointed and treats it as moved off the
    site (newscrawl/spiders/article_pages.py); a page with such a meta
    refresh is read as the page it is."""

    def process_response(self, request, response, spider=None):
        try:
            return super().process_response(request, response)
        except ValueError as exc:
            logger.debug("%s: redirect target is not a URL (%s); not followed", request.url, exc)
            return response


class ReadableRedirectMiddleware(_UnreadableTargetIsNoRedirect, RedirectMiddleware):
    pass


class ReadableMetaRefreshMiddleware(_UnreadableTargetIsNoRedirect, MetaRefreshMiddleware):
    pass
