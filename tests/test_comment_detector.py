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


def test_links_no_parser_reads_are_passed_over_and_the_thread_read_as_without_them():
    # "http://[" opens an IPv6 address it never closes: urljoin raises on it.
    # In the page's canonical and og:url, a paging link, a count on a link:
    # each is passed over, the thread and its other pages are the same.
    comment = ('<li class="comment" id="comment-{n}"><div class="comment-author"><span class="fn">قارئ {n}</span>'
               '</div><div class="comment-metadata"><time datetime="2024-03-0{n}T08:00:00Z">مارس</time></div>'
               '<div class="comment-content"><p>رأي القارئ {n}.</p></div></li>')
    thread = ('<div id="comments" class="comments-area"><h2>3 تعليقات</h2><ol class="comment-list">'
              + "".join(comment.format(n=n) for n in (1, 2, 3)) + "</ol>"
              '<div class="nav-links">{junk}<div class="nav-next"><a href="comment-page-3/#comments">'
              'Newer Comments</a></div></div></div>')
    junk = ('<a href="http://[oops/comment-page-2/">Older Comments</a>'
            '<a href="http://[oops/2024/05/article-1.html#comments">3 تعليقات</a>')
    head = '<link rel="canonical" href="http://[oops/a.html"><meta property="og:url" content="http://[oops/a.html">'
    clean, hostile = page(thread.format(junk="")), page(thread.format(junk=junk)).replace("<head>", "<head>" + head)
    read, expected = detect(hostile), detect(clean)
    assert expected is not None and len(expected.comments) == 3
    assert read is not None and read.comments == expected.comments and read.next_urls == expected.next_urls
    # And the whole article, through the generic profile's comment signals.
    from newscrawl.extract import extract_article
    from newscrawl.sites import PROFILES

    article = extract_article(hostile, BASE, PROFILES["generic"])
    assert [c["text"] for c in article.comments.comments] == ["رأي القارئ 1.", "رأي القارئ 2.", "رأي القارئ 3."]


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


# --- what only comments have, and boxes of other articles' comments ---------------

def _entries(template: str, count: int = 4) -> str:
    return "".join(template.format(n=n, m=n + 1) for n in range(1, count + 1))


def test_post_numbered_entries_of_a_live_blog_are_not_comment_ids():
    # WordPress numbers every post "post-N": a live blog's signed, dated
    # entries are not a thread, in a box no name gives away.
    live = _entries('<article id="post-10{n}" class="entry"><span class="author">مراسلنا {n}</span> '
                    '<time datetime="2024-05-01T1{n}:00:00+03:00">1{n}:00</time>'
                    '<p>تحديث جديد من مكان الحدث رقم {n}، مع تفاصيل إضافية.</p></article>')
    assert detect(page(f'<div class="stream">{live}</div>')) is None
    # Nor is a "c" buried in a layout id ("col-c1", "slide_c2"): only a whole "c12" is Django's comment anchor.
    cells = _entries('<div id="col-c{n}" class="cell"><span class="author">كاتب {n}</span> '
                     '<span class="date">2024-05-0{n}</span><p>فقرة من عمود الرأي رقم {n} في الصفحة.</p></div>')
    assert detect(page(f'<div class="grid">{cells}</div>')) is None


def test_django_comment_anchors_c_number_still_name_a_comment():
    items = _entries('<div id="c{n}{n}" class="item"><span class="author">Reader {n}</span> '
                     '<span class="date">2024-05-0{n} 10:00</span><p>Comment number {n}, in plain words.</p></div>', 3)
    thread = detect(page(f'<div class="thread-box">{items}</div>'))
    assert thread is not None
    assert [(c["author"], c["comment_id"]) for c in thread.comments] == [
        ("Reader 1", "11"), ("Reader 2", "22"), ("Reader 3", "33")]


# Items a thread would be made of: comment ids, a name, a date, words, a reply link.
_READER_ITEMS = _entries(
    '<li id="comment-7{n}" class="comment"><span class="comment-author">قارئ {n}</span> '
    '<span class="comment-date">2024-05-0{n} 10:00</span><p>رأي القارئ رقم {n} في الموضوع.</p>'
    '<a class="comment-reply-link" href="?replytocom=7{n}#respond">رد</a></li>', 3)


