"""The `newscrawl` console script: dump, import, stats, and its error lines."""

import pytest

from newscrawl.archive import open_archive, store_article
from tests.conftest import SEED, run_cli


@pytest.fixture
def imported(tmp_path):
    db = tmp_path / "news.db"
    result = run_cli("import", "--db", str(db), "--site", "elaph", "--id", "994567", str(SEED))
    assert result.returncode == 0, result.stderr
    return db


def test_import_then_dump_is_byte_identical(imported, tmp_path):
    out = tmp_path / "dumps"
    result = run_cli("dump", "--db", str(imported), "--out", str(out))
    assert result.returncode == 0 and "wrote 1 dump" in result.stdout
    assert (out / "elaph" / "994567.txt").read_bytes() == SEED.read_bytes()


def test_importing_twice_adds_nothing(imported):
    result = run_cli("import", "--db", str(imported), "--site", "elaph", "--id", "994567", str(SEED))
    assert result.returncode == 0 and "unchanged, 0 new comments (8 archived)" in result.stdout


def test_the_file_name_is_the_article_id(tmp_path):
    named = tmp_path / "994567.txt"
    named.write_bytes(SEED.read_bytes())
    db = tmp_path / "news.db"
    assert run_cli("import", "--db", str(db), "--site", "elaph", str(named)).returncode == 0
    out = tmp_path / "d"
    assert run_cli("dump", "--db", str(db), "--out", str(out), "--id", "994567").returncode == 0
    assert (out / "elaph" / "994567.txt").read_bytes() == SEED.read_bytes()


def test_a_site_without_a_profile_takes_any_safe_id(tmp_path):
    db = tmp_path / "news.db"
    result = run_cli("import", "--db", str(db), "--site", "archive-x", str(SEED))
    assert result.returncode == 0 and f"archive-x/{SEED.stem} new" in result.stdout


def test_dump_filters_by_site_id_and_date(tmp_path):
    db_path = tmp_path / "news.db"
    db = open_archive(db_path)
    for n, date in ((1, "2014-12-31T23:00:00+03:00"), (2, "2015-03-24T10:00:00+03:00")):
        store_article(db, {"site": "elaph", "article_id": str(n), "title": f"t{n}", "subtitle": "", "body": ["b"],
                           "published": date, "comments": []})
    store_article(db, {"site": "other", "article_id": "1", "title": "x", "subtitle": "", "body": ["b"], "comments": []})
    db.close()
    out = tmp_path / "d"
    assert run_cli("dump", "--db", str(db_path), "--out", str(out), "--since", "2015-01-01",
                   "--site", "elaph").returncode == 0
    assert sorted(p.name for p in (out / "elaph").iterdir()) == ["2.txt"] and not (out / "other").exists()


def test_stats(imported):
    result = run_cli("stats", "--db", str(imported))
    assert result.returncode == 0 and "elaph: 1 articles, 8 comments" in result.stdout
    assert '"articles": 1' in run_cli("stats", "--db", str(imported), "--json").stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["dump", "--db", "{tmp}/missing.db", "--out", "{tmp}/o"], "no archive at"),
        (["stats", "--db", "{tmp}/missing.db"], "no archive at"),
        (["dump", "--db", "{db}", "--out", "{tmp}/o", "--since", "yesterday-ish"], "is not a date"),
        (["dump", "--db", "{db}", "--out", "{tmp}/o", "--id", "404"], "no article"),
        (["import", "--db", "{db}", "--site", "elaph", "{tmp}/nope.txt"], "no such file"),
        (["import", "--db", "{db}", "--site", "elaph", "{tmp}/latin1.txt"], "not UTF-8 text"),
        (["import", "--db", "{db}", "--site", "elaph", "{tmp}/empty.txt"], "file is empty"),
        (["import", "--db", "{db}", "--site", "elaph"], "Missing argument"),
        (["dump", "--db", "{tmp}/junk.db", "--out", "{tmp}/o"], "not a usable SQLite archive"),
        (["frobnicate"], "No such command"),
        (["dump", "--wat"], "No such option"),
        (["import", "--db", "{db}", "--site", "elaph", str(SEED)], "is not an article id of elaph"),
        (["import", "--db", "{db}", "--site", "elaph", "--id", "../../etc", str(SEED)], "cannot be a file name"),
        (["import", "--db", "{db}", "--site", "../x", str(SEED)], "cannot be a file name"),
    ],
)
def test_errors_are_one_line_and_nonzero(imported, tmp_path, args, message):
    (tmp_path / "latin1.txt").write_bytes("عنوان".encode("cp1256"))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 50)
    filled = [a.format(tmp=tmp_path, db=imported) for a in args]
    result = run_cli(*filled)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and message in result.stderr
    assert len(lines) <= 2, result.stderr  # a per-file error line and the summary at most
    assert "Traceback" not in result.stderr


def test_help_teaches(tmp_path):
    result = run_cli("--help")
    assert result.returncode == 0 and "newscrawl dump --db archive/news.db" in result.stdout
    assert "seed format" in run_cli("dump", "--help").stdout
