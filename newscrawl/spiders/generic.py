"""`scrapy crawl generic`: any other news site, article by article.

    scrapy crawl generic -a urls=https://example.org/2024/05/01/some-story/,https://...
    scrapy crawl generic -a feed=https://example.org/feed/

Trafilatura reads title, body and date; common comment markups are tried
(newscrawl/sites/generic.py). Articles are archived under the site name of
their host (example.org) with an id made from the URL. No sitemap
discovery and no refresh of older articles: a generic crawl fetches what
it is given, politely, as every spider does (robots.txt, one request at a
time per host, >= 1 s apart).
"""

from urllib.parse import urlsplit

from newscrawl.sites.generic import PROFILE
from newscrawl.spiders.base import SiteSpider, SpiderArgumentError


class GenericSpider(SiteSpider):
    name = "generic"
    profile = PROFILE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed_domains = []  # any host the arguments name

    @classmethod
    def default_base_url(cls, urls, feed):
        first = next((u.strip() for u in f"{urls or ''},{feed or ''}".split(",") if u.strip()), "")
        parts = urlsplit(first)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SpiderArgumentError("generic needs absolute URLs: -a urls=https://... or -a feed=https://...")
        return f"{parts.scheme}://{parts.netloc}"

    def site_for(self, url: str) -> str:
        return (urlsplit(url).hostname or "unknown").removeprefix("www.")

    def archived_sites(self) -> list[str]:
        return []  # nothing to refresh: a generic crawl fetches what it is given

    def _on_site(self, url: str) -> bool:
        return urlsplit(url).scheme in ("http", "https")
