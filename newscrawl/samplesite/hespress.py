"""The Hespress model (hespress.com, Moroccan, Arabic): URLs, routing, HTML,
and `generate_hespress`, a deterministic content generator.

Markup follows what public scrapers of the real site read ([V] in
newscrawl/sites/hespress.py): `h1.post-title`, `span.date-post` with Moroccan
month names, `div.article-content p`, `section.box-tags a`, and comments
server-rendered in `ul.comment-list li.comment ` (trailing space in the class)
with `span.fn`, `div.comment-date`, `div.comment-text p` and
`span.comment-recat-number`. The rest (comment ids as `id="comment-<n>"`, the
page chrome, figures and ads inside the body, the RSS guid) is modelled [M].

Every comment is on the article page (no comment pagination), oldest first.
Dates are wall-clock times in Africa/Casablanca, shown to the minute: the
offset is +00:00 or +01:00 depending on the year and on Ramadan, which is
what the profile's `timezone` must get right.
"""

from __future__ import annotations

import html
import random
import re
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from newscrawl.samplesite.base import SiteRenderer
from newscrawl.samplesite.model import AUTHORS, HOSTILE, ModelArticle, ModelComment, SiteModel, _reference_words

TZ = ZoneInfo("Africa/Casablanca")
ARTICLE_PATH = re.compile(r"^/(?:[^/]*-)?(\d+)\.html$", re.IGNORECASE)

MOROCCAN_MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو", "يوليوز", "غشت", "شتنبر", "أكتوبر", "نونبر",
                   "دجنبر")
WEEKDAYS = ("الإثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")  # datetime.weekday() order
SECTIONS = ("سياسة", "اقتصاد", "مجتمع", "رياضة", "فن وثقافة", "جهات", "تكنولوجيا", "كتاب وآراء")
BYLINES = ("هسبريس", "هسبريس من الرباط", "هسبريس من الدار البيضاء", "هسبريس - فاس", "")
TAGS = (
    "المغرب", "الحكومة", "البرلمان", "كورونا", "الرباط", "الدار البيضاء", "المنتخب الوطني", "كأس العالم 2022",
    "التعليم", "الصحة", "الانتخابات", "الجالية", "Maroc", "الأمازيغية", "الصحراء", "الفلاحة",
)
# Readers of a Moroccan site: Arabic, Darija in Latin letters, French, emoji,
# hostile strings. None contains " -" or starts with "-": expected_dump()
# writes authors as stored, and the exporter would rewrite those.
COMMENT_AUTHORS = (
    *AUTHORS, "مغربي حر", "ابن سوس", "Hamid", "Yassine 🇲🇦", "مواطن من طنجة", "Fatima-Zahra", "ولد الدرب",
    HOSTILE[0], HOSTILE[1], HOSTILE[5],
)
LATIN_LINES = (
    "Bravo Hespress, c'est très bien expliqué 👍",
    "wach had chi ma3qoul? 3la slamtkom",
    "La vérité: le gouvernement doit agir maintenant",
)


def shown_date(when: datetime, weekday: bool = True) -> str:
    """How the site writes a date: "الأربعاء 24 غشت 2022 - 18:02"."""
    day = f"{when.day} {MOROCCAN_MONTHS[when.month - 1]} {when.year} - {when:%H:%M}"
    return f"{WEEKDAYS[when.weekday()]} {day}" if weekday else day


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    return html.escape(text, quote=True)


def _noise(style: int) -> str:
    return ("", "\n    ", "  ", "\t")[style % 4]


# --- HTML --------------------------------------------------------------------


