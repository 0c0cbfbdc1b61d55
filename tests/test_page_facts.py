"""What a page states about itself (newscrawl/page_facts.py), and the generic
path that reads it before Trafilatura's guesses (generic_article.read_generic).

Small pages written here, one convention each; the real pages are checked in
test_real_pages.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from lxml import etree

from newscrawl import page_facts
from newscrawl.extract import extract_article, page_selector
from newscrawl.generic_article import _tail_line_kind, _trim_body
from newscrawl.sites.generic import PROFILE

PARAGRAPHS = "".join(
    f"<p>هذه فقرة رقم {n} من نص الخبر، وهي طويلة بما يكفي ليعدها المستخرج نصا رئيسيا للصفحة وليست قائمة روابط.</p>"
    for n in range(6)
)


def root(html: str):
    return page_selector(html, "https://example.org/news/1").root


def facts(html: str) -> page_facts.PageFacts:
    return page_facts.read_facts(root(html))


def page(head: str = "", top: str = "", after: str = "") -> str:
    return (f"<html><head>{head}</head><body><nav><a href='/'>الرئيسية</a></nav><article>{top}"
            f"<div class='content'>{PARAGRAPHS}</div>{after}</article></body></html>")


# --- JSON-LD --------------------------------------------------------------------


def test_json_ld_graphs_lists_and_broken_scripts():
    html = (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "WebSite", "name": "موقع الأخبار"},'
        '{"@type": ["NewsArticle"], "headline": "عنوان &quot;مقتبس&quot;", '
        '"datePublished": "2020-05-01T10:00:00+03:00",'
        ' "author": [{"@type": "Person", "name": "سارة علي"}, {"@id": "#p2"}], "publisher": {"name": "موقع الأخبار"}},'
        '{"@id": "#p2", "@type": "Person", "name": "أحمد سالم"}]}</script>'
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": broken</script>'
        '<script type="application/LD+JSON">[{"@type": "Organization", "name": "دار النشر"}]</script>'
    )
    got = facts(page(head=html))
    assert ("json-ld", 'عنوان "مقتبس"') in got.titles
    assert got.dates[0] == ("json-ld", "2020-05-01T10:00:00+03:00")
    assert [name for source, name in got.authors if source == "json-ld"] == ["سارة علي", "أحمد سالم"]
    assert {"موقع الأخبار", "دار النشر"} <= set(got.site_names)
    assert got.offset == timedelta(hours=3)


def test_json_ld_with_raw_newlines_in_strings_is_read():
    html = '<script type="application/ld+json">{"@type": "Article", "headline": "سطر\nثان"}</script>'
    assert ("json-ld", "سطر ثان") in facts(page(head=html)).titles


# --- headline and site name ------------------------------------------------------------


def test_headline_is_the_h1_the_title_repeats_not_the_logo():
    html = ('<html><head><title>وزير يفتتح مشروعا جديدا للمياه - صحيفة اليوم</title>'
            '<meta property="og:title" content="وزير يفتتح مشروعا جديدا للمياه - صحيفة اليوم"></head>'
            '<body><h1>صحيفة اليوم</h1><h1> وزير يفتتح  مشروعا جديدا للمياه </h1></body></html>')
    got = facts(html)
    assert page_facts.headline(got) == ("وزير يفتتح مشروعا جديدا للمياه", "h1")
    assert "صحيفة اليوم" in got.site_names


def test_site_name_is_stripped_on_either_side_without_an_h1():
    head = ('<title>وزير يفتتح مشروعا جديدا للمياه - صحيفة اليوم</title>'
            '<meta property="og:title" content="صحيفة اليوم | وزير يفتتح مشروعا جديدا للمياه">')
    assert page_facts.headline(facts(page(head=head)))[0] == "وزير يفتتح مشروعا جديدا للمياه"
    latin = '<meta property="og:title" content="وزير يفتتح مشروعا جديدا: المرحلة الأولى - Daily News">'
    assert page_facts.headline(facts(page(head=latin)))[0] == "وزير يفتتح مشروعا جديدا: المرحلة الأولى"


def test_a_colon_inside_the_headline_is_kept():
    head = '<meta property="og:site_name" content="الموقع"><title>أميركا :50 ألفا حصيلة الوفيات - الموقع</title>'
    assert page_facts.headline(facts(page(head=head)))[0] == "أميركا :50 ألفا حصيلة الوفيات"


# --- dates ------------------------------------------------------------------------


def test_dates_in_order_of_trust_and_naive_ones_in_the_pages_own_offset():
    head = ('<meta property="article:published_time" content="2020-05-01T10:00:00">'
            '<meta property="article:modified_time" content="2020-05-02T09:00:00+02:00">')
    got = extract_article(page(head=head, top="<h1>عنوان الخبر هنا</h1>"), "https://example.org/news/1", PROFILE)
    assert got.published == "2020-05-01T10:00:00+02:00"
    assert got.notes["published"] == "meta" and got.notes["timezone"].startswith("+02:00")


def test_a_naive_date_with_no_zone_on_the_page_says_utc_was_assumed():
    top = "<h1>عنوان الخبر هنا</h1><div class='meta'>نشر في الخميس 7 مايو 2020 - 18:05</div>"
    got = extract_article(page(top=top), "https://example.org/news/1", PROFILE)
    assert got.published == "2020-05-07T18:05:00+00:00"
    assert got.notes["published"] == "date-text" and "assumed" in got.notes["timezone"]


def test_time_elements_before_the_headline_and_in_comments_are_not_the_articles():
    html = ("<html><body><div class='top'><time datetime='2024-01-01T08:00:00+03:00'>اليوم</time></div>"
            "<article><h1>عنوان الخبر هنا</h1><time datetime='2020-05-01T10:00:00+03:00'>1 مايو</time>"
            f"{PARAGRAPHS}</article><ol class='comment-list'><li><time datetime='2020-05-03T10:00:00+03:00'>"
            "</time></li></ol></body></html>")
    assert [d for d in facts(html).dates if d[0] == "time"] == [("time", "2020-05-01T10:00:00+03:00")]


def test_stated_offsets():
    assert page_facts.stated_offset("2020-06-03T03:01+0400") == timedelta(hours=4)
    assert page_facts.stated_offset("2020-06-03T03:01Z") == timedelta(0)
    assert page_facts.stated_offset("2020-06-03T03:01") is None
    assert page_facts.offset_in_text("الأربعاء، 28 آب 2013، آخر تحديث 14:00 (GMT+0400)") == timedelta(hours=4)
    assert page_facts.offset_in_text("28 آب 2013") is None


# --- authors -----------------------------------------------------------------------


@pytest.mark.parametrize("byline, expected", [
    ('<span class="writeBy">كتبت سارة علي</span>', "سارة علي"),
    ('<div class="byline">بقلم: أحمد سالم | 3 مايو 2020</div>', "أحمد سالم"),
    ('<a rel="author" href="/author/x/">منى خليل</a>', "منى خليل"),
    ('<span itemprop="author" itemscope><span itemprop="name">يوسف كمال</span></span>', "يوسف كمال"),
])
def test_byline_markups(byline, expected):
    got = extract_article(page(top=f"<h1>عنوان الخبر هنا</h1>{byline}"), "https://example.org/news/1", PROFILE)
    assert got.author == expected


def test_the_publisher_is_never_the_author():
    head = '<meta property="og:site_name" content="البيان"><meta name="author" content="(أبوظبي - البيان)">'
    top = '<h1>عنوان الخبر هنا</h1><span class="author">البيان</span>'
    assert extract_article(page(head=head, top=top), "https://example.org/news/1", PROFILE).author == ""
    assert page_facts.is_publisher("(أبوظبي - البيان)", ["البيان"])
    assert not page_facts.is_publisher("أسماء نصار - البيان", ["البيان"])


def test_a_commenters_name_is_not_the_author():
    after = ('<ol class="comment-list"><li class="comment"><span itemprop="author">قارئ غاضب</span>'
             "<p>تعليق</p></li></ol>")
    got = extract_article(page(top="<h1>عنوان الخبر هنا</h1>", after=after), "https://example.org/news/1", PROFILE)
    assert got.author == ""


# --- body ------------------------------------------------------------------------------


def body_of(lines: list[str], html: str = "<html><body></body></html>", title: str = "عنوان الخبر هنا"):
    page_root = root(html)
    return _trim_body(lines, page_root, title, page_facts.read_facts(page_root))


def test_date_line_byline_and_repeated_headline_leave_the_top():
    lines = ["عنوان الخبر هنا", "الأربعاء، 28 آب/اغسطس 2013، آخر تحديث 14:00 (GMT+0400)", "حوار: سارة علي",
             "أول جملة من الخبر.", "ثاني جملة من الخبر."]
    body = body_of(lines)
    assert body.lines == ["أول جملة من الخبر.", "ثاني جملة من الخبر."]
    assert body.byline == "سارة علي" and body.date_line == lines[1]
    assert body.cut == {"head": ["headline", "date", "byline"]}


def test_a_sentence_with_a_date_or_a_byline_word_stays():
    lines = ["توفي في 3 مارس 2020 عن عمر ناهز الثمانين.",
             "كتب الرئيس في رسالة طويلة إلى البرلمان أن الحكومة ستستقيل قريبا.", "ثالث جملة."]
    assert body_of(lines).lines == lines


def test_an_image_caption_leaves_the_top():
    html = ("<html><body><div class='pic'><img src='a.jpg'><div>صورة من موقع الحادث</div></div>"
            "<p>أول جملة من الخبر.</p></body></html>")
    assert body_of(["صورة من موقع الحادث", "أول جملة من الخبر.", "ثانية."], html).lines == [
        "أول جملة من الخبر.", "ثانية."]


@pytest.mark.parametrize("line, kind", [
    ("© 2013 Cable News Network. All Rights Reserved.", "copyright"),
    ("جميع الحقوق محفوظة لموقع الأخبار 2020", "copyright"),
    ("الرئيسية | فيديو | الشرق الأوسط | العالم | اقتصاد", "navigation"),
    ("نرحب بالنقاش، وننصحك بمراجعة إرشادات الاستخدام قبل نشر التعليقات.", "comment-policy"),
    ("الآراء الواردة أدناه لا تعبر عن رأي الموقع، بل تعكس وجهات نظر أصحابها فقط.", "comment-policy"),
    ("أضف تعليقك", "prompt"),
    ("الكلمات المفتاحية: مصر، كورونا", "prompt"),
    ("نشر في 3 مايو 2020", "date"),
    ("...", "punctuation"),
    ("ورفض متحدث باسم الوزارة التعليق على السياسة الجديدة.", None),
    ("وقال إن تصريحاته لا تعبر عن رأي الحكومة.", None),
])
def test_page_chrome_at_the_bottom(line, kind):
    assert _tail_line_kind(line) == kind


def test_the_lead_paragraph_set_apart_from_the_body_is_kept_first():
    lead = "أعلنت وزارة الصحة اليوم تسجيل ثلاثين إصابة جديدة بالفيروس في عدد من المحافظات المختلفة"
    html = (f'<html><head><meta name="description" content="{lead}"></head><body><article>'
            f"<h1>عنوان الخبر هنا</h1><div class='lead'><p>{lead}.</p></div>"
            f"<div class='text' itemprop='articleBody'>{PARAGRAPHS}</div></article></body></html>")
    page_root = root(html)
    got = page_facts.read_facts(page_root)
    assert page_facts.lead_paragraph(page_root, got, ["هذه فقرة رقم 0 من نص الخبر"]) == lead + "."
    assert page_facts.lead_paragraph(page_root, got, [lead + ".", "هذه فقرة"]) == ""
    tagline = html.replace("<article>", f"<div class='slogan'>{lead}، كل يوم</div><article>").replace(
        f"<div class='lead'><p>{lead}.</p></div>", "")
    tagline_root = root(tagline)  # the same words above the headline: the site's tagline, not a lead
    assert page_facts.lead_paragraph(tagline_root, page_facts.read_facts(tagline_root), ["هذه فقرة"]) == ""


def test_read_facts_never_raises_on_odd_markup():
    for html in ("", "<html/>", "<h1></h1><time datetime=''></time>",
                 "<script type='application/ld+json'>[1, null]</script>",
                 '<script type="application/ld+json">{"@type": "Article", "author": {"name": ["x"]}}</script>'):
        page_facts.read_facts(root(html) if html else etree.fromstring(b"<html/>"))


def test_a_list_of_other_articles_at_the_end_leaves_the_body():
    lines = [f"جملة طويلة رقم {n} من نص الخبر." for n in range(6)] + ["اقرأ أيضاً:", "عنوان خبر آخر", "عنوان ثالث"]
    body = body_of(lines)
    assert body.lines == lines[:6] and body.cut == {"tail": ["related"]}
    early = ["جملة.", "اقرأ أيضاً:", "عنوان خبر آخر", "جملة أخيرة."]
    assert body_of(early).lines == early  # in the first half: part of the text


def test_a_dateline_credit_on_its_own_line_leaves_the_top():
    html = '<html><head><meta property="og:site_name" content="البيان"></head><body></body></html>'
    body = body_of(["(أبوظبي - البيان)", "أول جملة من الخبر.", "ثانية."], html)
    assert body.lines == ["أول جملة من الخبر.", "ثانية."] and body.cut == {"head": ["credit"]}


@pytest.mark.parametrize("text, name", [
    ("كتبت أسماء نصار", "أسماء نصار"),
    ("بقلم الكاتب: سعيد ناصر", "سعيد ناصر"),
    ("أحمد سالم | 3 مايو 2020", "أحمد سالم"),
    ("محمد علي 3 مارس 2020", "محمد علي"),  # "علي" is a name, not the "على" of "على الساعة"
])
def test_clean_byline(text, name):
    assert page_facts.clean_byline(text) == name
