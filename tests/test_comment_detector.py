"""The structural comment-thread detector: real captured threads, and small
synthetic threads for the markups and traps it must read (Arabic text, dl
threads, Drupal's sibling replies, wrappers, sidebars, hostile nesting).

The real pages are read from the shared folder, never copied here; their
gold counts and samples were read off each page by a person.
"""

from __future__ import annotations

import json

import pytest

from newscrawl.comment_detector import DetectedThread, detect_comments
from newscrawl.extract import page_selector, select
from tests.conftest import shared_pages

BASE = "https://news.example.com/2024/05/article-1.html"


def _real_pages() -> list:
    # Without the shared folder the real-page test is skipped (empty
    # parameter set), and the synthetic tests below still run.
    try:
        return shared_pages("real-pages/comments")
    except pytest.skip.Exception:
        return []


def _norm(text: str | None) -> str:
    return " ".join((text or "").split())


def detect(html: str, url: str = BASE, timezone: str = "UTC") -> DetectedThread | None:
    return detect_comments(page_selector(html, url).root, url, timezone)


def page(body: str, title: str = "مقال") -> str:
    return (f'<html dir="rtl"><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<article class="post"><h1>{title}</h1><p class="byline">بقلم سامي · 2024-05-01</p>'
            f'<p>نص المقال الأول، وهو طويل بما يكفي ليكون فقرة.</p><p>فقرة ثانية من نص المقال.</p></article>'
            f'{body}</body></html>')


# --- real threads ---------------------------------------------------------------

@pytest.mark.parametrize("gold_path", _real_pages(), ids=lambda path: path.stem)
def test_real_thread_is_read_with_its_counts_authors_texts_and_parents(gold_path):
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    html = gold_path.with_suffix(".html").read_text(encoding="utf-8", errors="replace")
    url = f"https://example.org/article/{gold_path.stem}"
    thread = detect(html, url)
    comments = thread.comments if thread else []

    if gold.get("negative_control"):
        assert comments == [], "a page without a reader thread must give no comment"
        return

    assert thread is not None
    counts = {gold["comments_total"], gold.get("reader_comments_excluding_pingbacks", gold["comments_total"])}
    assert len(comments) in counts, (len(comments), counts)
    if gold.get("pingbacks") and len(comments) == gold["reader_comments_excluding_pingbacks"]:
        assert thread.pingbacks == gold["pingbacks"]  # left out, and said so

    for sample in gold["samples"]:
        hits = [index for index, comment in enumerate(comments)
                if _norm(comment["author"]) == _norm(sample["author"])
                and _norm(sample["text_fragment"]) in _norm(comment["text"])]
        assert hits, f"sample of {sample['author']!r} not found with its author and text in one record"
        found = [comments[index] for index in hits]
        if sample["is_reply"]:
            assert any(c["parent"] is not None and _norm(comments[c["parent"]]["author"]) ==
                       _norm(sample["parent_author"]) for c in found), sample
        else:
            assert any(c["depth"] == 0 and c["parent"] is None for c in found), sample

    for index, comment in enumerate(comments):
        assert comment["parent"] is None or comment["parent"] < index  # a parent comes before its replies
        assert comment["depth"] == (0 if comment["parent"] is None else comments[comment["parent"]]["depth"] + 1)
        assert comment["text"] == _norm(comment["text"]) and comment["author"] == _norm(comment["author"])
    for link in thread.next_urls:
        assert link.startswith("https://example.org/")


# --- synthetic threads ------------------------------------------------------------

