"""No request leaves the site (newscrawl/fetch_policy.py), and discovery is lazy (newscrawl/backlog.py).

Real `scrapy crawl` runs against a hostile site on 127.0.0.1, with a second
server on another port standing in for another host and logging every
request it gets. The same server reached as `localhost:<port>` is another
host too: its log records the Host header each request was sent for. An
audit hook (sys.addaudithook, loaded through sitecustomize in the crawl's
process) records any open() of the file:// paths the site names.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from warcio.archiveiterator import ArchiveIterator

from newscrawl.fetch_policy import FetchPolicy, ForeignHost, ForeignScheme, OffsiteRedirect
from newscrawl.samplesite import SampleSite, generate_site
from newscrawl.samplesite.hostile import RecordingServer, hostile_elaph, hostile_feed, tempting
from tests.conftest import REPO, crawl_command, crawl_stats, rows
from tests.test_distributed import redis_url  # noqa: F401 - the fixture: a real redis-server

# --- the decision, by itself ------------------------------------------------


def test_only_http_and_https_on_the_sites_own_hosts():
    policy = FetchPolicy.for_site("https://www.elaph.com", "https://elaph.com")
    for url in ("https://elaph.com/x", "http://www.elaph.com/x", "https://ELAPH.com:443/x", "https://elaph.com./x"):
        assert policy.refusal(url) is None, url
    for url in ("https://evil.elaph.com/x", "https://elaph.com.evil.example/x", "http://elaph.com:8080/x",
                "http://elaph.com@evil.example/x", "http://evil.example\\@elaph.com/x"):
        assert isinstance(policy.refusal(url), ForeignHost), url
    for url in ("file:///etc/passwd", "data:text/plain,x", "ftp://elaph.com/x", "s3://elaph.com/x", "/Web/x.html",
                "//elaph.com/x"):
        assert isinstance(policy.refusal(url), ForeignScheme), url


def test_no_download_handler_but_http_and_https():
    from scrapy.utils.project import get_project_settings

    handlers = get_project_settings().getwithbase("DOWNLOAD_HANDLERS")
    assert {scheme for scheme, handler in handlers.items() if handler} == {"http", "https"}
    middlewares = get_project_settings().getwithbase("DOWNLOADER_MIDDLEWARES")
    # First, before robots.txt is asked for; Scrapy's offsite filter (which lets dont_filter through) replaced.
    assert middlewares["newscrawl.fetch_policy.FetchPolicyMiddleware"] < middlewares[
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"]
    assert middlewares["scrapy.downloadermiddlewares.offsite.OffsiteMiddleware"] is None


def test_another_port_or_another_name_is_another_host():
    policy = FetchPolicy.for_site("http://127.0.0.1:8001", "https://elaph.com", ("static.elaph.com",))
    assert policy.allows("http://127.0.0.1:8001/a") and policy.allows("https://127.0.0.1:8001/a")
    assert not policy.allows("http://127.0.0.1:8002/a") and not policy.allows("http://localhost:8001/a")
    assert not policy.allows("http://127.0.0.1/a")
    # The profile's hosts are the real site's: not allowed for a crawl of a local copy.
    assert not policy.allows("https://static.elaph.com/a")
    real = FetchPolicy.for_site("https://elaph.com", "https://elaph.com", ("static.elaph.com",))
    assert real.allows("https://static.elaph.com/a") and not real.allows("https://www.static.elaph.com/a")
    assert real.with_hosts(["cdn.example.org:8443"]).allows("https://cdn.example.org:8443/x")


# URL-like text from the characters that move where a host starts and ends.
_URL_PARTS = st.sampled_from(["http", "https", "HTTP", "ftp", "://", ":", "//", "/", "?", "#", "@", "\\", ".",
                              "[", "]", "::1", "%41", "%2F", " ", "\t", "\n", "\x00", "\u200f", "www.", "elaph",
                              "com", "إيلاف", "xn--", "8080", "443", "-", "_"])
_URLS = st.lists(_URL_PARTS, max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(_URLS, max_size=8), st.lists(st.tuples(_URLS, _URLS), max_size=4))
def test_a_policy_for_many_urls_reads_each_host_once_and_finds_the_same_hosts(urls, same_start):
    # for_urls reads the host of each scheme and authority once: the policy
    # must be the one that reading every URL gives.
    urls = urls + [a + "/" + b for a, b in same_start] + [a + "?" + b for a, b in same_start]
    one_by_one = frozenset().union(*(FetchPolicy.for_urls([url]).hosts for url in urls))
    assert FetchPolicy.for_urls(urls).hosts == one_by_one


def test_spiders_are_bound_to_their_hosts():
    from newscrawl.spiders.generic import GenericSpider
    from newscrawl.spiders.hespress import HespressSpider

    spider = HespressSpider()
    assert spider._on_site("https://www.hespress.com/x-1.html") and spider._on_site("https://hespress.com/x-1.html")
    assert not spider._on_site("https://fr.hespress.com/x-1.html")
    generic = GenericSpider(urls="https://www.youm7.com/story/1,http://127.0.0.1:5/x", feed="https://feeds.example.org/rss")
    assert generic._on_site("https://youm7.com/story/2") and generic._on_site("http://127.0.0.1:5/y")
    assert not generic._on_site("https://example.org/story") and not generic._on_site("http://127.0.0.1:6/y")


def test_an_offsite_redirect_names_where_it_came_from():
    error = OffsiteRedirect("http://b.example/x", "b.example is not a.example", source="http://a.example/x")
    assert error.source == "http://a.example/x" and "a.example/x redirects to http://b.example/x" in str(error)


# --- real crawls ----------------------------------------------------------------

AUDIT_HOOK = r'''
import os, sys
_watch = {os.path.realpath(p) for p in os.environ["NEWSCRAWL_WATCH"].split(os.pathsep) if p}
_log = os.environ["NEWSCRAWL_WATCH_LOG"]
with open(_log, "a") as _f:
    _f.write(f"loaded {os.getpid()}\n")  # every process of the crawl (the store writer too)
def _hook(event, args):
    if event in ("open", "os.listdir", "os.scandir") and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.path.realpath(os.fsdecode(args[0]))
        if path in _watch:
            with open(_log, "a") as f:
                f.write(f"{event} {path}\n")
sys.addaudithook(_hook)
'''


def watched_crawl(base_url: str, db: Path, tmp: Path, watch: list[str],
                  **options) -> tuple[subprocess.CompletedProcess, list[str]]:
    """A real `scrapy crawl`, with an audit hook that records any open() of the `watch` paths."""
    hook = tmp / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(AUDIT_HOOK)
    opened = tmp / "opened.txt"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")])),
           "NEWSCRAWL_WATCH": os.pathsep.join(watch), "NEWSCRAWL_WATCH_LOG": str(opened)}
    result = subprocess.run(crawl_command(base_url, db, **options), cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=240)
    lines = opened.read_text().splitlines() if opened.exists() else []
    assert lines and lines[0].startswith("loaded"), "the audit hook did not load: the file check would prove nothing"
    return result, [line for line in lines if not line.startswith("loaded")]


def run_stats(db: Path) -> dict:
    return json.loads(rows(db, "SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]["stats"])


def warc_targets(folder: Path) -> list[str]:
    targets = []
    for path in sorted(folder.glob("*.warc.gz")):
        with open(path, "rb") as fh:
            targets += [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(fh)
                        if r.rec_headers.get_header("WARC-Target-URI")]
    return targets


@pytest.fixture
def hosts(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the crawler\n")
    with RecordingServer() as site, RecordingServer(default=tempting) as other:
        yield site, other, secret


def not_the_site(site: RecordingServer, other: RecordingServer) -> list:
    """Every request that left the site: to the other host, or to the site's server under another name."""
    return other.hits() + [h for h in site.hits() if h.host != f"127.0.0.1:{site.port}"]


