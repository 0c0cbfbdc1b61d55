"""Any other Arabic news site: what the page states about itself and
Trafilatura for title, body and date, and the generic comment detector for
the thread.

Layout period: whatever the site serves. The detector
(newscrawl/comment_detector.py) finds a thread by its repeated items and
their parts (author, date, text, reply link), whatever the theme names
them, and links each reply to its parent. Each stored article records how
it was read (extraction notes).

An article is identified by its URL, normalized (no fragment, no tracking
parameters, no comment-page part), as a 16-hex-digit hash: a generic site
has no id scheme we know.
"""

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newscrawl.sites.base import SiteProfile
from newscrawl.text import short_hash

TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|mc_[a-z]+|ref|entry|amp)$", re.IGNORECASE)
COMMENT_PAGING = re.compile(r"^(cpage|comments?_page|replytocom)$", re.IGNORECASE)
COMMENT_PAGE_PATH = re.compile(r"/comment-page-\d+/?$")


def normalized_url(url: str) -> str:
    """The article's URL without what does not make another article."""
    parts = urlsplit(url)
    path = COMMENT_PAGE_PATH.sub("/", parts.path) or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not TRACKING.match(k) and not COMMENT_PAGING.match(k)]
    host = (parts.hostname or "").removeprefix("www.")
    return urlunsplit((parts.scheme.lower(), host, path.rstrip("/") or "/", urlencode(sorted(query)), ""))


class GenericProfile(SiteProfile):
    def article_id(self, url: str) -> str | None:
        try:
            parts = urlsplit(url)
        except ValueError:  # a link no parser reads ("http://["): no article
            return None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        if parts.path in ("", "/") and not parts.query:
            return None  # a home page is not an article
        return short_hash(normalized_url(url))

    def article_url(self, url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))

    def section_from_url(self, url: str) -> str:
        return ""


PROFILE = GenericProfile(
    name="generic",
    base_url="",
    layout_period="any: Trafilatura and common comment markups",
    article_path=r".",
    sitemap_paths=(),
    # No selectors for title, date and author: what the page states about
    # itself is read instead, in a fixed order of trust (JSON-LD, the <h1>
    # its <title> repeats, meta, <time>, byline markups; the site's own name
    # never an author), and Trafilatura only guesses what it does not state
    # (newscrawl/page_facts.py, newscrawl/generic_article.py).
    title=(),
    subtitle=(),
    body=(),  # Trafilatura reads the body; generic_article._trim_body cuts the page chrome it keeps
    body_exclude=(),
    published=(),
    author=(),
    section=('meta[property="article:section"]::attr(content)',),
    canonical=('link[rel="canonical"]::attr(href)',),
    # No selectors: the generic detector finds the thread by its repeated
    # items and their parts, whatever the theme (newscrawl/comment_detector.py).
    comments=None,
    article_id_pattern=r"[0-9a-f]{16}",
    timezone="UTC",
)
