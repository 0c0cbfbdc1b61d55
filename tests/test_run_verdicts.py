"""Every failed run says so: exit status, status in crawl_runs, verdict, one
clear log line. Real `scrapy crawl` runs against pages served on 127.0.0.1:
an unreachable site, sitemaps that fail or cannot be parsed, a full disk, a
file that cannot grow, a read-only archive, pages nested thousands deep, an
extraction that raises; and the healthy counterpart of each (an unchanged
site fetches nothing and is fine)."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree
from scrapy.utils.sitemap import Sitemap

from newscrawl import health
from newscrawl.archive import open_archive
from newscrawl.commands import crawl as crawl_command_module
from newscrawl.extract import cap_depth, extract_article, page_selector, text_lines
from newscrawl.samplesite import SampleSite, generate_site
from newscrawl.samplesite.captured import CapturedSite
from newscrawl.sitemap_ledger import SitemapLedger
from newscrawl.sites import get_profile
from newscrawl.spiders.discovery import sitemap_entries as _sitemap_entries
from tests.conftest import REPO, crawl_command, crawl_stats, rows, run_crawl
from tests.conftest import expected_dumps as expected
from tests.conftest import site_dumps as dumps

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
ARTICLE = "/Web/News/2020/1/{id}.html"


def last_run(db) -> dict:
    run = rows(db, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
    run["stats"] = json.loads(run["stats"] or "{}")
    return run


def errors(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if " ERROR: " in line]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


def article_page(article_id: int, body: str = "<p>فقرة من نص المقال.</p>") -> bytes:
    return f"""<html><head><title>t</title><link rel="canonical" href="/Web/News/2020/1/{article_id}.html"></head>
