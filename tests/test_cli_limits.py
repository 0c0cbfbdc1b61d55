"""The smaller CLI promises of issue 11 (part 6): `--site` names a site the
archive holds or warns; `import` reads one bounded file at a time; column
filters and NEAR mean what FTS5 says or are refused with a line; exit 4 is
no failure for the systemd unit."""

from __future__ import annotations

import configparser

import pytest

from newscrawl.archive import open_archive, store_article
from newscrawl.search.engine import search
from newscrawl.search.query import QueryError, parse_query
from tests.conftest import REPO, SEED, run_cli


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "news.db"
    db = open_archive(path)
    docs = {
        ("hespress", "1"): ("العراق وسوريا", "خبر عن الحدود", "أبو علي"),
        ("hespress", "2"): ("خبر رياضي", "قال الوزير إن العراق بلد جميل وسوريا جارته", "سارة"),
        ("elaph", "3"): ("مدرسة جديدة", "العراق بعيد جدا جدا جدا جدا جدا جدا جدا جدا جدا جدا جدا جدا عن سوريا",
                         "العراق"),
    }
    for (site, article_id), (title, body, author) in docs.items():
        store_article(db, {"site": site, "article_id": article_id, "title": title, "subtitle": "", "body": [body],
                           "published": "2015-03-01T10:00:00+03:00", "comments": [
                               {"comment_id": "c" + article_id, "title": "", "author": author, "text": "تعليق"}]})
    db.close()
    return path


@pytest.mark.parametrize("command", [["search", "العراق"], ["stats"], ["dump", "--out", "{tmp}/o"]])
def test_a_site_the_archive_does_not_hold_is_named_with_the_sites_it_holds(db_path, tmp_path, command):
    args = [a.format(tmp=tmp_path) for a in command]
    result = run_cli(args[0], "--db", str(db_path), "--site", "hesspress", *args[1:])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert ("no articles of site 'hesspress' in the archive; it holds: elaph, hespress (did you mean hespress?)"
            in lines[0])
    assert result.returncode == (1 if args[0] == "dump" else 0)  # dump writes nothing: an error


def test_a_site_it_holds_gives_no_warning(db_path):
    result = run_cli("stats", "--db", str(db_path), "--site", "hespress")
    assert result.returncode == 0 and not result.stderr
    assert result.stdout.startswith("hespress: 2 articles") and "elaph:" not in result.stdout


def test_import_refuses_a_file_over_the_size_limit_and_imports_the_rest(tmp_path):
    big = tmp_path / "994568.txt"
    big.write_bytes(SEED.read_bytes() + ("\nسطر إضافي طويل " * 800_000).encode())  # about 21 MB
    small = tmp_path / "994567.txt"
    small.write_bytes(SEED.read_bytes())
    db = tmp_path / "news.db"
    result = run_cli("import", "--db", str(db), "--site", "elaph", str(big), str(small))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"error: {big}: ") and "larger than the --max-size limit of 10,000,000 bytes" in lines[0]
    assert lines[1] == "Error: 1 of 2 files could not be imported" and "Traceback" not in result.stderr
    assert "elaph/994567 new" in result.stdout
    raised = run_cli("import", "--db", str(db), "--site", "elaph", "--max-size", "30", str(big))
    assert raised.returncode == 0, raised.stderr


def test_import_reads_no_more_than_the_limit_from_a_file_without_a_size(tmp_path):
    result = run_cli("import", "--db", str(tmp_path / "news.db"), "--site", "x", "--id", "zero", "/dev/zero",
                     "--max-size", "1")
    assert result.returncode == 1 and "larger than the --max-size limit of 1,000,000 bytes" in result.stderr


def ids(hits):
    return sorted(h.article_id for h in hits)


def test_a_column_filter_searches_that_column_only(db_path):
    db = open_archive(db_path, readonly=True)
    assert ids(search(db, "العراق")) == ["1", "2", "3"]
    assert ids(search(db, "title:العراق")) == ["1"]
    assert ids(search(db, "title: العراق")) == ["1"]
    assert ids(search(db, "body:العراق")) == ["2", "3"]
    assert ids(search(db, "-title:العراق")) == ["2", "3"]
    assert ids(search(db, "{title subtitle}:العراق")) == ["1"]
    assert ids(search(db, "title:(العراق OR مدرسة)")) == ["1", "3"]
    assert ids(search(db, 'body:"العراق بلد"')) == ["2"]
    # Comments have their own columns: a commenter by name.
    assert ids(search(db, "author:علي", comments=True)) == ["1"]
    assert ids(search(db, "author:العراق", comments=True)) == ["3"]


def test_near_means_fts5s_near(db_path):
    db = open_archive(db_path, readonly=True)
    assert ids(search(db, "العراق سوريا")) == ["1", "2", "3"]
    assert ids(search(db, "NEAR(العراق سوريا)")) == ["1", "2"]  # at most 10 words apart by default
    assert ids(search(db, "NEAR(العراق سوريا, 1)")) == ["1"]  # 2 words between them in 2
    assert ids(search(db, "NEAR(العراق سوريا, ٢٠)")) == ["1", "2", "3"]  # Arabic-Indic digits
    assert ids(search(db, "body:NEAR(العراق سوريا, 20)")) == ["2", "3"]
    assert ids(search(db, "NEAR(وزير عراق, 3)")) == ["2"]  # وزير tried both ways, as elsewhere


@pytest.mark.parametrize("query, message", [
    ("titel:العراق", "'titel' is not a column to search in (columns: title, subtitle, body, author, text)"),
    ("--articles author:العراق", "'author' is not a column to search in (columns: title, subtitle, body)"),
    ("--comments body:العراق", "'body' is not a column to search in (columns: title, author, text)"),
    ("title:", "title: needs a word"),
    ("title: OR x", "title: needs a word"),
    ("title:body:x", "one column filter at a time"),
    ("NEAR(a OR b)", "NEAR(...) takes words and phrases only"),
    ("NEAR(a (b c))", "NEAR(...) takes words and phrases only"),
    ("NEAR(a b, far)", "NEAR(...) ends with ', N'"),
    ("https://elaph.com", 'put it in quotes to search for it as text: "https://elaph.com"'),
])
def test_what_fts5_would_read_otherwise_is_one_clear_line(db_path, query, message):
    flags = [query.split(" ", 1)[0]] if query.startswith("--") else []
    result = run_cli("search", "--db", str(db_path), *flags, query.split(" ", 1)[-1] if flags else query)
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_every_filter_and_near_form_is_valid_fts5():
    import sqlite3

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(title, subtitle, body)")
    for text in ("title:a", "-title:a b", "{title body}:(a OR b*) NOT c", "title:NEAR(a b*, 2)", "(title:(a))",
                 'subtitle:"a b"', "NEAR(وزير وزير)", "a NOT -body:b", "title:()x", "NEAR(a b"):
        try:
            match = parse_query(text, ("title", "subtitle", "body")).match
        except QueryError:
            continue
        conn.execute("SELECT * FROM t WHERE t MATCH ?", [match]).fetchall()


def test_the_systemd_unit_takes_exit_4_as_success():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(REPO / "deploy" / "newscrawl-crawl.service")
    assert "4" in unit["Service"]["SuccessExitStatus"].split()
