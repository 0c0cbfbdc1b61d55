"""`scrapy crawl alquds`: Al-Quds Al-Arabi (alquds.co.uk) articles with their reader comments.

    scrapy crawl alquds                                   # the real site, politely
    scrapy crawl alquds -a base_url=http://127.0.0.1:8000 -s ARCHIVE_DB=archive/demo.db
    scrapy crawl alquds -a urls='https://www.alquds.co.uk/?p=123456'
    scrapy crawl alquds -a feed=/?feed=rss2               # the RSS feed alone

Arguments: base_url, refresh_days (7), since, urls, max_articles, feed; see
newscrawl/spiders/arguments.py. Selectors live in newscrawl/sites/alquds.py.
"""

from newscrawl.sites.alquds import PROFILE
from newscrawl.spiders.base import SiteSpider


class AlqudsSpider(SiteSpider):
    name = "alquds"
    profile = PROFILE
