"""Does this article need fetching on this run? The incremental rules.

An article a sitemap or feed lists is fetched when the archive does not hold
it (or it answered 404/410 and its entry changed since), when its comment
thread was not read in full, when its sitemap <lastmod> is newer than the
entry it was last fetched from, or when it was published in the last
``refresh_days`` (new comments). A 304 is asked for (If-None-Match,
If-Modified-Since) only where it can be trusted. ``since`` leaves out
articles published before it.

Not to be confused with newscrawl/fetch_policy.py, which decides which
URLs may be fetched at all (http(s), the site's own hosts: the SSRF guard).
These rules decide which of the site's articles are worth fetching again,
from what the archive holds. Plain Python, no Scrapy: the spider asks, and
tests/test_refetch.py tests them with a dict for an archive.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from newscrawl.dates import parse_date, to_iso

_YEAR_MONTH = re.compile(r"^\s*(\d{4})(?:-(\d{2}))?\s*$")


class ArchivedArticles(Protocol):
    """What the rules read of the archive (newscrawl.state.SqliteState, newscrawl.redis_state.RedisState)."""

    def article(self, site: str, article_id: str) -> Mapping[str, Any] | None: ...

    def gone(self, site: str, article_id: str) -> str | None: ...


def utc_lastmod(value: str | None) -> str | None:
    """A sitemap <lastmod> (any W3C datetime form) as a comparable UTC ISO string:
    the form every <lastmod> is compared and stored in."""
    if not value:
        return None
    short = _YEAR_MONTH.match(value)  # "2015" and "2015-03" are valid W3C dates too
    if short:
        value = f"{short.group(1)}-{short.group(2) or '01'}-01"
    parsed = parse_date(value, tz="UTC")
    return parsed.astimezone(UTC).isoformat(timespec="seconds") if parsed else None


def instant(iso: str | None) -> datetime | None:
    """An ISO 8601 string as a datetime, or None when there is none or it cannot be read."""
    try:
        return datetime.fromisoformat(iso) if iso else None
    except ValueError:
        return None


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RefetchRules:
    """The rules of one run: its archive, its refresh_days and its since."""

    def __init__(self, archived: ArchivedArticles, *, refresh_days: int, since: datetime | None,
                 now: Callable[[], datetime] = _utc_now):
        self.archived = archived
        self.refresh_days = refresh_days
        self.since = since
        self._since_lastmod = since.astimezone(UTC).isoformat(timespec="seconds") if since else None
        self._now = now

    def needs_fetch(self, article_id: str, lastmod: str | None, site: str) -> bool:
        """Whether an article listed in a sitemap or feed needs fetching on this run
        (`lastmod`: its entry's, as utc_lastmod gives it, or None)."""
        state = self.archived.article(site, article_id)
        if state is None:
            gone = self.archived.gone(site, article_id)
            return gone is None or bool(lastmod and lastmod > gone)  # new, or gone until its entry changes
        if not state["comments_complete"] or not state["url"]:
            return True  # thread not read in full, or known only from an imported dump
        # Changed since the entry we last fetched it from. (Not compared with
        # when we fetched it: a date-only <lastmod> would hide a change made
        # later that day. An article fetched by refresh_days keeps the older
        # entry's <lastmod>, and costs one more fetch when its sitemap is next read.)
        if lastmod and (state["sitemap_lastmod"] is None or lastmod > state["sitemap_lastmod"]):
            return True
        published = instant(state["published"])
        cutoff = self._now() - timedelta(days=self.refresh_days)
        return bool(self.refresh_days and published and published >= cutoff)

    def validators(self, site: str, article_id: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for an article we hold, when a 304
        can be trusted: its thread was read in full and fits on the article page
        (new comments on a later page would not change the first page)."""
        state = self.archived.article(site, article_id)
        # comment_pages is NULL for articles stored before it was recorded: unknown is not one.
        if not state or not state["comments_complete"] or state["comment_pages"] != 1:
            return {}
        headers = {}
        if state["http_etag"]:
            headers["If-None-Match"] = state["http_etag"]
        if state["http_last_modified"]:
            headers["If-Modified-Since"] = state["http_last_modified"]
        return headers

    def refresh_since(self) -> str | None:
        """Archived articles published after this instant (ISO) are fetched again
        for new comments; None when refresh_days is 0. Never before `since`."""
        if not self.refresh_days:
            return None
        cutoff = self._now() - timedelta(days=self.refresh_days)
        if self.since and self.since > cutoff:
            cutoff = self.since
        return to_iso(cutoff)

    def published_before_since(self, published: datetime | None) -> bool:
        """An article (or feed item) published before `since`: left out. Undated ones are kept."""
        return bool(self.since and published and published < self.since)

    def sitemap_before_since(self, lastmod: str | None) -> bool:
        """A monthly sitemap last changed before `since` lists nothing newer: not read."""
        return bool(self._since_lastmod and lastmod and lastmod < self._since_lastmod)

    def url_before_since(self, url: str) -> bool:
        """Cheap check on the /YYYY/M/ in an article URL before fetching it: a
        URL dated before `since`'s month is left out. A URL without one is not."""
        if not self.since:
            return False
        numbers = [p for p in urlsplit(url).path.split("/") if p.isdigit()]
        if len(numbers) >= 2 and len(numbers[0]) == 4:
            return (int(numbers[0]), int(numbers[1])) < (self.since.year, self.since.month)
        return False
