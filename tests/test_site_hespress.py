"""Hespress (hespress.com): the profile, the spider and the model site.

Which cases the golden fixtures cover (tests/test_profiles.py reads them),
then the real `scrapy crawl hespress` against the Hespress model served on
127.0.0.1, checked against the model's own fields: dumps byte for byte,
likes (negative too), tags, Moroccan dates with the right offset, discovery
through robots.txt, sitemaps and the RSS feed, and the spider arguments.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from newscrawl.archive import open_archive
from newscrawl.samplesite import SampleSite
from newscrawl.samplesite.hespress import RENDERER, add_comments, generate_hespress
from newscrawl.sites import get_profile
from tests.conftest import REPO, crawl_stats, run_crawl, site_dumps
from tests.fixture_pages import FIXTURES as ALL_FIXTURES

FIXTURES = ALL_FIXTURES / "hespress"
crawls = pytest.mark.crawl
HESPRESS = get_profile("hespress")
SPIDER = "hespress"


# --- helpers ------------------------------------------------------------------


def crawl(site, db, **options):
    result = run_crawl(site.base_url, db, spider=SPIDER, **options)
    assert result.returncode == 0, crawl_stats(result)
    assert "Traceback" not in result.stderr
    return result


def query(db_path, sql, params=()):
    db = open_archive(db_path, create=False)
    try:
        return list(db.query(sql, params))
    finally:
        db.close()


def run_record(db_path, run_id=None):
    sql = "SELECT * FROM crawl_runs " + ("WHERE id = ?" if run_id else "ORDER BY id DESC LIMIT 1")
    run = query(db_path, sql, [run_id] if run_id else [])[0]
    run["stats"] = json.loads(run["stats"] or "{}")
    return run


def dumps_of(db, out):
    return site_dumps(db, out, SPIDER)


def stored_ids(db):
    return {r["article_id"] for r in query(db, "SELECT article_id FROM articles WHERE site = ?", [SPIDER])}


def ids(articles):
    return {str(a.article_id) for a in articles}


def article_id_of(hit_path):
    return HESPRESS.article_id(hit_path)


# --- profile and spider ---------------------------------------------------------


def test_profile_is_found_and_spider_is_listed():
    assert HESPRESS.timezone == "Africa/Casablanca" and "/feed" in HESPRESS.feeds
    listed = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=REPO, capture_output=True, text=True,
                            timeout=60)
    assert "hespress" in listed.stdout.split()


SLUG = quote("الحكومة-تصادق-على-مشروع", safe="-")


@pytest.mark.parametrize(
    "url, article_id",
    [
        (f"https://www.hespress.com/{SLUG}-1038492.html", "1038492"),
        ("https://www.hespress.com/الحكومة-تصادق-على-مشروع-1038492.html", "1038492"),  # an IRI, not encoded
        (f"https://www.hespress.com/{SLUG}-2022-1038492.html?utm_source=feed#comments", "1038492"),
        ("https://hespress.com/1038492.html", "1038492"),
        ("https://www.hespress.com/?p=1038492", None),  # the feed's guid
        ("https://www.hespress.com/feed", None),
        ("https://www.hespress.com/politique", None),
        (f"https://www.hespress.com/tag/{SLUG}", None),
    ],
)
def test_article_identity_is_the_numeric_id(url, article_id):
    assert HESPRESS.article_id(url) == article_id


# --- golden fixtures (read by tests/test_profiles.py) ----------------------------


def test_fixtures_cover_the_cases():
    fixtures = [json.loads(p.read_text(encoding="utf-8")) for p in FIXTURES.glob("*.json")]
    comments = [c for f in fixtures for c in f["comments"]]
    assert len(fixtures) >= 2
    assert any(c["likes"] < 0 for c in comments) and any(c["likes"] > 0 for c in comments)
    assert any(not c["author"] for c in comments)
    assert any(not f["comments"] and not f["tags"] for f in fixtures)
    dates = [f["published"] for f in fixtures] + [c["posted_at"] for c in comments]
    assert {d[-6:] for d in dates} == {"+00:00", "+01:00"}  # Morocco's two offsets
    html = "".join(p.read_text(encoding="utf-8") for p in FIXTURES.glob("*.html"))
    assert 'class="comment "' in html and "<figure" in html and 'class="ads"' in html and "<br>" in html


# --- a full crawl, then a second one on the unchanged site ---------------------


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    model = generate_hespress()
    tmp = tmp_path_factory.mktemp("hespress")
    db = tmp / "news.db"
    with SampleSite(model) as site:
        first = crawl(site, db)
        first_hits = site.hits()
        first_articles = site.article_hits()
        site.clear_log()
        second = crawl(site, db)
        yield {
            "model": model, "db": db, "tmp": tmp, "result": first, "hits": first_hits, "article_hits": first_articles,
            "second": second, "second_hits": site.hits(), "second_article_hits": site.article_hits(),
        }


@crawls
def test_crawl_finishes_and_is_recorded(full):
    run = run_record(full["db"], 1)
    assert run["status"] == "finished" and run["finish_reason"] == "finished"
    assert run["stats"]["archive/articles_new"] == len(full["model"].crawlable())
    assert run["stats"]["archive/comments_new"] == sum(len(a.comments) for a in full["model"].crawlable())
    assert not run["stats"].get("extract/problems") and not run["stats"].get("extract/missing/title")


@crawls
def test_every_dump_matches_what_the_page_shows(full):
    dumps = dumps_of(full["db"], full["tmp"] / "dumps")
    expected = {str(a.article_id): a.expected_dump() for a in full["model"].crawlable()}
    assert set(dumps) == set(expected)
    wrong = [i for i in expected if dumps[i] != expected[i]]
    assert not wrong, f"{len(wrong)} dumps differ, e.g. {wrong[:3]}"


@crawls
def test_likes_are_stored_negative_ones_too(full):
    rows = query(full["db"], "SELECT comment_id, likes FROM comments WHERE site = ?", [SPIDER])
    stored = {r["comment_id"]: r["likes"] for r in rows}
    expected = {str(c.comment_id): c.likes for a in full["model"].crawlable() for c in a.comments}
    assert stored == expected
    assert min(stored.values()) < 0 < max(stored.values()) and 0 in stored.values()


@crawls
def test_tags_are_a_json_list(full):
    rows = query(full["db"], "SELECT article_id, tags FROM articles WHERE site = ?", [SPIDER])
    stored = {r["article_id"]: r["tags"] for r in rows}
    for article in full["model"].crawlable():
        raw = stored[str(article.article_id)]
        if article.tags:
            assert json.loads(raw) == article.tags
        else:
            assert raw is None  # no tags shown: nothing stored
    assert any("Maroc" in (r or "") for r in stored.values())


@crawls
def test_dates_are_moroccan_time_with_their_offset(full):
    model = full["model"]
    published = {r["article_id"]: r["published"]
                 for r in query(full["db"], "SELECT article_id, published FROM articles WHERE site = ?", [SPIDER])}
    assert published == {str(a.article_id): a.published.isoformat(timespec="seconds") for a in model.crawlable()}
    posted = {r["comment_id"]: r["posted_at"]
              for r in query(full["db"], "SELECT comment_id, posted_at FROM comments WHERE site = ?", [SPIDER])}
    assert posted == {str(c.comment_id): c.posted_at.isoformat(timespec="seconds")
                      for a in model.crawlable() for c in a.comments}
    for value in [*published.values(), *posted.values()]:
        assert datetime.fromisoformat(value).utcoffset() is not None
    # Winter, summer and Ramadan: Morocco is at +00:00 or +01:00.
    assert {v[-6:] for v in published.values()} == {"+00:00", "+01:00"}


@crawls
def test_comments_keep_thread_order_and_site_ids(full):
    for article in full["model"].crawlable():
        rows = query(full["db"], "SELECT comment_id, comment_key, title, author, position FROM comments "
                     "WHERE site = ? AND article_id = ? ORDER BY position", [SPIDER, str(article.article_id)])
        assert [r["comment_id"] for r in rows] == [str(c.comment_id) for c in article.comments]
        assert [r["author"] for r in rows] == [c.author for c in article.comments]
        assert all(r["title"] == "" and r["comment_key"] == r["comment_id"] for r in rows)


@crawls
def test_discovery_reads_robots_sitemaps_and_the_feed(full):
    paths = [h.path for h in full["hits"]]
    assert "/robots.txt" in paths and "/sitemaps/allsitemaps.xml" in paths and "/feed" in paths
    assert run_record(full["db"], 1)["stats"]["discovery/feed"] == 1
    # Every article page fetched once, under its current slug (the renamed
    # article's old URL in the sitemap is the same article).
    fetched = [h.path for h in full["article_hits"]]
    assert sorted(fetched) == sorted(a.path for a in full["model"].crawlable())
    renamed = next(a for a in full["model"].articles if a.aliases)
    stored_url = query(full["db"], "SELECT url FROM articles WHERE article_id = ?", [str(renamed.article_id)])[0]["url"]
    assert stored_url.endswith(renamed.path)


@crawls
def test_second_run_on_unchanged_site_fetches_no_article(full):
    assert full["second_article_hits"] == []
    assert [h.path for h in full["second_hits"] if re.match(r"^/sitemaps/\d", h.path)] == []
    stats = run_record(full["db"], 2)["stats"]
    assert not stats.get("archive/articles_new") and not stats.get("archive/comments_new")


# --- the spider arguments -----------------------------------------------------------


@pytest.fixture(scope="module")
def model():
    return generate_hespress()


@pytest.fixture
def site(model):
    with SampleSite(model) as running:
        yield running


@crawls
def test_feed_alone_finds_the_newest_articles(site, model, tmp_path):
    db = tmp_path / "news.db"
    crawl(site, db, args={"feed": "/feed"})
    newest = sorted(model.crawlable(), key=lambda a: a.published, reverse=True)[:20]
    assert len(model.crawlable()) > len(newest)  # the oldest are only in the sitemaps
    assert stored_ids(db) == ids(newest)
    assert site.hits(r"^/sitemaps/") == []
    dumps = dumps_of(db, tmp_path / "dumps")
    assert all(dumps[str(a.article_id)] == a.expected_dump() for a in newest)


@crawls
def test_urls_argument_fetches_just_those(site, model, tmp_path):
    db = tmp_path / "news.db"
    renamed = next(a for a in model.crawlable() if a.aliases)
    other = next(a for a in model.crawlable() if a is not renamed and a.comments)
    raw = f"{site.base_url}/{other.slug}-{other.article_id}.html"  # Arabic as typed, not percent-encoded
    crawl(site, db, args={"urls": f"{renamed.path},{raw},{renamed.aliases[0]}"})
    assert site.hits(r"^/sitemaps/|^/feed") == []
    assert stored_ids(db) == ids([renamed, other])
    assert len(site.article_hits()) == 2
    dumps = dumps_of(db, tmp_path / "dumps")
    assert dumps == {str(a.article_id): a.expected_dump() for a in (renamed, other)}


@crawls
def test_since_stores_only_newer_articles_and_skips_older_sitemaps(site, model, tmp_path):
    db = tmp_path / "news.db"
    since = datetime(2019, 1, 1, tzinfo=UTC)
    crawl(site, db, args={"since": "2019-01-01"})
    newer = [a for a in model.crawlable() if a.published >= since]
    assert 0 < len(newer) < len(model.crawlable())
    assert stored_ids(db) == ids(newer)
    old_months = [RENDERER.sitemap_name(y, m) for (y, m), arts in RENDERER.sitemap_months(model).items()
                  if max(a.lastmod or a.published for a in arts) < since]
    assert old_months and not [h for h in site.hits(r"^/sitemaps/\d") if h.path.rsplit("/", 1)[1] in old_months]


@crawls
def test_refresh_days_zero_leaves_recent_articles_alone(tmp_path):
    now = datetime.now(UTC)
    model = generate_hespress(8, recent=now)
    recent = max(model.articles, key=lambda a: a.published)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        crawl(site, db, args={"refresh_days": "0"})
        assert stored_ids(db) == ids(model.crawlable())
        site.clear_log()
        added = add_comments(model, recent.article_id, 2, now)  # the sitemap's <lastmod> does not say so
        crawl(site, db, args={"refresh_days": "0"})
        assert site.article_hits() == []
        site.clear_log()
        crawl(site, db)  # refresh_days=7: the recent article is fetched again for its comments
        assert [h.path for h in site.article_hits()] == [recent.path]
    assert run_record(db)["stats"]["discovery/refresh"] == 1
    assert run_record(db)["stats"]["archive/comments_new"] == len(added) == 2
    dumps = dumps_of(db, tmp_path / "dumps")
    assert dumps[str(recent.article_id)] == recent.expected_dump()
