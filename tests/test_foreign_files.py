"""Archives are recognised, not assumed (issue 11, part 3).

A newscrawl archive carries a marker, PRAGMA application_id = 0x4E435257
("NCRW"); an archive made before the marker (our tables, a user_version we
know) is read as it is and marked by the next writing command. Every other
file is refused with one line and exit status 1 by every command, and is
left byte for byte as it was, with nothing made beside it. Read-only
commands never migrate; `stats` and `reindex` check the file first.
"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys

import pytest

from newscrawl import archive
from newscrawl.archive import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    open_archive,
    store_article,
)
from tests.conftest import SEED, run_cli

# Every command that takes --db, with what it needs besides (doctor takes no --db).
COMMANDS = {
    "stats": ["stats"],
    "search": ["search", "العراق"],
    "dump": ["dump", "--out", "{out}/dumps"],
    "runs": ["runs"],
    "reindex": ["reindex"],
    "reextract": ["reextract", "--warc-dir", "{out}"],
    "serve": ["serve", "--port", "1"],  # refused at the open check, before Datasette starts
    "import": ["import", "--site", "elaph", "--id", "994567", str(SEED)],
    "drain": ["drain", "--redis", "redis://127.0.0.1:9/0"],  # refused before Redis is tried
}
READERS = ("stats", "search", "dump", "runs")  # serve on an archive would start Datasette


def snapshot(folder) -> dict[str, str]:
    """Every file in `folder` with the sha256 of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def article(n: int = 1, **fields) -> dict:
    return {"site": "elaph", "article_id": str(n), "title": f"العراق {n}", "subtitle": "", "body": ["نص عن العراق"],
            "published": "2015-03-01T10:00:00+03:00", "comments": [], **fields}


def run(command: str, db, out) -> tuple[int, list[str], str]:
    args = [a.format(out=out) for a in COMMANDS[command]]
    result = run_cli(args[0], "--db", str(db), *args[1:])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    return result.returncode, lines, result.stderr


def foreign_app_db(folder, *, wal: bool = False):
    path = folder / "app.db"
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.executemany("INSERT INTO users (name) VALUES (?)", [("ali",), ("سارة",)])
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()  # the last connection: no -wal or -shm left
    return path


@pytest.mark.parametrize("wal", [False, True], ids=["rollback journal", "WAL"])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_foreign_sqlite_file_is_refused_and_left_byte_for_byte(tmp_path, command, wal):
    data = tmp_path / "data"
    data.mkdir()
    path = foreign_app_db(data, wal=wal)
    before = snapshot(data)
    assert list(before) == ["app.db"]
    status, lines, stderr = run(command, path, tmp_path)
    assert status == 1, stderr
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert "newscrawl did not make" in lines[0] and "left as it is" in lines[0]
    assert snapshot(data) == before  # same bytes; no -wal, -shm, -journal or .lock beside it


@pytest.mark.parametrize("command", COMMANDS)
def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path, command):
    data = tmp_path / "data"
    data.mkdir()
    path = data / "notes.db"
    path.write_bytes(b"name,city\nali,baghdad\n" * 200)
    before = snapshot(data)
    status, lines, stderr = run(command, path, tmp_path)
    assert status == 1 and len(lines) == 1 and "not a usable SQLite archive" in lines[0], stderr
    assert snapshot(data) == before