ARABIC_WORDPRESS = """
<div id="comments" class="comments-area">
  <h3 class="comments-title">3 تعليقات على “مقال”</h3>
  <ol class="commentlist">
    <li class="comment even thread-even depth-1 parent" id="comment-11">
      <div id="div-comment-11" class="comment-body">
        <div class="comment-author vcard"><img class="avatar" src="a.png">
          <cite class="fn">أحمد المصري</cite> <span class="says">يقول:</span></div>
        <div class="comment-meta commentmetadata"><a href="#comment-11">24 مارس 2015 - 18:02</a></div>
        <p>مقالٌ رائعٌ جداً، شكراً للكاتب على هذا التحليل العميق.</p>
        <div class="reply"><a class="comment-reply-link" href="?replytocom=11#respond">رد</a></div>
      </div>
      <ul class="children">
        <li class="comment byuser comment-author-admin bypostauthor odd alt depth-2" id="comment-12">
          <div id="div-comment-12" class="comment-body">
            <div class="comment-author vcard"><cite class="fn">المحرر</cite> <span class="says">يقول:</span></div>
            <div class="comment-meta commentmetadata"><a href="#comment-12">25 مارس 2015 - 09:15</a></div>
            <p>شكراً لك يا أحمد على متابعتك الدائمة.</p>
            <div class="reply"><a class="comment-reply-link" href="?replytocom=12#respond">رد</a></div>
          </div>
        </li>
      </ul>
    </li>
    <li class="comment odd alt thread-odd depth-1" id="comment-13">
      <div id="div-comment-13" class="comment-body">
        <div class="comment-author vcard"><cite class="fn">ليلى</cite> <span class="says">تقول:</span></div>
        <div class="comment-meta commentmetadata"><a href="#comment-13">26 مارس 2015 - 10:00</a></div>
        <p>أختلف مع الكاتب في النقطة الثانية.</p><p>لكن المقال مفيد.</p>
        <div class="reply"><a class="comment-reply-link" href="?replytocom=13#respond">رد</a></div>
      </div>
    </li>
  </ol>
</div>
"""


def test_an_arabic_wordpress_thread_keeps_its_text_exactly_and_links_the_reply():
    thread = detect(page(ARABIC_WORDPRESS), timezone="Asia/Riyadh")
    assert thread is not None
    comments = thread.comments
    assert [c["author"] for c in comments] == ["أحمد المصري", "المحرر", "ليلى"]
    assert comments[0]["text"] == "مقالٌ رائعٌ جداً، شكراً للكاتب على هذا التحليل العميق."  # harakat kept
    assert comments[2]["text"] == "أختلف مع الكاتب في النقطة الثانية. لكن المقال مفيد."
    assert [(c["parent"], c["depth"]) for c in comments] == [(None, 0), (0, 1), (None, 0)]
    assert [c["comment_id"] for c in comments] == ["11", "12", "13"]
    assert comments[0]["posted_at"] == "2015-03-24T18:02:00+03:00"
    assert all("رد" not in c["text"] and "يقول" not in c["text"] for c in comments)
    # The selector is one a maintainer can paste: it matches the three comments.
    root = page_selector(page(ARABIC_WORDPRESS), BASE).root
    assert len(select(root, thread.items_css)) == 3
    assert thread.parts["author"] == "cite.fn"


def test_an_arabic_thread_without_comment_names_is_found_by_its_repeated_parts():
    items = "".join(
        f'<div class="box"><div class="head"><b>{name}</b> يقول: <span class="when">{when}</span></div>'
        f'<div class="body">{text}</div><a href="#respond">رد</a></div>'
        for name, when, text in (
            ("خالد", "2024-05-02 10:00", "هذا رأيي في الموضوع باختصار شديد."),
            ("سارة", "2024-05-02 11:30", "أوافقك الرأي تماماً يا خالد."),
            ("منى", "2024-05-03 08:45", "المقال يحتاج إلى مصادر أكثر."),
        ))
    thread = detect(page(f'<section class="talk"><h2>آراء القراء</h2>{items}</section>'))
    assert thread is not None
    assert [(c["author"], c["text"]) for c in thread.comments] == [
        ("خالد", "هذا رأيي في الموضوع باختصار شديد."),
        ("سارة", "أوافقك الرأي تماماً يا خالد."),
        ("منى", "المقال يحتاج إلى مصادر أكثر."),
    ]
    assert thread.comments[1]["posted_at"] == "2024-05-02T11:30:00+00:00"