def render_body(article: ModelArticle) -> str:
    """Body lines as <p>s, with inline markup, <br> splits and blocks that are
    not body text (a figure, an ad, a script, an empty paragraph)."""
    style = article.style
    parts = []
    lines = list(article.body)
    i = 0
    while i < len(lines):
        line = lines[i]
        words = line.split(" ")
        n = _noise(style + i)
        if style % 4 == 1 and i == 1 and i + 1 < len(lines):
            # Two lines in one paragraph, split by <br>: two body lines.
            parts.append(f"<p>{esc(line)}<br>{n}{esc(lines[i + 1])}</p>")
            i += 1
        elif (style + i) % 3 == 1 and len(words) > 4:
            cut = len(words) // 2
            parts.append(
                f'<p>{n}{esc(" ".join(words[:cut]))} <a href="/tag/{i}">{esc(words[cut])}</a> '
                f'{esc(" ".join(words[cut + 1:]))}{n}</p>'
            )
        elif (style + i) % 5 == 2:
            parts.append(f"<p><strong>{esc(line)}</strong></p>")
        else:
            parts.append(f"<p>{n}{esc(line)}{n}</p>")
        if i == 0 and style % 3 == 0:
            parts.append('<figure class="wp-caption"><img src="/uploads/photo.jpg" alt="صورة">'
                         "<figcaption>صورة من الأرشيف: هسبريس</figcaption></figure>")
        if i == 1 and style % 2 == 0:
            parts.append('<div class="ads"><span>إعلان</span><script>googletag.display("div-gpt-ad-1");</script></div>')
        if i == 2 and style % 5 == 2:
            parts.append("<p>&nbsp;</p>")  # what the editor leaves behind
        i += 1
    parts.append('<script type="text/javascript">var hespress_post = "<p>ليس من النص</p>";</script>')
    return "\n".join(parts)


def render_comment(comment: ModelComment, index: int) -> str:
    parity = "even" if index % 2 else "odd"
    classes = "comment " if index % 3 else f"comment {parity} thread-{parity} depth-1 "
    author = f'<span class="fn">{esc(comment.author)}</span>' if comment.author else ""
    if comment.join == "br":
        text = "<p>" + "<br>\n".join(esc(b) for b in comment.blocks) + "</p>"
    else:
        text = "".join(f"<p>{esc(b)}</p>" for b in comment.blocks)
    return (
        f'<li class="{classes}" id="comment-{comment.comment_id}">\n'
        f'<div class="comment-body">\n'
        f'<div class="comment-author vcard"><img class="avatar" src="/avatar.png" alt="">{author}</div>\n'
        f'<div class="comment-date">{shown_date(comment.posted_at, weekday=index % 4 != 3)}</div>\n'
        f'<div class="comment-text">{text}</div>\n'
        f'<div class="comment-recat"><button class="comment-recat-up" aria-label="أعجبني">👍</button>'
        f'<span class="comment-recat-number">{comment.likes}</span>'
        f'<button class="comment-recat-down" aria-label="لم يعجبني">👎</button></div>\n'
        f'<a class="comment-reply-link" href="#respond">رد</a>\n'
        "</div>\n</li>"
    )


def render_comments(article: ModelArticle) -> str:
    items = "\n".join(render_comment(c, i) for i, c in enumerate(article.comments))
    return (
        '<div class="comments-area" id="comments">\n'
        f'<h3 class="comments-title">التعليقات ({len(article.comments)})</h3>\n'
        f'<ul class="comment-list">\n{items}\n</ul>\n'
        '<div id="respond"><h3>أضف تعليقك</h3><form><textarea placeholder="تعليقك"></textarea>'
        "<button>إرسال</button></form></div>\n</div>"
    )


def render_tags(article: ModelArticle) -> str:
    if not article.tags:
        return ""
    links = "".join(f'<li><a href="/tag/{quote(t)}" rel="tag">{esc(t)}</a></li>' for t in article.tags)
    return f'<section class="box-tags"><h4 class="box-title">الكلمات المفتاحية</h4><ul>{links}</ul></section>'


def render_article(article: ModelArticle, base_url: str) -> str:
    author = f'<span class="author"><a href="/author/1">{esc(article.author)}</a></span>' if article.author else ""
    return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head>
