"""`scrapy crawl generic`: any other news site, article by article.

    scrapy crawl generic -a urls=https://example.org/2024/05/01/some-story/,https://...
    scrapy crawl generic -a feed=https://example.org/feed/

Trafilatura reads title, body and date; common comment markups are tried
(newscrawl/sites/generic.py). Articles are archived under the site name of
their host (example.org) with an id made from the URL. No sitemap
discovery and no refresh of older articles: a generic crawl fetches what
it is given, politely, as every spider does (robots.txt, one request at a
time per host, >= 1 s apart).

It fetches only from the hosts of the URLs and feeds it was given (each
with its www./bare twin, and FETCH_EXTRA_HOSTS): a feed item, a redirect, a
canonical or a comments link on another host is refused and logged
(newscrawl/fetch_policy.py).
"""

from urllib.parse import urlsplit

from newscrawl.fetch_policy import FetchPolicy
from newscrawl.sites.generic import PROFILE
from newscrawl.spiders.arguments import SpiderArgumentError
from newscrawl.spiders.base import SiteSpider


class GenericSpider(SiteSpider):
    name = "generic"
    profile = PROFILE

    def site_policy(self) -> FetchPolicy:
        # Bound to what it was given, not to any host a page names.
        return FetchPolicy.for_urls([self.base_url, *self.urls, *self.feeds])

    @classmethod
    def default_base_url(cls, urls, feed) -> str:
        first = next((u.strip() for u in f"{urls or ''},{feed or ''}".split(",") if u.strip()), "")
        parts = urlsplit(first)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SpiderArgumentError("generic needs absolute URLs: -a urls=https://... or -a feed=https://...")
        return f"{parts.scheme}://{parts.netloc}"

    def site_for(self, url: str) -> str:
        return (urlsplit(url).hostname or "unknown").removeprefix("www.")

    def archived_sites(self) -> list[str]:
        return []  # nothing to refresh: a generic crawl fetches what it is given
