"""Al-Quds Al-Arabi (alquds.co.uk): the site profile.

A WordPress site. Layout period: two themes, both read by this profile:
the old theme (a 2016 page was seen: hAtom classes, `ol#commentlist`,
`cite.fn`, `abbr.*[title]` dates) and a newer core-style theme
(`ol.comment-list`, `.comment-author .fn`, `time[datetime]`). Each field
lists the old theme's selector first.

[V] parts were seen on the real site (a 2016 article page) or are plain
WordPress behaviour named in the brief; [M] parts follow the local model
(newscrawl/samplesite/alquds.py) because no page at hand shows them. When
the real markup differs, correct the selectors here; the fixture tests in
tests/fixtures/alquds/ say what changed.

Known limit: the identity is the post id of `/?p=<id>`. A pretty permalink
(`/<slug>/`, what the site links to today) carries no id, so it is not
taken as an article URL; discovery relies on the `?p=` shortlinks (RSS
guid [V], sitemaps [M]).
"""

from newscrawl.sites.base import CommentSelectors, SiteProfile

PROFILE = SiteProfile(
    name="alquds",
    base_url="https://www.alquds.co.uk",
    layout_period="WordPress, old theme (seen 2016) and newer core-style theme ([V] seen, [M] modelled)",
    # [V] http://www.alquds.co.uk/?p=<id>: the path is the site root, the id
    # the `p` parameter. [M] /index.php?p=<id> is the same post.
    article_path=r"^/(?:index\.php)?$",
    id_param="p",  # [V]
    article_id_pattern=r"\d+",  # [V] WordPress post ids
    # [M] WordPress core's sitemap index; robots.txt names the real one.
    sitemap_paths=("/wp-sitemap.xml",),
    feeds=("/?feed=rss2",),  # [V] (also /feed/): guid isPermaLink="false" holds ?p=<id>
    title=("h1.entry-title", 'meta[property="og:title"]::attr(content)'),  # [V] h1 (starts with U+FEFF); [M] og
    subtitle=(),  # [M] none on the site
    body=(
        "div.entry-content div.display",  # [V] old theme: the <p>s of div.display
        "div.entry-content",  # [M] newer theme
    ),
    body_exclude=(  # [M]
        "div.sharedaddy",
        "div.jp-relatedposts",
        "div.post-tags",
        "ins.adsbygoogle",
        "script",
        "style",
        "noscript",
        "figure",
        "figcaption",
        "div.wp-caption",
        "iframe",
        "footer",
        "nav",
        "aside",
    ),
    published=(
        "abbr.published::attr(title)",  # [V] old theme, e.g. 2016-03-12T10:15:00+0000
        "time.entry-date.published::attr(datetime)",  # [M] newer theme
        'meta[property="article:published_time"]::attr(content)',  # [M]
    ),
    author=("p.entry-title3", ".byline .author"),  # [V] old; [M] newer
    section=('meta[property="article:section"]::attr(content)', 'a[rel~="category"]'),  # [M]
    # [M] WordPress prints <link rel="shortlink" href="/?p=<id>"> in every
    # page's head; rel=canonical is the pretty permalink, which holds no id.
    canonical=('link[rel="shortlink"]::attr(href)',),
    comments=CommentSelectors(
        # [M] div#comments holds the list, the page links and (comments
        # open) the reply form: the next-page link must be inside the block.
        block="div#comments",
        # [M] Not comments: headings, the reply form, "comments closed", page links.
        header="#comments-title, h2.comments-title, h3.comments-title, #respond, .comment-respond, "
        ".nocomments, .no-comments, div.navigation, nav.comment-navigation",
        item="ol#commentlist li.comment, ol.comment-list li.comment",  # [V] old; [V] newer
        site_id="::attr(id)",
        site_id_pattern=r"comment-(\d+)",  # [V] li id="comment-<n>"
        title=(),  # [V] WordPress comments have no title
        author=("cite.fn, .comment-author .fn",),  # [V] both; names keep their country as published
        text="div.comment-content p",  # [V] (the newer theme also wraps comment text in <p>)
        posted_at=(
            "abbr.comment-datetime::attr(title)",  # [V] old; [M] its form: naive, site time (Europe/London)
            ".comment-metadata time::attr(datetime)",  # [M] newer
            ".comment-metadata time",  # [M]
        ),
        # [M] ?p=<id>&cpage=<n>, oldest page first (WordPress "default_comments_page = oldest");
        # next_comments_link() in div.nav-next, old and newer theme alike.
        next_page="div.nav-next a::attr(href)",
    ),
    timezone="Europe/London",  # [V] edited in London; naive dates are London time
    block_markers=("captcha", "Access Denied", "Attention Required", "cf-browser-verification"),
)
