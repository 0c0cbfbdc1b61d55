"""End to end: the real `scrapy crawl elaph` against the local model site,
then the real `newscrawl dump`; the dumps must say what the pages show."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
import sqlite_utils

from newscrawl.archive import open_archive
from newscrawl.samplesite import SampleSite, generate_site
from newscrawl.samplesite.model import REFERENCE_ID, ModelArticle
from newscrawl.samplesite.render import comment_pages
from newscrawl.text import looks_like_mojibake
from tests.conftest import SEED, crawl_stats, run_cli, run_crawl

pytestmark = pytest.mark.crawl


def dumps_of(db, out):
    result = run_cli("dump", "--db", str(db), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return {p.stem: p.read_text(encoding="utf-8") for p in (out / "elaph").glob("*.txt")}


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


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """One full crawl of a 40-article model site, shared by the checks below."""
    model = generate_site(40)
    tmp = tmp_path_factory.mktemp("full")
    with SampleSite(model) as site:
        result = run_crawl(site.base_url, tmp / "news.db")
        yield {"model": model, "site": site, "db": tmp / "news.db", "result": result, "tmp": tmp}


def test_crawl_finishes_and_is_recorded(full):
    assert full["result"].returncode == 0, crawl_stats(full["result"])
    run = last_run(full["db"])
    assert run["status"] == "finished" and run["finish_reason"] == "finished"
    assert run["stats"]["archive/articles_new"] == len(full["model"].crawlable())
    assert "Traceback" not in full["result"].stderr


def test_every_dump_matches_what_the_page_shows(full):
    dumps = dumps_of(full["db"], full["tmp"] / "dumps")
    expected = {str(a.article_id): a.expected_dump() for a in full["model"].crawlable()}
    assert set(dumps) == set(expected)
    wrong = [i for i in expected if dumps[i] != expected[i]]
    assert not wrong, f"{len(wrong)} dumps differ, e.g. {wrong[:3]}"


def test_reference_article_crawls_to_the_reference_file(full):
    dumps = dumps_of(full["db"], full["tmp"] / "golden")
    assert dumps[str(REFERENCE_ID)].encode("utf-8") == SEED.read_bytes()


def test_robots_txt_is_obeyed(full):
    assert full["site"].hits(r"^/robots\.txt$")
    assert full["site"].hits("/Web/Private/") == []
    assert query(full["db"], "SELECT count(*) AS n FROM articles WHERE section = 'Private'")[0]["n"] == 0


def test_a_404_sitemap_entry_is_logged_and_skipped(full):
    gone = next(a for a in full["model"].articles if a.missing)
    assert [h.status for h in full["site"].hits(str(gone.article_id))] == [404]
    assert f"{gone.article_id}.html: HTTP 404" in full["result"].stderr
    # The gone article, and the moved article's first-listed URL (see below).
    assert last_run(full["db"])["stats"]["articles/failed/http_404"] == 2


def test_503_then_200_is_retried_and_stored(full):
    flaky = next(a for a in full["model"].articles if a.flaky)
    statuses = [h.status for h in full["site"].hits(f"/{flaky.article_id}.htm")]
    assert statuses[:3] == [503, 503, 200]
    assert query(full["db"], "SELECT count(*) AS n FROM articles WHERE article_id = ?",
                 [str(flaky.article_id)])[0]["n"] == 1


def test_looping_comments_link_ends_the_thread_without_doubles(full):
    looping = next(a for a in full["model"].articles if a.loop_comments)
    rows = query(full["db"], "SELECT comment_id FROM comments WHERE article_id = ?", [str(looping.article_id)])
    assert len(rows) == len(looping.comments) == 45
    assert len({r["comment_id"] for r in rows}) == 45
    assert last_run(full["db"])["stats"]["comments/loop"] == 1
    pages = [h.path for h in full["site"].hits(f"/{looping.article_id}.htm")]
    assert sorted(pages).count(f"{looping.path}?cpage=2") == 1


def test_one_article_under_many_urls_is_fetched_and_stored_once(full):
    aliased = next(a for a in full["model"].articles if len(a.aliases) >= 3)
    first_pages = [h for h in full["site"].article_hits() if f"/{aliased.article_id}.htm" in h.path]
    assert len(first_pages) == 1
    assert query(full["db"], "SELECT count(*) AS n FROM articles WHERE article_id = ?",
                 [str(aliased.article_id)])[0]["n"] == 1


def test_no_mojibake_reaches_the_archive(full):
    texts = query(full["db"], "SELECT title || ' ' || subtitle || ' ' || body AS t FROM articles")
    texts += query(full["db"], "SELECT title || ' ' || author || ' ' || text AS t FROM comments")
    assert not [r["t"][:60] for r in texts if looks_like_mojibake(r["t"])]
    stats = last_run(full["db"])["stats"]
    mislabelled = [a for a in full["model"].articles if a.encoding in ("cp1256-mislabelled", "utf-8-mislabelled")]
    # Every page of those articles, comment pages included, was repaired.
    assert stats["charset/declared_wrong"] == sum(comment_pages(a, 20) for a in mislabelled) > len(mislabelled)
    # And independently of the detector: the stored text is the page's text.
    old = [a for a in full["model"].articles if a.encoding != "utf-8"]
    stored = {r["article_id"]: r["title"] for r in query(full["db"], "SELECT article_id, title FROM articles")}
    assert all(stored[str(a.article_id)] == a.title for a in old)


def test_comment_counts_and_fields(full):
    expected = sum(len(a.comments) for a in full["model"].crawlable())
    assert query(full["db"], "SELECT count(*) AS n FROM comments")[0]["n"] == expected
    no_id = query(full["db"], "SELECT count(*) AS n FROM comments WHERE comment_id IS NULL")[0]["n"]
    assert no_id == sum(1 for a in full["model"].crawlable() for c in a.comments if c.comment_id is None) > 0
    ref = query(full["db"], "SELECT * FROM comments WHERE article_id = ? ORDER BY position", [str(REFERENCE_ID)])
    assert ref[0]["comment_id"] == "5501" and ref[0]["posted_at"].endswith("+03:00")
    assert query(full["db"], "SELECT published, comments_complete FROM articles WHERE article_id = ?",
                 [str(REFERENCE_ID)])[0] == {"published": "2015-03-24T17:40:00+03:00", "comments_complete": 1}


def test_user_agent_is_honest(full):
    agents = {h.user_agent for h in full["site"].hits()}
    assert len(agents) == 1
    agent = agents.pop()
    assert agent.startswith("newscrawl/") and "+http" in agent and "Mozilla" not in agent


# --- incremental runs ---------------------------------------------------------


def test_second_run_on_unchanged_site_fetches_no_articles_then_only_what_changed(tmp_path):
    model = generate_site(40)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        assert run_crawl(site.base_url, db).returncode == 0
        first_total = len(site.article_hits())
        site.clear_log()

        assert run_crawl(site.base_url, db).returncode == 0
        assert site.article_hits() == []
        assert [h.path for h in site.hits(r"^/sitemaps/\d")] == []  # no monthly sitemap either
        assert len(site.hits()) <= 3  # robots.txt (twice: the middleware's and ours) and the index
        site.clear_log()

        # The site moves on: new comments on two articles, one new article.
        now = datetime.now(UTC)
        busy = [a for a in model.crawlable() if a.comments and a.article_id != REFERENCE_ID][:2]
        for article in busy:
            model.add_comments(article.article_id, 3, now)
        fresh = ModelArticle(
            article_id=1_578_800, section="Politics", published=datetime(2025, 10, 2, 9, 0, tzinfo=UTC),
            title="مقال جديد", subtitle="", body=["إيلاف من لندن: نص جديد."], lastmod=now,
        )
        model.add_article(fresh)
        model.add_comments(fresh.article_id, 2, now)

        result = run_crawl(site.base_url, db)
        assert result.returncode == 0, crawl_stats(result)
        fetched = {re.search(r"/(\d+)\.htm", h.path).group(1) for h in site.article_hits()}
        assert fetched == {str(a.article_id) for a in (*busy, fresh)}
        assert first_total > 10 * len(fetched)

    stats = last_run(db)["stats"]
    assert stats["archive/articles_new"] == 1 and stats["archive/comments_new"] == 6 + len(fresh.comments)
    total = query(db, "SELECT count(*) AS n FROM comments")[0]["n"]
    assert total == sum(len(a.comments) for a in model.crawlable())
    dumps = dumps_of(db, tmp_path / "dumps")
    assert all(dumps[str(a.article_id)] == a.expected_dump() for a in model.crawlable())


def test_recent_articles_are_fetched_again_for_new_comments(tmp_path):
    now = datetime.now(UTC)
    model = generate_site(10, recent=now)
    recent = max(model.articles, key=lambda a: a.published)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        assert run_crawl(site.base_url, db).returncode == 0
        site.clear_log()
        lastmod = recent.lastmod
        model.add_comments(recent.article_id, 2, now)
        recent.lastmod = lastmod  # the sitemap does not say so: only refresh_days can find them
        assert run_crawl(site.base_url, db).returncode == 0
        assert [h.path for h in site.article_hits()] == [recent.path]
        assert last_run(db)["stats"]["discovery/refresh"] == 1
        site.clear_log()
        assert run_crawl(site.base_url, db, args={"refresh_days": 0}).returncode == 0
        assert site.article_hits() == []  # nothing changed and no refresh window
    assert query(db, "SELECT comment_count FROM articles WHERE article_id = ?",
                 [str(recent.article_id)])[0]["comment_count"] == 6


def test_a_failed_comments_page_is_completed_on_the_next_run(tmp_path):
    model = generate_site(40)
    threaded = next(a for a in model.crawlable() if len(a.comments) == 45 and not a.loop_comments)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        site.fail_paths[f"{threaded.article_id}{threaded.ext}?cpage=2"] = 500
        result = run_crawl(site.base_url, db)
        assert result.returncode == 0
        row = query(db, "SELECT comment_count, comments_complete FROM articles WHERE article_id = ?",
                    [str(threaded.article_id)])[0]
        assert row == {"comment_count": 20, "comments_complete": 0}
        assert "comments page" in result.stderr and "fetched again next run" in result.stderr

        site.fail_paths.clear()
        site.clear_log()
        assert run_crawl(site.base_url, db).returncode == 0
        assert [h.path for h in site.article_hits()] == [threaded.path]
    row = query(db, "SELECT comment_count, comments_complete FROM articles WHERE article_id = ?",
                [str(threaded.article_id)])[0]
    assert row == {"comment_count": 45, "comments_complete": 1}
    assert query(db, "SELECT count(*) AS n FROM comments WHERE article_id = ?",
                 [str(threaded.article_id)])[0]["n"] == 45


# --- arguments ----------------------------------------------------------------


def test_urls_argument_fetches_just_those_and_amp_is_the_same_article(site, model, tmp_path):
    db = tmp_path / "news.db"
    urls = f"{site.base_url}/amp/Web/News/2015/3/{REFERENCE_ID}.html,/Web/News/2015/3/{REFERENCE_ID}.html"
    result = run_crawl(site.base_url, db, args={"urls": urls})
    assert result.returncode == 0
    assert site.hits(r"sitemaps") == []
    assert query(db, "SELECT article_id FROM articles") == [{"article_id": str(REFERENCE_ID)}]
    dumps = dumps_of(db, tmp_path / "dumps")
    assert dumps[str(REFERENCE_ID)].encode("utf-8") == SEED.read_bytes()


def test_since_and_max_articles(site, model, tmp_path):
    result = run_crawl(site.base_url, tmp_path / "a.db", args={"since": "2015-01-01"})
    assert result.returncode == 0
    stored = query(tmp_path / "a.db", "SELECT published FROM articles")
    expected = [a for a in model.crawlable() if a.published >= datetime(2015, 1, 1, tzinfo=UTC)]
    assert len(stored) == len(expected) and all(r["published"] >= "2015" for r in stored)
    assert not [h for h in site.article_hits() if re.search(r"/(200\d|201[0-3])/", h.path)]

    result = run_crawl(site.base_url, tmp_path / "b.db", args={"max_articles": 5})
    assert result.returncode == 0
    assert query(tmp_path / "b.db", "SELECT count(*) AS n FROM articles")[0]["n"] == 5


@pytest.mark.parametrize(
    "args, message",
    [
        ({"since": "last tuesday-ish"}, "since must be an ISO date"),
        ({"max_articles": "0"}, "max_articles must be a whole number"),
        ({"refresh_days": "-1"}, "refresh_days must be"),
        ({"base_url": "ftp://example.org"}, "base_url must be an http"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(tmp_path, args, message):
    base = args.pop("base_url", "http://127.0.0.1:9")
    result = run_crawl(base, tmp_path / "x.db", args=args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.db").exists()


# --- blocks, big pages --------------------------------------------------------


@pytest.mark.parametrize("switch", ["403", "429-long", "captcha"])
def test_a_block_stops_the_crawl_cleanly(site, model, tmp_path, switch):
    db = tmp_path / "news.db"
    if switch == "403":
        site.block_status = 403
    elif switch == "429-long":
        site.block_status, site.retry_after = 429, "3600"
    else:
        site.captcha = True
    # A delay between requests, as on the real site: with none, Scrapy's
    # downloader sends the next request the moment an answer arrives, before
    # middlewares have read that answer, and a millisecond-fast local server
    # lets a few more through.
    result = run_crawl(site.base_url, db, settings={"BLOCK_STOP_AFTER": "3", "DOWNLOAD_DELAY": "0.2"})
    assert result.returncode == 3, crawl_stats(result)
    run = last_run(db)
    assert run["status"] == "blocked" and run["stats"]["blocked/stopped"] is True
    # Stopped, not hammering: three blocks in a row, or one Retry-After too long to wait.
    assert len(site.article_hits()) == (1 if switch == "429-long" else 3)
    assert query(db, "SELECT count(*) AS n FROM articles")[0]["n"] == 0
    assert "Traceback" not in result.stderr


@pytest.mark.timing  # gaps between arrivals: alone on the machine
def test_retry_after_is_waited_for(site, model, tmp_path):
    target = next(a for a in model.crawlable() if a.flaky)
    site.flaky_status = 429
    result = run_crawl(site.base_url, tmp_path / "news.db", args={"urls": target.path})
    assert result.returncode == 0, crawl_stats(result)
    hits = site.hits(f"/{target.article_id}.htm")
    assert [h.status for h in hits][:3] == [429, 429, 200]
    assert hits[1].time - hits[0].time >= 0.95 and hits[2].time - hits[1].time >= 0.95


def test_a_huge_page_is_refused_and_the_rest_stored(site, model, tmp_path):
    big, small = model.crawlable()[1], model.crawlable()[2]
    site.padding[big.article_id] = 3_000_000
    result = run_crawl(site.base_url, tmp_path / "news.db", args={"urls": f"{big.path},{small.path}"},
                       settings={"DOWNLOAD_MAXSIZE": "1000000", "DOWNLOAD_WARNSIZE": "500000"})
    assert result.returncode == 0
    assert "larger than download max size" in result.stderr
    ids = [r["article_id"] for r in query(tmp_path / "news.db", "SELECT article_id FROM articles")]
    assert ids == [str(small.article_id)]


def test_www_and_bare_host_are_one_site():
    from newscrawl.spiders.elaph import ElaphSpider

    spider = ElaphSpider(base_url="https://elaph.com")
    assert spider._on_site("https://www.elaph.com/Web/News/2015/3/1.html")
    assert spider._on_site("https://elaph.com/Web/News/2015/3/1.html")
    assert not spider._on_site("https://elaph.com.evil.example/Web/News/2015/3/1.html")
    spider = ElaphSpider(base_url="https://www.elaph.com/")
    assert spider.allowed_domains == ["elaph.com"] and spider._on_site("https://elaph.com/x.html")


def test_a_since_run_leaves_older_articles_for_a_later_full_run(tmp_path):
    # The reference article (24 March 2015) is listed in the March 2015
    # sitemap, whose <lastmod> is 25 March: a run with since=2015-03-25 reads
    # that sitemap and fetches the article, but must not store it, nor
    # record the sitemap as done, or the full run would never take it.
    model = generate_site(40)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        assert run_crawl(site.base_url, db, args={"since": "2015-03-25"}).returncode == 0
        stored = {r["article_id"] for r in query(db, "SELECT article_id FROM articles")}
        assert str(REFERENCE_ID) not in stored and stored
        assert not [h for h in site.article_hits() if re.search(r"/(200\d|201[0-4])/", h.path)]
        assert run_crawl(site.base_url, db).returncode == 0
    dumps = dumps_of(db, tmp_path / "dumps")
    assert dumps[str(REFERENCE_ID)].encode("utf-8") == SEED.read_bytes()
    assert len(dumps) == len(model.crawlable())


def test_an_article_dropped_by_validation_is_fetched_again(tmp_path):
    model = generate_site(40)
    victim = next(a for a in model.crawlable() if a.comments and a.encoding == "utf-8" and not a.flaky)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        site.strip_title.add(victim.article_id)  # a template change on one page
        result = run_crawl(site.base_url, db)
        assert result.returncode == 0 and "no title found" in result.stderr
        assert last_run(db)["stats"]["validate/dropped/no_title"] == 1
        site.strip_title.clear()
        site.clear_log()
        assert run_crawl(site.base_url, db).returncode == 0
        assert [h.path for h in site.article_hits()] == [victim.path]
    assert query(db, "SELECT title FROM articles WHERE article_id = ?",
                 [str(victim.article_id)])[0]["title"] == victim.title


def test_a_404_alias_listed_first_does_not_hide_the_article(full):
    moved = next(a for a in full["model"].articles if a.aliases_first)
    hits = [(h.path, h.status) for h in full["site"].article_hits() if f"/{moved.article_id}." in h.path]
    assert hits == [(moved.aliases[0], 404), (moved.path, 200)]
    assert query(full["db"], "SELECT title FROM articles WHERE article_id = ?",
                 [str(moved.article_id)])[0]["title"] == moved.title


def test_gzip_sitemaps_are_read(full):
    gz = full["site"].hits(r"\.xml\.gz$")
    assert gz and all(h.status == 200 for h in gz)
    old = [a for a in full["model"].crawlable() if a.published.year < 2008]
    stored = {r["article_id"] for r in query(full["db"], "SELECT article_id FROM articles")}
    assert old and all(str(a.article_id) in stored for a in old)


def test_reusing_a_jobdir_still_sees_changes(tmp_path):
    model = generate_site(10)
    db, job = tmp_path / "news.db", tmp_path / "job"
    with SampleSite(model) as site:
        assert run_crawl(site.base_url, db, settings={"JOBDIR": str(job)}).returncode == 0
        target = next(a for a in model.crawlable() if a.article_id != REFERENCE_ID)
        model.add_comments(target.article_id, 2, datetime.now(UTC))
        assert run_crawl(site.base_url, db, settings={"JOBDIR": str(job)}).returncode == 0
    count = query(db, "SELECT comment_count FROM articles WHERE article_id = ?", [str(target.article_id)])[0]
    assert count["comment_count"] == len(target.comments)


def test_contact_setting_goes_into_the_user_agent(site, model, tmp_path):
    result = run_crawl(site.base_url, tmp_path / "news.db", args={"urls": model.crawlable()[0].path},
                       settings={"NEWSCRAWL_CONTACT": "mailto:archivist@example.org"})
    assert result.returncode == 0
    assert {h.user_agent for h in site.hits()} == {
        "newscrawl/0.1.0 (+mailto:archivist@example.org; archive of Arabic news for research)"}


def test_a_crawled_archive_is_searchable_as_a_reader_means(full):
    result = run_cli("search", "--db", str(full["db"]), "--articles", "--json", "ابراهيم الجعفري")
    assert result.returncode == 0, result.stderr
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert str(REFERENCE_ID) in [h["article_id"] for h in hits]
    comments = run_cli("search", "--db", str(full["db"]), "--comments", "--json", "خندق واحد للعماله")
    assert any(json.loads(line)["author"] == "amedi" for line in comments.stdout.splitlines())
    # The exact-form index that plain sqlite-utils uses is in step too.
    exact = sqlite_utils.Database(full["db"])["articles"].search("والعراق")
    assert str(REFERENCE_ID) in [r["article_id"] for r in exact]


def test_comments_that_vanish_from_a_thread_are_kept_and_marked_gone(tmp_path):
    """Moderation seen from outside: a comment the site no longer shows stays
    in the archive with gone_since; one shown again loses it."""
    model = generate_site(40)
    db = tmp_path / "news.db"
    # A two-page thread: removing a comment of page 1 moves the others up a page.
    article = next(a for a in model.crawlable() if 20 < len(a.comments) <= 40 and not a.loop_comments)
    with SampleSite(model) as site:
        assert run_crawl(site.base_url, db).returncode == 0
        removed = [article.comments.pop(3), article.comments.pop(-1)]
        article.lastmod = datetime.now(UTC)  # the sitemap says the page changed
        result = run_crawl(site.base_url, db, args={"refresh_days": 0})
        assert result.returncode == 0, crawl_stats(result)
        rows = query(db, "SELECT comment_id, gone_since FROM comments WHERE article_id = ?", [str(article.article_id)])
        gone = {r["comment_id"] for r in rows if r["gone_since"]}
        assert gone == {str(c.comment_id) for c in removed}
        assert len(rows) == len(article.comments) + 2  # kept, not deleted
        assert last_run(db)["stats"]["archive/comments_gone"] == 2
        assert query(db, "SELECT count(*) AS n FROM comments WHERE gone_since IS NOT NULL")[0]["n"] == 2

        article.comments.insert(3, removed[0])  # moderation lifted
        article.lastmod = datetime.now(UTC)
        assert run_crawl(site.base_url, db, args={"refresh_days": 0}).returncode == 0
        still = query(db, "SELECT comment_id FROM comments WHERE gone_since IS NOT NULL")
        assert [r["comment_id"] for r in still] == [str(removed[1].comment_id)]
