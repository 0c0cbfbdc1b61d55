"""Elaph (elaph.com): the site profile.

Layout period: the server-rendered article template in use from about 2010
to 2025 (UTF-8 today; older pages may be windows-1256 and use .htm).
[V] parts were seen on the real site, [M] parts follow the model in
shared/spec/elaph-site-model.md because no public source shows them. When the
real markup differs, correct the selectors here and the fixture tests in
tests/fixtures/elaph/ will say what changed.
"""

from newscrawl.sites.base import CommentSelectors, SiteProfile

PROFILE = SiteProfile(
    name="elaph",
    base_url="https://elaph.com",
    layout_period="2010-2025 server-rendered template ([V] seen, [M] modelled)",
    # [V] /Web/<Section>/<YYYY>/<M>/<ID>.html, also .htm, also under /amp/;
    # [V] older articles at /ElaphWeb/<Section>/<YYYY>/<M>/<ID>.htm
    # (https://elaph.com/ElaphWeb/AsdaElaph/2008/1/293993.htm). One id, one article.
    article_path=r"^/(?:amp/)?(?:elaph)?web/(?P<section>[^/]+)/\d{4}/\d{1,2}/(?P<id>\d+)\.html?$",
    article_id_pattern=r"\d+",
    # [V] /amp/Web/...: the same article, AMP template. The reference dump is
    # the text of an AMP page (/amp/Web/News/2015/3/993653.html), so the AMP
    # copy is known to carry comments; the canonical page's thread markup is
    # unknown: when it shows no thread, the AMP copy is read for it
    # (AMP_COMMENTS_FALLBACK).
    amp_prefix="/amp",
    # [V] sitemap index and news sitemap.
    sitemap_paths=("/sitemaps/allsitemaps.xml", "/sitemaps/google_news.xml"),
    title=("h1.article-title", 'meta[property="og:title"]::attr(content)'),  # [V]
    subtitle=("h2.article-subtitle",),  # [M]
    body=("div.content-body",),  # [V]
    body_exclude=(  # [M]
        "div.related-articles",
        "div.ad",
        "script",
        "style",
        "noscript",
        "figure",
        "figcaption",
        "iframe",
        # Page chrome: never body text, but sloppy markup (an unclosed
        # <div>) can put it inside the body container.
        "footer",
        "nav",
        "aside",
    ),
    published=(  # [M]
        ".article-meta time::attr(datetime)",
        'meta[property="article:published_time"]::attr(content)',
        ".article-meta time",
    ),
    author=(".article-author",),  # [M]
    section=('meta[property="article:section"]::attr(content)',),
    canonical=('link[rel="canonical"]::attr(href)',),  # [M]
    comments=CommentSelectors(  # [M] all of it
        block="section.comments",
        header="h3.comments-title",
        item="li.comment",
        site_id="::attr(id)",
        site_id_pattern=r"comment-(\d+)",
        title=("h4.comment-title",),
        author=(".comment-author",),
        text=".comment-body",
        posted_at=("time.comment-date::attr(datetime)", "time.comment-date"),
        next_page="a.comments-next::attr(href)",
    ),
    # Elaph is edited in London and the Gulf; the model's dates carry +03:00.
    timezone="Asia/Riyadh",
    block_markers=("captcha", "Access Denied", "Attention Required"),
)
