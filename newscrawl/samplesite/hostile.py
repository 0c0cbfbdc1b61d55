"""A hostile site and "another host", both on 127.0.0.1, for the fetch policy's tests.

`RecordingServer` answers from a table of routes and logs every request it
gets, with the Host header it was sent for: the same server reached as
``localhost:<port>`` and as ``127.0.0.1:<port>`` shows which name the
crawler used. Started on another port, a second RecordingServer stands in
for another host: any line in its log is a request that left the site.

`hostile_elaph` fills a site's routes with what a site (or whoever
controls one of its pages) may use to steer a crawler elsewhere: robots.txt
``Sitemap:`` lines, sitemap-index ``<loc>`` entries and urlset entries
pointing at the other host, at ``localhost``, at ``file://``; article pages
that redirect (302, 301, a meta refresh, a chain) off the site; a canonical
link and comments "next" links on another host or behind ``file://``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from newscrawl.samplesite.local_server import LocalServer

Route = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True)
class Hit:
    host: str  # the Host header: which name the client used
    path: str  # with its query
    status: int


class RecordingServer(LocalServer):
    """Serve `routes` (path with query -> (status, headers, body)); anything
    else gets `default(path)`, or a 404. Every request is logged (`log`)."""

    thread_name = "recording-server"

    def __init__(self, routes: dict[str, Route] | None = None, *, default=None, port: int = 0):
        self.routes: dict[str, Route] = dict(routes or {})
        self.default = default
        super().__init__("127.0.0.1", port)
        self.log: list[Hit]

    def hits(self) -> list[Hit]:
        with self.lock:
            return list(self.log)

    def respond(self, path: str) -> Route:
        if path in self.routes:
            return self.routes[path]
        if self.default is not None:
            return self.default(path)
        return 404, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body>not found</body></html>"

    def _handler_class(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                status, headers, body = site.respond(self.path)
                with site.lock:
                    site.log.append(Hit(self.headers.get("Host", ""), self.path, status))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):  # quiet: the log list is the record
                pass

        return Handler


# --- pages --------------------------------------------------------------------

HTML = {"Content-Type": "text/html; charset=utf-8"}
XML = {"Content-Type": "application/xml"}


def article_page(article_id: int, *, canonical: str = "", next_link: str = "", head: str = "",
                 comment: str = "تعليق أول", comment_id: int = 1) -> bytes:
    """An article page the Elaph profile reads in full (title, date, body, one comment)."""
    link = f'<link rel="canonical" href="{html.escape(canonical)}">' if canonical else ""
    more = f'<a class="comments-next" href="{html.escape(next_link)}">المزيد من التعليقات</a>' if next_link else ""
    return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8">{head}
<title>مقال رقم {article_id} | إيلاف</title>{link}
<meta property="article:published_time" content="2015-03-24T10:00:00+03:00">
</head><body><main><article>
<h1 class="article-title">عنوان المقال رقم {article_id}</h1>
<div class="article-meta"><span class="article-author">كاتب</span>\
<time datetime="2015-03-24T10:00:00+03:00">24 مارس 2015</time></div>
<div class="content-body"><p>هذا نص المقال رقم {article_id}، وهو نص عربي يكفي ليكون جسم المقال.</p>
<p>فقرة ثانية من نص المقال للتأكد من أن الجسم يقرأ كاملا.</p></div>
</article>
<section class="comments" id="comments"><h3 class="comments-title">التعليقات</h3>
<ol class="comments-list"><li class="comment" id="comment-{article_id * 100 + comment_id}">\
<h4 class="comment-title">عنوان</h4>
<div class="comment-meta"><span class="comment-author">قارئ</span>\
<time class="comment-date" datetime="2015-03-24T12:00:00+03:00">24 مارس 2015</time></div>
<div class="comment-body">{comment}</div></li></ol>
{more}
</section></main></body></html>""".encode()


def urlset(urls: list[str]) -> bytes:
    entries = "".join(f"<url><loc>{html.escape(u)}</loc><lastmod>2015-03-25T00:00:00+00:00</lastmod></url>\n"
                      for u in urls)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{entries}</urlset>\n").encode()