<body><h1 class="article-title">عنوان المقال {article_id}</h1>
<div class="article-meta"><time datetime="2020-01-02T10:00:00+03:00">2 يناير</time></div>
<div class="content-body">{body}</div>
<section class="comments"><h3 class="comments-title">لا تعليقات</h3><ul></ul></section></body></html>""".encode()


def urlset(*paths: str, base: str = "") -> bytes:
    entries = "".join(f"<url><loc>{base}{p}</loc></url>" for p in paths)
    return f'<?xml version="1.0"?><urlset {NS}>{entries}</urlset>'.encode()


def index(*entries: tuple[str, str]) -> bytes:
    items = "".join(f"<sitemap><loc>{loc}</loc><lastmod>{lastmod}</lastmod></sitemap>" for loc, lastmod in entries)
    return f'<?xml version="1.0"?><sitemapindex {NS}>{items}</sitemapindex>'.encode()


def billion_laughs() -> bytes:
    """The classic entity-expansion bomb: &lol9; would expand to 10^9 "lol"s."""
    entities = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10)]
    return (f'<?xml version="1.0"?><!DOCTYPE lolz [{"".join(entities)}]>'
            f"<urlset {NS}><url><loc>&lol9;</loc></url></urlset>").encode()


BILLION_LAUGHS = billion_laughs()


class Site(CapturedSite):
    """A CapturedSite whose pages may change between runs and whose sitemaps
    name it: tests build the sitemaps once the port is known."""

    def __init__(self, pages=None):
        super().__init__(pages or {})

    def set(self, path: str, body: bytes) -> None:
        self.pages[path] = body

    def hits(self, fragment: str) -> list[str]:
        with self.lock:
            return [path for path, _ in self.log if fragment in path]


# --- the status rules, on stats ----------------------------------------------


UNCHANGED = {"discovery/sitemapindex": 1, "discovery/sitemap_unchanged": 41, "robotstxt/response_status_count/200": 1,
             "downloader/response_status_count/200": 3}
UNREACHABLE = {"discovery/sitemap_failed": 2, "downloader/exception_type_count/"
               "scrapy.exceptions.DownloadConnectionRefusedError": 4,
               "robotstxt/exception_count/<class 'scrapy.exceptions.DownloadConnectionRefusedError'>": 1}


def test_an_unchanged_site_is_a_healthy_run_and_an_unreachable_one_a_failed_one():
    assert health.run_status("finished", UNCHANGED) == "finished"
    assert health.verdict("finished", UNCHANGED, None, 0.5) == "ok"
    assert health.run_status("finished", UNREACHABLE) == "failed"
    said = health.verdict("finished", UNREACHABLE, None, 0.5)
    assert said.startswith("failed: nothing could be read from the site: robots.txt failed, 2 sitemap or feed")
    assert "DownloadConnectionRefusedError 4" in said
    # A site that answered one sitemap and failed another, fetching nothing: incomplete, not failed.
    partial = {**UNREACHABLE, "discovery/urlset": 1}
    assert health.run_status("finished", partial) == "finished"
    assert health.verdict("finished", partial, None, 0.5).startswith("ok, but discovery incomplete: 2 sitemap or feed")
    # Every article asked for failing is no healthy run either; a 404 is an answer.
    assert health.run_status("finished", {"articles/failed/network": 3}) == "failed"
    assert health.run_status("finished", {"articles/failed/http_404": 3}) == "finished"
    # A CLOSESPIDER_* limit is a good ending, unless the stats say otherwise.
    assert health.run_status("closespider_pagecount", {"extract/pages": 5}) == "finished"
    assert health.run_status("closespider_pagecount", {"extract/errors/RecursionError": 1}) == "failed"


def test_storing_failed_and_extraction_errors_are_never_ok():
    stored = {"archive/store_failed": "OperationalError: database or disk is full", "archive/articles_new": 12,
              "archive/not_stored": 3, "extract/pages": 15}
    assert health.run_status("store_failed", stored) == "failed"
    assert health.run_status("blocked", stored) == "failed"  # the archive took nothing: worse than the block
    assert health.verdict("store_failed", stored, None, 0.5) == (
        "failed: storing failed (OperationalError: database or disk is full); 12 articles stored before it are "
        "kept, 3 read and not stored are fetched again next run")
    extraction = {"extract/pages": 40, "extract/errors": 3, "extract/errors/RecursionError": 2,
                  "extract/errors/ValueError": 1, "extract/error_sample": "http://x/1.html"}
    said = health.verdict("finished", extraction, None, 0.5)
    assert said.startswith("failed: extraction raised on 3 article pages (RecursionError 2, ValueError 1; first http://x/1.html)")
    raised = {"extract/pages": 40, "spider_exceptions/KeyError": 2, "spider_exceptions/count": 2}
    assert health.verdict("finished", raised, None, 0.5) == "failed: the spider raised on 2 pages (KeyError 2)"
    # A block or a template change keeps its own status; what else went wrong is named.
    assert health.verdict("blocked", {"articles/failed/http_403": 3}, None, 0.5) == "blocked by the site"
    assert health.verdict("shutdown", {}, None, 0.5) == "failed (shutdown)"


# --- arguments and the contact ------------------------------------------------


def scrapy(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


@pytest.mark.parametrize(
    "args, message",
    [
        (["elaf"], "Error: no spider named 'elaf'; did you mean elaph? the spiders are: alquds, elaph, generic"),
        (["elaph", "-a", "max_article=5"], "Error: unknown spider argument max_article (did you mean max_articles?)"),
        (["elaph", "-a", "colour=red", "-a", "size=2"],
         "Error: unknown spider arguments colour, size; elaph takes: base_url"),
    ],
)
def test_unknown_spiders_and_arguments_are_one_line_and_exit_2(tmp_path, args, message):
    result = scrapy("crawl", *args, "-a", f"base_url=http://127.0.0.1:{free_port()}",
                    "-s", f"ARCHIVE_DB={tmp_path / 'x.db'}")
    assert result.returncode == 2, result.stderr[-2000:]
    said = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(said) == 1 and said[0].startswith(message) and "Traceback" not in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_the_contact_comes_from_the_environment_and_its_absence_is_said_once(tmp_path):
    from newscrawl import settings

    assert crawl_command_module.PROJECT_CONTACT == settings.NEWSCRAWL_CONTACT
    model = generate_site(10)
    one = model.crawlable()[0].path
    warning = "NEWSCRAWL_CONTACT is not set"
    with SampleSite(model) as site:
        env = {k: v for k, v in os.environ.items() if k != "NEWSCRAWL_CONTACT"}
        cmd = crawl_command(site.base_url, tmp_path / "a.db", args={"urls": one})
        unset = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120, env=env)
        assert unset.returncode == 0 and unset.stderr.count(warning) == 1
        site.clear_log()
        given = subprocess.run(crawl_command(site.base_url, tmp_path / "b.db", args={"urls": one}), cwd=REPO,
                               capture_output=True, text=True, timeout=120,
                               env={**env, "NEWSCRAWL_CONTACT": "mailto:env@example.org"})
        assert given.returncode == 0 and warning not in given.stderr
        assert {h.user_agent for h in site.hits()} == {
            "newscrawl/0.1.0 (+mailto:env@example.org; archive of Arabic news for research)"}
        site.clear_log()
        both = subprocess.run(
            crawl_command(site.base_url, tmp_path / "c.db", args={"urls": one},
                          settings={"NEWSCRAWL_CONTACT": "mailto:flag@example.org"}),
            cwd=REPO, capture_output=True, text=True, timeout=120,
            env={**env, "NEWSCRAWL_CONTACT": "mailto:env@example.org"})
        assert both.returncode == 0 and warning not in both.stderr
        assert {h.user_agent for h in site.hits()} == {
            "newscrawl/0.1.0 (+mailto:flag@example.org; archive of Arabic news for research)"}  # -s wins


# --- a site that cannot be read, and one with nothing new ---------------------


def test_an_unreachable_site_is_a_failed_run_with_one_line_saying_why(tmp_path):
    db = tmp_path / "news.db"
    result = run_crawl(f"http://127.0.0.1:{free_port()}", db, settings={"RETRY_TIMES": "0"})
    assert result.returncode == 1, crawl_stats(result)
    run = last_run(db)
    assert run["status"] == "failed" and run["finish_reason"] == "finished"
    assert run["verdict"].startswith(
        "failed: nothing could be read from the site: robots.txt failed, 2 sitemap or feed")
    assert "DownloadConnectionRefusedError" in run["verdict"]
    said = [line for line in errors(result) if "[newscrawl.extensions]" in line]
    assert len(said) == 1 and (
        f"crawl run {run['id']} failed (finished), verdict: failed: nothing could be read" in said[0])


def test_every_sitemap_failing_is_a_failed_run_and_an_unchanged_site_a_healthy_one(tmp_path):
    db = tmp_path / "news.db"
    with Site() as site:  # robots.txt answers, every sitemap is a 404
        result = run_crawl(site.base_url, db)
        assert result.returncode == 1, crawl_stats(result)
        assert last_run(db)["verdict"].startswith(
            "failed: nothing could be read from the site: 2 sitemap or feed downloads failed")

        # The sitemap index answers; every sitemap that lists articles fails.
        site.set("/sitemaps/allsitemaps.xml", index((site.url("/sitemaps/2020-01.xml"), "2020-01-05")))
        result = run_crawl(site.base_url, db)
        assert result.returncode == 1 and last_run(db)["status"] == "failed"

        # They answer too: one article stored, everything read, an ok run.
        site.set("/sitemaps/google_news.xml", urlset())
        site.set("/sitemaps/2020-01.xml", urlset(ARTICLE.format(id=101), base=site.base_url))
        site.set(ARTICLE.format(id=101), article_page(101))
        result = run_crawl(site.base_url, db)
        assert result.returncode == 0, crawl_stats(result)
        assert last_run(db)["verdict"] == "ok" and last_run(db)["stats"]["archive/articles_new"] == 1

        # Nothing changed: no monthly sitemap, no article page fetched, and that is fine.
        site.log.clear()
        result = run_crawl(site.base_url, db, args={"refresh_days": 0})
        assert result.returncode == 0, crawl_stats(result)
        assert site.hits("/Web/") == [] and site.hits("2020-01.xml") == []
        run = last_run(db)
        assert run["status"] == "finished" and run["verdict"] == "ok"


# --- sitemaps that cannot be parsed -------------------------------------------


def entries_and_problems(body: bytes) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    locs = [e.get("loc", "") for e in _sitemap_entries(Sitemap(body), problems)]
    return locs, problems


def test_a_sitemap_parsed_only_in_part_says_why():
    whole = urlset("/a", "/b?x=1&y=2", "/c")  # an unescaped & spoils one URL, not the document
    assert entries_and_problems(whole)[1] == []
    locs, problems = entries_and_problems(BILLION_LAUGHS)
    assert not any(locs) and "declares XML entities" in problems[0]
    locs, problems = entries_and_problems(urlset("/a", "/b")[:-30])  # cut short
    assert locs == ["/a"] and problems[0].startswith("line 1: ")  # libxml2's words
    deep = f'<urlset {NS}><url><loc>/a</loc></url>{"<x>" * 300}{"</x>" * 300}<url><loc>/b</loc></url></urlset>'.encode()
    locs, problems = entries_and_problems(deep)
    assert locs == ["/a"] and "depth" in problems[0]  # libxml2 stops there: /b is never seen
    huge = urlset("/a") [:-9] + b"<url><loc>/" + b"x" * 11_000_000 + b"</loc></url><url><loc>/c</loc></url></urlset>"
    locs, problems = entries_and_problems(huge)
    assert "/c" not in locs and problems

    ledger = SitemapLedger()
    for url in ("s1", "s2"):
        ledger.opened(url, "2020-01-01")
        ledger.read_to_end(url)
    ledger.unreadable("s2")
    assert ledger.done() == [("s1", "2020-01-01")]


def test_an_unparsable_sitemap_is_counted_and_not_marked_read(tmp_path):
    db = tmp_path / "news.db"
    with Site() as site:
        site.set("/sitemaps/allsitemaps.xml", index((site.url("/sitemaps/2020-01.xml"), "2020-01-05"),
                                                    (site.url("/sitemaps/2020-02.xml"), "2020-02-05"),
                                                    (site.url("/sitemaps/2020-03.xml"), "2020-03-05")))
        site.set("/sitemaps/google_news.xml", urlset())
        site.set("/sitemaps/2020-01.xml", urlset(ARTICLE.format(id=101), base=site.base_url))
        site.set("/sitemaps/2020-02.xml", BILLION_LAUGHS)
        # Cut short after its first entry: the second is never seen.
        site.set("/sitemaps/2020-03.xml",
                 urlset(ARTICLE.format(id=102), ARTICLE.format(id=103), base=site.base_url)[:-40])
        for n in (101, 102, 103):
            site.set(ARTICLE.format(id=n), article_page(n))
        result = run_crawl(site.base_url, db)
        assert result.returncode == 0, crawl_stats(result)
        run = last_run(db)
        assert run["stats"]["discovery/sitemap_incomplete"] == 2
        assert run["verdict"] == "ok, but discovery incomplete: 2 sitemaps read only in part"
        marked = {r["url"] for r in rows(db, "SELECT url FROM sitemaps")}
        assert marked == {site.url("/sitemaps/2020-01.xml"), site.url("/sitemaps/google_news.xml")}
        assert sum("could not be read in full" in line for line in errors(result)) == 2

        # The next run reads both again (and skips the one read in full).
        site.log.clear()
        run_crawl(site.base_url, db)
        assert site.hits("2020-01.xml") == [] and site.hits("2020-02.xml") and site.hits("2020-03.xml")


# --- pages nested thousands deep ---------------------------------------------


def nested(depth: int, tag: str = "div") -> str:
    return f"<p>فقرة أولى.</p>{f'<{tag}>' * depth}<p>نص في العمق.</p>{f'</{tag}>' * depth}<p>فقرة أخيرة.</p>"


def test_text_lines_reads_any_depth_as_the_recursive_walk_did():
    html = "<div><p>a<b>b</b>c<br>d</p><!-- x --><script>no</script><ul><li>e</li><li>f<i>g</i></li></ul>tail</div>"
    element = page_selector(html, "http://x/").root.find(".//div")
    assert text_lines(element) == ["abc", "d", "e", "fg", "tail"]
    root = page_selector(f"<html><body>{nested(2000)}</body></html>", "http://x/").root
    assert text_lines(root) == ["فقرة أولى.", "نص في العمق.", "فقرة أخيرة."]


def test_cap_depth_keeps_shallow_pages_as_they_are_and_every_text_of_deep_ones():
    page = article_page(1).replace(b"<p>", b"<p class='a>b'>")
    assert cap_depth(page, 1000) == page
    deep = f"<html><body><script>if (a<b) {{ '<div>' }}</script>{nested(5000, 'span')}</body></html>".encode()
    capped = cap_depth(deep, 100)
    root = etree.fromstring(capped, etree.HTMLParser(recover=True, encoding="utf-8"))
    assert max(len(list(e.iterancestors())) for e in root.iter()) < 110
    assert "".join(root.itertext()).count("نص في العمق.") == 1 and "'<div>'" in "".join(root.itertext())


@pytest.mark.parametrize("depth", [1000, 3000, 5000])
def test_a_page_nested_thousands_deep_is_crawled_and_stored(tmp_path, depth):
    db = tmp_path / "news.db"
    path = ARTICLE.format(id=200 + depth)
    with Site({path: article_page(200 + depth, nested(depth))}) as site:
        result = run_crawl(site.base_url, db, args={"urls": path})
    assert result.returncode == 0, crawl_stats(result)
    assert "Traceback" not in result.stderr and last_run(db)["verdict"] == "ok"
    (stored,) = rows(db, "SELECT body FROM articles")
    assert stored["body"].split("\n") == ["فقرة أولى.", "نص في العمق.", "فقرة أخيرة."]


def test_extract_article_reads_a_deep_page_in_full():
    got = extract_article(article_page(1, nested(5000)).decode(), "https://elaph.com" + ARTICLE.format(id=1),
                          get_profile("elaph"))
    assert got.body == ["فقرة أولى.", "نص في العمق.", "فقرة أخيرة."] and got.title == "عنوان المقال 1"


# --- extraction that raises --------------------------------------------------

# The crawl as a person runs it, with extraction raising on one page: the
# real spider, pipelines and command, and one page that meets a bug.
INJECT = """
import os, sys
sys.path.insert(0, os.getcwd())
import newscrawl.spiders.base as base
real = base.extract_article
def extract_article(html, url, profile, **kwargs):
    if url.endswith(os.environ["BREAK_ON"]):
        raise RecursionError("maximum recursion depth exceeded while calling a Python object")
    return real(html, url, profile, **kwargs)
