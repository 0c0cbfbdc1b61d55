"""Any other Arabic news site: Trafilatura for title, body and date, and the
comment markups most sites use, tried in turn.

Layout period: whatever the site serves. The comment heuristics cover
WordPress (classic `ol.commentlist` and modern `ol.comment-list` themes,
`.comment-author .fn`, `.comment-content`), other `li.comment` lists,
`.comment-body` / `.comment-text` blocks and schema.org Comment microdata.
Each stored article records how it was read (extraction notes): this
profile's selectors, or Trafilatura.

An article is identified by its URL, normalized (no fragment, no tracking
parameters, no comment-page part), as a 16-hex-digit hash: a generic site
has no id scheme we know.
"""

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newscrawl.sites.base import CommentSelectors, SiteProfile
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
        parts = urlsplit(url)
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
    title=('meta[property="og:title"]::attr(content)', "h1.entry-title", "article h1", "h1"),
    subtitle=(),
    body=(),  # Trafilatura reads the body
    body_exclude=(),
    published=(
        'meta[property="article:published_time"]::attr(content)',
        "time.entry-date::attr(datetime)",
        '[itemprop="datePublished"]::attr(content)',
        '[itemprop="datePublished"]::attr(datetime)',
        "abbr.published::attr(title)",
        "article time::attr(datetime)",
    ),
    author=('meta[name="author"]::attr(content)', ".entry-author .fn", "a[rel=author]", ".byline"),
    section=('meta[property="article:section"]::attr(content)',),
    canonical=('link[rel="canonical"]::attr(href)',),
    comments=CommentSelectors(
        block="ol.comment-list, ol.commentlist, ol#commentlist, ul.comment-list, #comments, .comments-area, "
        '[itemtype*="schema.org/Comment"]',
        header="h2.comments-title, h3.comments-title, #reply-title",
        item='li.comment, article.comment, div.comment, [itemtype*="schema.org/Comment"]',
        site_id="::attr(id)",
        site_id_pattern=r"(?:comment|li-comment|div-comment)-(\d+)",
        title=(".comment-title",),
        author=(".comment-author .fn", "cite.fn", ".fn", '[itemprop="author"] [itemprop="name"]',
                '[itemprop="author"]', ".comment-author"),
        text='.comment-content, .comment-text, [itemprop="text"], .comment-body > p',
        posted_at=(".comment-metadata time::attr(datetime)", "time::attr(datetime)",
                   "abbr.comment-datetime::attr(title)", '[itemprop="dateCreated"]::attr(datetime)',
                   ".comment-metadata time", ".comment-date", ".comment-meta"),
        next_page=".comment-navigation .nav-next a::attr(href), a.next-comments::attr(href), "
        "a.comments-next::attr(href)",
    ),
    article_id_pattern=r"[0-9a-f]{16}",
    timezone="UTC",
)
