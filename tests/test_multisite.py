"""Several sites in one archive: each spider crawls its model site into the
same file; dumps, search and Datasette then work across them."""

from __future__ import annotations

import json
import sqlite3

import pytest

from newscrawl.samplesite import SampleSite, generate_site
from newscrawl.samplesite.alquds import generate_alquds
from newscrawl.samplesite.hespress import generate_hespress
from tests.conftest import crawl_stats, run_cli, run_crawl

pytestmark = pytest.mark.crawl


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("multi")
    db = tmp / "news.db"
    models = {"elaph": generate_site(10), "hespress": generate_hespress(10), "alquds": generate_alquds(10)}
    for spider, model in models.items():
        with SampleSite(model) as site:
            result = run_crawl(site.base_url, db, spider=spider)
            assert result.returncode == 0, crawl_stats(result)
    return {"db": db, "models": models, "tmp": tmp}


def test_each_site_dumps_into_its_own_folder_as_its_pages_show(archive):
    out = archive["tmp"] / "dumps"
    assert run_cli("dump", "--db", str(archive["db"]), "--out", str(out)).returncode == 0
    for site, model in archive["models"].items():
        got = {p.stem: p.read_text(encoding="utf-8") for p in (out / site).glob("*.txt")}
        assert got == {str(a.article_id): a.expected_dump() for a in model.crawlable()}, site


def test_stats_and_runs_cover_every_site(archive):
    stats = run_cli("stats", "--db", str(archive["db"])).stdout
    assert all(f"{site}: " in stats for site in archive["models"])
    runs = run_cli("runs", "--db", str(archive["db"])).stdout
    assert all(f" {site} " in runs for site in archive["models"])


def test_search_finds_articles_and_comments_of_every_site(archive):
    conn = sqlite3.connect(archive["db"])
    words = {site: conn.execute("SELECT title FROM articles WHERE site = ? LIMIT 1", [site]).fetchone()[0].split()[0]
             for site in archive["models"]}
    conn.close()
    for site, word in words.items():
        result = run_cli("search", "--db", str(archive["db"]), "--site", site, "--json", word)
        hits = [json.loads(line) for line in result.stdout.splitlines()]
        assert hits and {h["site"] for h in hits} == {site}
    everywhere = run_cli("search", "--db", str(archive["db"]), "--json", "--limit", "200", "سوريا OR العراق OR المغرب")
    assert {json.loads(line)["site"] for line in everywhere.stdout.splitlines()} == set(archive["models"])
    comments = run_cli("search", "--db", str(archive["db"]), "--comments", "--json", "--limit", "500",
                       "سوريا OR العراق")
    assert len({json.loads(line)["site"] for line in comments.stdout.splitlines()}) >= 2


def test_likes_and_tags_are_kept_where_the_site_has_them(archive):
    conn = sqlite3.connect(archive["db"])
    likes = dict(conn.execute("SELECT site, count(likes) FROM comments GROUP BY site").fetchall())
    tags = dict(conn.execute("SELECT site, count(tags) FROM articles GROUP BY site").fetchall())
    conn.close()
    assert likes["hespress"] > 0 and likes.get("elaph", 0) == 0
    assert tags["hespress"] > 0