base.extract_article = extract_article
if __name__ == "__main__":  # the archive writer process (spawned) imports this file too
    from scrapy.cmdline import execute
    sys.argv = ["scrapy", *sys.argv[1:]]
    execute()
"""


def test_an_extraction_error_is_counted_named_and_fails_the_run_but_not_the_others(tmp_path):
    script = tmp_path / "inject.py"
    script.write_text(INJECT)
    db = tmp_path / "news.db"
    model = generate_site(10)
    victim = model.crawlable()[3]
    with SampleSite(model) as site:
        cmd = crawl_command(site.base_url, db)
        result = subprocess.run([sys.executable, str(script), *cmd[3:]], cwd=REPO, capture_output=True, text=True,
                                timeout=240, env={**os.environ, "BREAK_ON": victim.path})
        assert result.returncode == 1, crawl_stats(result)
        assert "Traceback" not in result.stderr
        said = [line for line in errors(result) if "extraction failed" in line]
        assert len(said) == 1 and victim.path in said[0] and "RecursionError" in said[0]
        run = last_run(db)
        assert run["status"] == "failed" and run["stats"]["extract/errors/RecursionError"] == 1
        assert run["verdict"].startswith("failed: extraction raised on 1 article page (RecursionError 1; first ")
        stored = {r["article_id"] for r in rows(db, "SELECT article_id FROM articles")}
        assert stored == {str(a.article_id) for a in model.crawlable()} - {str(victim.article_id)}

        # Fixed: the next run fetches just that article, and all is well.
        site.clear_log()
        again = run_crawl(site.base_url, db, args={"refresh_days": 0})
        assert again.returncode == 0, crawl_stats(again)
        assert [h.path for h in site.article_hits()] == [victim.path]
    assert dumps(db, tmp_path / "dumps") == expected(model)


INJECT_COMMENTS = INJECT.replace("real = base.extract_article", "real = base.extract_comments").replace(
    "def extract_article(html, url, profile, **kwargs):", "def extract_comments(sel, profile, url, **kwargs):").replace(
    "return real(html, url, profile, **kwargs)", "return real(sel, profile, url, **kwargs)").replace(
    "base.extract_article = extract_article", "base.extract_comments = extract_comments")


def test_a_comments_page_that_raises_keeps_the_article_and_fails_the_run(tmp_path):
    script = tmp_path / "inject.py"
    script.write_text(INJECT_COMMENTS)
    assert "base.extract_comments = extract_comments" in INJECT_COMMENTS
    db = tmp_path / "news.db"
    model = generate_site(40)
    victim = next(a for a in model.crawlable() if len(a.comments) > model.comments_per_page)
    with SampleSite(model) as site:
        cmd = crawl_command(site.base_url, db)
        result = subprocess.run([sys.executable, str(script), *cmd[3:]], cwd=REPO, capture_output=True, text=True,
                                timeout=240, env={**os.environ, "BREAK_ON": f"{victim.path}?cpage=2"})
        assert result.returncode == 1, crawl_stats(result)
        assert "Traceback" not in result.stderr
        said = [line for line in errors(result) if "extraction of comments page" in line]
        assert len(said) == 1 and victim.path in said[0] and "RecursionError" in said[0]
        run = last_run(db)
        assert run["status"] == "failed" and run["stats"]["comments/errors/RecursionError"] == 1
        assert "extraction raised on 1 comments page (RecursionError 1" in run["verdict"]
        # Every article is stored; the victim with its first page of comments, its thread incomplete.
        assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == len(model.crawlable())
        kept = rows(db, "SELECT count(*) AS n FROM comments WHERE article_id = ?", [str(victim.article_id)])[0]["n"]
        assert kept == model.comments_per_page

        # Fixed: the next run reads that thread again, whole.
        again = run_crawl(site.base_url, db, args={"refresh_days": 0})
        assert again.returncode == 0, crawl_stats(again)
    assert dumps(db, tmp_path / "dumps") == expected(model)


# --- storing that fails ------------------------------------------------------


def can_mount() -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"newscrawl-mount-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
                            capture_output=True).returncode == 0
        if ok:
            subprocess.run(["umount", str(probe)], check=True)
        return ok
    finally:
        probe.rmdir()


needs_mount = pytest.mark.skipif(not can_mount(), reason="needs root and mount (tmpfs, bind mounts)")


def assert_stopped_at_the_first_refusal(result, db, model, cause: str) -> int:
    assert result.returncode == 1, crawl_stats(result)
    assert "Traceback" not in result.stderr
    said = [line for line in errors(result) if "[pipelines.store]" in line]
    assert len(said) == 1 and cause in said[0] and "stopping the crawl" in said[0]
    assert rows(db, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    stored = rows(db, "SELECT count(*) AS n FROM articles")[0]["n"]
    assert 0 < stored < len(model.crawlable())
    return stored


@pytest.fixture
def tmpfs(tmp_path):
    """A 2 MB file system of its own: a disk that really fills up (an empty
    archive and its WAL take about 1 MB of it: 16 KB pages)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)], check=True)
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