@pytest.mark.parametrize("box", ["div.last-comments", "div.most_commented", "div.akhir-ta3liqat",
                                 "section#a7dath-ta3liqat"])
def test_boxes_named_as_latest_or_most_commented_are_not_the_thread(box):
    tag, _, name = box.replace("#", ".").partition(".")
    attribute = "id" if "#" in box else "class"
    assert detect(page(f'<{tag} {attribute}="{name}"><ul>{_READER_ITEMS}</ul></{tag}>')) is None
    # The same items under a name that says nothing are read: the name did it.
    assert len(detect(page(f'<{tag} {attribute}="box"><ul>{_READER_ITEMS}</ul></{tag}>')).comments) == 3


def test_an_unnamed_box_of_comments_on_other_articles_is_refused_by_its_links():
    # "box-home", "li.comment-item": nothing on the name lists. Each item
    # links to another article's comment: the box lists other threads.
    item = ('<li class="comment-item"><span class="comment-author">قارئ {n}</span> '
            '<span class="comment-date">2024-05-0{n} 10:00</span>'
            '<p>نص تعليق القارئ على خبر آخر رقم {n}، طويل بما يكفي.</p>'
            '<a href="/2024/04/story-{n}.html#ANCHOR">الخبر</a></li>')
    for anchor in ("comment-4{n}", "comments"):
        items = _entries(item.replace("ANCHOR", anchor))
        assert detect(page(f'<div class="box-home"><h3>تعليقات القراء</h3><ul>{items}</ul></div>')) is None
        # The same items linking to this page's comments are this page's thread.
        here = _entries(item.replace("/2024/04/story-{n}.html#ANCHOR", BASE + "#" + anchor))
        assert len(detect(page(f'<div class="box-home"><ul>{here}</ul></div>')).comments) == 4


def test_an_arabic_sidebar_of_latest_comments_with_generic_class_names_is_not_a_thread():
    items = _entries('<li id="comment-5{n}" class="item"><b class="name">زائر {n}</b> '
                     '<span class="date">منذ {n} ساعات</span><p class="excerpt">مقتطف من تعليق الزائر رقم {n}.</p>'
                     '<a class="more" href="https://www.news.example.com/2024/04/%D8%AE%D8%A8%D8%B1-{n}.html'
                     '#comment-5{n}">اقرأ التعليق</a></li>')
    assert detect(page(f'<div class="col-4"><div class="block"><div class="block-title">آخر التعليقات</div>'
                       f'<ul class="list">{items}</ul></div></div>')) is None


def test_an_unnamed_box_of_signed_dated_items_heading_to_other_articles_is_not_a_thread():
    # A plain div and ul, no telling class; each item: a comment id, an
    # author, a date, a short excerpt and the headline of the article it is on.
    items = _entries('<li id="comment-3{n}"><span class="author">قارئ {n}</span> '
                     '<span class="date">2024-05-0{n}</span> على <a href="/2024/04/story-{n}.html">سعر الذهب</a>'
                     '<p>تعليق قصير رقم {n} على ذلك الخبر.</p></li>')
    assert detect(page(f'<div><ul>{items}</ul></div>')) is None


def test_a_thread_linking_its_own_page_in_any_form_is_kept():
    # Permalinks to this page by its raw Arabic path (the page was crawled
    # percent-encoded), readers' own links to other articles in their words,
    # and a commenter's name linking to a page about them.
    url = "https://news.example.com/2024/05/%D8%AE%D8%A8%D8%B1-%D8%A7%D9%84%D9%8A%D9%88%D9%85/"
    items = _entries('<li id="comment-6{n}" class="comment"><a class="name" href="/kuttab/reader-{n}">قارئ {n}</a> '
                     '<a class="date" href="https://www.news.example.com/2024/05/خبر-اليوم#comment-6{n}">'
                     '2024-05-0{n} 10:00</a><p>أتفق، وقد كتبتم عن ذلك في <a href="/2024/04/story-{n}.html">'
                     'خبر سابق</a> أيضاً.</p><a class="comment-reply-link" href="?replytocom=6{n}#respond">رد</a>'
                     '</li>', 3)
    thread = detect(page(f'<div class="area"><ol>{items}</ol></div>'), url)
    assert thread is not None and [c["author"] for c in thread.comments] == ["قارئ 1", "قارئ 2", "قارئ 3"]
    # Permalinks by another form of the article's address (Joomla's raw
    # URL, an archive's copy): all lead to one page, the article.
    raw = items.replace("https://www.news.example.com/2024/05/خبر-اليوم#",
                        "/index.php?option=com_content&amp;view=article&amp;id=7#")
    assert len(detect(page(f'<div class="area"><ol>{raw}</ol></div>'), url).comments) == 3


