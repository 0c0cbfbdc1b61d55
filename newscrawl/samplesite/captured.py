"""Serve captured real pages on 127.0.0.1, each at a path of its site's pattern.

The model sites (the rest of this package) are the project's own guesses of
a site's markup; captured pages are the real thing. Nothing here knows a
page: the caller maps URL paths (with a query where it is the identity,
"/?p=123") to files.

    with CapturedSite({"/story/2020/8/24/4942357.html": Path("youm7-2020.html")}) as site:
        ... scrapy crawl generic -a urls=site.base_url + "/story/2020/8/24/4942357.html" ...

robots.txt allows everything; any other path is a 404. Every request is
logged (`site.log`: (path, status)).
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

from newscrawl.samplesite.local_server import LocalServer


class CapturedSite(LocalServer):
    thread_name = "captured-site"

    def __init__(self, pages: dict[str, Path | bytes], *, charset: str = "utf-8", host: str = "127.0.0.1",
                 port: int = 0):
        self.pages = dict(pages)
        self.charset = charset  # sent in Content-Type, as a real server would
        super().__init__(host, port)
        self.log: list[tuple[str, int]]

    def respond(self, raw_path: str) -> tuple[int, str, bytes]:
        path = urlsplit(raw_path).path
        if path == "/robots.txt":
            return 200, "text/plain; charset=utf-8", b"User-agent: *\nAllow: /\n"
        # A page may be served at a path with its query (WordPress's /?p=123).
        page = self.pages.get(raw_path) or self.pages.get(path)
        if page is None:
            return 404, "text/html; charset=utf-8", b"<html><body>not found</body></html>"
        body = page if isinstance(page, bytes) else Path(page).read_bytes()
        return 200, f"text/html; charset={self.charset}", body

    def _handler_class(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                status, content_type, body = site.respond(self.path)
                with site.lock:
                    site.log.append((self.path, status))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):  # quiet: the log list is the record
                pass

        return Handler
