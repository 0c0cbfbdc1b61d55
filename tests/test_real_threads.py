"""Real comment threads, crawled for real: every page of shared/real-pages/comments/
served on 127.0.0.1 and read by `scrapy crawl generic`, and the WordPress ones
by `scrapy crawl alquds` as well (a real WordPress thread, whatever wrapper it
sits in). The gold was read off each page by a person (README there).

One crawl per spider serves every page; each page is then one test case.
"""

from __future__ import annotations

import json

import pytest

from newscrawl.samplesite.captured import CapturedSite
from newscrawl.text import one_line
from tests.conftest import SHARED, crawl_stats, rows, run_crawl, shared_pages

pytestmark = pytest.mark.crawl

PAGES = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in shared_pages("real-pages/comments")}
WORDPRESS = sorted(name for name, gold in PAGES.items() if "wordpress" in gold["cms_or_markup"].lower())


def _html(name: str):
    return SHARED / "real-pages" / "comments" / f"{name}.html"


def _crawl(tmp_path_factory, spider: str, paths: dict[str, str]) -> dict:
    tmp = tmp_path_factory.mktemp(spider)
    with CapturedSite({path: _html(name) for name, path in paths.items()}) as site:
        urls = ",".join(site.url(path) for path in paths.values())
        result = run_crawl(site.base_url, tmp / "news.db", spider=spider, args={"urls": urls}, timeout=600)
        base = site.base_url
    assert result.returncode == 0, crawl_stats(result)
    return {"db": tmp / "news.db", "urls": {name: base + path for name, path in paths.items()}, "result": result}


@pytest.fixture(scope="module")
def generic(tmp_path_factory):
    return _crawl(tmp_path_factory, "generic", {name: f"/{name}/" for name in PAGES})


@pytest.fixture(scope="module")
def alquds(tmp_path_factory):
    # Al-Quds articles are WordPress posts at /?p=<id>.
    return _crawl(tmp_path_factory, "alquds", {name: f"/?p={1000 + n}" for n, name in enumerate(WORDPRESS)})


def _thread(crawl: dict, name: str) -> tuple[dict, list[dict]]:
    url = crawl["urls"][name]
    (article,) = rows(crawl["db"], "SELECT * FROM articles WHERE url = ?", [url])
    comments = rows(crawl["db"], "SELECT * FROM comments WHERE site = ? AND article_id = ? ORDER BY position",
                    [article["site"], article["article_id"]])
    return article, comments


def _find(comments: list[dict], author: str, fragment: str) -> dict | None:
    """The comment with this author whose text holds the fragment (white space as one space)."""
    fragment = one_line(fragment)
    return next((c for c in comments if c["author"] == one_line(author) and fragment in one_line(c["text"])), None)


def check_thread(article: dict, comments: list[dict], gold: dict) -> None:
    if gold.get("negative_control"):
        assert comments == [] and article["comment_count"] == 0
        return
    counts = {gold["comments_total"], gold.get("reader_comments_excluding_pingbacks", gold["comments_total"])}
    assert article["comment_count"] in counts, f"{article['comment_count']} comments stored, the page shows {counts}"
    by_key = {c["comment_key"]: c for c in comments}
    for sample in gold["samples"]:
        found = _find(comments, sample["author"], sample["text_fragment"])
        assert found, f"no comment by {sample['author']!r} holding {sample['text_fragment']!r}"
        if sample["is_reply"]:
            parent = by_key.get(found["parent_key"])
            assert parent and parent["author"] == sample["parent_author"], \
                (f"{sample['author']!r} replies to {sample['parent_author']!r}, "
                 f"stored parent: {parent and parent['author']!r}")
            assert found["depth"] >= 1
        else:
            assert found["parent_key"] is None and found["depth"] == 0


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_generic_spider_reads_the_real_thread(generic, name):
    article, comments = _thread(generic, name)
    check_thread(article, comments, PAGES[name])
    notes = json.loads(article["extraction"])
    assert notes["comments"] == ("none" if PAGES[name].get("negative_control") else "detector")


@pytest.mark.parametrize("name", WORDPRESS)
def test_the_alquds_profile_reads_a_real_wordpress_thread_in_any_wrapper(alquds, name):
    article, comments = _thread(alquds, name)
    check_thread(article, comments, PAGES[name])


def test_threads_the_profile_did_not_read_are_counted_and_never_a_healthy_run(alquds):
    """Where the Al-Quds selectors read nothing and the detector read the thread,
    the run says so: a stat, the extraction notes, and a verdict that is not "ok"."""
    by_detector = [r for r in rows(alquds["db"], "SELECT extraction FROM articles")
                   if json.loads(r["extraction"])["comments"] == "detector"]
    (run,) = rows(alquds["db"], "SELECT verdict, stats FROM crawl_runs")
    stats = json.loads(run["stats"])
    assert by_detector, "every WordPress page was read by the Al-Quds selectors: this test checks nothing"
    assert stats["extract/missing/comments"] == stats["extract/comments_method/detector"] >= len(by_detector)
    assert run["verdict"].startswith("ok, but") and "comments not read by the profile" in run["verdict"]
    assert "newscrawl doctor --site alquds" in alquds["result"].stderr


def test_the_count_a_page_prints_is_stored_beside_what_was_read(generic):
    for name, gold in PAGES.items():
        article, _ = _thread(generic, name)
        if "commentCount" in (gold.get("count_signal") or ""):
            assert article["comments_shown"] == gold["comments_total"], name
