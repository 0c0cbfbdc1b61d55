"""Al-Quds Al-Arabi (alquds.co.uk): the profile, the stored pages of both
WordPress themes (golden fixtures, read by tests/test_profiles.py), then
the real `scrapy crawl alquds` against the local model site and the real
`newscrawl dump`: the dumps must say what the pages show, whichever theme
wrote them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest

from newscrawl.archive import open_archive
from newscrawl.extract import extract_article
from newscrawl.samplesite import SampleSite
from newscrawl.samplesite.alquds import BOM, COMMENTS_PER_PAGE, LONG_THREAD, add_comments, generate_alquds
from newscrawl.sites import get_profile
from tests.conftest import REPO, crawl_stats, run_crawl, site_dumps
from tests.fixture_pages import FIXTURES as ALL_FIXTURES
from tests.fixture_pages import read_fixture

FIXTURES = ALL_FIXTURES / "alquds"
ALQUDS = get_profile("alquds")
ISO_AWARE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


def crawl(base_url, db, **options):
    return run_crawl(base_url, db, spider="alquds", **options)


def dumps_of(db, out):
    return site_dumps(db, out, "alquds")


def query(db_path, sql, params=()):
    db = open_archive(db_path, create=False)
    try:
        return list(db.query(sql, params))
    finally:
        db.close()


def last_run(db_path):
    run = query(db_path, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
    run["stats"] = json.loads(run["stats"] or "{}")
    return run


def article_ids_fetched(site):
    """Post ids of the article pages (first comment page) the crawl asked for."""
    return [int(re.search(r"[?&]p=(\d+)", h.path).group(1)) for h in site.article_hits()]


# --- the profile ----------------------------------------------------------------


def test_spider_is_listed():
    result = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=REPO, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and "alquds" in result.stdout.split()


@pytest.mark.parametrize(
    "url, article_id, fetched",
    [
        ("http://www.alquds.co.uk/?p=512345", "512345", "http://www.alquds.co.uk/?p=512345"),
        ("https://www.alquds.co.uk/index.php?p=512345", "512345", "https://www.alquds.co.uk/index.php?p=512345"),
        ("https://www.alquds.co.uk/?p=512345&utm_source=twitter&cpage=2#comments", "512345",
         "https://www.alquds.co.uk/?p=512345"),
        ("https://www.alquds.co.uk/%D8%AE%D8%A8%D8%B1/", None, None),  # a pretty permalink holds no id
        ("https://www.alquds.co.uk/?feed=rss2", None, None),
        ("https://www.alquds.co.uk/?p=draft", None, None),
        ("https://www.alquds.co.uk/wp-admin/?p=5", None, None),
    ],
)
def test_the_post_id_is_the_identity(url, article_id, fetched):
    assert ALQUDS.article_id(url) == article_id
    if fetched:
        assert ALQUDS.article_url(url) == fetched


# --- golden fixtures (read by tests/test_profiles.py): the cases they cover -------


def test_fixtures_cover_both_themes():
    names = {p.stem for p in FIXTURES.glob("*.json")}
    assert {"old_theme_2016", "old_theme_comments_page_2", "new_theme_thread_page_1", "new_theme_thread_page_3",
            "new_theme_no_comments"} <= names
    old = (FIXTURES / "old_theme_2016.html").read_text(encoding="utf-8")
    new = (FIXTURES / "new_theme_thread_page_1.html").read_text(encoding="utf-8")
    # The pages really carry what the profile must cope with.
    assert f'<h1 class="entry-title">{BOM}' in old and 'class="display"' in old and "<abbr class=\"published\"" in old
    assert 'ol id="commentlist"' in old and '<cite class="fn">' in old and 'abbr class="comment-datetime"' in old
    assert 'ol class="comment-list"' in new and '<b class="fn">' in new and 'class="nav-next"' in new
    assert "cite" not in new and "commentlist" not in new


# --- crawls of the model site ---------------------------------------------------

@pytest.fixture(scope="module")
def model():
    return generate_alquds()


@pytest.fixture(scope="module")
def full(tmp_path_factory, model):
    """One full crawl of the model site, then a second run on the unchanged site."""
    tmp = tmp_path_factory.mktemp("alquds")
    db = tmp / "news.db"
    with SampleSite(model) as site:
        first = crawl(site.base_url, db)
        first_hits = list(site.hits())
        first_articles = article_ids_fetched(site)
        first_run = last_run(db)
        site.clear_log()
        second = crawl(site.base_url, db)
        yield {
            "model": model, "db": db, "tmp": tmp, "base_url": site.base_url,
            "result": first, "hits": first_hits, "articles_fetched": first_articles, "run": first_run,
            "second": second, "second_hits": list(site.hits()), "second_articles": article_ids_fetched(site),
        }


@pytest.mark.crawl
def test_crawl_finishes_and_stores_every_post(full):
    assert full["result"].returncode == 0, crawl_stats(full["result"])
    assert "Traceback" not in full["result"].stderr
    run = full["run"]
    assert run["status"] == "finished" and run["spider"] == "alquds"
    assert run["stats"]["archive/articles_new"] == len(full["model"].crawlable())
    assert run["stats"]["archive/comments_new"] == sum(len(a.comments) for a in full["model"].crawlable())


@pytest.mark.crawl
def test_every_dump_matches_what_the_page_shows(full):
    crawlable = full["model"].crawlable()
    assert {a.theme for a in crawlable if a.comments} == {"old", "new"}
    assert {a.theme for a in crawlable if not a.comments} == {"old", "new"}
    dumps = dumps_of(full["db"], full["tmp"] / "dumps")
    expected = {str(a.article_id): a.expected_dump() for a in crawlable}
    assert set(dumps) == set(expected)
    wrong = [i for i in expected if dumps[i].encode("utf-8") != expected[i].encode("utf-8")]
    assert not wrong, f"{len(wrong)} dumps differ, e.g. {wrong[:3]}"
    assert not any(BOM in text for text in dumps.values())


@pytest.mark.crawl
def test_no_bom_reaches_the_archive_and_titles_are_as_shown(full):
    model = full["model"]
    assert sum(a.theme == "old" for a in model.crawlable()) >= 5  # every old-theme title is served with U+FEFF
    rows = query(full["db"], "SELECT article_id, title, body, author, section, url FROM articles")
    texts = [v for r in rows for v in (r["title"], r["body"], r["author"])]
    texts += [v for r in query(full["db"], "SELECT author, text FROM comments") for v in r.values()]
    assert not [t for t in texts if t and BOM in t]
    for row in rows:
        article = model.by_id(int(row["article_id"]))
        assert (row["title"], row["author"], row["section"]) == (article.title, article.author, article.section)
        assert row["url"] == f"{full['base_url']}/?p={article.article_id}"  # the shortlink, not "/"


@pytest.mark.crawl
def test_comment_authors_are_kept_as_published(full):
    rows = query(full["db"], "SELECT article_id, comment_id, author, text FROM comments ORDER BY article_id, position")
    expected = [(str(a.article_id), str(c.comment_id), c.author, c.text)
                for a in sorted(full["model"].crawlable(), key=lambda a: str(a.article_id)) for c in a.comments]
    assert [(r["article_id"], r["comment_id"], r["author"], r["text"]) for r in rows] == expected
    authors = {r["author"] for r in rows}
    assert {"سامي - لندن", "أحمد (المغرب)", "-ابن البلد", "Sami 🇱🇧", ""} <= authors
    texts = " ".join(r["text"] for r in rows)
    assert "'); DROP TABLE comments;--" in texts and "<script>alert('xss')</script>" in texts and "😀😡👍" in texts


@pytest.mark.crawl
def test_dates_are_timezone_aware_iso(full):
    model = full["model"]
    published = {r["article_id"]: r["published"]
                 for r in query(full["db"], "SELECT article_id, published FROM articles")}
    assert all(ISO_AWARE.match(p) for p in published.values())
    assert published == {str(a.article_id): a.published.isoformat(timespec="seconds") for a in model.crawlable()}
    posted = query(full["db"], "SELECT article_id, comment_id, posted_at FROM comments")
    assert posted and all(r["posted_at"] and ISO_AWARE.match(r["posted_at"]) for r in posted)
    expected = {(str(a.article_id), str(c.comment_id)): c.posted_at.isoformat(timespec="seconds")
                for a in model.crawlable() for c in a.comments}
    assert {(r["article_id"], r["comment_id"]): r["posted_at"] for r in posted} == expected
    # The old theme's comment dates carry no offset: read as London time, summer and winter.
    old = [r["posted_at"] for r in posted if model.by_id(int(r["article_id"])).theme == "old"]
    assert {p[-6:] for p in old} == {"+00:00", "+01:00"}


@pytest.mark.crawl
def test_the_long_thread_is_read_page_by_page(full):
    thread = next(a for a in full["model"].crawlable() if len(a.comments) == LONG_THREAD)
    pages = [h.path for h in full["hits"] if f"p={thread.article_id}&" in h.path]
    assert sorted(pages) == [f"/?p={thread.article_id}&cpage=2", f"/?p={thread.article_id}&cpage=3"]
    row = query(full["db"], "SELECT comment_count, comment_pages, comments_complete FROM articles WHERE article_id = ?",
                [str(thread.article_id)])[0]
    assert row == {"comment_count": LONG_THREAD, "comment_pages": -(-LONG_THREAD // COMMENTS_PER_PAGE),
                   "comments_complete": 1}


@pytest.mark.crawl
def test_each_post_is_fetched_once_and_a_deleted_one_is_skipped(full):
    fetched = full["articles_fetched"]
    assert len(fetched) == len(set(fetched))  # /?p=<id>, /index.php?p=<id> and the feed name the same post
    aliased = next(a for a in full["model"].articles if a.aliases)
    assert fetched.count(aliased.article_id) == 1
    assert not [h for h in full["hits"] if h.path.startswith("/index.php")]
    gone = next(a for a in full["model"].articles if a.missing)
    assert [h.status for h in full["hits"] if h.path == gone.path] == [404]
    assert query(full["db"], "SELECT count(*) AS n FROM articles WHERE article_id = ?",
                 [str(gone.article_id)])[0]["n"] == 0
    assert full["run"]["stats"]["discovery/feed"] == 1 and full["run"]["stats"]["discovery/urlset"] > 10


@pytest.mark.crawl
def test_second_run_on_the_unchanged_site_fetches_no_article(full):
    assert full["second"].returncode == 0, crawl_stats(full["second"])
    assert full["second_articles"] == []
    paths = {h.path for h in full["second_hits"]}
    assert paths <= {"/robots.txt", "/sitemaps/allsitemaps.xml", "/?feed=rss2"}


@pytest.mark.crawl
def test_the_feed_alone_finds_posts_by_their_guid(model, tmp_path):
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        result = crawl(site.base_url, db, args={"feed": "/?feed=rss2"})
        assert result.returncode == 0, crawl_stats(result)
        assert site.hits("sitemaps") == [] and site.hits(r"^/\?feed=rss2$")
        # Every article request is a ?p= shortlink: the <link> permalinks are never asked for.
        assert all(h.path.startswith(("/robots.txt", "/?feed=", "/?p=")) for h in site.hits())
    newest = sorted(model.crawlable(), key=lambda a: a.published, reverse=True)[:20]
    assert len(model.crawlable()) > len(newest)
    stored = {r["article_id"]: r["url"] for r in query(db, "SELECT article_id, url FROM articles")}
    assert stored == {str(a.article_id): f"{site.base_url}/?p={a.article_id}" for a in newest}
    dumps = dumps_of(db, tmp_path / "dumps")
    assert all(dumps[str(a.article_id)] == a.expected_dump() for a in newest)


@pytest.mark.crawl
def test_urls_argument_drops_tracking_and_fetches_once(model, tmp_path):
    target = next(a for a in model.crawlable() if a.theme == "old" and a.comments)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        urls = f"/?p={target.article_id}&utm_source=x,{site.base_url}/?p={target.article_id}"
        result = crawl(site.base_url, db, args={"urls": urls})
        assert result.returncode == 0, crawl_stats(result)
        assert [h.path for h in site.article_hits()] == [f"/?p={target.article_id}"]
        assert site.hits("utm_source") == [] and site.hits("sitemaps") == []
    assert query(db, "SELECT article_id FROM articles") == [{"article_id": str(target.article_id)}]
    assert dumps_of(db, tmp_path / "dumps") == {str(target.article_id): target.expected_dump()}


@pytest.mark.crawl
def test_since_stores_only_newer_posts(model, tmp_path):
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        result = crawl(site.base_url, db, args={"since": "2020-01-01"})
        assert result.returncode == 0, crawl_stats(result)
    since = datetime(2020, 1, 1, tzinfo=UTC)
    stored = {r["article_id"] for r in query(db, "SELECT article_id FROM articles")}
    assert stored == {str(a.article_id) for a in model.crawlable() if a.published >= since}
    assert 3 < len(stored) < len(model.crawlable())


@pytest.mark.crawl
def test_recent_posts_are_refreshed_unless_refresh_days_is_0(tmp_path):
    now = datetime.now(UTC)
    model = generate_alquds(recent=now)
    recent = max(model.articles, key=lambda a: a.published)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        assert crawl(site.base_url, db).returncode == 0
        site.clear_log()
        lastmod = recent.lastmod
        add_comments(model, recent.article_id, 2, now)
        recent.lastmod = lastmod  # the sitemap does not say so: refresh_days must find them
        result = crawl(site.base_url, db)
        assert result.returncode == 0, crawl_stats(result)
        assert article_ids_fetched(site) == [recent.article_id]
        assert last_run(db)["stats"]["discovery/refresh"] == 1  # by the refresh, not by chance through the feed
        site.clear_log()
        assert crawl(site.base_url, db, args={"refresh_days": 0}).returncode == 0
        assert site.article_hits() == []
        assert "discovery/refresh" not in last_run(db)["stats"]
    row = query(db, "SELECT comment_count FROM articles WHERE article_id = ?", [str(recent.article_id)])[0]
    assert row["comment_count"] == len(recent.comments) == 6
    assert dumps_of(db, tmp_path / "dumps")[str(recent.article_id)] == recent.expected_dump()


@pytest.mark.crawl
def test_a_failed_comments_page_is_completed_on_the_next_run(model, tmp_path):
    thread = next(a for a in model.crawlable() if len(a.comments) == LONG_THREAD)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        site.fail_paths[f"?p={thread.article_id}&cpage=2"] = 500
        result = crawl(site.base_url, db, args={"urls": thread.path})
        assert result.returncode == 0, crawl_stats(result)
        row = query(db, "SELECT comment_count, comments_complete FROM articles WHERE article_id = ?",
                    [str(thread.article_id)])[0]
        assert row == {"comment_count": COMMENTS_PER_PAGE, "comments_complete": 0}
        site.fail_paths.clear()
        site.clear_log()
        # Nothing names the post this time: only the archive's "incomplete" list can.
        other = next(a for a in model.crawlable() if a is not thread)
        assert crawl(site.base_url, db, args={"urls": other.path}).returncode == 0
        assert sorted(article_ids_fetched(site)) == sorted([thread.article_id, other.article_id])
        assert last_run(db)["stats"]["discovery/refresh"] == 1
    row = query(db, "SELECT comment_count, comments_complete FROM articles WHERE article_id = ?",
                [str(thread.article_id)])[0]
    assert row == {"comment_count": LONG_THREAD, "comments_complete": 1}
    assert dumps_of(db, tmp_path / "dumps")[str(thread.article_id)] == thread.expected_dump()


def test_the_layout_is_picked_by_the_date_and_a_page_it_cannot_read_goes_to_the_other():
    expected, html = read_fixture(FIXTURES / "old_theme_2016.json")
    assert ALQUDS.layout_for(date(2016, 3, 12)).name == "old theme (hAtom)"
    assert ALQUDS.layout_for(date(2024, 1, 1)).name == ALQUDS.layout_for(date(2030, 1, 1)).name == "core-style theme"
    # The old theme's page with a date of the newer theme's period (a boundary
    # set wrong): the newer layout misses its date, the old one reads it all.
    moved = html.replace("2016-01-02T", "2019-01-02T")
    assert moved != html
    got = extract_article(moved, expected["url"], ALQUDS)
    assert got.notes["layout"].startswith("old theme (hAtom)") and got.published.startswith("2019-")
    assert any("its date 2019-" in p for p in got.notes["problems"])
    # No date on the page: the capture date decides.
    undated = re.sub(r'<abbr class="published"[^>]*>.*?</abbr>|<meta property="article:published_time"[^>]*>', "",
                     html, flags=re.S)
    got = extract_article(undated, expected["url"], ALQUDS, captured=date(2016, 5, 1))
    assert got.notes["layout"].endswith("(by capture date 2016-05-01)")
