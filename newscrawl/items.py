"""The one item the spiders yield: an article with its whole comment thread."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ArticleItem:
    site: str
    article_id: str
    url: str
    title: str = ""
    subtitle: str = ""
    body: list[str] = field(default_factory=list)
    published: str | None = None  # ISO 8601 with offset
    author: str = ""
    section: str = ""
    tags: list[str] = field(default_factory=list)
    # In page order. Each: comment_id (the site's, or None), title, author,
    # text, posted_at (ISO or None), likes where the site shows them, and
    # where the page shows who replied to whom, parent (the index in this
    # list of the comment replied to, None at top level) and depth (0 top level).
    comments: list[dict] = field(default_factory=list)
    # False when a page of the thread could not be fetched: what was read is
    # stored, and the article is fetched again on the next run.
    comments_complete: bool = True
    # False when the thread was read only up to a cut that refetching would
    # meet again (a page limit, a link off the site): complete for this run,
    # but archived comments not seen are not marked gone (archive.gone_since).
    thread_whole: bool = True
    # The count the page prints about its thread ("12 تعليقات", JSON-LD
    # commentCount), None when it prints none; compared with what was read.
    comments_shown: int | None = None
    comment_pages: int = 0
    # How each field was found (selector fallbacks, Trafilatura) and what was missing.
    extraction: dict = field(default_factory=dict)
    fetched_at: str | None = None
    # The <lastmod> of the sitemap entry that led here, for the incremental logic.
    sitemap_lastmod: str | None = None
    # HTTP facts of the article page: status, encoding, validators.
    http: dict = field(default_factory=dict)
