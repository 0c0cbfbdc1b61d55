"""`newscrawl export`: the archive as JSON Lines, CSV and Parquet, read back equal.

The archive is written by store_article as crawls write it: nested
replies, a comment that vanished and one edited, hostile text (controls,
bidi, quotes, commas, newlines), Arabic everywhere. Every export is read
back (json, csv, pyarrow) and compared with the archive's own rows.
"""

from __future__ import annotations

import csv
import json
import sqlite3

import pyarrow.parquet as pq
import pytest

from newscrawl.archive import open_archive, store_article
from tests.conftest import run_cli

HOSTILE = 'عنوان "مقتبس", فاصلة\x1b[2J \u202eمعكوس'


def articles():
    for n in range(1, 8):
        yield {
            "site": "elaph" if n % 3 else "hespress", "article_id": str(100 + n), "title": f"{HOSTILE} {n}",
            "subtitle": "", "body": [f"سطر أول {n}", "سطر ثان"], "published": f"2015-03-{n:02d}T10:00:00+03:00",
            "author": "إيلاف", "section": "News", "url": f"https://elaph.com/Web/News/2015/3/{100 + n}.html",
            "tags": ["العراق", "سوريا"] if n % 2 else [],
            "comments": [
                {"comment_id": f"{n}1", "title": "رأي", "author": "سالم", "text": f"تعليق {n}\nسطر", "parent": None,
                 "depth": 0, "posted_at": "2015-03-24T12:00:00+03:00", "likes": n},
                {"comment_id": f"{n}2", "title": "", "author": HOSTILE, "text": "رد", "parent": 0, "depth": 1},
                {"comment_id": f"{n}3", "title": "", "author": "ليلى", "text": "يختفي لاحقا", "parent": None,
                 "depth": 0},
            ] if n != 4 else [],
        }


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "news.db"
    db = open_archive(path)
    for article in articles():
        store_article(db, article, now="2015-03-25T00:00:00+00:00")
    # A second read of article 101: one comment gone, one reply edited.
    first = next(articles())
    thread = [first["comments"][0], {**first["comments"][1], "text": "رد معدل"}]
    store_article(db, {**first, "comments": thread}, now="2015-03-26T00:00:00+00:00")
    db.close()
    return path


def archive_rows(path, sql, params=()):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def expected(path, where="", params=()):
    arts = archive_rows(path, f"SELECT * FROM articles {where} ORDER BY site, article_id", params)
    for a in arts:
        a["tags"] = json.loads(a["tags"]) if a["tags"] else []
        a["comments"] = archive_rows(path, "SELECT * FROM comments WHERE site = ? AND article_id = ? ORDER BY position",
                                     [a["site"], a["article_id"]])
    return arts


def export(path, *args):
    result = run_cli("export", "--db", str(path), *args)
    assert result.returncode == 0, result.stderr
    return result


