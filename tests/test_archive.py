"""The archive's promises: nothing stored twice, nothing archived lost, one
transaction per article, hostile text stored as written."""

import sqlite3

import pytest

from newscrawl import archive
from newscrawl.archive import get_article, open_archive, store_article
from newscrawl.seedformat import dump_article, parse_dump
from tests.conftest import SEED


@pytest.fixture
def db(tmp_path):
    database = open_archive(tmp_path / "a.db")
    yield database
    database.close()


def article(**overrides):
    base = {
        "site": "elaph",
        "article_id": "100",
        "url": "https://elaph.com/Web/News/2020/1/100.html",
        "section": "News",
        "title": "عنوان",
        "subtitle": "",
        "body": ["سطر أول", "سطر ثان"],
        "published": "2020-01-05T10:00:00+03:00",
        "author": "إيلاف",
        "comments": [
            {"comment_id": "1", "title": "t1", "author": "سالم", "text": "نص 1", "posted_at": None},
            {"comment_id": "2", "title": "", "author": "", "text": "نص 2", "posted_at": None},
        ],
    }
    base.update(overrides)
    return base


def count(db, table):
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_schema_wal_and_version(db):
    assert db.journal_mode == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == archive.SCHEMA_VERSION
    assert {"articles", "comments", "article_versions", "comment_versions", "sitemaps", "crawl_runs"} <= set(
        db.table_names())


def test_storing_twice_stores_once(db):
    assert store_article(db, article()).status == "new"
    again = store_article(db, article())
    assert again.status == "unchanged" and again.comments_new == 0
    assert count(db, "articles") == 1 and count(db, "comments") == 2


def test_new_comments_are_added_and_old_ones_kept_when_the_site_drops_them(db):
    store_article(db, article())
    later = article(comments=[
        {"comment_id": "2", "title": "", "author": "", "text": "نص 2"},
        {"comment_id": "3", "title": "جديد", "author": "غيث", "text": "نص 3"},
    ])
    result = store_article(db, later)
    assert result.comments_new == 1 and result.comments_total == 3
    stored = get_article(db, "elaph", "100")
    assert [c["comment_id"] for c in stored["comments"]] == ["1", "2", "3"]  # thread order kept
    assert stored["comment_count"] == 3


def test_changed_article_keeps_its_previous_version(db):
    store_article(db, article())
    result = store_article(db, article(title="عنوان معدل", body=["سطر أول", "سطر معدل"]))
    assert result.status == "updated" and set(result.changed_fields) == {"title", "body"}
    assert get_article(db, "elaph", "100")["title"] == "عنوان معدل"
    old = next(db.query("SELECT * FROM article_versions"))
    assert old["title"] == "عنوان" and old["body"] == "سطر أول\nسطر ثان"


def test_edited_comment_keeps_its_previous_text(db):
    store_article(db, article())
    edited = article()
    edited["comments"][0] = {**edited["comments"][0], "text": "نص 1 بعد التعديل"}
    result = store_article(db, edited)
    assert result.comments_updated == 1 and result.comments_new == 0
    kept = "SELECT site, article_id, comment_key, title, author, text, posted_at FROM comment_versions"
    assert list(db.query(kept)) == [
        {"site": "elaph", "article_id": "100", "comment_key": "1", "title": "t1", "author": "سالم", "text": "نص 1",
         "posted_at": None}]
    assert count(db, "comments") == 2


def test_comments_without_site_ids_are_keyed_by_content_and_repeats_kept(db):
    same = {"comment_id": None, "title": "", "author": "زائر", "text": "شكراً"}
    store_article(db, article(comments=[same, dict(same), {**same, "text": "آخر"}]))
    assert count(db, "comments") == 3  # a reader who posted the same text twice: both kept
    store_article(db, article(comments=[same, dict(same), {**same, "text": "آخر"}]))
    assert count(db, "comments") == 3
    keys = [r["comment_key"] for r in db.query("SELECT comment_key FROM comments ORDER BY position")]
    assert keys[0].startswith("h:") and keys[1] == keys[0] + ":2"


