"""`scrapy crawl elaph`: Elaph (elaph.com) articles with their reader comments.

    scrapy crawl elaph                                  # the real site, politely
    scrapy crawl elaph -a base_url=http://127.0.0.1:8000 -s ARCHIVE_DB=archive/demo.db
    scrapy crawl elaph -a urls=https://elaph.com/Web/News/2015/3/994567.html
    scrapy crawl elaph -a since=2025-01-01 -a max_articles=100

Arguments: base_url, refresh_days (7), since, urls, max_articles; see
newscrawl/spiders/arguments.py. Selectors live in newscrawl/sites/elaph.py.
"""

from newscrawl.sites.elaph import PROFILE
from newscrawl.spiders.base import SiteSpider


class ElaphSpider(SiteSpider):
    name = "elaph"
    profile = PROFILE
