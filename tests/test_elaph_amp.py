"""Elaph's threads survive whichever template holds them: the one real Elaph
thread known (seeds/) is the text of an AMP page, and the canonical page's
thread markup is unknown. When an article page shows no thread, no comments
block and no sign of one, the spider reads the thread from its AMP copy."""

from __future__ import annotations

import json

import pytest

from newscrawl.samplesite import SampleSite, generate_site
from tests.conftest import crawl_stats, expected_dumps, rows, run_crawl, site_dumps

pytestmark = pytest.mark.crawl


def _stats(db) -> dict:
    (run,) = rows(db, "SELECT stats FROM crawl_runs")
    return json.loads(run["stats"])


def test_a_thread_printed_only_on_the_amp_copy_is_read_from_it(tmp_path):
    model = generate_site(12)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        site.thread_on_amp_only = True
        result = run_crawl(site.base_url, db)
        assert result.returncode == 0, crawl_stats(result)
        amp_hits = site.hits(r"^/amp/")
    assert site_dumps(db, tmp_path / "dumps") == expected_dumps(model)  # every comment, from the AMP copies
    crawlable = model.crawlable()
    with_comments = [a for a in crawlable if a.comments]
    stats = _stats(db)
    assert stats["comments/from_amp"] == len(with_comments) > 0
    assert stats["comments/amp_asked"] == len(amp_hits) == len(crawlable)  # one AMP page per article, no more
    notes = {r["article_id"]: json.loads(r["extraction"])["comments"] for r in rows(db, "SELECT * FROM articles")}
    assert {notes[str(a.article_id)] for a in with_comments} == {"AMP copy (profile)"}
    assert (tmp_path / "warc").is_dir()


def test_no_amp_copy_is_asked_when_the_article_page_holds_the_thread(tmp_path):
    model = generate_site(12)
    with SampleSite(model) as site:
        result = run_crawl(site.base_url, tmp_path / "news.db")
        assert result.returncode == 0, crawl_stats(result)
        assert site.hits(r"^/amp/") == []
    assert "comments/amp_asked" not in _stats(tmp_path / "news.db")


def test_an_amp_thread_only_the_detector_reads_counts_as_the_profile_failing(tmp_path):
    model = generate_site(8)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        site.thread_on_amp_only = True
        site.new_comment_template = True  # the comment items renamed: the profile reads none
        result = run_crawl(site.base_url, db)
        assert result.returncode == 0, crawl_stats(result)
    with_comments = [a for a in model.crawlable() if a.comments]
    stats = _stats(db)
    assert stats["extract/missing/comments"] == stats["comments/amp_not_read"] == len(with_comments) > 0
    stored = rows(db, "SELECT comment_count, comments_complete FROM articles WHERE comment_count > 0")
    assert len(stored) == len(with_comments) and {r["comments_complete"] for r in stored} == {0}  # read again next run
    (run,) = rows(db, "SELECT verdict FROM crawl_runs")
    assert run["verdict"].startswith("ok, but") and "newscrawl doctor --site elaph" in result.stderr
