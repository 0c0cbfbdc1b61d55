"""HTML and XML of the local Elaph-model site.

The markup follows shared/spec/elaph-site-model.md. The same text is written
in several ways across articles (one <p> a line, <br> inside a paragraph,
inline tags, entities, stray white space) and the body is interleaved with
blocks that are not body text (related articles, ads, scripts, figures), so
that an extractor that gets any of these wrong produces a different dump.
"""

from __future__ import annotations

import html
from datetime import datetime

from newscrawl.samplesite.model import ModelArticle, ModelComment

ARABIC_MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
                 "ديسمبر")


def esc(text: str, style: int = 0) -> str:
    """Escape text for HTML; some styles write quotes and NBSP-free text with entities."""
    out = html.escape(text, quote=False)
    if style % 3 == 1:
        out = out.replace('"', "&quot;")
    elif style % 3 == 2:
        out = out.replace('"', "&#34;").replace("ا", "&#1575;", 1)
    return out


def shown_date(when: datetime) -> str:
    return f"{when.day} {ARABIC_MONTHS[when.month - 1]} {when.year}"


def _noise(style: int) -> str:
    # White space a template leaves inside elements.
    return ("", "\n      ", "  ", "\t")[style % 4]


def render_body_line(line: str, index: int, style: int) -> str:
    """One body line as a paragraph, with inline markup that must not matter."""
    n = _noise(style + index)
    words = line.split(" ")
    choice = (style + index) % 5
    if index == 2 and line.startswith(("فيما", "في")) or choice == 4 and len(words) > 3:
        inner = f"<strong>{esc(line, style)}</strong>"
    elif choice == 1 and len(words) > 4:
        cut = len(words) // 2
        inner = (f'{esc(" ".join(words[:cut]), style)} <a href="/tags/{index}">{esc(words[cut], style)}</a> '
                 f'{esc(" ".join(words[cut + 1:]), style)}')
    elif choice == 2 and len(words) > 2:
        inner = f"<span>{esc(words[0], style)}</span> {esc(' '.join(words[1:]), style)}"
    else:
        inner = esc(line, style)
    return f"<p>{n}{inner}{n}</p>"


def render_body(article: ModelArticle) -> str:
    style = article.style
    parts = []
    lines = list(article.body)
    i = 0
    while i < len(lines):
        line = lines[i]
        if line == "إضغط هنا للإشتراك":
            parts.append(f'<p><a href="https://t.me/elaphnews" target="_blank">{esc(line)}</a></p>')
        elif style % 3 == 2 and i + 1 < len(lines) and i >= 3 and lines[i + 1] != "إضغط هنا للإشتراك":
            # Two lines in one paragraph, split by <br>: two body lines.
            parts.append(f"<p>{esc(line, style)}<br>{_noise(style)}{esc(lines[i + 1], style)}</p>")
            i += 1
        else:
            parts.append(render_body_line(line, i, style))
        # Blocks inside the body that are not body text.
        if i == 3:
            parts.append(
                '<div class="related-articles"><h4>اقرأ أيضاً</h4><ul>'
                '<li><a href="/Web/News/2015/3/993740.html">الجعفري يصل إلى دمشق</a></li>'
                '<li><a href="/Web/News/2015/3/993741.html">المعلم: خندق واحد</a></li></ul></div>'
            )
        if i == 4 and style % 2 == 0:
            parts.append('<div class="ad"><span>إعلان</span><script>googletag.display("ad-1");</script></div>')
        if i == 5:
            parts.append(
                '<figure><img src="/images/photo.jpg" alt="صورة">'
                "<figcaption>وزير الخارجية في دمشق (أرشيف)</figcaption></figure>"
            )
        if i == 1:
            parts.append('<script>var related = "<p>ليس من النص</p>";</script><style>p { color: #333 }</style>')
        i += 1
    return "\n".join(parts)


def render_comment(comment: ModelComment) -> str:
    cid = f' id="comment-{comment.comment_id}"' if comment.comment_id else ""
    title = f'<h4 class="comment-title">{esc(comment.title)}</h4>' if comment.title else ""
    author = f'<span class="comment-author">{esc(comment.author)}</span>' if comment.author else ""
    when = comment.posted_at.isoformat(timespec="seconds")
    if comment.join == "br":
        text = "<p>" + "<br>\n".join(esc(b) for b in comment.blocks) + "</p>"
    else:
        text = "".join(f"<p>{esc(b)}</p>" for b in comment.blocks)
    return (
        f'<li class="comment"{cid}>{title}'
        f'<div class="comment-meta">{author}'
        f'<time class="comment-date" datetime="{when}">{shown_date(comment.posted_at)}</time></div>'
        f'<div class="comment-body">{text}</div></li>'
    )


