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

import re
from dataclasses import dataclass, field
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
    comments: CommentSelectors
    # The article id comes from this query parameter instead of the path
    # (WordPress: /?p=123); `article_path` then matches the path only.
    id_param: str = ""
    # RSS/Atom feeds read for discovery besides the sitemaps (paths or URLs).
    feeds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # every value of every selector is a tag
    # What an article id looks like (checked when dumps are imported).
    article_id_pattern: str = r"\d+"
    # Path prefix of the site's AMP copies (fetched as the canonical page instead).
    amp_prefix: str = ""
    # Naive dates on the site are read in this zone.
    timezone: str = "UTC"
    # Text that marks a block or captcha page instead of an article.
    block_markers: tuple[str, ...] = ()
    _article_re: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_article_re", re.compile(self.article_path, re.IGNORECASE))

    def article_id(self, url: str) -> str | None:
        """The article's identity from any of its URLs, or None if `url` is not an article."""
        parts = urlsplit(url)
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
        match = self._article_re.search(urlsplit(url).path)
        if match and "section" in match.groupdict():
            return match.group("section") or ""
        return ""