def sitemap_index(urls: list[str]) -> bytes:
    entries = "".join(f"<sitemap><loc>{html.escape(u)}</loc></sitemap>\n" for u in urls)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{entries}</sitemapindex>\n").encode()


def redirect(status: int, location: str) -> Route:
    return status, {"Location": location, **HTML}, b"<html><body>moved</body></html>"


def tempting(path: str) -> Route:
    """What the other host answers to anything: a page worth storing, were it fetched."""
    if path == "/robots.txt":
        return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
    if path.endswith(".xml"):
        return 200, XML, urlset([f"http://127.0.0.1:1/Web/News/2015/3/{n}.html" for n in (901, 902)])
    return 200, HTML, article_page(999, comment="صفحة من مضيف آخر")


def article_path(article_id: int, section: str = "News") -> str:
    return f"/Web/{section}/2015/3/{article_id}.html"


@dataclass
class Hostile:
    """What `hostile_elaph` put on the site, for the test's checks."""

    stored: dict[int, str]  # article id -> the URL it must be stored under
    moved: dict[str, str]  # article URL -> where it redirects off the site
    file_urls: list[str]  # every file:// URL the site names
    comment_links_off_site: int  # comments "next" links that must not be followed


def hostile_elaph(site: RecordingServer, other: RecordingServer, secret: str) -> Hostile:
    """Put the hostile Elaph-like site's routes on `site`; `other` is the other
    host; `secret` a local file's path nothing may read."""
    s, o = site.base_url, other.base_url
    alias = f"http://localhost:{site.port}"  # the same server under another host name
    files = [f"file://{secret}", "file:///etc/passwd"]
    routes: dict[str, Route] = {}
    routes["/robots.txt"] = (200, {"Content-Type": "text/plain"}, "\n".join([
        "User-agent: *", "Allow: /",
        f"Sitemap: {s}/sitemaps/index.xml",
        f"Sitemap: {o}/sitemaps/robots-other.xml",
        f"Sitemap: {alias}/sitemaps/robots-alias.xml",
        *(f"Sitemap: {f}" for f in files),
    ]).encode() + b"\n")
    routes["/sitemaps/index.xml"] = (200, XML, sitemap_index([
        f"{s}/sitemaps/2015-03.xml",
        f"{o}/sitemaps/index-other.xml",
        f"{alias}/sitemaps/index-alias.xml",
        f"{s}/sitemaps/redirected.xml",
        *files,
    ]))
    routes["/sitemaps/redirected.xml"] = redirect(302, f"{o}/sitemaps/redirect-target.xml")

    stored: dict[int, str] = {}
    moved: dict[str, str] = {}
    listed: list[str] = []

    def page(article_id: int, body: Route, *, section: str = "News") -> str:
        path = article_path(article_id, section)
        routes[path] = body
        return s + path

    # 101: a thread over two pages on the site; page 2's "next" is the same
    # article's path on the other host (a path check alone would follow it).
    listed.append(page(101, (200, HTML, article_page(101, canonical=s + article_path(101),
                                                      next_link=article_path(101) + "?cpage=2"))))
    routes[article_path(101) + "?cpage=2"] = (200, HTML, article_page(
        101, next_link=f"{o}{article_path(101)}?cpage=3", comment="تعليق ثان", comment_id=2))
    stored[101] = s + article_path(101)
    # Redirects off the site: another port, another host name, a meta
    # refresh, a scheme-relative Location, a chain that leaves on its 2nd hop.
    for article_id, route, target in [
        (102, None, f"{o}{article_path(102)}"),
        (103, None, f"{alias}{article_path(103)}"),
        (110, "refresh", f"{o}{article_path(110)}"),
        (111, "scheme-relative", f"http://127.0.0.1:{other.port}{article_path(111)}"),
        (113, "chain", f"{o}{article_path(113)}"),
    ]:
        if route == "refresh":
            body = (200, HTML, article_page(article_id, head=f'<meta http-equiv="refresh" content="0; url={target}">'))
        elif route == "scheme-relative":
            body = redirect(302, f"//127.0.0.1:{other.port}{article_path(article_id)}")
        elif route == "chain":
            body = redirect(302, s + article_path(article_id, "Politics"))
            routes[article_path(article_id, "Politics")] = redirect(302, target)
        else:
            body = redirect(302 if article_id == 102 else 301, target)
        url = page(article_id, body)
        listed.append(url)
        moved[url] = target
    # 104: a redirect on the site is followed, and stored under where it led.
    listed.append(page(104, redirect(302, s + article_path(104, "World"))))
    routes[article_path(104, "World")] = (200, HTML, article_page(104))
    stored[104] = s + article_path(104, "World")
    # 105, 106: listed on the other host and behind file://.
    listed += [o + article_path(105), f"file://{article_path(106)}", *files]
    # 107: canonical on the other host; stored under the site's URL.
    listed.append(page(107, (200, HTML, article_page(107, canonical=o + article_path(107)))))
    stored[107] = s + article_path(107)
    # 108, 109: comments "next" behind file:// and on localhost (same port).
    listed.append(page(108, (200, HTML, article_page(108, next_link=f"file://{article_path(108)}?cpage=2"))))
    listed.append(page(109, (200, HTML, article_page(109, next_link=f"{alias}{article_path(109)}?cpage=2"))))
    stored[108], stored[109] = s + article_path(108), s + article_path(109)
    # 112: a redirect to file:// (Scrapy does not follow it; nothing reads the file).
    listed.append(page(112, redirect(302, "file:///etc/passwd")))
    moved[s + article_path(112)] = "file:///etc/passwd"
    # 114, 115: links no URL parser can read (an unclosed IPv6 bracket): a
    # canonical link (and one in a comment), a comments "next" link; such an
    # entry in the sitemap, and a redirect to one (117). The articles are
    # stored; the sitemap entry and the redirect are refusals.
    listed.append(page(114, (200, HTML, article_page(114, canonical="http://[oops/Web/News/2015/3/114.html",
                                                      comment='انظر <a href="http://[oops/">هنا</a>'))))
    listed.append(page(115, (200, HTML, article_page(115, next_link="http://[oops/Web/News/2015/3/115.html?cpage=2"))))
    stored[114], stored[115] = s + article_path(114), s + article_path(115)
    listed.append("http://[oops/Web/News/2015/3/116.html")
    listed.append(page(117, redirect(302, "http://[oops/Web/News/2015/3/117.html")))
    moved[s + article_path(117)] = "http://[oops/Web/News/2015/3/117.html"
    # 118: a meta refresh to no URL: the page is read as it is.
    listed.append(page(118, (200, HTML, article_page(118, head='<meta http-equiv="refresh" content="0; url=http://[oops/">'))))
    stored[118] = s + article_path(118)
    routes["/sitemaps/2015-03.xml"] = (200, XML, urlset(listed))
    site.routes.update(routes)
    return Hostile(stored=stored, moved=moved, file_urls=files, comment_links_off_site=4)