@needs_mount
@pytest.mark.parametrize("writer_process", ["True", "False"])
def test_a_full_disk_stops_the_crawl_keeps_what_is_stored_and_the_next_run_completes(tmp_path, tmpfs, writer_process):
    model = generate_site(40)
    db = tmpfs / "news.db"
    open_archive(db).close()
    settings = {"WARC_DIR": str(tmp_path / "warc"), "STORE_IN_PROCESS": writer_process}
    with SampleSite(model) as site:
        result = run_crawl(site.base_url, db, settings=settings)
        assert_stopped_at_the_first_refusal(result, db, model, "OperationalError: database or disk is full")
        assert "'finish_reason': 'store_failed'" in result.stderr
        # Space again: the next run stores the rest, nothing twice.
        subprocess.run(["mount", "-o", "remount,size=64m", str(tmpfs)], check=True)
        again = run_crawl(site.base_url, db, settings=settings)
        assert again.returncode == 0, crawl_stats(again)
    runs = rows(db, "SELECT status, finish_reason, verdict FROM crawl_runs ORDER BY id")
    assert runs[-1]["status"] == "finished"
    assert dumps(db, tmp_path / "dumps") == expected(model)


@pytest.mark.parametrize("writer_process", ["True", "False"])
def test_an_archive_that_cannot_grow_stops_the_crawl_and_the_next_run_completes(tmp_path, writer_process):
    """RLIMIT_FSIZE: the kernel refuses writes past a size (EFBIG), for the
    crawl and its writer process alike; SQLite says "disk I/O error". No
    root needed, unlike a real full disk (above)."""
    model = generate_site(40)
    db = tmp_path / "news.db"
    open_archive(db).close()
    limit = db.stat().st_size + 200_000  # room for a few articles in the WAL

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    with SampleSite(model) as site:
        cmd = crawl_command(site.base_url, db, settings={"WARC_ENABLED": "False", "STORE_IN_PROCESS": writer_process})
        result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=240, preexec_fn=small_files)
        stored = assert_stopped_at_the_first_refusal(result, db, model, "OperationalError: disk I/O error")
        run = last_run(db)
        # Where the refused batch leaves no room at all (a matter of where the
        # limit falls in the WAL), the run's own row is refused too, even
        # without its stats: the log says so, and the next run marks it killed.
        unrecorded = run["status"] == "running"
        if unrecorded:
            assert f"crawl run {run['id']}: its end could not be recorded in the archive" in result.stderr
        else:
            assert run["status"] == "failed" and run["finish_reason"] == "store_failed"
            assert run["verdict"].startswith(
                f"failed: storing failed (OperationalError: disk I/O error); {stored} articles")
        again = run_crawl(site.base_url, db, settings={"WARC_ENABLED": "False", "STORE_IN_PROCESS": writer_process})
        assert again.returncode == 0, crawl_stats(again)
    assert dumps(db, tmp_path / "dumps") == expected(model)
    if unrecorded:
        assert rows(db, "SELECT status FROM crawl_runs WHERE id = ?", [run["id"]]) == [{"status": "killed"}]