def test_a_dl_thread_reads_each_dt_with_its_dd_as_one_comment():
    html = page("""
    <div id="comments"><dl class="commentlist">
      <dt class="comment" id="comment-1"><cite>Rami</cite> | <a href="#comment-1">2024-05-01 12:00</a></dt>
      <dd class="comment"><p>First comment text, long enough to read.</p>
        <a class="comment-reply-link" href="?replytocom=1#respond">Reply</a></dd>
      <dt class="comment" id="comment-2"><cite>Nour</cite> | <a href="#comment-2">2024-05-01 13:00</a></dt>
      <dd class="comment"><p>Second comment, with its own words.</p>
        <a class="comment-reply-link" href="?replytocom=2#respond">Reply</a></dd>
    </dl></div>""")
    thread = detect(html)
    assert thread is not None
    assert [(c["author"], c["text"], c["comment_id"], c["depth"]) for c in thread.comments] == [
        ("Rami", "First comment text, long enough to read.", "1", 0),
        ("Nour", "Second comment, with its own words.", "2", 0),
    ]


def _drupal_comment(number: int, name: str, text: str) -> str:
    return (f'<article class="comment js-comment" id="comment-{number}"><footer>'
            f'<h6>{name} | Di, 21. April 2020 - 16:{number:02d}'
            f'<span property="schema:dateCreated" content="2020-04-21T14:{number:02d}:00+00:00" class="hidden">'
            f'</span></h6><p class="visually-hidden">In reply to <a href="/comment/1">x</a> by '
            f'<span property="schema:name">Gast</span></p></footer>'
            f'<div class="field--name-comment-body"><p><a href="/comment/{number}#comment-{number}" class="permalink" '
            f'rel="bookmark">Subject {number}</a></p></div>'
            f'<div property="schema:text" class="field field--name-comment-body field--label-hidden">'
            f'<p>{text}</p></div>'
            f'<ul class="links inline"><li class="comment-reply"><a href="/comment/reply/{number}">Antworten</a></li>'
            f'</ul></article>')


def test_drupal_replies_in_a_following_indented_box_are_replies_of_the_comment_before():
    html = page('<div id="comments"><section>'
                + _drupal_comment(1, "Heidi", "Erster Kommentar zum Artikel.")
                + _drupal_comment(2, "Horst", "Zweiter Kommentar, eine andere Meinung.")
                + '<div class="indented">' + _drupal_comment(3, "Heidi", "Antwort auf Horst.")
                + _drupal_comment(4, "Uwe", "Noch eine Antwort auf Horst.") + "</div>"
                + _drupal_comment(5, "Eva", "Dritter Kommentar oben.")
                + "</section></div>")
    thread = detect(html)
    assert thread is not None
    assert [(c["author"], c["parent"], c["depth"]) for c in thread.comments] == [
        ("Heidi", None, 0), ("Horst", None, 0), ("Heidi", 1, 1), ("Uwe", 1, 1), ("Eva", None, 0)]
    first = thread.comments[0]
    assert first["text"] == "Erster Kommentar zum Artikel."  # no subject, no hidden "In reply to ... Gast"
    assert first["title"] == "Subject 1"
    assert first["posted_at"] == "2020-04-21T14:01:00+00:00"


def test_an_li_wrapping_an_article_comment_is_one_comment_and_its_children_are_replies():
    def item(number: int, name: str, text: str, children: str = "") -> str:
        return (f'<li class="comment depth-1" id="li-comment-{number}"><article id="comment-{number}" class="comment">'
                f'<header class="comment-meta comment-author vcard"><cite><b class="fn">{name}</b> <span>Autor</span>'
                f'</cite><a href="#comment-{number}"><time datetime="2024-01-0{number}T10:00:00+01:00">'
                f'{number}. Januar 2024</time></a></header>'
                f'<section class="comment-content comment"><p>{text}</p></section>'
                f'<div class="reply"><a class="comment-reply-link" href="#respond">Antwort</a> <span>↓</span></div>'
                f'</article>{children}</li>')
    html = page('<div id="comments"><ol class="commentlist">'
                + item(1, "Mathias", "Oben.", '<ol class="children">' + item(2, "Jo", "Darunter.") + "</ol>")
                + item(3, "Peter", "Wieder oben.") + "</ol></div>")
    thread = detect(html)
    assert thread is not None
    assert [(c["author"], c["text"], c["parent"]) for c in thread.comments] == [
        ("Mathias", "Oben.", None), ("Jo", "Darunter.", 0), ("Peter", "Wieder oben.", None)]
    assert thread.comments[0]["posted_at"] == "2024-01-01T10:00:00+01:00"