def comment_pages(article: ModelArticle, per_page: int) -> int:
    return max(1, -(-len(article.comments) // per_page))


def render_comments(article: ModelArticle, page: int, per_page: int) -> str:
    pages = comment_pages(article, per_page)
    shown = article.comments[(page - 1) * per_page : page * per_page]
    items = "\n".join(render_comment(c) for c in shown)
    next_link = ""
    if page < pages:
        next_link = f'<a class="comments-next" href="{article.path}?cpage={page + 1}">المزيد من التعليقات</a>'
    elif article.loop_comments and pages >= 3:
        next_link = f'<a class="comments-next" href="{article.path}?cpage=2">المزيد من التعليقات</a>'
    return (
        '<section class="comments" id="comments">\n<h3 class="comments-title">التعليقات</h3>\n'
        f'<ol class="comments-list">\n{items}\n</ol>\n{next_link}\n</section>'
    )


def break_markup(page: str) -> str:
    """What sloppy templates and editors leave: no </p>, a stray </span>, an unclosed <div>."""
    page = page.replace("</p>", "").replace('<div class="content-body">', '<div class="content-body"></span><div>', 1)
    return page.replace("</article>", "</div-x></article>")


def render_article(article: ModelArticle, base_url: str, page: int = 1, per_page: int = 20,
                   charset: str | None = "utf-8") -> str:
    html_text = _render_article(article, base_url, page, per_page, charset)
    return break_markup(html_text) if article.broken_html else html_text


def _render_article(article: ModelArticle, base_url: str, page: int, per_page: int, charset: str | None) -> str:
    meta_charset = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if charset else ""
    canonical = (f"{base_url}/Web/{article.section}/{article.published.year}/{article.published.month}/"
                 f"{article.article_id}{article.ext}")
    published = article.published.isoformat(timespec="seconds")
    subtitle = f'<h2 class="article-subtitle">{esc(article.subtitle, article.style)}</h2>' if article.subtitle else ""
    author = f'<span class="article-author">{esc(article.author)}</span>' if article.author else ""
    return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head>
{meta_charset}
<title>{esc(article.title)} | إيلاف</title>
<meta property="og:title" content="{html.escape(article.title)}">
<meta property="article:published_time" content="{published}">
<meta property="article:section" content="{article.section}">
<link rel="canonical" href="{canonical}">
<script>window.dataLayer = [{{"page": "article"}}];</script>
</head>
<body>
<header class="site-header"><a href="/">إيلاف</a>\
<nav><a href="/Web/News">أخبار</a> <a href="/Web/Politics">سياسة</a></nav></header>
<main>
<article class="article">
<a class="section-label" href="/Web/{article.section}">{article.section}</a>
<h1 class="article-title">{_noise(article.style)}{esc(article.title, article.style)}</h1>
{subtitle}
<div class="article-meta">{author}<time datetime="{published}">{shown_date(article.published)}</time></div>
<div class="content-body">
{render_body(article)}
</div>
</article>
{render_comments(article, page, per_page)}
</main>
<footer>جميع الحقوق محفوظة &copy; إيلاف</footer>
</body>
</html>"""


def article_response(article: ModelArticle, base_url: str, page: int = 1, per_page: int = 20) -> tuple[dict, bytes]:
    """Headers and bytes of an article page, in the article's charset case:
    utf-8; windows-1256 declared in <meta>; windows-1256 undeclared; or
    windows-1256 under a header that claims UTF-8 (mislabelled)."""
    if article.encoding == "utf-8":
        page_html = render_article(article, base_url, page, per_page, charset="utf-8")
        return {"Content-Type": "text/html; charset=utf-8"}, page_html.encode("utf-8")
    if article.encoding == "cp1256":
        page_html = render_article(article, base_url, page, per_page, charset="windows-1256")
        return {"Content-Type": "text/html"}, page_html.encode("cp1256")
    if article.encoding == "utf-8-mislabelled":
        page_html = render_article(article, base_url, page, per_page, charset="windows-1256")
        return {"Content-Type": "text/html"}, page_html.encode("utf-8")
    page_html = render_article(article, base_url, page, per_page, charset=None)
    if article.encoding == "cp1256-undeclared":
        return {"Content-Type": "text/html"}, page_html.encode("cp1256")
    return {"Content-Type": "text/html; charset=utf-8"}, page_html.encode("cp1256")
