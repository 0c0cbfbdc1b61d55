"""Serve the Elaph-model site on 127.0.0.1, with the behaviours a crawl must
survive: 503 before 200, 404 sitemap entries, windows-1256 pages with right,
missing and wrong charset declarations, and switches the tests turn on
(a site that blocks, rate-limits, or changes its template).

Every request is logged (`SampleSite.log`) so tests can check what the
crawler asked for: that robots.txt was obeyed, that an unchanged article
was not fetched again, how far apart requests were.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import re
import time
from dataclasses import dataclass, field
from datetime import UTC
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from newscrawl.samplesite.base import renderer_for
from newscrawl.samplesite.local_server import LocalServer
from newscrawl.samplesite.model import SiteModel

MONTH_SITEMAP = re.compile(r"^/sitemaps/(\d{4})-(\d{2})\.xml(\.gz)?$")


@dataclass
class Hit:
    method: str
    path: str  # with query string
    status: int
    time: float
    user_agent: str
    headers: dict = field(default_factory=dict)


# What a site redesign does to the markup the profile knows.
REDESIGN = [
    (b'class="article-title"', b'class="headline"'),
    (b'class="content-body"', b'class="story-text"'),
    (b'class="article-subtitle"', b'class="standfirst"'),
    (b'class="comments" id="comments"', b'class="reader-notes"'),
    (b'<meta property="og:title"', b'<meta name="x-title"'),
]


def _not_modified(headers_in, validators: dict) -> bool:
    match = headers_in.get("If-None-Match")
    if match is not None:
        return validators["ETag"] in [m.strip() for m in match.split(",")]
    since = headers_in.get("If-Modified-Since")
    if since:
        try:
            changed = email.utils.parsedate_to_datetime(validators["Last-Modified"])
            return changed <= email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


class SampleSite(LocalServer):
    """The model site, served from a background thread.

        site = SampleSite(generate_site()).start()
        ... crawl site.base_url ...
        site.stop()
    """

    thread_name = "samplesite"

    def __init__(self, model: SiteModel, host: str = "127.0.0.1", port: int = 0):
        self.model = model
        self.renderer = renderer_for(model.site)
        self.flaky_left = {a.article_id: a.flaky for a in model.articles if a.flaky}
        self.flaky_status = 503  # what a flaky article answers before the page (503 or 429)
        # Switches for tests.
        self.block_status: int | None = None  # answer every article/comments page with this status
        self.retry_after: str | None = None  # Retry-After header sent with block_status
        self.captcha = False  # answer article pages with a captcha page (status 200)
        self.delay = 0.0  # seconds to wait before each answer
        self.fail_paths: dict[str, int] = {}  # path+query substring -> status to answer instead
        self.padding: dict[int, int] = {}  # article id -> bytes of padding (a huge page)
        self.strip_title: set[int] = set()  # article ids served without a title (a template change)
        self.conditional = True  # send ETag/Last-Modified and answer conditional GETs with 304
        self.new_template = False  # a redesign: the same content under other class names
        self.new_comment_template = False  # only the comment items renamed
        self.thread_on_amp_only = False  # article pages without the thread; their AMP copies (/amp/...) with it
        self.etag_page_only = False  # validators cover what the page shows, not the whole thread
        super().__init__(host, port)
        self.log: list[Hit]

    # --- what the tests ask -------------------------------------------------

    def hits(self, pattern: str = "") -> list[Hit]:
        regex = re.compile(pattern)
        with self.lock:
            return [h for h in self.log if regex.search(h.path)]

    def article_hits(self) -> list[Hit]:
        """Requests for article pages (first page of a thread, any URL form)."""
        hits = []
        for hit in self.hits():
            parts = urlsplit(hit.path)
            routed = self.renderer.route(parts.path, parts.query)
            if routed and routed[1] == 1 and "page=" not in parts.query:
                hits.append(hit)
        return hits

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()

    # --- answering ------------------------------------------------------------

    def respond(self, method: str, raw_path: str, headers_in) -> tuple[int, dict, bytes]:
        parts = urlsplit(raw_path)
        path = parts.path
        listing = self._listing(path, parts.query)
        if listing is not None:
            return listing
        for fragment, status in self.fail_paths.items():
            if fragment in raw_path:
                return status, {"Content-Type": "text/html"}, b"<html><body>Internal Server Error</body></html>"
        routed = self.renderer.route(path, parts.query)
        if routed is None:
            return self._not_found()
        article_id, page = routed
        article = next((a for a in self.model.articles if a.article_id == article_id), None)
        if article is None or article.missing or self.renderer.gone(path):
            return self._not_found()
        refusal = self._refusal(article)
        if refusal is not None:
            return refusal
        if page < 1 or page > self.renderer.comment_pages(article, self.model.comments_per_page):
            return self._not_found()
        validators = self._validators(article, page, self.model.comments_per_page if self.etag_page_only else None)
        if self.conditional and _not_modified(headers_in, validators):
            return 304, validators, b""
        status, headers, body = self._article_page(article, page)
        if self.conditional:
            headers = {**headers, **validators}
        return status, headers, self._switched(article, page, path, body)

    def _listing(self, path: str, query: str) -> tuple[int, dict, bytes] | None:
        """robots.txt, a sitemap or a feed; None for any other path."""
        base = self.base_url
        renderer = self.renderer
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, renderer.robots_txt(base).encode()
        if path == "/sitemaps/allsitemaps.xml":
            return 200, {"Content-Type": "application/xml"}, renderer.sitemap_index(self.model, base).encode()
        feed = renderer.feed(self.model, base, path + (f"?{query}" if query else ""))
        if feed is not None:
            return 200, {"Content-Type": "application/rss+xml; charset=utf-8"}, feed.encode()
        month = MONTH_SITEMAP.match(path)
        if month:
            year, number = int(month.group(1)), int(month.group(2))
            xml = renderer.sitemap_month(self.model, base, year, number)
            if xml is None or path != f"/sitemaps/{renderer.sitemap_name(year, number)}":
                return self._not_found()
            if month.group(3):
                return 200, {"Content-Type": "application/x-gzip"}, gzip.compress(xml.encode(), mtime=0)
            return 200, {"Content-Type": "application/xml"}, xml.encode()
        return None

    def _refusal(self, article) -> tuple[int, dict, bytes] | None:
        """What the switches answer instead of an article page (blocked, a
        captcha, a flaky article's failures before the page); None for the page."""
        if self.block_status:
            extra = {"Retry-After": self.retry_after} if self.retry_after else {}
            return (self.block_status, {"Content-Type": "text/html", **extra},
                    b"<html><body>Too many requests</body></html>")
        if self.captcha:
            page = ("<html><head><title>Attention Required</title></head>"
                    "<body><h2>Please complete the captcha</h2></body></html>")
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()
        with self.lock:
            left = self.flaky_left.get(article.article_id, 0)
            if left:
                self.flaky_left[article.article_id] = left - 1
                return (self.flaky_status, {"Content-Type": "text/html", "Retry-After": "1"},
                        b"<html><body>Try again later</body></html>")
        return None

    def _switched(self, article, page: int, path: str, body: bytes) -> bytes:
        """An article page as the switches change it: a redesign, renamed
        comment items, the thread on the AMP copy only, no title, padding."""
        if self.new_template:
            for old, new in REDESIGN:
                body = body.replace(old, new)
        if self.new_comment_template:
            body = body.replace(b'<li class="comment"', b'<li class="reader-reply"')
        if self.thread_on_amp_only and page == 1 and not path.lower().startswith("/amp/"):
            body = re.sub(rb'<section class="comments".*?</section>', b"", body, flags=re.S)
        if article.article_id in self.strip_title:
            # No headline anywhere: not in the template's <h1>, og:title or <title>.
            body = re.sub(rb'<h1 class="article-title">.*?</h1>|<meta property="og:title"[^>]*>|<title>.*?</title>',
                          b"", body, flags=re.S)
        if article.article_id in self.padding:
            body = body.replace(b"</body>", b"<!--" + b"x" * self.padding[article.article_id] + b"--></body>")
        return body

    @staticmethod
    def _validators(article, page: int, per_page: int | None = None) -> dict:
        """ETag and Last-Modified of a page. By default they change whenever the
        article or any of its comments do; with `per_page`, only with the
        comments that page shows (and the article), as many real sites do."""
        if per_page:
            shown = article.comments[(page - 1) * per_page : page * per_page]
            changed = max([article.published, *(c.posted_at for c in shown)])
            state = f"{changed.isoformat()}/{[c.comment_id for c in shown]}"
        else:
            changed = article.lastmod or article.published
            state = f"{changed.isoformat()}/{len(article.comments)}"
        tag = hashlib.sha1(f"{article.article_id}/{page}/{state}".encode()).hexdigest()[:16]
        return {"ETag": f'"{tag}"', "Last-Modified": email.utils.format_datetime(changed.astimezone(UTC), usegmt=True)}

    def _article_page(self, article, page: int) -> tuple[int, dict, bytes]:
        headers, body = self.renderer.article_response(article, self.base_url, page, self.model.comments_per_page)
        return 200, headers, body

    @staticmethod
    def _not_found() -> tuple[int, dict, bytes]:
        return 404, {"Content-Type": "text/html; charset=utf-8"}, "<html><body>الصفحة غير موجودة</body></html>".encode()

    def _handler_class(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                if site.delay:
                    time.sleep(site.delay)
                status, headers, body = site.respond("GET", self.path, self.headers)
                with site.lock:
                    site.log.append(
                        Hit("GET", self.path, status, time.time(), self.headers.get("User-Agent", ""),
                            dict(self.headers))
                    )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):  # quiet: the log list is the record
                pass

        return Handler