def test_import_then_crawl_does_not_double_comments(db):
    dumped = parse_dump(dump_article(article()).text)
    store_article(db, {**dumped, "site": "elaph", "article_id": "100", "source": "import"})
    assert count(db, "comments") == 2
    result = store_article(db, article())  # now the crawl sees the site's comment ids
    assert result.comments_new == 0 and count(db, "comments") == 2
    assert {r["comment_id"] for r in db.query("SELECT comment_id FROM comments")} == {"1", "2"}
    # The crawl filled in what the dump layout does not carry.
    assert get_article(db, "elaph", "100")["published"] == "2020-01-05T10:00:00+03:00"


def test_import_keeps_fields_the_layout_does_not_carry(db):
    store_article(db, article())
    dumped = parse_dump(dump_article(article()).text)
    result = store_article(db, {**dumped, "site": "elaph", "article_id": "100", "source": "import"})
    assert result.status == "unchanged"
    stored = get_article(db, "elaph", "100")
    assert stored["url"] and stored["published"] and stored["author"] == "إيلاف"


@pytest.mark.parametrize(
    "hostile",
    [
        "'); DROP TABLE comments;--",
        "<script>alert('xss')</script>",
        "Robert'); DELETE FROM articles WHERE 1=1; --",
        '" OR 1=1 --',
        "😀 \u202e مقلوب",
    ],
)
def test_hostile_text_is_stored_as_written(db, hostile):
    store_article(db, article(title=hostile,
                              comments=[{"comment_id": "9", "title": hostile, "author": hostile, "text": hostile}]))
    stored = get_article(db, "elaph", "100")
    assert stored["title"] == hostile.strip()
    assert stored["comments"][0]["text"] == hostile.strip()
    assert count(db, "articles") == 1 and count(db, "comments") == 1


def test_an_article_and_its_comments_are_one_transaction(db):
    # The second comment cannot be written (a value SQLite cannot bind), after
    # the article row and the first comment were: all of it must roll back.
    broken = article(comments=[{"comment_id": "1", "title": "t", "author": "a", "text": "x"},
                               {"comment_id": "2", "text": "y", "posted_at": object()}])
    with pytest.raises((sqlite3.Error, TypeError)):
        store_article(db, broken)
    assert count(db, "articles") == 0 and count(db, "comments") == 0


def test_reference_article_round_trips_through_the_archive(db):
    text = SEED.read_text(encoding="utf-8")
    store_article(db, {**parse_dump(text), "site": "elaph", "article_id": "ref", "source": "import"})
    assert dump_article(get_article(db, "elaph", "ref")).text == text


def test_since_filter_compares_instants_not_strings(db):
    store_article(db, article(article_id="1", published="2020-01-05T01:00:00+03:00"))  # 2020-01-04 22:00 UTC
    store_article(db, article(article_id="2", published="2020-01-05T01:00:00+00:00"))
    ids = [a["article_id"] for a in archive.iter_articles(db, since="2020-01-05T00:00:00+00:00")]
    assert ids == ["2"]


def test_missing_and_foreign_files_give_an_archive_error(tmp_path):
    with pytest.raises(archive.ArchiveError, match="no archive"):
        open_archive(tmp_path / "missing.db", create=False)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(archive.ArchiveError, match="not a usable SQLite archive"):
        open_archive(junk)


def test_a_killed_run_is_marked_killed(db):
    run_id = archive.start_run(db, "elaph", {})
    db.execute("UPDATE crawl_runs SET pid = 999999999 WHERE id = ?", [run_id])
    db.conn.commit()
    assert archive.mark_stale_runs(db) == 1
    assert next(db.query("SELECT status FROM crawl_runs"))["status"] == "killed"


def test_readers_are_not_blocked_by_a_writer(tmp_path):
    path = tmp_path / "a.db"
    writer = open_archive(path)
    store_article(writer, article())
    writer.conn.execute("BEGIN IMMEDIATE")
    writer.conn.execute("UPDATE articles SET title = 'x'")
    reader = sqlite3.connect(path, timeout=1)
    assert reader.execute("SELECT title FROM articles").fetchone()[0] == "عنوان"  # WAL: no lock wait
    writer.conn.rollback()


