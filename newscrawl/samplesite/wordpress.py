"""A WordPress news blog (a modern theme), for the generic spider's tests.

Pretty permalinks /YYYY/MM/DD/<slug>/, comment pages /…/comment-page-N/,
threaded replies nested in their parent's <li>, an RSS feed at /feed/; half
the articles show their comments as schema.org Comment microdata instead of
the theme's list. Nothing here is a selector of the generic profile: it is
what WordPress writes.
"""

from __future__ import annotations

import html
import random
import re
from datetime import UTC, datetime, timedelta

from newscrawl.samplesite.base import SiteRenderer
from newscrawl.samplesite.model import AUTHORS, HOSTILE, ModelArticle, ModelComment, SiteModel, _reference_words

PERMALINK = re.compile(r"^/(\d{4})/(\d{2})/(\d{2})/story-(\d+)/(?:comment-page-(\d+)/)?$")


def esc(text: str) -> str:
    return html.escape(text, quote=False)


class WordPressRenderer(SiteRenderer):
    name = "wordpress"
    feed_paths = ("/feed/",)

    def article_path(self, article) -> str:
        p = article.published
        return f"/{p.year}/{p.month:02d}/{p.day:02d}/story-{article.article_id}/"

    def route(self, path, query) -> tuple[int, int] | None:
        match = PERMALINK.match(path)
        if not match:
            return None
        return int(match.group(4)), int(match.group(5) or 1)

    def article_response(self, article, base_url, page, per_page) -> tuple[dict, bytes]:
        return {"Content-Type": "text/html; charset=UTF-8"}, self.page(article, base_url, page, per_page).encode()

    def comment(self, comment: ModelComment, microdata: bool, replies: str = "") -> str:
        when = comment.posted_at.isoformat(timespec="seconds")
        paragraphs = "".join(f"<p>{esc(b)}</p>" for b in comment.blocks)
        if microdata:
            return (f'<div class="comment-item" itemscope itemtype="http://schema.org/Comment" '
                    f'id="comment-{comment.comment_id}">'
                    f'<span itemprop="author" itemscope itemtype="http://schema.org/Person">'
                    f'<span itemprop="name">{esc(comment.author)}</span></span>'
                    f'<time itemprop="dateCreated" datetime="{when}">{comment.posted_at:%Y-%m-%d}</time>'
                    f'<div itemprop="text">{paragraphs}</div></div>')
        author = f'<b class="fn">{esc(comment.author)}</b> <span class="says">قال:</span>' if comment.author else ""
        return (f'<li id="comment-{comment.comment_id}" class="comment even depth-1">'
                f'<article id="div-comment-{comment.comment_id}" class="comment-body">'
                f'<footer class="comment-meta"><div class="comment-author vcard">{author}</div>'
                f'<div class="comment-metadata"><a href="#comment-{comment.comment_id}"><time datetime="{when}">'
                f"{comment.posted_at:%Y-%m-%d}</time></a></div></footer>"
                f'<div class="comment-content">{paragraphs}</div>'
                f'<div class="reply"><a class="comment-reply-link" href="#">رد</a></div></article>{replies}</li>')

    def comments(self, article, base_url, page, per_page) -> str:
        shown = article.comments[(page - 1) * per_page : page * per_page]
        microdata = article.style % 2 == 1
        if microdata:
            items = "".join(self.comment(c, True) for c in shown)
            listing = f'<div class="comment-stream">{items}</div>'
        else:
            # Every third comment is a reply to the one before it, nested in
            # its <li> as WordPress threads them (page order is unchanged).
            parts, i = [], 0
            while i < len(shown):
                if i + 1 < len(shown) and (i + 1) % 3 == 0:
                    reply = self.comment(shown[i + 1], False)
                    parts.append(self.comment(shown[i], False, f'<ol class="children">{reply}</ol>'))
                    i += 2
                else:
                    parts.append(self.comment(shown[i], False))
                    i += 1
            listing = f'<ol class="comment-list">{"".join(parts)}</ol>'
        nav = ""
        if page < self.comment_pages(article, per_page):
            nav = (f'<nav class="comment-navigation"><div class="nav-previous"></div><div class="nav-next">'
                   f'<a href="{article.path}comment-page-{page + 1}/#comments">التعليقات الأحدث</a></div></nav>')
        return (f'<div id="comments" class="comments-area">'
                f'<h2 class="comments-title">{len(article.comments)} تعليقات</h2>'
                f'{listing}{nav}<div id="respond" class="comment-respond"><h3 id="reply-title">اترك تعليقاً</h3>'
                '<form><textarea name="comment"></textarea><input type="submit" value="إرسال"></form></div></div>')

    def page(self, article, base_url, page, per_page) -> str:
        when = article.published.isoformat(timespec="seconds")
        body = "\n".join(f"<p>{esc(line)}</p>" for line in article.body)
        comments = self.comments(article, base_url, page, per_page) if article.comments else ""
        return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl"><head><meta charset="UTF-8"><title>{esc(article.title)} – مدونة الأخبار</title>
