"""The spider arguments (`scrapy crawl <site> -a name=value`), checked once.

SpiderArguments.parse turns the strings Scrapy hands over into typed values,
or raises SpiderArgumentError with one line saying what is wrong:
`scrapy crawl` prints it and exits 2 before anything is crawled
(newscrawl/commands/crawl.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from newscrawl.dates import parse_date

# The -a names a spider takes: `scrapy crawl` refuses any other (a typo such
# as max_article=5 would otherwise crawl the whole site without a word).
ARGUMENTS = ("base_url", "refresh_days", "since", "urls", "max_articles", "feed")
# Articles published in the last this many days are fetched again for their new comments.
DEFAULT_REFRESH_DAYS = 7


class SpiderArgumentError(ValueError):
    """A spider argument (-a name=value) that cannot be used."""


@dataclass(frozen=True)
class SpiderArguments:
    """What one crawl was asked to do.

    base_url: the site's root, without a trailing slash (tests serve a copy on 127.0.0.1);
    refresh_days: recent articles fetched again for new comments (0: none);
    since: articles published before it are left out (None: all);
    urls, feeds: articles and feeds to read instead of the sitemaps, absolute;
    max_articles: discovery stops once this many articles are queued (None: no limit).
    """

    base_url: str
    refresh_days: int = DEFAULT_REFRESH_DAYS
    since: datetime | None = None
    urls: tuple[str, ...] = ()
    max_articles: int | None = None
    feeds: tuple[str, ...] = ()

    @classmethod
    def parse(cls, *, default_base_url: Callable[[str | None, str | None], str], base_url: str | None = None,
              refresh_days: int | str = DEFAULT_REFRESH_DAYS, since: str | None = None, urls: str | None = None,
              max_articles: int | str | None = None, feed: str | None = None) -> SpiderArguments:
        """Check the -a arguments; SpiderArgumentError says what is wrong in one line.

        `default_base_url(urls, feed)` gives the root when base_url is not
        given: the profile's, or (generic) the host of the first URL."""
        base = _base_url(base_url or default_base_url(urls, feed), given=base_url)
        return cls(
            base_url=base,
            refresh_days=_refresh_days(refresh_days),
            since=_since(since),
            max_articles=_max_articles(max_articles),
            urls=_absolute(base, urls),
            feeds=_absolute(base, feed),
        )


def _base_url(value: str, *, given: str | None) -> str:
    base = value.rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SpiderArgumentError(f"base_url must be an http(s) URL, got {given!r}")
    return base


def _whole_number(value: int | str, minimum: int, must_be: str) -> int:
    """`value` as an int of at least `minimum`; else the argument's own message."""
    try:
        number = int(value)
        if number < minimum:
            raise ValueError
    except (TypeError, ValueError):
        raise SpiderArgumentError(f"{must_be}, got {value!r}") from None
    return number


def _refresh_days(value: int | str) -> int:
    return _whole_number(value, 0, "refresh_days must be a whole number of days >= 0")


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    since = parse_date(value, tz="UTC")
    if since is None:
        raise SpiderArgumentError(f"since must be an ISO date such as 2024-01-31, got {value!r}")
    return since


def _max_articles(value: int | str | None) -> int | None:
    if value in (None, ""):
        return None
    return _whole_number(value, 1, "max_articles must be a whole number >= 1")


def _absolute(base: str, listed: str | None) -> tuple[str, ...]:
    """A comma-separated list of URLs, each made absolute against base_url."""
    return tuple(urljoin(base + "/", u.strip()) for u in (listed or "").split(",") if u.strip())
