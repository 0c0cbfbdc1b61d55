"""Hespress (hespress.com, Moroccan, Arabic): the site profile.

Layout period: the WordPress-based template of 2020-2025, with reader
comments server-rendered on the article page. [V] parts follow what public
scrapers of the real site read; [M] parts follow the local model
(newscrawl/samplesite/hespress.py) because no public source shows them. When
the real markup differs, correct the selectors here and the fixture tests in
tests/fixtures/hespress/ will say what changed.
"""

from newscrawl.sites.base import CommentSelectors, SiteProfile

PROFILE = SiteProfile(
    name="hespress",
    base_url="https://www.hespress.com",
    layout_period="2020-2025 WordPress template ([V] seen in public scrapers, [M] modelled)",
    # [V] /<percent-encoded Arabic slug>-<numeric id>.html; the id is the identity.
    # [M] the slug may itself end in digits ("...-2022-1038492.html") and may be
    # absent; the greedy slug group leaves the last number to the id.
    article_path=r"^/(?:[^/]*-)?(?P<id>\d+)\.html$",
    article_id_pattern=r"\d+",
    # [M] used only when robots.txt names no sitemap (WordPress/Yoast's index).
    sitemap_paths=("/sitemap_index.xml",),
    feeds=("/feed",),  # [V] RSS 2.0
    title=("h1.post-title", 'meta[property="og:title"]::attr(content)'),  # [V], [M] fallback
    subtitle=(),  # [M] the template has no standfirst
    # [V] the body is the <p>s of div.article-content: the container is read
    # block by block, and what is not text of the article is excluded below.
    body=("div.article-content",),
    body_exclude=(  # [M]
        "figure",
        "figcaption",
        "div.ads",
        "script",
        "style",
        "noscript",
        "iframe",
        "section.box-tags",
        "div.comments-area",
        "aside",
        "nav",
        "footer",
    ),
    published=("span.date-post",),  # [V] "الأربعاء 24 غشت 2022 - 18:02", Moroccan months
    author=("span.author",),  # [M]
    section=('meta[property="article:section"]::attr(content)',),  # [M]
    canonical=('link[rel="canonical"]::attr(href)',),  # [M]
    tags=("section.box-tags a",),  # [V]
    comments=CommentSelectors(
        block="ul.comment-list",  # [V]
        item="li.comment",  # [V] class="comment " (trailing space): matched as a class
        site_id="::attr(id)",  # [M] id="comment-<n>" on the li
        site_id_pattern=r"^comment-(\d+)$",  # [M]
        title=(),  # [V] comments have no title
        author=("span.fn",),  # [V]
        text="div.comment-text p",  # [V] several paragraphs, joined with one space
        posted_at=("div.comment-date",),  # [V] Moroccan month names and a time
        likes=("span.comment-recat-number",),  # [V] net count, may be negative
        next_page="",  # [M] the whole thread is on the article page
    ),
    # [V] Moroccan site: dates are shown without offset, in Morocco's time
    # (+00:00 or +01:00 depending on the year and on Ramadan).
    timezone="Africa/Casablanca",
    block_markers=("captcha", "Access Denied", "Attention Required", "Just a moment"),  # [M]
)
