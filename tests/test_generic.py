"""The generic spider: any site, Trafilatura for the text, common comment markups."""

from __future__ import annotations

import json

import pytest

from newscrawl.samplesite import SampleSite, generate_site
from newscrawl.samplesite.model import REFERENCE_ID
from newscrawl.samplesite.wordpress import generate_wordpress
from newscrawl.seedformat import parse_dump
from newscrawl.sites.generic import PROFILE, normalized_url
from tests.conftest import SEED, crawl_stats, rows, run_cli, run_crawl

pytestmark = pytest.mark.crawl




def dumps(db, out):
    result = run_cli("dump", "--db", str(db), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return {f"{p.parent.name}/{p.stem}": p.read_text(encoding="utf-8") for p in out.glob("*/*.txt")}


@pytest.fixture(scope="module")
def wordpress(tmp_path_factory):
    model = generate_wordpress(10)
    tmp = tmp_path_factory.mktemp("wp")
    with SampleSite(model) as site:
        result = run_crawl(site.base_url, tmp / "news.db", spider="generic", args={"feed": f"{site.base_url}/feed/"})
        yield {"model": model, "site": site, "db": tmp / "news.db", "result": result, "tmp": tmp}


def test_a_wordpress_site_read_from_its_feed_dumps_as_its_pages_show(wordpress):
    assert wordpress["result"].returncode == 0, crawl_stats(wordpress["result"])
    base = wordpress["site"].base_url
    expected = {f"127.0.0.1/{PROFILE.article_id(base + a.path)}": a.expected_dump()
                for a in wordpress["model"].articles}
    assert dumps(wordpress["db"], wordpress["tmp"] / "dumps") == expected


def test_generic_notes_how_each_article_was_read(wordpress):
    notes = [json.loads(r["extraction"]) for r in rows(wordpress["db"], "SELECT extraction FROM articles")]
    assert notes and all(n["body"] == "trafilatura-primary" and n["missing"] == [] for n in notes)
    assert {r["site"] for r in rows(wordpress["db"], "SELECT site FROM articles")} == {"127.0.0.1"}


def test_threads_over_pages_nested_replies_and_microdata_are_read_once_each(wordpress):
    model = wordpress["model"]
    assert rows(wordpress["db"], "SELECT count(*) AS n FROM comments")[0]["n"] == sum(
        len(a.comments) for a in model.articles)
    long_thread = next(a for a in model.articles if len(a.comments) == 45)
    hits = wordpress["site"].hits(f"/story-{long_thread.article_id}/comment-page-")
    assert sorted(h.path for h in hits) == [f"{long_thread.path}comment-page-2/", f"{long_thread.path}comment-page-3/"]
    ids = [r["comment_id"] for r in rows(wordpress["db"], "SELECT comment_id FROM comments ORDER BY id")]
    assert len(ids) == len(set(ids)) and all(ids)


def test_one_article_under_tracking_and_comment_page_urls(tmp_path):
    model = generate_wordpress(4)
    with SampleSite(model) as site:
        article = model.articles[1]  # the long thread
        urls = [f"{site.base_url}{article.path}?utm_source=rss&utm_medium=x",
                f"{site.base_url}{article.path}comment-page-2/#comments",
                f"{site.base_url}{article.path}"]
        assert len({PROFILE.article_id(u) for u in urls}) == 1
        assert normalized_url(urls[0]) == normalized_url(urls[2])
        result = run_crawl(site.base_url, tmp_path / "news.db", spider="generic", args={"urls": ",".join(urls)})
        assert result.returncode == 0
        first_pages = [h for h in site.article_hits()]
        assert len(first_pages) == 1
    assert rows(tmp_path / "news.db", "SELECT comment_count FROM articles") == [{"comment_count": 45}]


def test_generic_on_the_elaph_template_reads_the_comments_exactly(tmp_path):
    # A site the heuristics were not written for: the comment thread comes out
    # as the profile reads it; the body is Trafilatura's, close but not exact.
    model = generate_site(10)
    ref = model.by_id(REFERENCE_ID)
    with SampleSite(model) as site:
        result = run_crawl(site.base_url, tmp_path / "news.db", spider="generic",
                           args={"urls": site.base_url + ref.path})
        assert result.returncode == 0
    (got,) = dumps(tmp_path / "news.db", tmp_path / "dumps").values()
    got, want = parse_dump(got), parse_dump(SEED.read_text(encoding="utf-8"))
    assert got["title"] == want["title"] and got["comments"] == want["comments"]
    found = [line for line in want["body"] if line in got["body"]]
    assert len(found) >= len(want["body"]) - 2


@pytest.mark.parametrize("args, message", [({}, "generic needs absolute URLs"),
                                           ({"urls": "/relative/only"}, "generic needs absolute URLs")])
def test_generic_needs_urls_or_a_feed(tmp_path, args, message):
    import subprocess
    import sys

    from tests.conftest import REPO

    cmd = [sys.executable, "-m", "scrapy", "crawl", "generic", "-s", f"ARCHIVE_DB={tmp_path / 'x.db'}"]
    for name, value in args.items():
        cmd += ["-a", f"{name}={value}"]
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_since_and_max_articles_apply_to_generic(tmp_path):
    model = generate_wordpress(8)
    with SampleSite(model) as site:
        feed = f"{site.base_url}/feed/"
        assert run_crawl(site.base_url, tmp_path / "a.db", spider="generic",
                         args={"feed": feed, "since": "2021-06-01"}).returncode == 0
        assert run_crawl(site.base_url, tmp_path / "b.db", spider="generic",
                         args={"feed": feed, "max_articles": 3}).returncode == 0
    newer = [a for a in model.articles if a.published.date().isoformat() >= "2021-06-01"]
    assert len(rows(tmp_path / "a.db", "SELECT 1 FROM articles")) == len(newer) < len(model.articles)
    assert len(rows(tmp_path / "b.db", "SELECT 1 FROM articles")) == 3


def test_a_microdata_comment_that_is_also_the_block_keeps_its_replies_apart():
    """schema.org Comment markup matches the block and the item selectors at
    once: the outer comment must not take its reply's text."""
    from newscrawl.extract import extract_comments, page_selector

    html = """<html><body><article><h1>t</h1>
    <div itemscope itemtype="https://schema.org/Comment" id="comment-1">
      <span itemprop="author">Ali</span><p itemprop="text">first comment</p>
      <div itemscope itemtype="https://schema.org/Comment" id="comment-2">
        <span itemprop="author">Sara</span><p itemprop="text">a reply</p>
      </div>
    </div></article></body></html>"""
    page = extract_comments(page_selector(html, "http://x/a"), PROFILE, "http://x/a")
    assert [(c["author"], c["text"]) for c in page.comments] == [("Ali", "first comment"), ("Sara", "a reply")]


def _wordpress_page(page: int, pages: int, path: str) -> bytes:
    """A WordPress thread page, newest page first as WordPress shows it by
    default: the article shows the last page and links the older ones."""
    def comment(n: int, replies: str = "") -> str:
        return (f'<li id="comment-{n}" class="comment"><article class="comment-body">'
                f'<footer class="comment-meta"><div class="comment-author vcard"><b class="fn">قارئ {n}</b> '
                f'<span class="says">يقول:</span></div><div class="comment-metadata">'
                f'<time datetime="2024-05-0{page}T10:0{n % 10}:00+03:00">'
                f"</time></div></footer><div class=\"comment-content\"><p>تعليق رقم {n} على الخبر</p></div>"
                f'<div class="reply"><a class="comment-reply-link" href="?replytocom={n}#respond">رد</a></div>'
                f'</article>{replies}</li>')
    first = (page - 1) * 3 + 1
    items = comment(first) + comment(first + 1, f'<ol class="children">{comment(first + 2)}</ol>')
    links = ""
    if page > 1:
        links += (f'<div class="nav-previous"><a href="{path}comment-page-{page - 1}/#comments">'
                  "&larr; التعليقات الأقدم</a></div>")
    if page < pages:
        links += (f'<div class="nav-next"><a href="{path}comment-page-{page + 1}/#comments">'
                  "التعليقات الأحدث &rarr;</a></div>")
    return (f'<html lang="ar"><head><meta charset="utf-8"><title>خبر – مدونة</title></head><body><main><article>'
            f'<h1 class="entry-title">خبر</h1>'
            f'<div class="entry-content"><p>نص الخبر الأول.</p><p>نص الخبر الثاني.</p></div>'
            f'</article><div id="comments" class="comments-area"><h2 class="comments-title">{pages * 3} تعليقات</h2>'
            f'<ol class="comment-list">{items}</ol><nav class="comment-navigation">{links}</nav></div>'
            f'</main></body></html>'
            ).encode()


def test_a_thread_shown_newest_page_first_is_read_whole_with_its_replies(tmp_path):
    from newscrawl.samplesite.captured import CapturedSite

    path, pages = "/2024/05/story/", 3
    served = {path: _wordpress_page(pages, pages, path)}
    served.update({f"{path}comment-page-{n}/": _wordpress_page(n, pages, path) for n in range(1, pages + 1)})
    with CapturedSite(served) as site:
        result = run_crawl(site.base_url, tmp_path / "news.db", spider="generic", args={"urls": site.url(path)})
        assert result.returncode == 0, crawl_stats(result)
    comments = rows(tmp_path / "news.db", "SELECT * FROM comments ORDER BY position")
    assert sorted(int(c["comment_id"]) for c in comments) == list(range(1, pages * 3 + 1))  # every page, once
    by_key = {c["comment_key"]: c for c in comments}
    replies = {c["comment_id"]: by_key[c["parent_key"]]["comment_id"] for c in comments if c["parent_key"]}
    assert replies == {str(3 * p): str(3 * p - 1) for p in range(1, pages + 1)}  # on every page, its own parent
    (article,) = rows(tmp_path / "news.db", "SELECT comment_count, comments_shown, comment_pages FROM articles")
    assert article == {"comment_count": 9, "comments_shown": 9, "comment_pages": 4}  # page 3 seen twice, added once