@pytest.mark.crawl
def test_a_hostile_site_cannot_steer_the_crawl_elsewhere(hosts, tmp_path):
    site, other, secret = hosts
    hostile = hostile_elaph(site, other, str(secret))
    db = tmp_path / "news.db"
    result, opened = watched_crawl(site.base_url, db, tmp_path, [str(secret), "/etc/passwd"])
    assert result.returncode == 0, crawl_stats(result)
    assert not_the_site(site, other) == [], "requests left the site"
    assert opened == [], "a file:// URL was opened"
    # What is on the site is stored, under the site's URLs (not a canonical elsewhere).
    stored = {int(r["article_id"]): r["url"] for r in rows(db, "SELECT article_id, url FROM articles")}
    assert stored == hostile.stored
    comments = rows(db, "SELECT article_id, text FROM comments ORDER BY article_id, position")
    assert [(c["article_id"], c["text"]) for c in comments if c["article_id"] == "101"] == [
        ("101", "تعليق أول"), ("101", "تعليق ثان")]  # read up to the link off the site
    assert not any("مضيف آخر" in c["text"] for c in comments)
    targets = warc_targets(tmp_path / "warc")
    assert targets and not [u for u in targets if not u.startswith(site.base_url)]
    # And the run says what it refused.
    stats = run_stats(db)
    assert stats["articles/moved_offsite"] == len(hostile.moved)
    assert stats["fetch_policy/moved_offsite"] == hostile.moved
    assert stats["fetch_policy/refused/redirect"] == len(hostile.moved) + 1  # and a sitemap's redirect
    assert stats["fetch_policy/refused_in/robots"] == 4  # other host, localhost, two file:// lines
    assert stats["fetch_policy/refused_in/sitemap_index"] == 4
    assert stats["fetch_policy/refused_in/sitemap"] == 5  # other host, 3 x file://, one that is no URL
    assert stats["fetch_policy/refused_in/comments"] == hostile.comment_links_off_site
    assert stats["fetch_policy/refused/scheme"] == 2 + 2 + 3 + 1  # robots, index, urlset, a comments link
    assert stats["comments/offsite_link"] == hostile.comment_links_off_site
    assert stats["extract/canonical_offsite"] == 1
    # Links no parser reads ("http://[..."): the pages holding them are stored, the links refused.
    assert stats["extract/canonical_unreadable"] == 1
    assert stats["fetch_policy/refused/unreadable"] == 2  # the sitemap entry, the comments link
    assert "extract/errors" not in stats and "spider_exceptions/ValueError" not in stats
    assert {"file:", f"127.0.0.1:{other.port}", f"localhost:{site.port}", "(not a URL)"} <= set(
        stats["fetch_policy/refused_targets"])
    log = result.stderr
    assert f"file://{secret}" in log and "only http and https are fetched" in log
    assert f"article {site.base_url}/Web/News/2015/3/102.html moved to {other.base_url}/Web/News/2015/3/102.html" in log
    assert "requests refused by the fetch policy" in log


