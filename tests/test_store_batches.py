"""Storing in batches (newscrawl.archive.store_articles, pipelines/store.py):
one transaction for many articles, one article's error losing none of the
others, and the full-text indexes right whatever wrote the rows."""

from __future__ import annotations

import sqlite3

import pytest

from newscrawl import archive
from newscrawl.archive import open_archive, store_article, store_articles
from newscrawl.samplesite import SampleSite, generate_site
from newscrawl.search.arabic import index_text
from newscrawl.search.engine import search
from newscrawl.search.index import reindex
from tests.conftest import count, crawl_stats, rows, run_crawl


def article(article_id: str, body: str = "نص الخبر", comments=(), **fields) -> dict:
    return {"site": "elaph", "article_id": article_id, "url": f"https://elaph.com/Web/News/2020/1/{article_id}.html",
            "title": f"عنوان {article_id}", "subtitle": "", "body": [body], "published": "2020-01-05T10:00:00+03:00",
            "comments": [{"comment_id": str(n), "title": "", "author": f"قارئ {n}", "text": text}
                         for n, text in enumerate(comments, 1)], **fields}


def found(db, words: str, comments: bool = False) -> list[str]:
    return sorted(h.article_id for h in search(db, words, comments=comments))


def exact(db, table: str, words: str) -> list[int]:
    return [r[0] for r in db.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid", [words])]


def assert_indexes_sound(db) -> None:
    """FTS5's own check of the exact-form indexes against their content tables."""
    for table in ("articles_fts", "comments_fts"):
        db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")
    for table in ("articles_search", "comments_search"):
        db.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")


@pytest.fixture
def db(tmp_path):
    return open_archive(tmp_path / "news.db")


def test_a_batch_is_stored_and_indexed_like_single_articles(db):
    results = store_articles(db, [article("1", "المستشفى الجديد", ["تعليق أول"]), article("2", "المكتبة القديمة")])
    assert [r.status for r in results] == ["new", "new"]
    assert found(db, "مستشفي") == ["1"] and found(db, "المكتبه") == ["2"]
    assert found(db, "تعليق", comments=True) == ["1"]
    assert exact(db, "articles_fts", "المستشفى") == [1]
    assert_indexes_sound(db)


def test_an_article_the_archive_refuses_is_set_aside_and_the_rest_of_its_batch_is_stored(db):
    bad = article("2", "خبر سيئ")
    bad["url"] = {"not": "a value SQLite can bind"}
    results = store_articles(db, [article("1", "الخبر الأول", ["رد"]), bad, article("3", "الخبر الثالث")])
    assert results[0].status == "new" and results[2].status == "new"
    assert isinstance(results[1], sqlite3.ProgrammingError)
    assert [r["article_id"] for r in db.query("SELECT article_id FROM articles ORDER BY id")] == ["1", "3"]
    assert db["comments"].count == 1
    assert found(db, "الخبر") == ["1", "3"] and found(db, "سيئ") == []
    assert_indexes_sound(db)
    with pytest.raises(sqlite3.ProgrammingError):  # alone, it raises what it raised
        store_article(db, bad)


def test_an_error_of_the_archive_itself_stores_nothing_of_the_batch(tmp_path, db):
    store_article(db, article("1"))
    db.conn.execute("PRAGMA query_only = ON")  # every write now fails, as on a read-only file
    with pytest.raises(sqlite3.OperationalError):
        store_articles(db, [article("2"), article("3")])
    db.conn.execute("PRAGMA query_only = OFF")
    assert db["articles"].count == 1


def test_the_same_article_twice_in_one_batch_is_updated_and_its_old_words_leave_the_index(db):
    results = store_articles(db, [article("1", "الوزير القديم", ["قبل"]), article("1", "السفير الجديد", ["بعد"])])
    assert [r.status for r in results] == ["new", "updated"]
    assert found(db, "الوزير") == [] and found(db, "السفير") == ["1"]
    assert exact(db, "articles_fts", "القديم") == [] and exact(db, "articles_fts", "الجديد") == [1]
    assert db["article_versions"].count == 1
    assert_indexes_sound(db)


def test_an_edited_comment_leaves_its_old_words_in_no_index(db):
    store_article(db, article("1", comments=["كلمة قديمة"]))
    store_article(db, article("1", comments=["كلمة جديدة"]))
    assert found(db, "قديمه", comments=True) == [] and found(db, "جديده", comments=True) == ["1"]
    assert exact(db, "comments_fts", "قديمة") == []
    assert_indexes_sound(db)


def test_edits_and_deletions_by_other_tools_reach_both_indexes(db):
    store_articles(db, [article("1", "الحكومة"), article("2", "البرلمان", ["المعارضة"]), article("3", "الجيش")])
    # Another tool (sqlite-utils, Datasette, sqlite3) edits one row and deletes others.
    db.conn.execute("UPDATE articles SET body = 'الانتخابات' WHERE article_id = '1'")
    db.conn.execute("DELETE FROM comments WHERE article_id = '2'")
    db.conn.execute("DELETE FROM articles WHERE article_id = '3'")
    db.conn.commit()
    assert exact(db, "articles_fts", "الانتخابات") == [1]  # the exact index at once (triggers)
    assert found(db, "الجيش") == [] and found(db, "المعارضه", comments=True) == []  # deleted rows: never a hit
    store_article(db, article("4"))  # the next store brings the normalized index up to date
    assert db["search_pending"].count == 0
    assert found(db, "الانتخابات") == ["1"] and found(db, "الحكومه") == []
    assert_indexes_sound(db)


def test_rows_another_tool_inserts_are_indexed_by_reindex(db):
    store_article(db, article("1"))
    db.conn.execute("INSERT INTO articles (site, article_id, title, body, first_seen, last_seen, last_changed, "
                    "content_hash) VALUES ('elaph', '9', 'عنوان', 'الصحافة', 'x', 'x', 'x', 'h')")
    db.conn.commit()
    assert found(db, "الصحافه") == []  # as documented: the store indexes what it writes
    reindex(db)
    assert found(db, "الصحافه") == ["9"]
    assert_indexes_sound(db)


# The search tables and triggers of schema 7, as archives before the
# contentless index were made.
V7_SEARCH = """
CREATE VIRTUAL TABLE articles_search USING fts5(title, subtitle, body);
CREATE VIRTUAL TABLE comments_search USING fts5(title, author, text);
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, subtitle, body) VALUES (new.id, new.title, new.subtitle, new.body);
END;
CREATE TRIGGER comments_fts_insert AFTER INSERT ON comments BEGIN
    INSERT INTO comments_fts (rowid, title, author, text) VALUES (new.id, new.title, new.author, new.text);
END;
CREATE TRIGGER articles_search_delete AFTER DELETE ON articles BEGIN
    DELETE FROM articles_search WHERE rowid = old.id;
END;
CREATE TRIGGER comments_search_delete AFTER DELETE ON comments BEGIN
    DELETE FROM comments_search WHERE rowid = old.id;
END;
CREATE INDEX comments_thread ON comments (site, article_id, position);
"""


def test_an_archive_of_schema_7_gets_the_contentless_index_without_loss(tmp_path):
    path = tmp_path / "v7.db"
    db = open_archive(path)
    store_articles(db, [article("1", "المستشفى الجديد", ["تعليق أول"]), article("2", "المكتبة القديمة")])
    before = (found(db, "مستشفي"), found(db, "تعليق", comments=True))
    for name in ("articles_search_update", "articles_search_delete", "comments_search_update",
                 "comments_search_delete"):
        db.execute(f"DROP TRIGGER {name}")
    db.execute("DROP TABLE articles_search")
    db.execute("DROP TABLE comments_search")
    db.execute("DROP TABLE search_pending")
    db.execute("DROP INDEX comments_article_row")
    db.execute("CREATE INDEX comments_article_row ON comments (article_row)")
    db.conn.executescript(V7_SEARCH)
    for table, source, fields in (("articles_search", "articles", "title, subtitle, body"),
                                  ("comments_search", "comments", "title, author, text")):
        for row_id, *values in db.execute(f"SELECT id, {fields} FROM {source}").fetchall():
            db.execute(f"INSERT INTO {table} (rowid, {fields}) VALUES (?, ?, ?, ?)",
                       [row_id, *(index_text(v or "") for v in values)])
    db.execute("PRAGMA user_version = 7")
    db.conn.commit()
    db.close()

    db = open_archive(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == archive.SCHEMA_VERSION
    sql = {r["name"]: r["sql"] for r in db.query("SELECT name, sql FROM sqlite_master")}
    assert "content=''" in sql["articles_search"] and "content=''" in sql["comments_search"]
    assert "articles_fts_insert" not in sql and "comments_fts_insert" not in sql and "comments_thread" not in sql
    assert "DELETE FROM articles_search" not in sql["articles_search_delete"]
    assert [r["name"] for r in db.query("PRAGMA index_info(comments_article_row)")] == ["article_row", "position"]
    assert (found(db, "مستشفي"), found(db, "تعليق", comments=True)) == before
    assert store_article(db, article("1", "المستشفى الجديد", ["تعليق أول", "تعليق ثان"])).comments_new == 1
    assert found(db, "ثان", comments=True) == ["1"]
    assert_indexes_sound(db)


def test_an_archive_of_schema_8_gets_the_ascii_tokenizer_and_finds_what_it_found(tmp_path):
    # Schema 8 had the normalized index tokenized by unicode61, which folded
    # Latin accents itself; now index_text does, for the "ascii" tokenizer.
    path = tmp_path / "v8.db"
    db = open_archive(path)
    store_articles(db, [article("1", "زار المقهى Café de Flore في باريس", ["تعليق عن ΟΔΟΣ"]),
                        article("2", "المكتبة القديمة", ["déjà vu"])])
    queries = [("مقهي", False), ("cafe", False), ("café", False), ("باريس", False), ("οδοσ", True),
               ("ΟΔΟΣ", True), ("deja", True), ("تعليق", True)]
    before = [found(db, q, comments=c) for q, c in queries]
    assert before == [["1"], ["1"], ["1"], ["1"], ["1"], ["1"], ["2"], ["1"]]
    for table, fields in (("articles_search", "title, subtitle, body"), ("comments_search", "title, author, text")):
        db.execute(f"DROP TABLE {table}")
        db.execute(f"CREATE VIRTUAL TABLE {table} USING fts5({fields}, content='')")
    db.conn.commit()
    reindex(db)  # as schema 8 indexed: index_text's terms, tokenized by unicode61
    db.execute("PRAGMA user_version = 8")
    db.conn.commit()
    assert [found(db, q, comments=c) for q, c in queries] == before
    db.close()

    db = open_archive(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == archive.SCHEMA_VERSION
    sql = {r["name"]: r["sql"] for r in db.query("SELECT name, sql FROM sqlite_master")}
    assert "tokenize='ascii'" in sql["articles_search"] and "tokenize='ascii'" in sql["comments_search"]
    assert "tokenize" not in sql["articles_fts"]  # the exact index stays as sqlite-utils makes it
    leaf = db.execute("PRAGMA page_size").fetchone()[0] - 384
    assert db.execute("SELECT v FROM articles_search_config WHERE k = 'pgsz'").fetchone()[0] == leaf
    assert [found(db, q, comments=c) for q, c in queries] == before
    assert store_article(db, article("3", "مقهى آخر", ["Déjà"])).status == "new"
    assert found(db, "مقهي") == ["1", "3"] and found(db, "deja", comments=True) == ["2", "3"]
    assert_indexes_sound(db)


def test_a_crawl_stores_in_batches_and_an_article_the_archive_refuses_fails_the_run(tmp_path):
    """A real crawl: the articles go in batches; one the archive refuses (a
    trigger stands in for a value it cannot take) is counted, logged and not
    stored, the others are, the run exits 1, and the next run stores it."""
    model = generate_site(20)
    db = tmp_path / "news.db"
    refused = str(model.crawlable()[3].article_id)
    open_archive(db).close()
    conn = sqlite3.connect(db)
    conn.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN new.article_id = '{refused}' "
                 "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    conn.commit()
    conn.close()
    with SampleSite(model) as site:
        result = run_crawl(site.base_url, db, settings={"STORE_BATCH_ARTICLES": "4"})
        assert result.returncode == 1, crawl_stats(result)
        stored = {r["article_id"] for r in rows(db, "SELECT article_id FROM articles")}
        assert stored == {str(a.article_id) for a in model.crawlable()} - {refused}
        assert f"elaph/{refused}" in result.stderr and "could not be stored (IntegrityError: refused by the test)" \
            in result.stderr
        assert "'archive/errors/IntegrityError': 1" in result.stderr
        batches = int(result.stderr.split("'archive/batches': ", 1)[1].split(",", 1)[0])
        assert 5 <= batches < len(model.crawlable())  # 4 at most per batch; fewer than one per article
        run = rows(db, "SELECT status, verdict FROM crawl_runs")[-1]
        assert run["status"] == "failed" and "the archive could not store 1 article" in run["verdict"]

        conn = sqlite3.connect(db)
        conn.execute("DROP TRIGGER refuse")
        conn.commit()
        conn.close()
        again = run_crawl(site.base_url, db)
        assert again.returncode == 0, crawl_stats(again)
    assert refused in {r["article_id"] for r in rows(db, "SELECT article_id FROM articles")}
    assert count(db, "comments") == sum(len(a.comments) for a in model.crawlable())  # nothing doubled
