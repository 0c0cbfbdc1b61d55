"""A real browser on the Datasette UI: headless Chromium (Debian's), driven by
Playwright, types an Arabic query without hamza or harakat into the search
box of `articles` and must see the article that has the hamza form.

Needs /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it).
"""

from __future__ import annotations

import os
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
    db.close()
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("newscrawl")), "serve", "--db", str(db_path), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/-/versions.json", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        server.kill()
        pytest.fail(f"datasette did not start: {server.stdout.read()}")
    yield base, db_path.stem
    server.terminate()
    server.wait(timeout=10)


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
    page.goto(f"{base}/{name}/article_with_comments?site=elaph&article_id=994567")
    body = page.inner_text("table.rows-and-columns")
    assert "خندق واحد للعمالة" in body and "article" in body