<meta property="og:title" content="{html.escape(article.title)}">
<meta property="article:published_time" content="{when}">
<link rel="canonical" href="{base_url}{article.path}">
</head><body class="single">
<header id="masthead"><p class="site-title"><a href="/">مدونة الأخبار</a></p>
<nav class="main-navigation"><ul><li><a href="/category/news/">أخبار</a></li>\
<li><a href="/category/opinion/">رأي</a></li></ul></nav></header>
<main id="main"><article class="post type-post">
<header class="entry-header"><h1 class="entry-title">{esc(article.title)}</h1>
<div class="entry-meta"><time class="entry-date published" datetime="{when}">{article.published:%Y-%m-%d}</time>
<span class="byline"><a rel="author" href="/author/x/">{esc(article.author)}</a></span></div></header>
<div class="entry-content">
{body}
</div>
<footer class="entry-footer"><span class="cat-links">التصنيف: <a href="/category/news/">أخبار</a></span></footer>
</article>
{comments}
</main>
<footer id="colophon"><p>جميع الحقوق محفوظة</p></footer>
</body></html>"""


RENDERER = WordPressRenderer()


def generate_wordpress(articles: int = 10, seed: int = 3) -> SiteModel:
    """A WordPress blog of `articles` posts, one of them with three pages of comments."""
    rng = random.Random(seed)
    words = _reference_words()
    start = datetime(2021, 1, 10, 9, 0, tzinfo=UTC)
    posts, next_comment = [], 501
    for n in range(articles):
        published = start + timedelta(days=37 * n, hours=n)
        count = 45 if n == 1 else rng.choice((0, 2, 5, 9))
        comments = []
        for i in range(count):
            blocks = [" ".join(rng.choices(words, k=rng.randint(6, 18))) for _ in range(rng.choice((1, 1, 2)))]
            if rng.random() < 0.15:
                blocks.append(rng.choice(HOSTILE))
            comments.append(ModelComment(comment_id=next_comment, title="", blocks=blocks,
                                         author=rng.choice(AUTHORS) if rng.random() > 0.1 else "",
                                         posted_at=published + timedelta(hours=2 + i)))
            next_comment += 1
        # Body paragraphs long enough for Trafilatura to take them as text.
        body = [" ".join(rng.choices(words, k=rng.randint(25, 50))) for _ in range(rng.randint(4, 8))]
        posts.append(ModelArticle(
            article_id=1000 + n, section="", published=published,
            title=" ".join(rng.choices(words, k=rng.randint(5, 9))), subtitle="", body=body,
            comments=comments, author=rng.choice(("محرر الموقع", "سامي خليل")), site="wordpress",
            lastmod=published, style=n,
        ))
    return SiteModel(articles=posts, site="wordpress")