@pytest.mark.crawl
def test_a_generic_crawl_is_bound_to_the_hosts_it_was_given(hosts, tmp_path):
    site, other, secret = hosts
    expected = hostile_feed(site, other)
    db = tmp_path / "news.db"
    result, opened = watched_crawl(site.base_url, db, tmp_path, ["/etc/passwd"], spider="generic",
                                   args={"feed": site.url("/feed.xml")})
    assert result.returncode == 0, crawl_stats(result)
    assert not_the_site(site, other) == [] and opened == []
    assert sorted(r["url"] for r in rows(db, "SELECT url FROM articles")) == sorted(expected.values())
    stats = run_stats(db)
    assert stats["fetch_policy/refused_in/feed"] == 2 and stats["articles/moved_offsite"] == 1
    assert stats["extract/canonical_offsite"] == 1


@pytest.mark.crawl
def test_a_distributed_worker_is_bound_by_the_same_middleware(hosts, tmp_path, redis_url):  # noqa: F811 - the fixture
    from tests.test_distributed import WORKER, drain

    site, other, secret = hosts
    hostile = hostile_elaph(site, other, str(secret))
    cmd = crawl_command(site.base_url, tmp_path / "unused.db", fast=False, settings={**WORKER, "REDIS_URL": redis_url})
    worker = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=240)
    assert worker.returncode == 0, worker.stderr[-4000:]
    assert not_the_site(site, other) == [], "requests left the site"
    db = tmp_path / "news.db"
    drain(db, redis_url)
    stored = {int(r["article_id"]): r["url"] for r in rows(db, "SELECT article_id, url FROM articles")}
    assert stored == hostile.stored
    assert f"moved to {other.base_url}/Web/News/2015/3/102.html" in worker.stderr


# --- discovery is lazy -----------------------------------------------------------


def _sitemap_hits(site) -> list[str]:
    return [h.path for h in site.log if h.path.startswith("/sitemaps/")]


@pytest.mark.crawl
def test_max_articles_stops_reading_sitemaps(tmp_path):
    model = generate_site(40)
    with SampleSite(model) as site:
        result = subprocess.run(crawl_command(site.base_url, tmp_path / "news.db", args={"max_articles": 2}),
                                cwd=REPO, capture_output=True, text=True, timeout=240)
        assert result.returncode == 0, crawl_stats(result)
        months = [p for p in _sitemap_hits(site) if p != "/sitemaps/allsitemaps.xml"]
        listed = len(site.renderer.sitemap_months(model))
    assert listed > 10
    assert len(months) <= 2, f"{len(months)} of {listed} monthly sitemaps read for 2 articles"
    assert rows(tmp_path / "news.db", "SELECT count(*) AS n FROM articles")[0]["n"] == 2
    assert "max_articles=2 reached" in result.stderr


@pytest.mark.crawl
def test_articles_are_fetched_while_the_sitemaps_are_still_being_read(tmp_path):
    model = generate_site(40)
    with SampleSite(model) as site:
        result = subprocess.run(crawl_command(site.base_url, tmp_path / "news.db"), cwd=REPO, capture_output=True,
                                text=True, timeout=240)
        assert result.returncode == 0, crawl_stats(result)
        paths = [h.path for h in site.log]
    first_article = next(n for n, p in enumerate(paths) if p.startswith("/Web/"))
    last_sitemap = max(n for n, p in enumerate(paths) if p.startswith("/sitemaps/"))
    # Eagerly, every sitemap came first and every article request waited in memory.
    assert first_article < last_sitemap
    stored = rows(tmp_path / "news.db", "SELECT count(*) AS n FROM articles")[0]["n"]
    assert stored == len(model.crawlable())

