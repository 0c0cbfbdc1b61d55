"""Extraction by the Elaph profile: the body rules of the spec, and which
cases its golden fixtures cover (the fixtures themselves are read by
tests/test_profiles.py, with every other profile's)."""

import pytest

from newscrawl.extract import extract_article, text_lines
from newscrawl.sites import get_profile
from tests.fixture_pages import FIXTURES as ALL_FIXTURES

FIXTURES = ALL_FIXTURES / "elaph"
ELAPH = get_profile("elaph")


def test_fixtures_cover_the_spec_cases():
    names = {p.stem for p in FIXTURES.glob("*.json")}
    assert {"reference_2015", "windows1256_declared", "windows1256_undeclared", "windows1256_mislabelled",
            "utf8_declared_windows1256",
            "sloppy_markup", "no_subtitle_no_comments", "br_in_body", "comments_page_2"} <= names


def _lines(html: str, exclude=("div.related-articles", "script", "figure")):
    from parsel import Selector

    sel = Selector(text=html)
    body = sel.css("div.content-body")[0]
    excluded = {e.root for e in body.css(", ".join(exclude))}
    return text_lines(body.root, excluded)


def test_br_starts_a_new_line_and_inline_tags_do_not():
    html = '<div class="content-body"><p>سطر <b>أول</b><br>سطر<a href="#"> ثان</a></p>نص حر<br/>آخر</div>'
    assert _lines(html) == ["سطر أول", "سطر ثان", "نص حر", "آخر"]


def test_non_body_blocks_are_skipped_but_their_tail_is_kept():
    html = (
        '<div class="content-body"><p>أ</p><div class="related-articles"><h4>اقرأ أيضاً</h4>'
        '<a>رابط</a></div>ذيل<script>var x="<p>لا</p>";</script><figure><img><figcaption>تعليق صورة</figcaption>'
        "</figure><p>ب</p><!-- تعليق HTML --><style>p{}</style></div>"
    )
    assert _lines(html) == ["أ", "ذيل", "ب"]


def test_entities_are_decoded_and_text_kept_as_published():
    html = '<div class="content-body"><p>الأسد&amp; التنسيق &quot;داعش&quot; quot;خطأquot;&nbsp;&#1575;</p></div>'
    assert _lines(html) == ['الأسد& التنسيق "داعش" quot;خطأquot; ا']


def test_trafilatura_is_the_fallback_when_the_profile_finds_no_body():
    paragraphs = "".join(
        f"<p>هذه فقرة رقم {i} من نص المقال، وهي طويلة بما يكفي ليعدها المستخرج نصاً رئيسياً للصفحة وليس قائمة روابط.</p>"
        for i in range(8)
    )
    html = f'<html><body><h1 class="article-title">عنوان</h1><div class="story">{paragraphs}</div></body></html>'
    got = extract_article(html, "https://elaph.com/Web/News/2020/1/1.html", ELAPH)
    assert got.notes["body"] == "trafilatura"
    assert "body" in got.notes["missing"]
    assert len(got.body) == 8 and got.body[0].startswith("هذه فقرة رقم 0")


def test_missing_fields_are_reported_not_hidden():
    got = extract_article("<html><body><p>لا شيء</p></body></html>", "https://elaph.com/Web/News/2020/1/1.html", ELAPH)
    assert "title" in got.notes["missing"] and "published" in got.notes["missing"]


def test_unreadable_comments_block_is_a_problem():
    html = (
        '<h1 class="article-title">ع</h1><div class="content-body"><p>ن</p></div>'
        '<section class="comments"><h3 class="comments-title">التعليقات</h3><div class="new-widget">'
        "<div class='c'>تعليق بقالب جديد</div></div></section>"
    )
    got = extract_article(html, "https://elaph.com/Web/News/2020/1/1.html", ELAPH)
    assert got.comments.block_found and got.comments.comments == []
    assert any("comments block" in p for p in got.notes["problems"])


def test_empty_comments_block_is_not_a_problem():
    html = (
        '<h1 class="article-title">ع</h1><div class="content-body"><p>ن</p></div>'
        '<section class="comments"><h3 class="comments-title">التعليقات</h3><ol class="comments-list"></ol></section>'
    )
    got = extract_article(html, "https://elaph.com/Web/News/2020/1/1.html", ELAPH)
    assert not got.notes.get("problems")


