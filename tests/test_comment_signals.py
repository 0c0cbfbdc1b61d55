"""What a page says about its own thread: printed counts, JSON-LD, sioc, reply links."""

from __future__ import annotations

import pytest

from newscrawl.comment_signals import comment_signals, parse_shown_count
from newscrawl.extract import page_selector


def signals(html: str):
    return comment_signals(page_selector(html, "http://127.0.0.1/a").root)


@pytest.mark.parametrize("text, count", [
    ("12 تعليقات", 12),
    ("١٢ تعليقاً", 12),
    ("التعليقات (12)", 12),
    ("1 عدد الردود", 1),
    ("عدد التعليقات: 7", 7),
    ("Comments (3)", 3),
    ("20 thoughts on “Amazon Liable…”", 20),
    ("11 responses to “" + "a very long title " * 10 + "”", 11),
    ("51 Kommentare", 51),
    ("33 LESER-KOMMENTARE", 33),
    ("Vos réactions (11)", 11),
    ("0 تعليق", 0),
    ("اترك تعليقاً", None),
    ("التعليقات", None),
    ("Recent comments", None),
    ("12 مارس 2024 التعليقات", None),
    ("نشر في 3 مارس 2024 · Comments", None),
])
def test_a_printed_count_is_read_in_arabic_and_the_usual_theme_wordings(text, count):
    assert parse_shown_count(text) == count


def test_a_count_is_read_from_a_heading_or_a_comment_named_element_only():
    page = signals('<h1>عنوان</h1><p>قتل 12 شخصا في 3 تعليقات صحفية</p><h3 id="comments-title">5 تعليقات</h3>')
    assert page.shown == 5 and page.sources == ["text"]
    assert signals('<article><p>نشر 12 تعليقا على الخبر</p></article>').shown is None


def test_counts_about_other_pages_are_not_this_pages():
    sidebar = ('<h1>عنوان</h1><div class="most-commented"><ul><li><a href="/news/2/">خبر آخر</a> '
               '<span class="comments-count">3 تعليقات</span></li></ul></div>')
    teaser = '<div class="card"><a class="comments-link" href="/news/3/#comments">2 تعليق</a></div>'
    aside = '<aside><h3>12 تعليقات</h3></aside>'
    headline = '<h2>5 ردود فعل دولية على القرار</h2>'
    responsive = '<div class="table-responsive"><span>3 comments</span></div>'
    for html in (sidebar, teaser, aside, headline, responsive):
        root = page_selector(html, "http://127.0.0.1/news/1/").root
        assert comment_signals(root, url="http://127.0.0.1/news/1/").shown is None, html
    own = '<a class="comments-link" href="/news/1/#comments">7 تعليقات</a>'
    root = page_selector(own, "http://127.0.0.1/news/1/").root
    assert comment_signals(root, url="http://127.0.0.1/news/1/").shown == 7


def test_a_row_of_buttons_is_not_one_count():
    html = ('<div class="comments-list"><span>كل التعليقات</span><a>إظهار المزيد من التعليقات (20)</a>'
            '<a>إظهار التعليقات الجديدة (0)</a></div>')
    assert signals(html).shown is None


def test_json_ld_sioc_and_microdata_counts_and_reply_links():
    ld = ('<script type="application/ld+json">{"@graph": [{"@type": "WebPage", "commentCount": 9}, '
          '{"@type": "NewsArticle", "interactionStatistic": {"@type": "InteractionCounter", '
          '"interactionType": "https://schema.org/CommentAction", '
          '"userInteractionCount": "٤"}}]}</script>')
    assert signals(ld).shown == 4 and signals(ld).sources == ["json-ld"]  # the article's own, not the graph's first
    plain = '<script type="application/ld+json">{"@type": "BlogPosting", "commentCount": 24}</script>'
    assert signals(plain).shown == 24
    assert signals('<meta property="sioc:num_replies" content="0">').shown == 0
    assert signals('<span itemprop="commentCount">9</span>').shown == 9
    reply = signals('<ol><li><p>نص</p><a class="comment-reply-link" href="#respond">رد</a></li></ol>')
    assert reply.shown is None and reply.sources == ["reply-links"] and reply.any
    assert not signals('<script type="application/ld+json">{broken</script><p>x</p>').any