<meta charset="UTF-8">
<title>{esc(article.title)} | هسبريس</title>
<meta property="og:title" content="{attr(article.title)}">
<meta property="article:section" content="{attr(article.section)}">
<link rel="canonical" href="{base_url}{article.path}">
<link rel="alternate" type="application/rss+xml" title="هسبريس" href="{base_url}/feed">
</head>
<body class="post-template-default single single-post postid-{article.article_id}">
<header class="site-header"><a class="logo" href="/">هسبريس</a>
<nav><a href="/politique">سياسة</a> <a href="/economie">اقتصاد</a> <a href="/societe">مجتمع</a></nav></header>
<main>
<article class="post">
<ol class="breadcrumb"><li><a href="/">الرئيسية</a></li>\
<li><a href="/c/{article.style}">{esc(article.section)}</a></li></ol>
<h1 class="post-title">{_noise(article.style)}{esc(article.title)}{_noise(article.style + 1)}</h1>
<div class="post-meta">{author}<span class="date-post">{shown_date(article.published)}</span></div>
<div class="article-content">
{render_body(article)}
</div>
{render_tags(article)}
</article>
{render_comments(article)}
<aside class="sidebar"><h3>الأكثر قراءة</h3><ul><li><a href="/{quote('خبر-آخر')}-1.html">خبر آخر</a></li></ul></aside>
</main>
<footer>جميع الحقوق محفوظة &copy; هسبريس</footer>
</body>
</html>"""


# --- URLs and routing -----------------------------------------------------------


def slug_path(slug: str, article_id: int) -> str:
    """`/<percent-encoded Arabic slug>-<id>.html`."""
    return f"/{quote(slug, safe='-')}-{article_id}.html"


class HespressRenderer(SiteRenderer):
    name = "hespress"
    feed_paths = ("/feed",)

    def article_path(self, article) -> str:
        return slug_path(article.slug, article.article_id)

    def route(self, path, query) -> tuple[int, int] | None:
        # Any slug (an old one, or none) reaches the article: identity is the id.
        match = ARTICLE_PATH.match(path)
        return (int(match.group(1)), 1) if match else None

    def comment_pages(self, article, per_page) -> int:
        return 1  # the whole thread is on the article page

    def article_response(self, article, base_url, page, per_page) -> tuple[dict, bytes]:
        return {"Content-Type": "text/html; charset=UTF-8"}, render_article(article, base_url).encode("utf-8")

    def feed_link(self, article, base_url) -> tuple[str, str]:
        # WordPress: a short-link guid that is not an article URL; the link is.
        return base_url + article.path, f"{base_url}/?p={article.article_id}"


RENDERER = HespressRenderer()


# --- content -----------------------------------------------------------------------


def _minute(when: datetime) -> datetime:
    return when.replace(second=0, microsecond=0)


def make_comments(rng: random.Random, words: list[str], count: int, first_id: int,
                  after: datetime) -> list[ModelComment]:
    """`count` comments, oldest first, with ids from `first_id`, posted after `after`."""
    comments = []
    when = after
    for i in range(count):
        when = _minute(when + timedelta(minutes=rng.randint(3, 140)))
        r = rng.random()
        author = "" if r < 0.1 else rng.choice(COMMENT_AUTHORS)
        blocks = [" ".join(rng.choices(words, k=rng.randint(3, 22))) for _ in range(rng.choice((1, 1, 2, 3)))]
        extra = rng.random()
        if extra < 0.15:
            blocks.append(rng.choice(HOSTILE))
        elif extra < 0.25:
            blocks.append(rng.choice(LATIN_LINES))
        likes = rng.choice((0, rng.randint(1, 60), rng.randint(1, 9), -rng.randint(1, 25)))
        comments.append(
            ModelComment(
                comment_id=first_id + i, title="", author=author, blocks=blocks, posted_at=when,
                join=rng.choice(("p", "p", "br")), likes=likes,
            )
        )
    return comments


def generate_hespress(articles: int = 24, seed: int = 11, recent: datetime | None = None) -> SiteModel:
    """A deterministic Hespress-model site: `articles` articles from 2012 to
    2025 (ids grow with time), most with comments, plus one published at
    `recent` when given (refresh_days re-fetches it)."""
    if articles < 6:
        raise ValueError("the Hespress model needs at least 6 articles to hold every case")
    rng = random.Random(seed)
    words = _reference_words()

    def sentence(lo, hi):
        return " ".join(rng.choices(words, k=rng.randint(lo, hi)))

    model = SiteModel(articles=[], site="hespress")
    start, end = datetime(2012, 1, 10, tzinfo=TZ), datetime(2025, 9, 20, tzinfo=TZ)
    span = end - start
    next_comment = 70001
    for n in range(articles):
        day = start + span * ((n + 0.5) / articles)
        published = day.replace(hour=rng.randint(8, 22), minute=rng.randint(0, 59), second=0, microsecond=0)
        fraction = (published - start) / span
        article_id = int(150_000 + fraction * 1_400_000) + n
        title = sentence(4, 11)
        slug_words = title.split(" ")[:6]
        if n % 6 == 2:
            slug_words.append(str(published.year))  # digits in the slug before the id
        body = [sentence(15, 40), *(sentence(8, 50) for _ in range(rng.randint(2, 7)))]
        if n % 4 == 3:
            body.append(rng.choice(LATIN_LINES))
        count = rng.choice((0, 1, 3, 4, 6, 12, 25))
        if n == 1:
            count = 32  # a long thread, still on one page
        comments = make_comments(rng, words, count, next_comment, published)
        next_comment += count
        article = ModelArticle(
            article_id=article_id,
            section=rng.choice(SECTIONS),
            published=published,
            title=title,
            subtitle="",
            body=body,
            comments=comments,
            author=rng.choice(BYLINES),
            lastmod=max([published, *(c.posted_at for c in comments)]),
            style=n,
            site="hespress",
            slug="-".join(slug_words),
            tags=[] if n % 5 == 3 else rng.sample(TAGS, rng.randint(1, 4)),
        )
        model.articles.append(article)

    _add_required_cases(model.articles)
    if recent is not None:
        when = _minute(recent.astimezone(TZ) - timedelta(hours=5))
        comments = make_comments(rng, words, 3, 99001, when)
        model.articles.append(
            ModelArticle(
                article_id=1_600_000, section="مجتمع", published=when, title="خبر اليوم: " + sentence(4, 8),
                subtitle="", body=[sentence(10, 20), sentence(20, 40)], comments=comments,
                author="هسبريس", lastmod=when, site="hespress", slug="خبر-اليوم", tags=["المغرب"],
            )
        )
    for article in model.articles:
        for c in article.comments:
            assert " -" not in c.author and not c.author.startswith("-"), c.author
    return model


def _add_required_cases(arts: list[ModelArticle]) -> None:
    """Cases every crawl must meet, whatever the seed: a disliked and a liked
    comment, an article without comments, an article with a renamed slug."""
    threads = [c for a in arts for c in a.comments]
    if not any(c.likes < 0 for c in threads):
        threads[0].likes = -7
    if not any(c.likes > 0 for c in threads):
        threads[-1].likes = 12
    if all(a.comments for a in arts):
        arts[-2].comments = []
    # Its slug was changed after publication: the sitemap lists both URLs.
    renamed = next(a for a in arts if a.comments and a.tags)
    renamed.aliases = [slug_path("عنوان-قديم-" + renamed.slug, renamed.article_id)]


def add_comments(model: SiteModel, article_id: int, count: int, when: datetime, seed: int = 5) -> list[ModelComment]:
    """New comments on an article, as readers post them (no titles, with likes)."""
    article = model.by_id(article_id)
    first = max((c.comment_id for a in model.articles for c in a.comments), default=70000) + 1
    after = max([_minute(when.astimezone(TZ)), *(c.posted_at for c in article.comments)])
    added = make_comments(random.Random(seed), _reference_words(), count, first, after)
    article.comments.extend(added)
    return added