def test_another_applications_marker_is_refused_even_with_our_tables(tmp_path):
    path = tmp_path / "news.db"
    open_archive(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 1234")
    conn.commit()
    conn.close()
    for command in ("stats", "import"):
        status, lines, _ = run(command, path, tmp_path)
        assert status == 1 and "application_id 0x4d2" in lines[0]


def test_an_empty_file_is_no_archive_to_read_but_import_makes_one(tmp_path):
    path = tmp_path / "news.db"
    path.write_bytes(b"")
    status, lines, _ = run("stats", path, tmp_path)
    assert status == 1 and "empty file" in lines[0] and path.read_bytes() == b""
    status, _, stderr = run("import", path, tmp_path)
    assert status == 0, stderr
    assert archive.inspect_file(path) == ("archive", SCHEMA_VERSION)


def test_a_new_archive_carries_the_marker(tmp_path):
    path = tmp_path / "news.db"
    open_archive(path).close()
    with open(path, "rb") as f:
        header = f.read(100)
    assert int.from_bytes(header[68:72], "big") == APPLICATION_ID  # the file header itself
    assert archive.inspect_file(path) == ("archive", SCHEMA_VERSION)


def test_an_archive_made_before_the_marker_is_read_as_is_and_marked_by_the_next_write(tmp_path):
    path = tmp_path / "news.db"
    db = open_archive(path)
    store_article(db, article())
    db.execute("PRAGMA application_id = 0")  # as every archive was before the marker
    db.conn.commit()
    db.close()
    main_bytes = path.read_bytes()
    for command in READERS:
        status, _, stderr = run(command, path, tmp_path)
        assert status == 0, stderr
    assert path.read_bytes() == main_bytes  # read-only: not even the marker was written
    status, _, stderr = run("import", path, tmp_path)
    assert status == 0, stderr
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()


def test_an_archive_of_an_older_schema_is_not_migrated_by_a_read(tmp_path):
    path = tmp_path / "news.db"
    db = open_archive(path)
    store_article(db, article())
    db.execute("DROP INDEX comments_article_row")  # as archives before schema 7 were
    for table, column in (("comments", "parent_key"), ("comments", "depth"), ("articles", "comments_shown"),
                          ("comments", "gone_since"), ("comments", "article_row")):
        db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    db.execute("PRAGMA user_version = 5")
    db.conn.commit()
    db.close()
    main_bytes = path.read_bytes()
    for command in ("stats", "search", "runs", "dump"):
        status, lines, stderr = run(command, path, tmp_path)
        assert status == 1 and len(lines) == 1, stderr
        assert "schema 5" in lines[0] and "newscrawl reindex --db" in lines[0]
    assert path.read_bytes() == main_bytes
    status, _, stderr = run("reindex", path, tmp_path)  # a writing command upgrades it
    assert status == 0, stderr
    status, _, stderr = run("stats", path, tmp_path)
    assert status == 0 and "elaph: 1 articles" in run_cli("stats", "--db", str(path)).stdout, stderr


def test_a_read_never_switches_the_journal_mode_or_writes(tmp_path):
    path = tmp_path / "news.db"
    db = open_archive(path)
    store_article(db, article())
    db.close()
    reader = open_archive(path, readonly=True)
    with pytest.raises(sqlite3.OperationalError):
        reader.execute("INSERT INTO archive_meta (key, value) VALUES ('x', 'y')")
    reader.close()


def damaged_copies(tmp_path):
    """A truncated copy and one with a b-tree page overwritten, of an archive
    of 200 articles (the damage is in `sitemaps`, which stats does not read)."""
    path = tmp_path / "news.db"
    db = open_archive(path)
    for n in range(200):
        store_article(db, article(n, body=[f"نص طويل عن العراق رقم {n} " * 40]))
    for n in range(300):
        archive.mark_sitemap_done(db, "elaph", f"https://elaph.com/sitemap-{n}.xml", None)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sitemaps'").fetchone()[0]
    db.close()  # the last connection: checkpointed, no -wal left
    data = path.read_bytes()
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(data[: len(data) // 2])
    garbled = bytearray(data)
    start = (root - 1) * page_size
    garbled[start + 8: start + page_size] = (bytes(range(256)) * ((page_size - 8) // 256)
                                             + b"\xff" * ((page_size - 8) % 256))
    broken = tmp_path / "garbled.db"
    broken.write_bytes(bytes(garbled))
    return truncated, broken


@pytest.mark.parametrize("command", ["stats", "reindex"])
def test_a_damaged_archive_is_one_line_and_not_written(tmp_path, command):
    for path in damaged_copies(tmp_path):
        before = path.read_bytes()
        status, lines, stderr = run(command, path, tmp_path)
        assert status == 1, f"{path.name}: {stderr}"
        assert len(lines) == 1 and "Traceback" not in stderr, stderr
        assert "damaged" in lines[0] or "malformed" in lines[0], lines[0]
        assert path.read_bytes() == before
    assert "is damaged" in run("stats", tmp_path / "garbled.db", tmp_path)[1][0]  # found by quick_check


def test_writing_commands_refuse_a_missing_archive_without_making_files(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for command in ("reindex", "reextract"):
        status, lines, _ = run(command, data / "news.db", tmp_path)
        assert status == 1 and "no archive at" in lines[0]
    assert list(data.iterdir()) == []  # no lock file, no empty database


# Another process tries to take SQLite's SHARED byte range of the file for
# itself: it fails (exit 1) while a connection of ours holds its lock.
_LOCK_PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 510, 0x40000000 + 2)
except OSError:
    sys.exit(1)
"""


def test_recognising_an_archive_keeps_this_processs_locks_on_it(tmp_path):
    """Closing any descriptor of a database file drops every POSIX lock the
    process holds on it: an open()/close() to read the marker made a crawl's
    writer take itself for the last connection and lose committed articles
    with the WAL. Only SQLite opens the file, and SQLite defers that close."""
    path = tmp_path / "news.db"
    db = open_archive(path)
    store_article(db, article())

    def held() -> bool:
        return subprocess.run([sys.executable, "-c", _LOCK_PROBE, str(path)]).returncode == 1

    assert held()
    archive.inspect_file(path)
    archive.check_archive(path)
    open_archive(path, readonly=True).close()
    open_archive(path).close()
    archive.check_integrity(None, path)
    assert held()
    db.close()


@pytest.mark.parametrize("kind", ["sqlite", "not sqlite"])
def test_a_crawl_refuses_a_foreign_archive_file_and_leaves_it_alone(tmp_path, kind):
    from tests.conftest import REPO, crawl_command

    data = tmp_path / "data"
    data.mkdir()
    if kind == "sqlite":
        path = foreign_app_db(data)
    else:
        path = data / "notes.db"
        path.write_bytes(b"name,city\nali,baghdad\n" * 200)
    before = snapshot(data)
    # base_url on a closed port: the refusal must come before any request.
    result = subprocess.run(crawl_command("http://127.0.0.1:9", path), cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "not crawling" in errors[0] and "Traceback" not in result.stderr, result.stderr
    assert snapshot(data) == before  # no lock file, no -wal: nothing made beside it
