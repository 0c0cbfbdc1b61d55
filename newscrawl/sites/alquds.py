"""Al-Quds Al-Arabi (alquds.co.uk): the site profile.

A WordPress site with two themes, declared as layouts with the days they
cover (see `Layout` in newscrawl/sites/base.py): the old theme (a 2016 page
was seen: hAtom classes, `ol#commentlist`, `cite.fn`, `abbr.*[title]`
dates) and a newer core-style theme (`ol.comment-list`, `.comment-author
.fn`, `time[datetime]`). The boundary (end of 2017) is [M]: the model's
guess, since only a 2016 page of the old theme is known. A page whose
layout finds nothing is read with the other one, and the notes say so.

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

from datetime import date

from newscrawl.sites.base import CommentSelectors, Layout, SiteProfile

# Not comments, in either theme: headings, the reply form, "comments
# closed", page links. [M]
_NOT_COMMENTS = ("#comments-title, h2.comments-title, h3.comments-title, #respond, .comment-respond, "
                 ".nocomments, .no-comments, div.navigation, nav.comment-navigation")

OLD_THEME = Layout(
    name="old theme (hAtom)",
    valid_until=date(2017, 12, 31),  # [M] the model's boundary; a 2016 page is [V]
    title=("h1.entry-title", 'meta[property="og:title"]::attr(content)'),  # [V] h1 (starts with U+FEFF)
    body=("div.entry-content div.display", "div.entry-content"),  # [V] the <p>s of div.display
    published=("abbr.published::attr(title)",),  # [V] e.g. 2016-03-12T10:15:00+0000
    author=("p.entry-title3",),  # [V]
    comments=CommentSelectors(
        # [V] a real 2016 page has <a name="comments">, a heading and
        # ol#commentlist with no wrapper; [M] div#comments around them. The
        # items are found without the block too (newscrawl/extract.py).
        block="div#comments",
        header=_NOT_COMMENTS,
        item="ol#commentlist li.comment",  # [V]
        site_id="::attr(id)",
        site_id_pattern=r"comment-(\d+)",  # [V] li id="comment-<n>"
        title=(),  # [V] WordPress comments have no title
        author=("cite.fn",),  # [V] names keep their country as published
        text="div.comment-content p",  # [V]
        posted_at=("abbr.comment-datetime::attr(title)",),  # [V]; [M] its form: naive, London time
        # [M] ?p=<id>&cpage=<n>, oldest page first; next_comments_link() in div.nav-next.
        next_page="div.nav-next a::attr(href)",
    ),
)

NEW_THEME = Layout(
    name="core-style theme",
    valid_from=date(2018, 1, 1),  # [M]
    title=("h1.entry-title", 'meta[property="og:title"]::attr(content)'),  # [M]
    body=("div.entry-content",),  # [M]
    published=("time.entry-date.published::attr(datetime)", 'meta[property="article:published_time"]::attr(content)'),
    author=(".byline .author",),  # [M]
    comments=CommentSelectors(
        block="div#comments",  # [M] holds the list, the page links and the reply form
        header=_NOT_COMMENTS,
        item="ol.comment-list li.comment",  # [V]
        site_id="::attr(id)",
        site_id_pattern=r"comment-(\d+)",  # [V]
        title=(),
        author=(".comment-author .fn",),  # [V]
        text="div.comment-content p",  # [V]
        posted_at=(".comment-metadata time::attr(datetime)", ".comment-metadata time"),  # [M]
        next_page="div.nav-next a::attr(href)",  # [M]
    ),
)

PROFILE = SiteProfile(
    name="alquds",
    base_url="https://www.alquds.co.uk",
    layout_period="WordPress, two themes (layouts below: old until 2017, core-style since 2018)",
    # [V] http://www.alquds.co.uk/?p=<id>: the path is the site root, the id
    # the `p` parameter. [M] /index.php?p=<id> is the same post.
    article_path=r"^/(?:index\.php)?$",
    id_param="p",  # [V]
    article_id_pattern=r"\d+",  # [V] WordPress post ids
    # [M] WordPress core's sitemap index; robots.txt names the real one.
    sitemap_paths=("/wp-sitemap.xml",),
    feeds=("/?feed=rss2",),  # [V] (also /feed/): guid isPermaLink="false" holds ?p=<id>
    # The fields below are what both themes share; the layouts hold the rest.
    title=NEW_THEME.title,
    subtitle=(),  # [M] none on the site
    body=NEW_THEME.body,
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
    published=NEW_THEME.published,
    author=NEW_THEME.author,
    section=('meta[property="article:section"]::attr(content)', 'a[rel~="category"]'),  # [M]
    # [M] WordPress prints <link rel="shortlink" href="/?p=<id>"> in every
    # page's head; rel=canonical is the pretty permalink, which holds no id.
    canonical=('link[rel="shortlink"]::attr(href)',),
    comments=NEW_THEME.comments,
    layouts=(OLD_THEME, NEW_THEME),
    timezone="Europe/London",  # [V] edited in London; naive dates are London time
    block_markers=("captcha", "Access Denied", "Attention Required", "cf-browser-verification"),
)