def test_page_two_of_an_article_keeps_its_thread_and_refuses_a_box_of_other_threads():
    # Page 2 of a paged article: its comments' permalinks lead to the
    # article's first page, a path above this one; the box beside them leads
    # to other articles' comments.
    url = "https://news.example.com/2024/05/article-1/2/"
    thread_items = _entries('<li id="comment-8{n}" class="comment"><cite>قارئ {n}</cite> '
                            '<a href="/2024/05/article-1/#comment-8{n}">2024-05-0{n} 10:00</a>'
                            '<p>تعليق رقم {n} على المقال.</p>'
                            '<a class="comment-reply-link" href="/2024/05/article-1/?replytocom=8{n}#respond">رد</a>'
                            '</li>', 2)
    box_items = _entries('<li id="comment-9{n}" class="comment"><cite>زائر {n}</cite> '
                         '<a href="/2024/04/story-{n}/#comment-9{n}">2024-04-0{n} 09:00</a>'
                         '<p>تعليق على خبر آخر رقم {n} يطول قليلاً ليبدو أكبر من غيره في الصفحة.</p>'
                         '<a class="comment-reply-link" href="/2024/04/story-{n}/?replytocom=9{n}#respond">رد</a>'
                         '</li>', 6)
    html = page(f'<div class="x"><ol>{thread_items}</ol></div><div class="y"><ul>{box_items}</ul></div>')
    thread = detect(html, url)
    assert thread is not None and [c["author"] for c in thread.comments] == ["قارئ 1", "قارئ 2"]


def test_a_small_thread_is_read_beside_teaser_boxes_that_carry_more_anchors():
    # Four boxes of six teasers, each with an author, a date and a comment
    # count, carry more anchors than a thread of two: the thread is read for
    # its reply links and comment ids.
    def box(number: int) -> str:
        teasers = "".join(
            f'<li><a href="/2024/04/story-{number}-{n}.html">خبر</a> <span class="author">محرر {n}</span> '
            f'<span class="date">2024-04-0{n + 1}</span> <a class="comments-link" '
            f'href="/2024/04/story-{number}-{n}.html#comments">{n} تعليقات</a></li>' for n in range(6))
        return f'<div class="box"><h3>أخبار {number}</h3><ul>{teasers}</ul></div>'
    comments = "".join(
        f'<li id="comment-{n}" class="comment even depth-1"><article class="comment-body">'
        f'<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">{name}</b></div>'
        f'<div class="comment-metadata"><a href="#comment-{n}"><time datetime="2024-05-0{n}T10:00:00+03:00">'
        f'{n} مايو 2024</time></a></div></footer><div class="comment-content"><p>{text}</p></div>'
        f'<div class="reply"><a class="comment-reply-link" href="?replytocom={n}#respond">رد</a></div></article></li>'
        for n, name, text in ((1, "هدى", "شكراً على هذا المقال المفيد."), (2, "يوسف", "معلومات قيمة جداً.")))
    html = page('<div class="boxes">' + "".join(box(number) for number in range(4)) + "</div>"
                + f'<div id="comments" class="comments-area"><ol class="comment-list">{comments}</ol></div>')
    thread = detect(html)
    assert thread is not None
    assert [(c["author"], c["text"]) for c in thread.comments] == [
        ("هدى", "شكراً على هذا المقال المفيد."), ("يوسف", "معلومات قيمة جداً.")]