def test_pingbacks_are_left_out_and_counted():
    comment = ('<li class="comment" id="comment-{n}"><div class="comment-author"><b class="fn">{name}</b></div>'
               '<time datetime="2024-02-0{n}">x</time><div class="comment-content"><p>{text}</p></div>'
               '<a class="comment-reply-link" href="#respond">Reply</a></li>')
    pingback = ('<li class="pingback" id="comment-{n}"><p>Pingback: <a href="https://other.example.org/x">'
                'A post elsewhere</a></p></li>')
    html = page('<div id="comments"><ol class="comment-list">'
                + comment.format(n=1, name="Ann", text="A comment.")
                + pingback.format(n=2)
                + comment.format(n=3, name="Bob", text="Another comment.")
                + pingback.format(n=4) + "</ol></div>")
    thread = detect(html)
    assert [c["author"] for c in thread.comments] == ["Ann", "Bob"]
    assert thread.pingbacks == 2


def test_a_sidebar_of_latest_comments_elsewhere_is_not_a_thread():
    latest = "".join(
        f'<li><div class="comment"><span class="article">Artikel {n}</span>'
        f'<a class="title" href="/meldungen/artikel-{n}#comment-{100 + n}">Titel {n}</a><div></div></div></li>'
        for n in range(10))
    html = page(f'<div id="comments"></div><form id="comments-form"><textarea></textarea></form>'
                f'<div id="aside"><div class="module comments"><h3>neueste kommentare</h3>'
                f'<ul class="jcomments-latest">{latest}</ul></div></div>')
    thread = detect(html)
    assert thread is None or thread.comments == []


def test_a_recent_comments_widget_and_a_related_articles_list_are_not_a_thread():
    # The widget quotes each comment ("excerpts"), and says nothing of being a sidebar.
    widget = "".join(
        f'<li class="recentcomments" id="comment-{n}"><span class="comment-author-link">قارئ {n}</span> على '
        f'<a href="/2024/04/other-{n}.html#comment-{n}">مقال</a>: <span class="comment-excerpt">'
        f'نص مقتطف من تعليق القارئ على مقال آخر رقم {n}</span> <time datetime="2024-04-0{n + 1}">أمس</time>'
        f'<a class="comment-reply-link" href="/2024/04/other-{n}.html?replytocom={n}">رد</a></li>'
        for n in range(6))
    related = "".join(
        f'<li class="post"><h3><a href="/2024/04/story-{n}.html">عنوان خبر آخر رقم {n}</a></h3>'
        f'<span class="author">بقلم كاتب {n}</span> <time datetime="2024-04-0{n + 1}">أبريل</time>'
        f'<p>مقتطف من الخبر الآخر يكفي ليبدو نصاً حقيقياً لخبر رقم {n}.</p></li>' for n in range(5))
    assert detect(page(f'<div class="widget_recent_comments"><ul id="recentcomments">{widget}</ul></div>')) is None
    assert detect(page(f'<aside class="sidebar"><ul class="comments">{widget}</ul></aside>')) is None
    assert detect(page(f'<div class="related"><ul class="posts">{related}</ul></div>')) is None


def test_an_article_without_comments_gives_none():
    assert detect(page("<footer><p>© 2024</p></footer>")) is None
    assert detect("<html><body></body></html>") is None
    assert detect("") is None