def test_a_site_id_shown_twice_stays_two_comments_across_crawls(db):
    twice = [{"comment_id": "7", "title": "", "author": "a", "text": "x"},
             {"comment_id": "7", "title": "", "author": "a", "text": "x"}]
    for _ in range(3):
        store_article(db, article(comments=twice))
    assert count(db, "comments") == 2


def test_reimporting_a_dump_with_a_hyphenated_author_adds_nothing(db):
    store_article(db, article(comments=[{"comment_id": "1", "title": "", "author": "أبو علي - بغداد", "text": "نص"},
                                        {"comment_id": "2", "title": "", "author": "-x", "text": "y"}]))
    dumped = parse_dump(dump_article(get_article(db, "elaph", "100")).text)
    for _ in range(2):
        result = store_article(db, {**dumped, "site": "elaph", "article_id": "100", "source": "import"})
        assert result.comments_new == 0
    assert count(db, "comments") == 2


def test_import_keeps_a_crawls_incomplete_thread_mark(db):
    store_article(db, article(comments_complete=False))
    dumped = parse_dump(dump_article(get_article(db, "elaph", "100")).text)
    store_article(db, {**dumped, "site": "elaph", "article_id": "100", "source": "import"})
    assert get_article(db, "elaph", "100")["comments_complete"] == 0


V1_SCHEMA = """
CREATE TABLE articles (site TEXT NOT NULL, article_id TEXT NOT NULL, url TEXT, section TEXT, title TEXT NOT NULL,
  subtitle TEXT NOT NULL DEFAULT '', body TEXT NOT NULL, published TEXT, author TEXT,
  comment_count INTEGER NOT NULL DEFAULT 0, comments_complete INTEGER NOT NULL DEFAULT 1, first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL, last_changed TEXT NOT NULL, content_hash TEXT NOT NULL, source TEXT NOT NULL DEFAULT 'crawl',
  extraction TEXT, sitemap_url TEXT, sitemap_lastmod TEXT, http_etag TEXT, http_last_modified TEXT,
  PRIMARY KEY (site, article_id));
CREATE INDEX articles_published ON articles (site, published);
CREATE TABLE comments (site TEXT NOT NULL, article_id TEXT NOT NULL, comment_key TEXT NOT NULL, comment_id TEXT,
  position INTEGER NOT NULL, title TEXT NOT NULL DEFAULT '', author TEXT NOT NULL DEFAULT '', \
text TEXT NOT NULL DEFAULT '',
  posted_at TEXT, fingerprint TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
  PRIMARY KEY (site, article_id, comment_key));
CREATE INDEX comments_thread ON comments (site, article_id, position);
PRAGMA user_version = 1;
"""


