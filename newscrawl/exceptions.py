"""Exceptions shared by the spiders, middlewares and pipelines."""

from scrapy.exceptions import DropItem, IgnoreRequest


class CrawlStopped(IgnoreRequest):
    """A request dropped because the crawl is stopping (not an answer from the site)."""


class BlockedPage(IgnoreRequest):
    """The site answered with a block or captcha page instead of the page asked for."""


class DuplicateArticle(DropItem):
    """A second copy of an article already stored in this run."""