def test_links_to_the_threads_other_pages_are_absolute_same_host_next_first():
    comment = ('<li class="comment" id="comment-{n}"><div class="comment-author"><span class="fn">Reader {n}</span>'
               '</div><div class="comment-metadata"><time datetime="2024-03-0{n}T08:00:00Z">March</time></div>'
               '<div class="comment-content"><p>Words of reader {n}.</p></div>'
               '<div class="reply"><a class="comment-reply-link" href="?replytocom={n}#respond">Reply</a></div></li>')
    html = page('<div id="comments" class="comments-area"><ol class="comment-list">'
                + "".join(comment.format(n=n) for n in (1, 2, 3)) + "</ol>"
                '<nav class="navigation comment-navigation"><div class="nav-links">'
                '<div class="nav-previous"><a href="/2024/05/article-1.html/comment-page-1/#comments">'
                'التعليقات السابقة</a></div>'
                '<div class="nav-next"><a href="comment-page-3/#comments">Newer Comments</a></div>'
                '</div></nav>'
                '<a href="https://evil.example.net/comment-page-2/">Older Comments</a>'
                '<a href="javascript:load(\'comment-page-4\')">Older Comments</a>'
                '<a href="https://news.example.com/2024/05/article-1.html#comments">3 Comments</a>'
                '</div>'
                '<nav class="post-navigation"><div class="nav-previous"><a href="/2024/04/previous-post.html">'
                'Previous post</a></div></nav>')
    thread = detect(html)
    assert thread is not None and len(thread.comments) == 3
    assert thread.next_urls == [
        "https://news.example.com/2024/05/comment-page-3/",
        "https://news.example.com/2024/05/article-1.html/comment-page-1/",
    ]


def test_text_leaves_out_the_vote_widget_badge_and_says():
    html = page("""<ul class="comments-list">""" + "".join(f"""
      <li class="comment" id="comment-{n}"><div class="comment-body">
        <div class="comment-author vcard"><cite class="fn">Pseudonym {n}?!</cite> <span class="says">sagt:</span></div>
        <div class="comment-meta commentmetadata"><a href="#c">1. November 2023 um 11:5{n}&nbsp;Uhr</a></div>
        <p>Meinung Nummer {n}.</p>
        <div class="cld-like-dislike-wrap"><div class="cld-like-wrap"><a href="javascript:void(0)"></a>
          <span class="cld-like-count-wrap">{n}</span></div></div>
        <div class="reply"><a class="comment-reply-link" href="#respond">Antworten</a></div>
      </div></li>""" for n in (1, 2, 3)) + "</ul>")
    thread = detect(html, timezone="Europe/Vienna")
    assert [(c["author"], c["text"]) for c in thread.comments] == [
        (f"Pseudonym {n}?!", f"Meinung Nummer {n}.") for n in (1, 2, 3)]
    assert thread.comments[0]["posted_at"] == "2023-11-01T11:51:00+01:00"


@pytest.mark.parametrize("html", [
    "<div>" * 5000 + "x" + "</div>" * 5000,
    "<ul>" + "<li class='comment'><b class='fn'>A</b><p>t</p><ul>" * 3000 + "</ul></li>" * 3000 + "</ul>",
    "<ol class='commentlist'>" + "<li class='comment'><cite>N</cite><p>" + "<span>" * 2000 + "w" * 10,
    "<html><body>" + "<p class='comment' id='comment-1'><time datetime='x'>" * 500 + "</body></html>",
    "\x00\ufeff<<<>>><li class=comment><cite>&#0;</cite>",
], ids=["deep-divs", "deep-replies", "unclosed", "repeated-broken", "garbage"])
def test_hostile_markup_never_raises(html, caplog):
    thread = detect(html)
    assert thread is None or isinstance(thread.comments, list)
    # Read within its budgets, not rescued by the catch-all that logs a bug.
    assert not [r for r in caplog.records if "comment detection failed" in r.getMessage()]


def test_deeply_nested_replies_are_linked_without_exhausting_the_stack():
    depth = 300
    item = ('<li class="comment" id="comment-{n}"><div class="comment-author"><b class="fn">R{n}</b></div>'
            '<time datetime="2024-01-01T00:00:00Z">x</time><p>reply {n}</p>'
            '<a class="comment-reply-link" href="#respond">Reply</a><ul class="children">')
    html = page('<ol class="commentlist">' + "".join(item.format(n=n) for n in range(depth))
                + "</ul></li>" * depth + "</ol>")
    thread = detect(html)
    assert thread is not None
    assert len(thread.comments) == depth
    assert [c["depth"] for c in thread.comments] == list(range(depth))
    assert all(c["parent"] == index - 1 for index, c in enumerate(thread.comments) if index)