def hostile_feed(site: RecordingServer, other: RecordingServer) -> dict[str, str]:
    """A feed for `scrapy crawl generic -a feed=...`: items on the site, on
    the other host, on localhost, behind file://; one on-site item that
    redirects off the site; one whose canonical names the other host.
    Returns the on-site stories that must be stored (path -> URL)."""
    s, o = site.base_url, other.base_url
    alias = f"http://localhost:{site.port}"
    links = [f"{s}/story/1/", f"{o}/story/2/", f"{alias}/story/3/", "file:///etc/passwd", f"{s}/story/4/",
             f"{s}/story/5/"]
    items = "".join(f"<item><title>خبر {n}</title><link>{html.escape(u)}</link>"
                    f"<pubDate>Tue, 24 Mar 2015 10:00:00 +0000</pubDate></item>\n" for n, u in enumerate(links, 1))
    site.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml; charset=utf-8"},
                                f'<?xml version="1.0" encoding="UTF-8"?>\n'
                                f'<rss version="2.0"><channel><title>t</title>\n'
                                f"{items}</channel></rss>\n".encode())
    site.routes["/robots.txt"] = (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n")
    site.routes["/story/1/"] = (200, HTML, article_page(1, canonical=f"{o}/story/1/"))
    site.routes["/story/4/"] = redirect(302, f"{o}/story/4/")
    site.routes["/story/5/"] = (200, HTML, article_page(5))
    return {"/story/1/": f"{s}/story/1/", "/story/5/": f"{s}/story/5/"}