def test_jsonl_holds_every_article_with_its_thread_exactly(db_path, tmp_path):
    out = tmp_path / "news.jsonl"
    result = export(db_path, "--out", str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    got = [json.loads(line) for line in lines]
    assert got == expected(db_path)
    assert "exported 7 articles and 18 comments" in result.stdout
    first = got[0]
    assert first["title"].startswith(HOSTILE)  # exact, controls included
    assert [c["gone_since"] is not None for c in first["comments"]] == [False, False, True]
    assert first["comments"][1]["parent_key"] == first["comments"][0]["comment_key"]
    assert first["published"] == "2015-03-01T10:00:00+03:00"  # with its offset
    assert not list(tmp_path.glob("*.partial"))


def test_parquet_nested_and_flat_read_back_equal_to_the_archive(db_path, tmp_path):
    nested = tmp_path / "news.parquet"
    export(db_path, "--format", "parquet", "--out", str(nested))
    assert pq.read_table(nested).to_pylist() == expected(db_path)
    flat = tmp_path / "flat"
    export(db_path, "--format", "parquet", "--comments", "flat", "--out", str(flat))
    arts = expected(db_path)
    assert pq.read_table(flat / "articles.parquet").to_pylist() == [
        {k: v for k, v in a.items() if k != "comments"} for a in arts]
    assert pq.read_table(flat / "comments.parquet").to_pylist() == [c for a in arts for c in a["comments"]]


def test_csv_is_two_files_that_read_back(db_path, tmp_path):
    out = tmp_path / "csv"
    export(db_path, "--format", "csv", "--out", str(out))
    with open(out / "comments.csv", encoding="utf-8", newline="") as fh:
        comments = list(csv.DictReader(fh))
    with open(out / "articles.csv", encoding="utf-8", newline="") as fh:
        arts = list(csv.DictReader(fh))
    want = expected(db_path)
    assert [a["title"] for a in arts] == [a["title"] for a in want]
    assert [json.loads(a["tags"]) if a["tags"] else [] for a in arts] == [a["tags"] for a in want]
    assert [c["text"] for c in comments] == [c["text"] for a in want for c in a["comments"]]  # newlines kept


def test_filters_and_refusals(db_path, tmp_path):
    out = tmp_path / "part.jsonl"
    export(db_path, "--out", str(out), "--site", "elaph", "--since", "2015-03-02", "--until", "2015-03-06")
    got = [json.loads(line)["article_id"] for line in out.read_text().splitlines()]
    assert got == ["102", "104", "105"]
    for args, message in [
        (["--format", "csv", "--comments", "nested", "--out", str(tmp_path / "x.csv")], "CSV cannot nest"),
        (["--out", str(tmp_path / "y.jsonl"), "--site", "elafh"], "no articles of site 'elafh'"),
        (["--out", str(tmp_path / "z.jsonl"), "--until", "someday"], "--until"),
        (["--out", str(tmp_path)], "is a folder"),
    ]:
        result = run_cli("export", "--db", str(db_path), *args)
        assert result.returncode != 0 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_the_python_api_reads_what_export_writes(db_path, tmp_path):
    from newscrawl import Archive
    from newscrawl.archive import ArchiveError

    with Archive.open(db_path) as news:
        assert list(news.articles()) == expected(db_path)
        assert [a["article_id"] for a in news.articles(site="hespress")] == ["103", "106"]
        assert sum(1 for _ in news.comments(since="2015-03-05")) == 3 * 3  # of 105, 106 and 107
        hits = news.search("سالم")
        assert hits and {h["kind"] for h in hits} == {"comment"}
        thread = news.thread("elaph", "101")
        assert [(c["comment_id"], c["depth"]) for c in thread["comments"]] == [("11", 0), ("12", 1), ("13", 0)]
        assert news.thread("elaph", "999") is None
    for missing in (tmp_path / "none.db", tmp_path):
        with pytest.raises(ArchiveError):
            Archive.open(missing)
    assert not (tmp_path / "none.db").exists()  # never made by a read


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("newscrawl ")


# The archive's own integer columns, as the schema declares them: int64 in
# Parquet, every other column of ours a string (tags a list of them).
ARTICLE_INTEGERS = {"id", "comment_count", "comments_shown", "comments_complete", "comment_pages"}
COMMENT_INTEGERS = {"id", "article_row", "position", "depth", "likes"}


def test_the_archive_s_integer_columns_are_int64_in_parquet_and_no_other(db_path, tmp_path):
    export(db_path, "--format", "parquet", "--comments", "flat", "--out", str(tmp_path))
    for table, integers in (("articles", ARTICLE_INTEGERS), ("comments", COMMENT_INTEGERS)):
        schema = pq.read_schema(tmp_path / f"{table}.parquet")
        assert {f.name for f in schema if str(f.type) == "int64"} == integers, table
        others = {f.name: str(f.type) for f in schema if f.name not in integers}
        assert others == {name: "list<element: string>" if (table, name) == ("articles", "tags") else "string"
                          for name in others}, table


def test_columns_other_tools_added_keep_their_types_in_parquet(db_path, tmp_path):
    # A researcher codes the archive with sqlite-utils: an integer, a real,
    # a column declared without a type (numbers and text alike), a text one.
    path = tmp_path / "coded.db"
    path.write_bytes(db_path.read_bytes())
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE articles ADD COLUMN coder_rating INTEGER")
    conn.execute("ALTER TABLE articles ADD COLUMN coder_note")
    conn.execute("ALTER TABLE comments ADD COLUMN stance REAL")
    conn.execute("ALTER TABLE comments ADD COLUMN label TEXT")
    conn.execute("ALTER TABLE comments ADD COLUMN tags TEXT")  # a name the articles use for a list: text here
    conn.execute("UPDATE articles SET coder_rating = id * 2, coder_note = CASE WHEN id % 2 THEN 'مؤيد' ELSE id END")
    conn.execute("UPDATE comments SET stance = id / 4.0, label = 'رأي', tags = 'سخرية' WHERE id % 2")
    conn.commit()
    rows = {r[0]: r[1:] for r in conn.execute("SELECT id, coder_rating, coder_note FROM articles")}
    stances = {r[0]: r[1:] for r in conn.execute("SELECT id, stance, label, tags FROM comments")}
    conn.close()
    nested = tmp_path / "coded.parquet"
    export(path, "--format", "parquet", "--out", str(nested))
    table = pq.read_table(nested)
    assert str(table.schema.field("coder_rating").type) == "int64"
    assert str(table.schema.field("coder_note").type) == "string"
    for article in table.to_pylist():
        rating, note = rows[article["id"]]
        assert article["coder_rating"] == rating and article["coder_note"] == str(note)  # numbers as text
        for comment in article["comments"]:
            assert (comment["stance"], comment["label"], comment["tags"]) == stances[comment["id"]]
    flat = tmp_path / "flat"
    export(path, "--format", "parquet", "--comments", "flat", "--out", str(flat))
    comments = pq.read_table(flat / "comments.parquet")
    assert str(comments.schema.field("stance").type) == "double"
    assert {c["id"]: (c["stance"], c["label"], c["tags"]) for c in comments.to_pylist()} == stances


@pytest.mark.parametrize("value, shown", [("'many'", "str 'many'"), ("2.7", "float '2.7'")])
def test_a_value_parquet_cannot_type_is_named_in_one_line(db_path, tmp_path, value, shown):
    # Text, or a fraction (SQLite keeps 2.7 in a column declared INTEGER, and
    # pyarrow would write it as 2 without a word): never written changed.
    path = tmp_path / "odd.db"
    path.write_bytes(db_path.read_bytes())
    conn = sqlite3.connect(path)
    conn.execute(f"UPDATE comments SET likes = {value} WHERE id = (SELECT min(id) FROM comments)")
    first = conn.execute("SELECT min(id) FROM comments").fetchone()[0]
    conn.commit()
    conn.close()
    for layout in ("nested", "flat"):
        out = tmp_path / f"odd-{layout}"
        result = run_cli("export", "--db", str(path), "--format", "parquet", "--comments", layout, "--out", str(out))
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines() == [
            f"Error: comments row {first}: column 'likes' (declared INTEGER) holds {shown}; Parquet keeps one "
            "type a column: fix the value, or export as jsonl or csv"]
        assert not list(tmp_path.rglob("*.partial")) and not (out.exists() and out.is_file())
    jsonl = tmp_path / "odd.jsonl"  # JSON keeps each value's own type
    assert run_cli("export", "--db", str(path), "--out", str(jsonl)).returncode == 0


def test_a_blob_column_another_tool_added_is_exported_whole_in_every_format(db_path, tmp_path):
    import base64

    path = tmp_path / "blob.db"
    path.write_bytes(db_path.read_bytes())
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE articles ADD COLUMN scan BLOB")
    conn.execute("UPDATE articles SET scan = ? WHERE id % 2", [b"\x00\xff\x89PNG"])
    conn.commit()
    blobs = dict(conn.execute("SELECT id, scan FROM articles"))
    conn.close()
    encoded = base64.b64encode(b"\x00\xff\x89PNG").decode()
    jsonl = tmp_path / "blob.jsonl"
    export(path, "--out", str(jsonl))
    for line in jsonl.read_text(encoding="utf-8").splitlines():  # as sqlite-utils and Datasette write bytes
        article = json.loads(line)
        assert article["scan"] == ({"$base64": True, "encoded": encoded} if blobs[article["id"]] else None)
    export(path, "--format", "csv", "--comments", "flat", "--out", str(tmp_path / "csv"))
    with open(tmp_path / "csv" / "articles.csv", encoding="utf-8", newline="") as fh:
        assert {int(r["id"]): r["scan"] for r in csv.DictReader(fh)} == {
            i: encoded if blob else "" for i, blob in blobs.items()}
    export(path, "--format", "parquet", "--comments", "flat", "--out", str(tmp_path / "pq"))
    table = pq.read_table(tmp_path / "pq" / "articles.parquet")
    assert str(table.schema.field("scan").type) == "binary"
    assert {r["id"]: r["scan"] for r in table.to_pylist()} == blobs
