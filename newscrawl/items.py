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
    # Oldest first. Each: comment_id (the site's, or None), title, author,
    # text, posted_at (ISO or None), and likes where the site shows them.
    comments: list[dict] = field(default_factory=list)
    # False when a page of the thread could not be fetched: what was read is
    # stored, and the article is fetched again on the next run.
    comments_complete: bool = True
    comment_pages: int = 0
    # How each field was found (selector fallbacks, Trafilatura) and what was missing.
    extraction: dict = field(default_factory=dict)
    fetched_at: str | None = None
    # The <lastmod> of the sitemap entry that led here, for the incremental logic.
    sitemap_lastmod: str | None = None
    # HTTP facts of the article page: status, encoding, validators.
    http: dict = field(default_factory=dict)
