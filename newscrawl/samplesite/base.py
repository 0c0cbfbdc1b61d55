"""What a model site needs from a site's renderer, and what they share.

Each site of the local model (newscrawl/samplesite/<site>.py) defines
RENDERER, a SiteRenderer: how its article URLs look and route, how a page
is written in HTML, and where its feeds are. robots.txt, the sitemaps and
RSS are shared: every modelled site publishes them the same way, through
robots.txt `Sitemap:` lines (what the spiders rely on).
"""

from __future__ import annotations

import importlib
from email.utils import format_datetime
from xml.sax.saxutils import escape as xml_escape

GZIP_BEFORE = 2008  # monthly sitemaps of earlier years are served gzipped (.xml.gz)


def renderer_for(site: str) -> SiteRenderer:
    """The renderer of a site: newscrawl/samplesite/<site>.py, RENDERER."""
    return importlib.import_module(f"newscrawl.samplesite.{site}").RENDERER


class SiteRenderer:
    name = ""
    disallow = ("/search",)  # robots.txt Disallow lines besides the site's own
    feed_paths: tuple[str, ...] = ()  # path (with query) of each feed the site serves

    # --- per site ------------------------------------------------------------

    def article_path(self, article) -> str:
        raise NotImplementedError

    def route(self, path: str, query: str) -> tuple[int, int] | None:
        """(article id, comments page) for an article URL, else None."""
        raise NotImplementedError

    def article_response(self, article, base_url: str, page: int, per_page: int) -> tuple[dict, bytes]:
        raise NotImplementedError

    def gone(self, path: str) -> bool:
        """An article URL the site answers with 404 (a moved section, say)."""
        return False

    # --- shared --------------------------------------------------------------

    def comment_pages(self, article, per_page: int) -> int:
        return max(1, -(-len(article.comments) // per_page))

    def robots_txt(self, base_url: str) -> str:
        rules = "".join(f"Disallow: {path}\n" for path in self.disallow)
        return f"User-agent: *\n{rules}\nSitemap: {base_url}/sitemaps/allsitemaps.xml\n"

    @staticmethod
    def sitemap_name(year: int, month: int) -> str:
        return f"{year}-{month:02d}.xml" + (".gz" if year < GZIP_BEFORE else "")

    @staticmethod
    def sitemap_months(model) -> dict:
        months: dict = {}
        for article in model.articles:
            months.setdefault((article.published.year, article.published.month), []).append(article)
        return dict(sorted(months.items()))

    def sitemap_index(self, model, base_url: str) -> str:
        entries = []
        for (year, month), articles in self.sitemap_months(model).items():
            newest = max(a.lastmod or a.published for a in articles)
            # Old months carry a date-only <lastmod>, as many sites write it.
            lastmod = newest.date().isoformat() if year < 2010 else newest.isoformat(timespec="seconds")
            entries.append(f"<sitemap><loc>{base_url}/sitemaps/{self.sitemap_name(year, month)}</loc>"
                           f"<lastmod>{lastmod}</lastmod></sitemap>")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                + "\n".join(entries) + "\n</sitemapindex>")

    def sitemap_month(self, model, base_url: str, year: int, month: int) -> str | None:
        articles = self.sitemap_months(model).get((year, month))
        if articles is None:
            return None
        entries = []
        for article in articles:
            lastmod = (article.lastmod or article.published).isoformat(timespec="seconds")
            paths = [*article.aliases, article.path] if article.aliases_first else [article.path, *article.aliases]
            for path in paths:
                entries.append(f"<url><loc>{xml_escape(base_url + path)}</loc><lastmod>{lastmod}</lastmod></url>")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                + "\n".join(entries) + "\n</urlset>")

    def feed_link(self, article, base_url: str) -> tuple[str, str]:
        """(link, guid) of an article in the RSS feed."""
        url = base_url + article.path
        return url, url

    def feed(self, model, base_url: str, path: str) -> str | None:
        """RSS 2.0 of the 20 newest articles, for a path in `feed_paths`."""
        if path not in self.feed_paths:
            return None
        newest = sorted((a for a in model.articles if not a.missing), key=lambda a: a.published, reverse=True)[:20]
        items = []
        for article in newest:
            link, guid = self.feed_link(article, base_url)
            items.append(
                f"<item><title>{xml_escape(article.title)}</title><link>{xml_escape(link)}</link>"
                f'<guid isPermaLink="{str(link == guid).lower()}">{xml_escape(guid)}</guid>'
                f"<pubDate>{format_datetime(article.published)}</pubDate></item>"
            )
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
                f"<title>{self.name}</title><link>{base_url}/</link>" + "".join(items) + "</channel></rss>")