def test_alternating_item_classes_and_replies_in_nested_lists_inside_a_sidebar_layout():
    # JComments: items "even"/"odd" named alike by their id scheme; a layout
    # wrapper "has-sidebar" around content and sidebar is not a sidebar.
    def item(number: int, parity: str, name: str, text: str, replies: str = "") -> str:
        return (f'<div class="{parity}" id="comment-item-{number}"><div class="rbox"><div class="comment-box">'
                f'<span class="comments-vote"><span class="vote-good">+2</span></span>'
                f'<a class="comment-anchor" href="/x#comment-{number}" id="comment-{number}">#{number}</a>'
                f'<span class="comment-author">{name}</span> <span class="comment-date">2020-01-0{number} 10:00</span>'
                f'<div class="comment-body">{text}</div><span class="comments-buttons"><a href="#">Antworten</a>'
                f'</span></div></div>{replies}</div>')
    thread_html = ('<div id="comments"><div class="comments-list">'
                   + item(1, "even", "Gast Eins", "Erster.",
                          '<div class="comments-list">' + item(2, "odd", "Redaktion", "Antwort.") + "</div>")
                   + item(3, "odd", "Gast Drei", "Dritter.") + "</div></div>")
    html = page(f'<div class="layout has-sidebar">{thread_html}<div id="sidebar"><ul><li>x</li></ul></div></div>')
    thread = detect(html)
    assert thread is not None
    assert [(c["author"], c["text"], c["parent"], c["comment_id"]) for c in thread.comments] == [
        ("Gast Eins", "Erster.", None, "1"), ("Redaktion", "Antwort.", 0, "2"), ("Gast Drei", "Dritter.", None, "3")]
    assert thread.items_css.endswith('div[id^="comment-item-"]')


def test_teaser_lists_and_live_blogs_are_not_threads():
    teasers = "".join(
        f'<li><a href="/2024/04/story-{n}.html"><img src="{n}.jpg"></a>'
        f'<a href="/2024/04/story-{n}.html">عنوان خبر آخر طويل رقم {n}</a><span class="author">كاتب {n}</span>'
        f'<span class="date">2024-04-0{n}</span><p>مقتطف من الخبر يكفي ليبدو نصاً رقم {n}.</p></li>'
        for n in range(1, 5))
    live = "".join(
        f'<div class="entry"><time datetime="2024-05-01T1{n}:00:00+03:00">1{n}:00</time>'
        f'<span class="author">مراسلنا {n}</span><p>تحديث جديد من مكان الحدث رقم {n}.</p></div>' for n in range(4))
    assert detect(page(f'<div class="more-stories"><ul>{teasers}</ul></div>')) is None
    assert detect(page(f'<div class="live-updates">{live}</div>')) is None


def test_a_drupal_timestamp_gives_the_instant_whatever_order_the_shown_date_has():
    # "01/02/2023" is 2 January to Drupal and 1 February day-first; the
    # machine-readable timestamp settles it.
    item = ('<article id="comment-{n}" class="comment js-comment"><span class="hidden" data-comment-timestamp='
            '"{stamp}"></span><footer class="comment__meta"><p class="comment__author"><span>{name}</span></p>'
            '<p class="comment__time">Mon, 01/02/2023 - 10:00</p><p class="comment__permalink">'
            '<a href="/comment/{n}#comment-{n}">Permalink</a></p></footer><div class="comment__content">'
            '<h3><a href="/comment/{n}#comment-{n}" class="permalink" rel="bookmark">Subject {n}</a></h3>'
            '<div class="field--name-comment-body"><p>Text {n}.</p></div></div>'
            '<ul class="links inline"><li><a href="/comment/reply/node/1/comment/{n}">Reply</a></li></ul></article>')
    html = page('<section class="comments">' + item.format(n=11, stamp=1672653600, name="Nadia")
                + item.format(n=12, stamp=1672740000, name="Sami") + "</section>")
    thread = detect(html)
    assert [(c["author"], c["title"], c["text"], c["posted_at"]) for c in thread.comments] == [
        ("Nadia", "Subject 11", "Text 11.", "2023-01-02T10:00:00+00:00"),
        ("Sami", "Subject 12", "Text 12.", "2023-01-03T10:00:00+00:00")]
