"""What a site profile is: everything site-specific, declared in one place.

A profile names the site's URLs (how an article URL looks, where its id sits,
where the sitemaps are) and the Parsel selectors for every field. The
extraction code (newscrawl/extract.py) and the spiders read profiles; they
hold no selector of their own, so a template change is a one-file diff.

Selector convention: a CSS selector ending in ``::attr(name)`` yields that
attribute's value; any other CSS selector yields elements, whose text is
taken with ``<br>`` and block boundaries read as spaces (or, for the body,
as line breaks). Each field takes a tuple of selectors, tried in order; the
first that yields a non-empty value wins, and its index is recorded in the
extraction notes so a fallback in use is visible. Where two templates of a
site are both in use (old and new WordPress themes), one CSS selector list
("ol#commentlist, ol.comment-list") accepts either.

Adding a site: copy newscrawl/sites/elaph.py to newscrawl/sites/<name>.py,
change what differs, and add a two-line spider in newscrawl/spiders/; the
registry finds the profile by itself.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qs, urlsplit, urlunsplit


@dataclass(frozen=True)
class CommentSelectors:
    block: str  # the whole comments section of a page
    item: str  # one comment inside the block
    site_id: str  # attribute carrying the site's comment id
    site_id_pattern: str  # regex; group 1 is the id
    title: tuple[str, ...]
    author: tuple[str, ...]
    text: str  # element(s) holding the comment text
    posted_at: tuple[str, ...]  # machine-readable date first, shown text last
    next_page: str  # link to the next page of the same thread ("" when all comments are on one page)
    header: str = ""  # the block's own heading (not a comment)
    likes: tuple[str, ...] = ()  # a comment's net likes (may be negative)


@dataclass(frozen=True)
class Layout:
    """One template of a site and the days it was in use, as Fundus versions
    its parsers (VALID_UNTIL). A field left None is the profile's own.

    The extraction picks the layout whose period holds the article's
    publication date (read with every layout's date selectors), or, for a
    page without a readable date, the day it was captured."""

    name: str
    valid_from: date | None = None  # None: since the site began
    valid_until: date | None = None  # None: still in use
    title: tuple[str, ...] | None = None
    subtitle: tuple[str, ...] | None = None
    body: tuple[str, ...] | None = None
    body_exclude: tuple[str, ...] | None = None
    published: tuple[str, ...] | None = None
    author: tuple[str, ...] | None = None
    section: tuple[str, ...] | None = None
    canonical: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    comments: CommentSelectors | None = None

    def covers(self, day: date) -> bool:
        return (self.valid_from is None or day >= self.valid_from) and (
            self.valid_until is None or day <= self.valid_until)

    @property
    def period(self) -> str:
        start = self.valid_from.isoformat() if self.valid_from else "…"
        end = self.valid_until.isoformat() if self.valid_until else "today"
        return f"{self.name}, {start} to {end}"


_LAYOUT_FIELDS = tuple(f.name for f in dataclasses.fields(Layout)
                       if f.name not in ("name", "valid_from", "valid_until"))


@dataclass(frozen=True)
class SiteProfile:
    name: str
    base_url: str
    layout_period: str  # which template this profile was written against
    # Article URL path (after the host); group "id" is the article's identity.
    article_path: str
    # Sitemaps to use when robots.txt names none (paths relative to base_url).
    sitemap_paths: tuple[str, ...]
    title: tuple[str, ...]
    subtitle: tuple[str, ...]
    body: tuple[str, ...]  # containers of the body text, first match wins
    body_exclude: tuple[str, ...]  # blocks inside the body that are not body text
    published: tuple[str, ...]
    author: tuple[str, ...]
    section: tuple[str, ...]
    canonical: tuple[str, ...]
    # None: no selectors of its own; the generic detector reads the threads
    # (newscrawl/comment_detector.py). It is every profile's fallback too.
    comments: CommentSelectors | None
    # The article id comes from this query parameter instead of the path
    # (WordPress: /?p=123); `article_path` then matches the path only.
    id_param: str = ""
    # RSS/Atom feeds read for discovery besides the sitemaps (paths or URLs).
    feeds: tuple[str, ...] = ()
    # Hosts of the site besides base_url's and its www./bare twin (a sitemap
    # or media host: "static.example.org", "example.org:8443"); nothing else is
    # fetched (newscrawl/fetch_policy.py). Used only when the crawl's
    # base_url is the profile's own site, not a mirror or a local copy.
    hosts: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # every value of every selector is a tag
    # What an article id looks like (checked when dumps are imported).
    article_id_pattern: str = r"\d+"
    # Path prefix of the site's AMP copies (fetched as the canonical page instead).
    amp_prefix: str = ""
    # Naive dates on the site are read in this zone.
    timezone: str = "UTC"
    # Text that marks a block or captcha page instead of an article.
    block_markers: tuple[str, ...] = ()
    # The site's templates with the days each was in use, oldest first
    # (empty: one template, the fields above).
    layouts: tuple[Layout, ...] = ()
    _article_re: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_article_re", re.compile(self.article_path, re.IGNORECASE))

    def layout_for(self, day: date) -> Layout:
        """The layout in use on `day`; before the first or after the last
        period, the nearest one."""
        for layout in self.layouts:
            if layout.covers(day):
                return layout
        first = self.layouts[0]
        return first if first.valid_from and day < first.valid_from else self.layouts[-1]

    def with_layout(self, layout: Layout) -> SiteProfile:
        """This profile with the layout's fields in place (and no layouts left to pick)."""
        changes = {name: getattr(layout, name) for name in _LAYOUT_FIELDS if getattr(layout, name) is not None}
        return dataclasses.replace(self, **changes, layouts=(), layout_period=layout.period)

    def date_selectors(self) -> tuple[str, ...]:
        """Every layout's publication-date selectors, newest layout first, then the profile's."""
        found: dict[str, None] = {}
        for layout in reversed(self.layouts):
            found.update(dict.fromkeys(layout.published or ()))
        found.update(dict.fromkeys(self.published))
        return tuple(found)

    def article_id(self, url: str) -> str | None:
        """The article's identity from any of its URLs, or None if `url` is not an article."""
        try:
            parts = urlsplit(url)
        except ValueError:  # a link no parser reads ("http://["): no article
            return None
        match = self._article_re.search(parts.path)
        if not match:
            return None
        if self.id_param:
            values = parse_qs(parts.query).get(self.id_param, [])
            return values[0] if values and re.fullmatch(self.article_id_pattern, values[0]) else None
        return match.group("id")

    def article_url(self, url: str) -> str:
        """The URL to fetch for an article URL: no AMP prefix, no query string
        (tracking only) but the id parameter, no fragment."""
        parts = urlsplit(url)
        path = parts.path
        if self.amp_prefix and path.lower().startswith(self.amp_prefix.lower() + "/"):
            path = path[len(self.amp_prefix) :]
        query = f"{self.id_param}={self.article_id(url)}" if self.id_param else ""
        return urlunsplit((parts.scheme, parts.netloc, path, query, ""))

    def section_from_url(self, url: str) -> str:
        try:
            match = self._article_re.search(urlsplit(url).path)
        except ValueError:  # a canonical link that is no URL
            return ""
        if match and "section" in match.groupdict():
            return match.group("section") or ""
        return ""
