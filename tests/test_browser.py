"""A real browser on the Datasette UI: headless Chromium (Debian's), driven by
Playwright, types an Arabic query without hamza or harakat into the search
box of `articles` and must see the article that has the hamza form.

Needs /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from newscrawl.archive import open_archive, store_article
from newscrawl.samplesite import generate_site
from tests.conftest import REPO

CHROMIUM = "/usr/bin/chromium"
OUTPUT = REPO / "tests" / "output"  # screenshots land here (git-ignored)
pytestmark = pytest.mark.browser
SERVED: dict[str, Path] = {}  # database name -> its file


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (or run .ci/run)")
    db_path = tmp_path_factory.mktemp("browser") / "archive.db"
    db = open_archive(db_path)
    for article in generate_site(12).crawlable():
        store_article(db, {
            "site": "elaph", "article_id": str(article.article_id), "title": article.title,
            "subtitle": article.subtitle, "body": article.body, "published": article.published.isoformat(),
            "section": article.section, "url": f"https://elaph.com{article.path}",
            "comments": [{"comment_id": str(c.comment_id) if c.comment_id else None, "title": c.title,
                          "author": c.author, "text": c.text} for c in article.comments],
        })
    store_discussion(db)
    db.close()
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("newscrawl")), "serve", "--db", str(db_path), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    # Up in about a second on a quiet machine; a busy one (other test
    # workers, Chromium starting) once took over 10 s.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            urllib.request.urlopen(f"{base}/-/versions.json", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        server.kill()
        pytest.fail(f"datasette did not start: {server.stdout.read()}")
    SERVED[db_path.stem] = db_path
    yield base, db_path.stem
    server.terminate()
    server.wait(timeout=10)


# An article whose thread has replies two deep, a comment the site later
# removed and one it edited: stored as two crawls of the page would store them.
LONG_COMMENT = (" ".join(["هذا تعليق طويل جدا عن الانتخابات في العراق ونتائجها على المنطقة كلها"] * 30)
                + " نهاية التعليق")
DISCUSSION = [
    {"comment_id": "1", "title": "رأي", "author": "سالم", "text": "الانتخابات القادمة مهمة", "parent": None, "depth": 0,
     "posted_at": "2015-03-24T12:00:00+03:00", "likes": 4},
    {"comment_id": "2", "title": "", "author": "ليلى", "text": "أوافقك الرأي تماما", "parent": 0, "depth": 1,
     "posted_at": "2015-03-24T12:30:00+03:00"},
    {"comment_id": "3", "title": "", "author": "سالم", "text": "شكرا يا ليلى", "parent": 1, "depth": 2,
     "posted_at": "2015-03-24T13:00:00+03:00"},
    {"comment_id": "4", "title": "تحليل", "author": "كريم", "text": LONG_COMMENT, "parent": None, "depth": 0,
     "posted_at": "2015-03-24T14:00:00+03:00"},
    {"comment_id": "5", "title": "", "author": "مجهول", "text": "تعليق حذفه الموقع لاحقا", "parent": None, "depth": 0},
]
DISCUSSION_BODY = ["فقرة أولى عن الانتخابات في العراق.", "فقرة ثانية فيها تفاصيل كثيرة.",
                   "الفقرة الأخيرة من المقال كاملة."]


def store_discussion(db):
    article = {"site": "elaph", "article_id": "777", "title": "نقاش حول الانتخابات العراقية", "subtitle": "عنوان فرعي",
               "body": DISCUSSION_BODY, "published": "2015-03-24T10:00:00+03:00", "section": "News",
               "url": "https://elaph.com/Web/News/2015/3/777.html", "comments": DISCUSSION}
    store_article(db, article, now="2015-03-25T00:00:00+00:00")
    edited = [{**c, "text": "أوافقك الرأي تماما، مع تحفظ"} if c["comment_id"] == "2" else c for c in DISCUSSION[:4]]
    store_article(db, {**article, "comments": edited, "fetched_at": "2015-03-26T09:00:00+00:00"},
                  now="2015-03-26T09:00:00+00:00")
    # Published at 01:30 Baghdad time on 1 April: still 31 March in UTC.
    store_article(db, {"site": "elaph", "article_id": "778", "title": "مقال أول الشهر", "subtitle": "",
                       "body": ["نص قصير."], "published": "2015-04-01T01:30:00+03:00", "comments": []})
    # A url another tool wrote: shown, never a link.
    store_article(db, {"site": "elaph", "article_id": "779", "title": "<script>document.title='x'</script>",
                       "subtitle": "", "body": ["<img src=x onerror=alert(1)>"], "url": "javascript:alert(1)",
                       "comments": [{"comment_id": "1", "title": "", "author": "<b>x</b>",
                                     "text": "\"><script>1</script>"}]})


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update"],
        )
        yield chromium
        chromium.close()


def test_typing_arabic_without_hamza_finds_the_hamza_form(served, browser):
    base, name = served
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/{name}/articles")
    page.fill('input[name="_search"]', "ابراهيم الجعفري")  # the page has «إبراهيم الجعفري»
    page.press('input[name="_search"]', "Enter")
    page.wait_for_load_state("networkidle")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "datasette-search.png"))
    text = page.inner_text("body")
    assert "الجعفري بحث مع الأسد والمعلم التنسيق ضد داعش" in text  # the reference article
    rows = page.locator("table.rows-and-columns tbody tr")
    assert 1 <= rows.count() < 12, "the search must filter, not list everything"
    style = page.evaluate(
        "getComputedStyle(document.querySelector('table.rows-and-columns td')).unicodeBidi"
    )
    assert style == "plaintext"  # Arabic cells take their own (right-to-left) direction


def test_canned_search_highlights_matches(served, browser):
    base, name = served
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/{name}/search_articles?q=" + urllib.request.quote("المدرسه"))
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(OUTPUT / "datasette-canned-search.png"))
    marks = page.locator("td mark")
    assert marks.count() >= 1 and "المدرسة" in marks.first.inner_text()


def test_facets_and_article_with_comments(served, browser):
    base, name = served
    page = browser.new_page()
    page.goto(f"{base}/{name}/articles")
    assert page.locator(".facet-info[data-column='site']").count() == 1
    assert page.locator(".facet-info[data-column='section']").count() == 1
    # Months in the site's own time: the article of 1 April 01:30 (+03:00) is April's, not 31 March's.
    months = page.locator(".facet-info[data-column='published_month']").inner_text()
    assert "2015-04" in months
    page.goto(f"{base}/{name}/articles?published_month=2015-04")
    assert "مقال أول الشهر" in page.inner_text("table.rows-and-columns")
    # The crawler's bookkeeping is out of the way, one click from view; the title is not.
    def shown(column):
        return page.locator(f"table.rows-and-columns th.col-{column}").first.is_visible()
    assert shown("title") and not shown("content_hash") and not shown("body")
    page.click("a.newscrawl-show-columns")
    assert shown("content_hash") and shown("body")
    page.goto(f"{base}/{name}/article_with_comments?site=elaph&article_id=994567")
    body = page.inner_text("table.rows-and-columns")
    assert "خندق واحد للعمالة" in body and "article" in body


def test_a_search_hit_opens_the_whole_thread_with_replies_under_their_parents(served, browser):
    base, name = served
    page = browser.new_page(viewport={"width": 1200, "height": 1400})
    page.goto(f"{base}/{name}")
    page.locator("a:visible", has_text="Search articles and comments").first.click()  # linked from the database page
    page.fill('input[name="q"]', "الانتخابات")
    page.press('input[name="q"]', "Enter")
    page.wait_for_load_state("networkidle")
    kinds = page.locator(".hit .kind").all_inner_texts()
    assert "article" in kinds and "comment" in kinds  # one search, both kinds
    page.screenshot(path=str(OUTPUT / "search-page.png"), full_page=True)
    page.locator(".hit", has_text="نقاش حول الانتخابات العراقية").locator("a.hit-link").first.click()
    page.wait_for_load_state("networkidle")
    assert "/-/thread/" in page.url
    text = page.inner_text(".newscrawl-thread")
    assert all(line in text for line in DISCUSSION_BODY)  # the whole body, untruncated
    assert LONG_COMMENT in text  # the longest comment, whole
    # Replies indented under their parents, in the site's local time.
    boxes = {c["comment_id"]: page.locator(f"#c-{c['comment_id']}").bounding_box() for c in DISCUSSION}
    right = {k: b["x"] + b["width"] for k, b in boxes.items()}  # right to left: indented from the right
    assert right["1"] > right["2"] > right["3"] and right["4"] == right["1"]
    assert boxes["1"]["y"] < boxes["2"]["y"] < boxes["3"]["y"] < boxes["4"]["y"]
    assert "2015-03-24 12:00 (UTC+03:00)" in text
    # Moderation made visible: the removed comment is kept and marked; the edit one click away.
    gone = page.locator("#c-5")
    assert "تعليق حذفه الموقع لاحقا" in gone.inner_text() and "no longer shown since" in gone.inner_text()
    page.locator("#c-2 summary").click()
    assert page.locator("#c-2 details .version").inner_text().count("أوافقك الرأي تماما") == 1
    assert page.evaluate("getComputedStyle(document.querySelector('.newscrawl-thread')).direction") == "rtl"
    page.screenshot(path=str(OUTPUT / "thread-page.png"), full_page=True)


def test_every_article_id_links_to_its_thread(served, browser):
    base, name = served
    page = browser.new_page()
    page.goto(f"{base}/{name}/comments?article_id=777")
    link = page.locator("td.col-article_id a").first
    assert "/-/thread/" in link.get_attribute("href")
    link.click()
    page.wait_for_load_state("networkidle")
    assert "نقاش حول الانتخابات العراقية" in page.inner_text("h1")
    page.goto(f"{base}/{name}/search_comments?q=" + urllib.request.quote("ليلى"))
    assert page.locator("td.col-article_id a[href*='/-/thread/']").count() >= 1
    # Who made the archive and under which terms, on every page.
    page.goto(base)
    assert "newscrawl archive" in page.inner_text("h1")
    assert "belong to their publishers" in page.inner_text("footer")
    page.goto(f"{base}/{name}/comments")
    assert "gone_since" in page.inner_text("body")
    page.goto(f"{base}/-/thread/{name}/elaph/779")
    assert page.locator("a[href^='javascript']").count() == 0 and "javascript:alert(1)" in page.inner_text("body")
    assert page.locator(".newscrawl-thread script, .newscrawl-thread img").count() == 0
    assert "<script>document.title='x'</script>" in page.inner_text("h1") and page.title() != "x"
    # A hostile id cannot break out of the link.
    assert page.goto(f"{base}/-/thread/{name}/elaph/%3Cscript%3E").status == 404


def test_the_overview_shows_what_the_sql_counts(served, browser):
    import sqlite3

    base, name = served
    db_path = SERVED[name]
    page = browser.new_page(viewport={"width": 1200, "height": 1400})
    page.goto(f"{base}/{name}")
    page.locator("a:visible", has_text="Overview").first.click()
    page.wait_for_load_state("networkidle")
    assert "/-/overview/" in page.url

    def drawn(chart: str) -> dict[str, int]:
        bars = page.locator(f"svg[data-chart='{chart}'] g.bar")
        return {bars.nth(i).get_attribute("data-label"): int(bars.nth(i).get_attribute("data-value"))
                for i in range(bars.count())}

    conn = sqlite3.connect(db_path)
    try:
        months = dict(conn.execute("SELECT substr(published, 1, 7), count(*) FROM articles WHERE published IS NOT NULL "
                                   "GROUP BY 1").fetchall())
        per_site = dict(conn.execute("SELECT site, count(*) FROM comments GROUP BY site").fetchall())
        authors = conn.execute("SELECT author, count(*) FROM comments WHERE author != '' GROUP BY author "
                               "ORDER BY 2 DESC, author LIMIT 1").fetchone()
        longest = conn.execute("SELECT title, comment_count FROM articles ORDER BY comment_count DESC, "
                               "published DESC LIMIT 1").fetchone()
        gone = conn.execute("SELECT count(*) FROM comments WHERE gone_since IS NOT NULL").fetchone()[0]
    finally:
        conn.close()
    assert drawn("articles_per_month") == months
    assert drawn("comments_per_site") == per_site
    assert list(drawn("most_active_commenters").items())[0] == tuple(authors)
    assert list(drawn("longest_threads").items())[0] == tuple(longest)
    assert sum(drawn("vanished_comments").values()) == gone == 1
    assert drawn("threads_with_replies")["with replies"] == 1  # the discussion
    page.screenshot(path=str(OUTPUT / "overview-page.png"), full_page=True)
    page.locator("#longest_threads").screenshot(path=str(OUTPUT / "overview-longest-threads.png"))
    # Each chart's numbers are a canned query too.
    page.locator("#comments_per_site a", has_text="the numbers").click()
    page.wait_for_load_state("networkidle")
    assert "overview_comments_per_site" in page.url
    assert page.locator("table.rows-and-columns tbody tr").count() == len(per_site)


@pytest.mark.parametrize("where", ["articles?_search=", "search_articles?q="])
def test_a_query_the_search_box_cannot_read_is_explained(served, browser, where):
    base, name = served
    page = browser.new_page()
    hostile = "titel:\"</script><script>document.title='pwned'</script>\""
    page.goto(f"{base}/{name}/{where}" + urllib.request.quote(hostile))
    message = page.locator(".newscrawl-query-error")
    assert message.count() == 1
    text = message.inner_text()
    assert "'titel' is not a column to search in (columns: title, subtitle, body)" in text
    assert page.title() != "pwned" and "</script>" in text  # shown as text, never run
    page.goto(f"{base}/{name}/{where}" + urllib.request.quote("العراق"))
    assert page.locator(".newscrawl-query-error").count() == 0
