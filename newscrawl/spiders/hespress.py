"""`scrapy crawl hespress`: Hespress (hespress.com) articles with their reader comments.

    scrapy crawl hespress                                   # the real site, politely
    scrapy crawl hespress -a base_url=http://127.0.0.1:8000 -s ARCHIVE_DB=archive/demo.db
    scrapy crawl hespress -a feed=/feed                     # the RSS feed only, no sitemaps
    scrapy crawl hespress -a since=2025-01-01 -a max_articles=100

Arguments: base_url, refresh_days (7), since, urls, max_articles, feed; see
newscrawl/spiders/arguments.py. Selectors live in newscrawl/sites/hespress.py.
"""

from newscrawl.sites.hespress import PROFILE
from newscrawl.spiders.base import SiteSpider


class HespressSpider(SiteSpider):
    name = "hespress"
    profile = PROFILE
