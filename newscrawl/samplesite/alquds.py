"""The Al-Quds Al-Arabi model (alquds.co.uk, WordPress): URLs, routing, the
two themes' HTML, the RSS links, and `generate_alquds()`, the content.

What is known of the real site (a 2016 page) is followed as seen: the
`/?p=<id>` URL, `h1.entry-title` starting with U+FEFF, `p.entry-title3`,
`abbr.published[title]`, `div.entry-content div.display p`,
`ol#commentlist li.comment` with `cite.fn`, `abbr.comment-datetime[title]`
and `div.comment-content p`. The rest is modelled on WordPress's own
markup: the newer core-style theme (`ol.comment-list`, `.comment-author
.fn`, `time[datetime]`), `<link rel="shortlink">`, comment pages
`?p=<id>&cpage=<n>` (oldest first, links in `div.nav-next`), the feed's
`<guid isPermaLink="false">` shortlink next to a pretty `<link>`.
robots.txt and the sitemaps are the shared ones (newscrawl/samplesite/base.py).

Expected text lives in the model's fields (title without U+FEFF, author
names with their country as published); the HTML is written from them, and
`expected_dump()` (ModelArticle's) applies the dump layout's author rule.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote
from zoneinfo import ZoneInfo

from newscrawl.samplesite.base import SiteRenderer
from newscrawl.samplesite.model import AUTHORS, HOSTILE, ModelArticle, ModelComment, SiteModel, _reference_words

LONDON = ZoneInfo("Europe/London")
NEW_THEME_YEAR = 2018  # articles published from this year on use the newer theme
BOM = "\ufeff"
COMMENTS_PER_PAGE = 20
LONG_THREAD = 45  # comments of the one paginated thread (three pages)
ARABIC_MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
                 "ديسمبر")
SECTIONS = ("عربي", "رأي", "ثقافة", "اقتصاد", "رياضة", "صحافة", "تقارير")
BYLINES = ("", "لندن ـ «القدس العربي»", "رأي القدس", "بيروت ـ «القدس العربي»", "سعيد الناصري",
           "تونس ـ «القدس العربي» ـ ليلى")
# Reader names as the site shows them, country and all; "" is a comment without author.
COMMENTERS = (
    "سامي - لندن", "أحمد (المغرب)", "", "محمد - الجزائر", "أبو خالد - فلسطين", "Karim - Paris",
    "د. ليلى (تونس)", "عبد الله - السعودية", "-ابن البلد", "Sami 🇱🇧",
)
LATIN_LINE = "Latin text inside an Arabic article: Reuters, AFP & UN Security Council"


@dataclass
class AlqudsArticle(ModelArticle):
    site: str = "alquds"

    @property
    def theme(self) -> str:
        return "old" if self.published.year < NEW_THEME_YEAR else "new"


# --- HTML ---------------------------------------------------------------------


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    return html.escape(text, quote=True)


def shown_date(when: datetime, clock: bool = False) -> str:
    day = f"{when.day} {ARABIC_MONTHS[when.month - 1]} {when.year}"
    return f"{day} الساعة {when:%H:%M}" if clock else day


def _shortlink(article, base_url: str) -> str:
    return f"{base_url}/?p={article.article_id}"


def _permalink(article, base_url: str) -> str:
    return f"{base_url}/{quote(article.slug)}/"


def _page_link(article, base_url: str, page: int) -> str:
    return f"{base_url}/?p={article.article_id}&cpage={page}#comments"


def _title_html(article) -> str:
    # [V] the site's titles start with U+FEFF (a BOM pasted in by its editor);
    # the newer theme keeps it on every other article.
    bom = BOM if article.theme == "old" or article.style % 2 == 0 else ""
    return bom + esc(article.title)


def _body_line(line: str, index: int, style: int) -> str:
    words = line.split(" ")
    choice = (style + index) % 4
    if choice == 1 and len(words) > 4:
        cut = len(words) // 2
        inner = (f'{esc(" ".join(words[:cut]))} <a href="/?tag={index}">{esc(words[cut])}</a> '
                 f'{esc(" ".join(words[cut + 1:]))}')
    elif choice == 2 and len(words) > 2:
        inner = f"<strong>{esc(words[0])}</strong> {esc(' '.join(words[1:]))}"
    else:
        inner = esc(line)
    pad = ("", "\n", "  ", "\t")[(style + index) % 4]
    return f"<p>{pad}{inner}{pad}</p>"


def _body(article) -> str:
    """Body paragraphs with the blocks that are not body text between them."""
    parts = []
    lines = article.body
    i = 0
    while i < len(lines):
        if article.style % 3 == 2 and i == 2 and i + 1 < len(lines):
            # wpautop keeps a single newline as <br />
            parts.append(f"<p>{esc(lines[i])}<br />\n{esc(lines[i + 1])}</p>")
            i += 2
        else:
            parts.append(_body_line(lines[i], i, article.style))
            i += 1
        if len(parts) == 1:
            if article.theme == "old":
                parts.append('<div class="wp-caption aligncenter"><img src="/wp-content/uploads/photo.jpg" alt="" />'
                             '<p class="wp-caption-text">صورة من الأرشيف</p></div>')
            else:
                parts.append('<figure class="wp-block-image"><img src="/wp-content/uploads/photo.jpg" alt="">'
                             "<figcaption>صورة من الأرشيف</figcaption></figure>")
        if len(parts) == 3:
            parts.append('<ins class="adsbygoogle" data-ad-slot="1"></ins>'
                         "<script>(adsbygoogle = window.adsbygoogle || []).push({});</script>")
    parts.append('<div class="sharedaddy"><h3 class="sd-title">شارك هذا:</h3><ul><li><a href="#">فيسبوك</a></li>'
                 "<li><a href=\"#\">تويتر</a></li></ul></div>")
    if article.theme == "new":
        parts.append('<div class="jp-relatedposts"><h3>مقالات ذات صلة</h3><p><a href="/?p=1">مقال آخر</a></p></div>')
    return "\n".join(parts)


def _comment_text(comment: ModelComment) -> str:
    if comment.join == "br":
        return "<p>" + "<br />\n".join(esc(b) for b in comment.blocks) + "</p>"
    return "".join(f"<p>{esc(b)}</p>" for b in comment.blocks)


def _author_html(comment: ModelComment, tag: str) -> str:
    if not comment.author:
        return f'<{tag} class="fn"></{tag}>' if comment.comment_id % 2 else ""
    name = esc(comment.author)
    if comment.comment_id % 4 == 1:  # a reader who gave a web site
        name = f'<a href="http://example.org/{comment.comment_id}" rel="external nofollow ugc" class="url">{name}</a>'
    return f'<{tag} class="fn">{name}</{tag}>'


def _old_comment(comment: ModelComment, n: int) -> str:
    naive = comment.posted_at.strftime("%Y-%m-%dT%H:%M:%S")  # [M] site time, no offset
    parity = "even" if n % 2 == 0 else "odd"
    return (
        f'<li class="comment {parity} thread-{parity} depth-1" id="comment-{comment.comment_id}">\n'
        f'<div class="comment-author vcard"><img alt="" src="/avatar.png" class="avatar" height="32" width="32" />'
        f'{_author_html(comment, "cite")} <span class="says">يقول:</span></div>\n'
        f'<div class="comment-meta commentmetadata"><abbr class="comment-datetime" title="{naive}">'
        f"{shown_date(comment.posted_at, clock=True)}</abbr></div>\n"
        f'<div class="comment-content">{_comment_text(comment)}</div>\n'
        f'<div class="reply"><a class="comment-reply-link" href="#respond">رد</a></div>\n</li>'
    )


def _new_comment(comment: ModelComment, n: int, article, base_url: str) -> str:
    parity = "even" if n % 2 == 0 else "odd"
    return (
        f'<li id="comment-{comment.comment_id}" class="comment {parity} thread-{parity} depth-1">\n'
        f'<article id="div-comment-{comment.comment_id}" class="comment-body">\n<footer class="comment-meta">\n'
        f'<div class="comment-author vcard"><img alt="" src="/avatar.png" class="avatar" height="60" width="60">'
        f'{_author_html(comment, "b")} <span class="says">قال:</span></div>\n'
        f'<div class="comment-metadata"><a href="{_shortlink(article, base_url)}#comment-{comment.comment_id}">'
        f'<time datetime="{comment.posted_at.isoformat(timespec="seconds")}">'
        f'{shown_date(comment.posted_at, clock=True)}</time></a></div>\n'
        f"</footer>\n"
        f'<div class="comment-content">{_comment_text(comment)}</div>\n'
        f'<div class="reply"><a rel="nofollow" class="comment-reply-link" href="#respond">رد</a></div>\n'
        f"</article>\n</li>"
    )


def _respond(theme: str) -> str:
    cls = ' class="comment-respond"' if theme == "new" else ""
    return (
        f'<div id="respond"{cls}><h3 id="reply-title" class="comment-reply-title">اترك تعليقاً</h3>'
        '<form action="/wp-comments-post.php" method="post" id="commentform">'
        '<p class="comment-notes">لن يتم نشر عنوان بريدك الإلكتروني. الحقول الإلزامية مشار إليها بـ *</p>'
        '<p><textarea id="comment" name="comment"></textarea></p>'
        '<p><input name="author" placeholder="الاسم *"> <input name="email" placeholder="البريد الإلكتروني *"></p>'
        '<p class="form-submit"><input name="submit" type="submit" value="إرسال التعليق"></p></form></div>'
    )


def render_comments(article, base_url: str, page: int, per_page: int) -> str:
    """div#comments: heading, the page's comments, page links, the reply form."""
    pages = max(1, -(-len(article.comments) // per_page))
    shown = article.comments[(page - 1) * per_page : page * per_page]
    prev_link = f'<a href="{attr(_page_link(article, base_url, page - 1))}">التعليقات الأقدم</a>' if page > 1 else ""
    next_link = (f'<a href="{attr(_page_link(article, base_url, page + 1))}">التعليقات الأحدث</a>'
                 if page < pages else "")
    if article.theme == "old":
        if not article.comments:
            return f'<div id="comments">\n{_respond("old")}\n</div>'
        items = "\n".join(_old_comment(c, n) for n, c in enumerate(shown))
        nav = (f'<div class="navigation"><div class="nav-previous">{prev_link}</div>'
               f'<div class="nav-next">{next_link}</div></div>') if pages > 1 else ""
        return (f'<div id="comments">\n<h3 id="comments-title">{len(article.comments)} تعليقات</h3>\n'
                f'<ol id="commentlist">\n{items}\n</ol>\n{nav}\n{_respond("old")}\n</div>')
    if not article.comments:
        return f'<div id="comments" class="comments-area">\n{_respond("new")}\n</div>'
    items = "\n".join(_new_comment(c, n, article, base_url) for n, c in enumerate(shown))
    nav = ""
    if pages > 1:
        nav = ('<nav class="navigation comment-navigation" aria-label="التعليقات">'
               '<h2 class="screen-reader-text">تصفح التعليقات</h2><div class="nav-links">'
               + (f'<div class="nav-previous">{prev_link}</div>' if prev_link else "")
               + (f'<div class="nav-next">{next_link}</div>' if next_link else "")
               + "</div></nav>")
    return (f'<div id="comments" class="comments-area">\n'
            f'<h2 class="comments-title">{len(article.comments)} تعليقات على “{esc(article.title)}”</h2>\n'
            f'<ol class="comment-list">\n{items}\n</ol>\n{nav}\n{_respond("new")}\n</div>')


def _head(article, base_url: str) -> str:
    published = article.published.isoformat(timespec="seconds")
    return (
        f'<title>{esc(article.title)} | القدس العربي</title>\n'
        f'<link rel="canonical" href="{attr(_permalink(article, base_url))}" />\n'
        f"<link rel='shortlink' href='{_shortlink(article, base_url)}' />\n"
        f'<meta property="og:title" content="{attr(BOM + article.title)}" />\n'
        f'<meta property="article:section" content="{attr(article.section)}" />\n'
        f'<meta property="article:published_time" content="{published}" />\n'
        f'<link rel="alternate" type="application/rss+xml" title="القدس العربي" href="{base_url}/feed/" />'
    )


def _old_theme(article, base_url: str, page: int, per_page: int) -> str:
    author = f'<p class="entry-title3">{esc(article.author)}</p>\n' if article.author else ""
    published = article.published.strftime("%Y-%m-%dT%H:%M:%S%z")  # [V] ISO-like, e.g. +0000
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" dir="rtl" lang="ar">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
{_head(article, base_url)}
</head>
<body class="single postid-{article.article_id}">
<div id="header"><a href="{base_url}/">القدس العربي</a>\
<ul class="menu"><li><a href="/?cat=3">عربي</a></li><li><a href="/?cat=5">رأي</a></li></ul></div>
<div id="content">
<div id="post-{article.article_id}" class="post hentry">
<h1 class="entry-title">{_title_html(article)}</h1>
{author}<div class="entry-meta"><abbr class="published" title="{published}">{shown_date(article.published)}</abbr>
<a href="/?cat=3" rel="category tag">{esc(article.section)}</a></div>
<div class="entry-content">
<div class="display">
{_body(article)}
</div>
<div class="post-tags">وسوم: <a href="/?tag=1" rel="tag">{esc(article.section)}</a></div>
</div>
</div>
{render_comments(article, base_url, page, per_page)}
</div>
<div id="sidebar"><h3>الأكثر قراءة</h3><ul><li><a href="/?p=1">مقال</a></li></ul></div>
<div id="footer">جميع الحقوق محفوظة &copy; القدس العربي</div>
</body>
</html>"""


def _new_theme(article, base_url: str, page: int, per_page: int) -> str:
    byline = (f'<span class="byline"><span class="author vcard"><a class="url fn n" href="/?author=7">'
              f"{esc(article.author)}</a></span></span>") if article.author else ""
    published = article.published.isoformat(timespec="seconds")
    updated = (article.lastmod or article.published).astimezone(LONDON).isoformat(timespec="seconds")
    return f"""<!doctype html>
<html dir="rtl" lang="ar">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{_head(article, base_url)}
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "x"}}</script>
</head>
<body class="post-template-default single single-post postid-{article.article_id}">
<header id="masthead" class="site-header"><a href="{base_url}/">القدس العربي</a>\
<nav class="main-navigation"><a href="/?cat=3">عربي</a> <a href="/?cat=5">رأي</a></nav></header>
<main id="main" class="site-main">
<article id="post-{article.article_id}" class="post-{article.article_id} post type-post status-publish hentry">
<header class="entry-header">
<h1 class="entry-title">{_title_html(article)}</h1>
<div class="entry-meta">{byline}<span class="posted-on">\
<a href="{attr(_permalink(article, base_url))}" rel="bookmark">\
<time class="entry-date published" datetime="{published}">{shown_date(article.published)}</time>\
<time class="updated" datetime="{updated}">{shown_date(article.lastmod or article.published)}</time></a></span>
<span class="cat-links"><a href="/?cat=3" rel="category tag">{esc(article.section)}</a></span></div>
</header>
<div class="entry-content">
{_body(article)}
</div>
<footer class="entry-footer">\
<span class="tags-links"><a href="/?tag=1" rel="tag">{esc(article.section)}</a></span></footer>
</article>
{render_comments(article, base_url, page, per_page)}
</main>
<aside id="secondary" class="widget-area"><h2>الأكثر قراءة</h2><ul><li><a href="/?p=1">مقال</a></li></ul></aside>
<footer class="site-footer">جميع الحقوق محفوظة © القدس العربي</footer>
</body>
</html>"""


class AlqudsRenderer(SiteRenderer):
    name = "alquds"
    disallow = ("/wp-admin/", "/?s=")
    feed_paths = ("/?feed=rss2", "/feed/")

    def article_path(self, article) -> str:
        return f"/?p={article.article_id}"

    def route(self, path, query) -> tuple[int, int] | None:
        if path not in ("/", "/index.php"):
            return None  # pretty permalinks are not modelled: no crawl should ask for them
        params = parse_qs(query)
        post = params.get("p", [""])[0]
        if not post.isdigit():
            return None
        cpage = params.get("cpage", ["1"])[0]
        return int(post), int(cpage) if cpage.isdigit() else 1

    def feed_link(self, article, base_url) -> tuple[str, str]:
        # WordPress: <link> is the pretty permalink, <guid isPermaLink="false"> the ?p= shortlink.
        return _permalink(article, base_url), _shortlink(article, base_url)

    def article_response(self, article, base_url, page, per_page) -> tuple[dict, bytes]:
        page_html = (_old_theme if article.theme == "old" else _new_theme)(article, base_url, page, per_page)
        return {"Content-Type": "text/html; charset=UTF-8"}, page_html.encode("utf-8")


RENDERER = AlqudsRenderer()


# --- content ------------------------------------------------------------------


def _local(when: datetime) -> datetime:
    """`when` as a London wall time that reads back the same without an offset
    (never in the hour a clock change repeats or skips)."""
    when = when.astimezone(UTC).astimezone(LONDON)
    while when.fold or when.replace(tzinfo=None).replace(tzinfo=LONDON).utcoffset() != when.utcoffset():
        when = (when + timedelta(hours=1)).astimezone(UTC).astimezone(LONDON)
    return when


def _slug(title: str) -> str:
    words = [w.strip('.,،:؛"()!؟?«»') for w in title.split()[:6]]
    return "-".join(w for w in words if w)


def generate_alquds(articles: int = 24, seed: int = 11, recent: datetime | None = None) -> SiteModel:
    """A deterministic Al-Quds-model site: `articles` posts from 2012 to 2025
    (the old theme before NEW_THEME_YEAR, the newer one after), one of them
    a 45-comment thread over three comment pages, several without comments,
    one listed in the sitemap but gone (404), one listed under a second URL.
    `recent` adds a post published then (refresh_days re-fetches it)."""
    if articles < 8:
        raise ValueError("the Al-Quds model needs at least 8 articles to hold every case")
    rng = random.Random(seed)
    words = _reference_words()
    counter = {"comment": 2_000_001, "n": 0}

    def sentence(lo=6, hi=30):
        return " ".join(rng.choices(words, k=rng.randint(lo, hi)))

    def make_comments(count, published):
        out = []
        for i in range(count):
            n = counter["n"]
            counter["n"] += 1
            author = COMMENTERS[n % len(COMMENTERS)] if n % 3 else rng.choice(AUTHORS)
            blocks = [sentence(3, 25) for _ in range(rng.choice((1, 1, 2, 3)))]
            if n % 4 == 2:
                blocks.append(HOSTILE[(n // 4) % len(HOSTILE)])
            posted = _local(published + timedelta(minutes=37 * (i + 1) + rng.randint(0, 30)))
            out.append(ModelComment(comment_id=counter["comment"], title="", author=author, blocks=blocks,
                                    posted_at=posted, join=rng.choice(("p", "br"))))
            counter["comment"] += rng.randint(1, 40)  # ids are site-wide
        return out

    start, end = datetime(2012, 6, 1, tzinfo=UTC), datetime(2025, 9, 1, tzinfo=UTC)
    span = (end - start).total_seconds()
    long_index = articles - 5  # a newer-theme post
    posts = []
    for n in range(articles):
        published = _local(start + timedelta(seconds=span * (n + 0.5) / articles, minutes=rng.randint(0, 900)))
        fraction = (published - start).total_seconds() / span
        post_id = int(40_000 + fraction * 3_600_000) + n
        body = [sentence(15, 40), f"{rng.choice(('لندن ـ «القدس العربي»:', 'عمان ـ', 'الرباط ـ'))} {sentence(20, 50)}"]
        body += [sentence(8, 45) for _ in range(rng.randint(2, 7))]
        if n % 4 == 0:
            body.append(LATIN_LINE)
        count = LONG_THREAD if n == long_index else (0, 0, 1, 3, 5, 8, 12, 15)[(n * 5) % 8]
        comments = make_comments(count, published)
        title = sentence(4, 10)
        posts.append(AlqudsArticle(
            article_id=post_id,
            section=SECTIONS[n % len(SECTIONS)],
            published=published,
            title=title,
            subtitle="",
            body=body,
            comments=comments,
            author=BYLINES[n % len(BYLINES)],
            lastmod=max([published, *(c.posted_at for c in comments)]),
            style=n,
            slug=_slug(title),
        ))
    model = SiteModel(articles=posts, comments_per_page=COMMENTS_PER_PAGE, site="alquds")
    # The same post under a second URL in the sitemap: fetched once.
    posts[3].aliases = [f"/index.php?p={posts[3].article_id}"]
    # Listed in the sitemap, deleted from the site (404).
    gone = posts[articles // 2]
    model.add_article(AlqudsArticle(
        article_id=gone.article_id + 1, section=SECTIONS[0], published=gone.published, title="مقال محذوف",
        subtitle="", body=["حذف."], missing=True, lastmod=gone.published, slug="مقال-محذوف",
    ))
    if recent is not None:
        published = _local(recent - timedelta(hours=5))
        title = "خبر اليوم: " + sentence(4, 8)
        comments = make_comments(4, published)
        model.add_article(AlqudsArticle(
            article_id=3_700_000, section=SECTIONS[0], published=published, title=title, subtitle="",
            body=[sentence(10, 20), f"لندن ـ «القدس العربي»: {sentence(20, 40)}"], comments=comments,
            author=BYLINES[1], lastmod=max(c.posted_at for c in comments), style=1, slug=_slug(title),
        ))
    return model


def add_comments(model: SiteModel, article_id: int, count: int, when: datetime, seed: int = 0) -> list[ModelComment]:
    """New reader comments on a post (the site moving on between runs)."""
    article = model.by_id(article_id)
    rng = random.Random(seed or article_id + len(article.comments))
    words = _reference_words()
    next_id = max(c.comment_id for a in model.articles for c in a.comments) + 1
    added = []
    for i in range(count):
        comment = ModelComment(
            comment_id=next_id + i, title="", author=COMMENTERS[i % len(COMMENTERS)],
            blocks=[" ".join(rng.choices(words, k=rng.randint(4, 20)))], posted_at=_local(when + timedelta(minutes=i)),
        )
        article.comments.append(comment)
        added.append(comment)
    article.touch(added[-1].posted_at)
    return added