def test_an_archive_of_schema_1_is_migrated_without_loss(tmp_path):
    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.execute("INSERT INTO articles (site, article_id, title, body, first_seen, last_seen, last_changed, "
                 "content_hash, sitemap_url) VALUES ('elaph', '5', 'قديم', 'نص', 'x', 'x', 'x', 'h', 'http://s')")
    conn.execute("INSERT INTO comments (site, article_id, comment_key, position, text, fingerprint, first_seen, "
                 "last_seen) VALUES ('elaph', '5', '9', 0, 'تعليق', 'f', 'x', 'x')")
    conn.commit()
    conn.close()
    db = open_archive(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == archive.SCHEMA_VERSION
    row = next(db.query("SELECT id, title FROM articles"))
    assert row == {"id": 1, "title": "قديم"} and "sitemap_url" not in db["articles"].columns_dict
    assert next(db.query("SELECT id, text FROM comments")) == {"id": 1, "text": "تعليق"}
    assert {i.name for i in db["articles"].indexes} >= {"articles_published"}
    store_article(db, article(article_id="6"))
    assert count(db, "articles") == 2


def test_a_foreign_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE articles (x)")
    conn.commit()
    conn.close()
    with pytest.raises(archive.ArchiveError, match="did not make"):
        open_archive(path)


def test_a_fallback_extraction_never_replaces_the_profiles_text(db):
    store_article(db, article(extraction={"body": "profile"}, sitemap_lastmod="2020-01-01T00:00:00+00:00",
                              http={"etag": '"old"'}))
    worse = article(body=["نص من الاستخراج الاحتياطي"], extraction={"body": "trafilatura"},
                    sitemap_lastmod="2021-01-01T00:00:00+00:00", http={"etag": '"new"'})
    assert store_article(db, worse).status == "kept"
    stored = get_article(db, "elaph", "100")
    assert stored["body"] == ["سطر أول", "سطر ثان"]
    # The page not read keeps looking unread: the next run fetches it again.
    assert stored["sitemap_lastmod"] == "2020-01-01T00:00:00+00:00" and stored["http_etag"] == '"old"'


def test_replies_name_their_parent_and_the_thread_keeps_its_shape_across_crawls(db):
    thread = [
        {"comment_id": "1", "title": "", "author": "أ", "text": "أول", "parent": None, "depth": 0},
        {"comment_id": None, "title": "", "author": "ب", "text": "رد على الأول", "parent": 0, "depth": 1},
        {"comment_id": None, "title": "", "author": "ج", "text": "رد على الرد", "parent": 1, "depth": 2},
        {"comment_id": "4", "title": "", "author": "د", "text": "ثان", "parent": None, "depth": 0},
    ]
    store_article(db, article(comments=thread, comments_shown=5))
    stored = {c["author"]: c for c in get_article(db, "elaph", "100")["comments"]}
    assert stored["أ"]["parent_key"] is None and stored["أ"]["depth"] == 0
    assert stored["ب"]["parent_key"] == "1" and stored["ب"]["depth"] == 1
    assert stored["ج"]["parent_key"] == stored["ب"]["comment_key"] and stored["ج"]["depth"] == 2
    assert get_article(db, "elaph", "100")["comments_shown"] == 5
    # Read again (the same comments matched, not added): the shape stays; a
    # dump import, which knows no shape and no count, changes neither.
    store_article(db, article(comments=thread, comments_shown=5))
    dumped = parse_dump(dump_article(get_article(db, "elaph", "100")).text)
    store_article(db, {**dumped, "site": "elaph", "article_id": "100", "source": "import"})
    again = get_article(db, "elaph", "100")
    assert {c["author"]: (c["parent_key"], c["depth"]) for c in again["comments"]} == \
        {a: (c["parent_key"], c["depth"]) for a, c in stored.items()}
    assert again["comments_shown"] == 5 and count(db, "comments") == 4


def test_an_archive_of_schema_5_gains_the_thread_shape_without_loss(tmp_path):
    path = tmp_path / "v5.db"
    db = open_archive(path)
    store_article(db, article(comments=[{"comment_id": "1", "title": "", "author": "أ", "text": "أول"}]))
    db.execute("DROP INDEX comments_article_row")  # as archives before schema 7 were
    for table, column in (("comments", "parent_key"), ("comments", "depth"), ("articles", "comments_shown"),
                          ("comments", "gone_since"), ("comments", "article_row")):
        db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    db.execute("PRAGMA user_version = 5")
    db.conn.commit()
    db.close()
    db = open_archive(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == archive.SCHEMA_VERSION
    (comment,) = get_article(db, "elaph", "100")["comments"]
    # Unknown, not top level:
    assert comment["text"] == "أول" and comment["parent_key"] is None and comment["depth"] is None
    reply = {"comment_id": "2", "title": "", "author": "ب", "text": "رد", "parent": 0, "depth": 1}
    store_article(db, article(comments=[{**comment, "comment_id": "1", "parent": None, "depth": 0}, reply]))
    shape = {c["comment_id"]: (c["parent_key"], c["depth"]) for c in get_article(db, "elaph", "100")["comments"]}
    assert shape == {"1": (None, 0), "2": ("1", 1)}


# --- comments that vanish from their thread -----------------------------------


def thread(*ids: str) -> list[dict]:
    return [{"comment_id": i, "title": "", "author": f"قارئ {i}", "text": f"تعليق {i}"} for i in ids]


def gone(db) -> dict[str, str | None]:
    return {r["comment_id"]: r["gone_since"] for r in db.query("SELECT comment_id, gone_since FROM comments")}


def test_a_comment_missing_from_a_complete_read_is_kept_and_marked_gone_then_back(db):
    store_article(db, article(comments=thread("1", "2", "3")), now="2020-01-06T00:00:00+00:00")
    result = store_article(db, article(comments=thread("1", "3"), fetched_at="2020-01-07T08:00:00+00:00"),
                           now="2020-01-07T08:00:05+00:00")
    assert result.comments_gone == 1 and result.comments_total == 3
    assert gone(db) == {"1": None, "2": "2020-01-07T08:00:00+00:00", "3": None}  # when the page was fetched
    assert [c["text"] for c in get_article(db, "elaph", "100")["comments"]] == ["تعليق 1", "تعليق 2", "تعليق 3"]
    # Still missing next time: the first time it was missed stays.
    assert store_article(db, article(comments=thread("1", "3")), now="2020-01-08T00:00:00+00:00").comments_gone == 0
    assert gone(db)["2"] == "2020-01-07T08:00:00+00:00"
    # Shown again: no longer gone.
    back = store_article(db, article(comments=thread("1", "2", "3")), now="2020-01-09T00:00:00+00:00")
    assert back.comments_back == 1 and gone(db) == {"1": None, "2": None, "3": None}


@pytest.mark.parametrize("partial", [
    {"comments_complete": False},  # a page of the thread failed
    {"source": "import"},  # a dump may hold fewer comments than the page
    {"comments": []},  # an empty read is a page not read, far more often than a thread deleted whole
])
def test_only_a_complete_nonempty_crawl_of_a_thread_marks_comments_gone(db, partial):
    store_article(db, article(comments=thread("1", "2", "3")))
    store_article(db, article(**{"comments": thread("1"), **partial}))
    assert gone(db) == {"1": None, "2": None, "3": None}


def test_an_archive_of_schema_6_gains_gone_since_without_loss(tmp_path):
    path = tmp_path / "v6.db"
    db = open_archive(path)
    store_article(db, article(comments=thread("1", "2")))
    db.execute("ALTER TABLE comments DROP COLUMN gone_since")
    db.execute("DROP INDEX comments_article_row")
    db.execute("ALTER TABLE comments DROP COLUMN article_row")
    db.execute("PRAGMA user_version = 6")
    db.conn.commit()
    db.close()
    db = open_archive(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == archive.SCHEMA_VERSION
    assert gone(db) == {"1": None, "2": None}
    # Each comment knows its article's row: a foreign key Datasette follows.
    (article_row,) = db.execute("SELECT id FROM articles").fetchone()
    assert [r[0] for r in db.execute("SELECT article_row FROM comments")] == [article_row, article_row]
    assert db["comments"].foreign_keys[0].other_table == "articles"
    store_article(db, article(comments=thread("2")))
    assert gone(db)["1"] is not None


def test_a_thread_read_up_to_a_cut_or_an_older_capture_marks_nothing_gone(db):
    store_article(db, article(comments=thread("1", "2", "3")), now="2020-01-06T00:00:00+00:00")
    # Cut at the page limit or at a link off the site: complete for the run, not the whole thread.
    store_article(db, article(comments=thread("1"), thread_whole=False), now="2020-01-07T00:00:00+00:00")
    assert gone(db) == {"1": None, "2": None, "3": None}
    # A re-extraction of a capture older than the last sighting cannot say they vanished.
    store_article(db, article(comments=thread("1"), fetched_at="2020-01-05T00:00:00+00:00"),
                  now="2020-01-08T00:00:00+00:00")
    assert gone(db) == {"1": None, "2": None, "3": None}


def test_seen_at_is_the_fetch_in_the_archives_form_and_never_later_than_now():
    from newscrawl.archive import seen_at

    now = "2026-12-02T03:00:00+00:00"
    assert seen_at({}, now) == seen_at({"fetched_at": ""}, now) == seen_at({"fetched_at": "soon"}, now) == now
    assert seen_at({"fetched_at": "2015-03-24T10:00:00Z"}, now) == "2015-03-24T10:00:00+00:00"
    assert seen_at({"fetched_at": "2015-03-24T13:00:00.5+03:00"}, now) == "2015-03-24T10:00:00+00:00"
    assert seen_at({"fetched_at": "2015-03-24T10:00:00"}, now) == "2015-03-24T10:00:00+00:00"  # no offset: UTC
    assert seen_at({"fetched_at": "2099-01-01T00:00:00+00:00"}, now) == now  # a clock ahead