@needs_mount
def test_a_read_only_archive_is_one_line_exit_1_and_left_as_it_was(tmp_path):
    model = generate_site(10)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        assert run_crawl(site.base_url, db).returncode == 0
        before = hashlib.sha256(db.read_bytes()).hexdigest()
        # The file read-only, its folder not: as on a file owned by another user (root ignores chmod).
        subprocess.run(["mount", "--bind", str(db), str(db)], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,ro,bind", str(db)], check=True)
            result = run_crawl(site.base_url, db)
        finally:
            subprocess.run(["umount", str(db)], check=True)
    assert result.returncode == 1, crawl_stats(result)
    assert "Traceback" not in result.stderr
    said = [line for line in errors(result) if "[newscrawl.extensions]" in line]
    assert len(said) == 1 and (
        "the archive refuses writes (OperationalError: attempt to write a readonly database)" in said[0])
    assert "'finish_reason': 'store_failed'" in result.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


@needs_mount
def test_an_archive_folder_that_cannot_be_written_is_one_line_exit_1(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
        result = run_crawl(f"http://127.0.0.1:{free_port()}", folder / "news.db")
    finally:
        subprocess.run(["umount", str(folder)], check=True)
    assert result.returncode == 1
    assert "Error: cannot write beside the archive" in result.stderr and "Read-only file system" in result.stderr
    assert "Traceback" not in result.stderr
