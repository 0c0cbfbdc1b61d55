"""The spider arguments (newscrawl/spiders/arguments.py), parsed on their own: no crawl.

tests/test_crawl.py runs the real command with bad ones (exit 2, one line).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from newscrawl.spiders.arguments import ARGUMENTS, DEFAULT_REFRESH_DAYS, SpiderArgumentError, SpiderArguments
from newscrawl.spiders.elaph import ElaphSpider
from newscrawl.spiders.generic import GenericSpider


def profile_root(urls, feed) -> str:
    return "https://elaph.com"


def parse(**given) -> SpiderArguments:
    return SpiderArguments.parse(default_base_url=profile_root, **given)


def test_without_arguments_the_profiles_site_is_crawled_with_the_defaults():
    assert parse() == SpiderArguments(base_url="https://elaph.com", refresh_days=DEFAULT_REFRESH_DAYS, since=None,
                                      urls=(), max_articles=None, feeds=())
    assert DEFAULT_REFRESH_DAYS == 7


def test_the_strings_scrapy_hands_over_become_values():
    got = parse(base_url="http://127.0.0.1:8000/", refresh_days="0", since="2024-01-31", max_articles="5",
                urls="/Web/News/2015/3/1.html, https://elaph.com/Web/News/2015/3/2.html,", feed="/rss.xml")
    assert got.base_url == "http://127.0.0.1:8000" and got.refresh_days == 0 and got.max_articles == 5
    assert got.since == datetime(2024, 1, 31, tzinfo=UTC)
    assert got.urls == ("http://127.0.0.1:8000/Web/News/2015/3/1.html", "https://elaph.com/Web/News/2015/3/2.html")
    assert got.feeds == ("http://127.0.0.1:8000/rss.xml",)
    assert parse(max_articles="").max_articles is None and parse(since="").since is None


def test_the_arguments_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse().refresh_days = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    "given, message",
    [
        ({"base_url": "ftp://example.org"}, "base_url must be an http(s) URL, got 'ftp://example.org'"),
        ({"base_url": "http://"}, "base_url must be an http(s) URL, got 'http://'"),
        ({"refresh_days": "-1"}, "refresh_days must be a whole number of days >= 0, got '-1'"),
        ({"refresh_days": "a week"}, "refresh_days must be a whole number of days >= 0, got 'a week'"),
        ({"since": "last tuesday-ish"}, "since must be an ISO date such as 2024-01-31, got 'last tuesday-ish'"),
        ({"max_articles": "0"}, "max_articles must be a whole number >= 1, got '0'"),
        ({"max_articles": "2.5"}, "max_articles must be a whole number >= 1, got '2.5'"),
    ],
)
def test_a_bad_argument_is_one_line_naming_it(given, message):
    with pytest.raises(SpiderArgumentError) as raised:
        parse(**given)
    assert str(raised.value) == message and isinstance(raised.value, ValueError)


def test_the_first_bad_argument_is_the_one_said():
    with pytest.raises(SpiderArgumentError, match="^base_url"):
        parse(base_url="ftp://x", refresh_days="-1", max_articles="0")
    with pytest.raises(SpiderArgumentError, match="^refresh_days"):
        parse(refresh_days="-1", since="never", max_articles="0")


def test_spiders_parse_with_their_own_default_base_url():
    assert ElaphSpider.ARGUMENTS == ARGUMENTS and "feed" in ARGUMENTS
    assert ElaphSpider.parse_arguments().base_url == "https://elaph.com"
    assert GenericSpider.parse_arguments(feed="https://example.org/feed/").base_url == "https://example.org"
    with pytest.raises(SpiderArgumentError, match="^generic needs absolute URLs"):
        GenericSpider.parse_arguments(urls="/relative/story")


def test_a_spider_has_its_arguments_as_attributes():
    spider = ElaphSpider(base_url="http://127.0.0.1:8000/", max_articles="3", urls="/Web/News/2015/3/1.html")
    assert (spider.base_url, spider.refresh_days, spider.since, spider.max_articles) == ("http://127.0.0.1:8000", 7,
                                                                                          None, 3)
    assert spider.urls == ("http://127.0.0.1:8000/Web/News/2015/3/1.html",) and spider.feeds == ()
