"""The ceiling: a bare Scrapy spider that only downloads a list of URLs.

Run by crawl_bench.py with `scrapy runspider` from outside the project, so
that none of the project's settings, middlewares or pipelines take part.
"""

import scrapy


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, urls_file: str, **kwargs):
        super().__init__(**kwargs)
        with open(urls_file, encoding="utf-8") as f:
            self.urls = [line.strip() for line in f if line.strip()]

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, dont_filter=True)

    def parse(self, response):
        self.crawler.stats.inc_value("bare/bytes", len(response.body))