def test_title_falls_back_to_og_title():
    html = '<head><meta property="og:title" content="عنوان احتياطي"></head><div class="content-body"><p>ن</p></div>'
    got = extract_article(html, "https://elaph.com/Web/News/2020/1/1.html", ELAPH)
    assert got.title == "عنوان احتياطي" and got.notes["selectors"]["title"] == 1


@pytest.mark.parametrize(
    "url, article_id",
    [
        ("https://elaph.com/Web/News/2015/3/994567.html", "994567"),
        ("https://elaph.com/web/news/2015/03/994567.htm", "994567"),
        ("https://elaph.com/amp/Web/Politics/2015/3/994567.html?entry=editors_choice", "994567"),
        ("http://www.elaph.com/Web/AsdaElaph/2005/6/71637.htm#comments", "71637"),
        ("https://elaph.com/Web/News/2015/3/", None),
        ("https://elaph.com/search?q=994567.html", None),
        # Real URLs: the reference article (an AMP page) and its canonical form,
        # and an older article under /ElaphWeb/.
        ("https://elaph.com/amp/Web/News/2015/3/993653.html", "993653"),
        ("https://elaph.com/Web/News/2015/3/993653.html", "993653"),
        ("https://elaph.com/ElaphWeb/AsdaElaph/2008/1/293993.htm", "293993"),
        ("http://www.elaph.com/elaphweb/asdaelaph/2008/1/293993.htm?entry=x", "293993"),
        ("https://elaph.com/ElaphWeb/AsdaElaph/2008/1/", None),
    ],
)
def test_article_identity_is_the_numeric_id(url, article_id):
    assert ELAPH.article_id(url) == article_id


@pytest.mark.parametrize(
    "url, fetched",
    [
        ("https://elaph.com/amp/Web/News/2015/3/993653.html", "https://elaph.com/Web/News/2015/3/993653.html"),
        ("https://elaph.com/ElaphWeb/AsdaElaph/2008/1/293993.htm?entry=editors_choice",
         "https://elaph.com/ElaphWeb/AsdaElaph/2008/1/293993.htm"),
    ],
)
def test_the_canonical_page_is_fetched_for_every_url_form(url, fetched):
    assert ELAPH.article_url(url) == fetched
    assert ELAPH.section_from_url(url) in ("News", "AsdaElaph")


def test_a_body_selector_of_paragraphs_reads_every_paragraph_once():
    from dataclasses import replace

    profile = replace(ELAPH, body=("div.article-content p",))
    html = ('<h1 class="article-title">ع</h1><div class="article-content"><p>أول</p><div class="ad"><p>إعلان</p></div>'
            "<p>ثان<br>ثالث</p><p><p>متداخل</p></p></div>")
    got = extract_article(html, "https://elaph.com/Web/News/2020/1/1.html", profile)
    assert got.body == ["أول", "ثان", "ثالث", "متداخل"] and got.notes["body"] == "profile"


@pytest.mark.parametrize("exclude", [
    ("div.ad", "aside", "p.note", "span.note"),  # tags with classes: looked for in the body's matches and above
    ("div.ad", "aside", "div > p.note", "span.note"),  # one that is not: looked for in the whole page
])
def test_what_the_profile_excludes_is_never_body_wherever_it_sits(exclude):
    from dataclasses import replace

    profile = replace(ELAPH, body=("div.article-content p",), body_exclude=exclude)
    html = ('<h1 class="article-title">ع</h1><div class="article-content"><p>أول</p>'
            '<div class="ad"><p>إعلان</p></div>'  # a match inside an excluded block
            '<p class="note">ملاحظة</p>'  # a match excluded itself
            '<p>ثان <span class="note">لا</span> بعد</p>'  # excluded inside a match: its tail kept
            '<aside><div><p>جانبي</p></div></aside>'  # an excluded ancestor further up
            '<section class="comments"><p>تعليق قارئ</p></section>'  # the comments block, never body
            "<p>ثالث</p></div>")
    got = extract_article(html, "https://elaph.com/Web/News/2020/1/1.html", profile)
    assert got.body == ["أول", "ثان بعد", "ثالث"]
