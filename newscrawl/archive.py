"""The archive: one SQLite file, read and written through these plain functions.

Rules the functions keep, whoever calls them (crawl pipeline, import, CLI):

- An article is identified by (site, article_id); a comment by
  (site, article_id, comment_key), where the key is the site's comment id
  or, for comments without one, a hash of author, title and text. Each row
  also has an integer ``id`` that never changes (VACUUM renumbers implicit
  rowids, not INTEGER PRIMARY KEYs): the search index refers to rows by it.
- Nothing is stored twice and nothing archived is lost: a changed article or
  comment keeps its previous text in ``article_versions`` /
  ``comment_versions``; comments that vanish from the site stay archived.
- An article and its comments are written in one transaction; the file is in
  WAL mode so readers (Datasette, the CLI) never block the crawler.
- A file is an archive because it says so (PRAGMA application_id, see
  APPLICATION_ID), not because it opens: open_archive refuses any other
  file before touching it, opens read-only without migrating
  (`readonly=True`), and migrates only when opening to write.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Required, TypedDict

import sqlite_utils

from newscrawl.lock import pid_alive
from newscrawl.search.index import ARTICLE_FIELDS, IndexBatch, apply_pending, mark_current, reindex
from newscrawl.text import clean_lines, hyphen_safe_author, one_line, short_hash

READ_MMAP_BYTES = 256 * 1024 * 1024  # memory-mapped I/O for read-only opens (search, export, Datasette-like reads)
# Page cache of a writing connection, in KiB. SQLite's default is 2,000 KiB
# whatever the page size: 125 of our 16 KB pages, fewer than a batch of
# articles touches in the comments table, its two indexes and four FTS5
# indexes. 64 MiB took the store benchmark from 2.73 to 2.31 s (medians of
# 5 interleaved rounds); one writer per archive, so paid once.
WRITE_CACHE_KIB = 65_536
# Pages of a new archive: an article row (3 to 12 KB of text) fits in one
# with room for others, where 4 KB pages (SQLite's default) hold one and
# leave the rest empty or overflow; FTS5 leaves (pgsz) fill a page each.
# On the 2,001-article benchmark site the file is 4 % smaller (2.47 times
# the raw text instead of 2.57), storing and searching no slower
# (docs/benchmarks.md). An archive keeps the page size it was made with.
PAGE_SIZE = 16_384
FTS5_DEFAULT_LEAF = 4050  # bytes: FTS5's pgsz, made for 4 KB pages
FULL_TEXT_TABLES = ("articles_fts", "comments_fts", "articles_search", "comments_search")
SCHEMA_VERSION = 9  # PRAGMA user_version; _MIGRATIONS carries older archives forward

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY,          -- stable row id (the search index is keyed by it)
    site TEXT NOT NULL,
    article_id TEXT NOT NULL,
    url TEXT,
    section TEXT,
    title TEXT NOT NULL,
    subtitle TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,              -- body lines joined with "\\n", as published
    published TEXT,                  -- ISO 8601 with offset
    author TEXT,
    tags TEXT,                       -- JSON list, as the site tags the article
    comment_count INTEGER NOT NULL DEFAULT 0,
    comments_shown INTEGER,          -- the count the page prints about its thread (NULL: it prints none)
    comments_complete INTEGER NOT NULL DEFAULT 1,
    comment_pages INTEGER,           -- pages the thread filled when last fetched
    first_seen TEXT NOT NULL,        -- UTC, ISO 8601
    last_seen TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'crawl',   -- crawl | import
    extraction TEXT,                 -- JSON: how each field was found, what was missing
    sitemap_lastmod TEXT,            -- <lastmod> of its sitemap entry when last fetched
    http_etag TEXT,
    http_last_modified TEXT,
    -- The site's own month and year of publication (the date is stored with
    -- its offset): facets by local time, not by UTC day. Computed, not stored.
    published_month TEXT GENERATED ALWAYS AS (substr(published, 1, 7)) VIRTUAL,
    published_year TEXT GENERATED ALWAYS AS (substr(published, 1, 4)) VIRTUAL,
    UNIQUE (site, article_id)
);
CREATE INDEX IF NOT EXISTS articles_published ON articles (site, published);

CREATE TABLE IF NOT EXISTS article_versions (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    article_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    url TEXT, section TEXT, title TEXT, subtitle TEXT, body TEXT,
    published TEXT, author TEXT, extraction TEXT,
    seen_from TEXT, seen_until TEXT,
    replaced_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS article_versions_article ON article_versions (site, article_id);

CREATE TABLE IF NOT EXISTS comments (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    article_id TEXT NOT NULL,
    article_row INTEGER REFERENCES articles (id),  -- the article's row: a foreign key tools (Datasette) follow
    comment_key TEXT NOT NULL,       -- the site's id, or h:<hash of author, title, text>
    comment_id TEXT,                 -- the site's id when the page shows one
    position INTEGER NOT NULL,       -- thread order, as the pages show it
    parent_key TEXT,                 -- comment_key of the comment this one replies to (NULL: top level or unknown)
    depth INTEGER,                   -- 0 top level, 1 a reply, 2 a reply to a reply ... (NULL: unknown)
    title TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    posted_at TEXT,
    likes INTEGER,                   -- net likes where the site shows them (may be negative); latest seen
    fingerprint TEXT NOT NULL,       -- hash of author, title, text
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    -- UTC: first complete read of its thread without it (moderated, deleted); NULL: shown when last read
    gone_since TEXT,
    posted_month TEXT GENERATED ALWAYS AS (substr(posted_at, 1, 7)) VIRTUAL,  -- in the site's time, as posted_at
    UNIQUE (site, article_id, comment_key)
);
-- One index for a thread's order and for joins to its article (the overview's
-- charts, Datasette's foreign key); a lookup by (site, article_id) uses the
-- UNIQUE index and sorts the thread by position.
CREATE INDEX IF NOT EXISTS comments_article_row ON comments (article_row, position);

CREATE TABLE IF NOT EXISTS comment_versions (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    article_id TEXT NOT NULL,
    comment_key TEXT NOT NULL,
    title TEXT, author TEXT, text TEXT, posted_at TEXT,
    replaced_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS sitemaps (
    site TEXT NOT NULL,
    url TEXT NOT NULL,
    lastmod TEXT,                    -- as the index gave it when last read in full
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (site, url)
);

-- Exact-form full-text search, as sqlite-utils and Datasette make it:
-- external content (no copy of the text). The store writes the rows of
-- what it inserts itself, a batch at a time (an AFTER INSERT trigger per row
-- would make FTS5 flush its pending terms at every row); the triggers keep
-- the index right when any tool edits or deletes a row. Rows another tool
-- inserts are indexed by `newscrawl reindex`.
-- `sqlite-utils search archive.db articles WORD`.
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, subtitle, body, content="articles", content_rowid="id"
);
CREATE TRIGGER IF NOT EXISTS articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, subtitle, body)
    VALUES ('delete', old.id, old.title, old.subtitle, old.body);
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_update AFTER UPDATE OF title, subtitle, body ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, subtitle, body)
    VALUES ('delete', old.id, old.title, old.subtitle, old.body);
    INSERT INTO articles_fts (rowid, title, subtitle, body) VALUES (new.id, new.title, new.subtitle, new.body);
END;
CREATE VIRTUAL TABLE IF NOT EXISTS comments_fts USING fts5(
    title, author, text, content="comments", content_rowid="id"
);
CREATE TRIGGER IF NOT EXISTS comments_fts_delete AFTER DELETE ON comments BEGIN
    INSERT INTO comments_fts (comments_fts, rowid, title, author, text)
    VALUES ('delete', old.id, old.title, old.author, old.text);
END;
CREATE TRIGGER IF NOT EXISTS comments_fts_update AFTER UPDATE OF title, author, text ON comments BEGIN
    INSERT INTO comments_fts (comments_fts, rowid, title, author, text)
    VALUES ('delete', old.id, old.title, old.author, old.text);
    INSERT INTO comments_fts (rowid, title, author, text) VALUES (new.id, new.title, new.author, new.text);
END;

-- Arabic-aware search (newscrawl/search): the same fields, normalized and
-- light-stemmed (newscrawl.search.arabic.index_text), rowid = articles.id /
-- comments.id. Contentless: the normalized text is not kept (snippets are
-- cut from the published text), so removing a row's terms needs the values
-- it was indexed with. Written by the store with each batch; rebuilt by
-- `newscrawl reindex`.
-- Tokenizer "ascii": index_text has already split, folded and stemmed the
-- text into terms separated by spaces, in their final form
-- (newscrawl.search.arabic._tokenizer_folds); unicode61 would read every
-- character again (a third of the cost of writing this index).
CREATE VIRTUAL TABLE IF NOT EXISTS articles_search USING fts5(title, subtitle, body, content='', tokenize='ascii');
CREATE VIRTUAL TABLE IF NOT EXISTS comments_search USING fts5(title, author, text, content='', tokenize='ascii');
-- SQL cannot normalize, so an edit or a deletion (by the store or any other
-- tool) leaves the row's old text here; the next store or reindex takes its
-- old terms out of the index and indexes the row as it is now
-- (newscrawl.search.index.apply_pending). Until then a search may still
-- find an edited row by its old words (never a deleted one: hits are joined
-- to their rows).
CREATE TABLE IF NOT EXISTS search_pending (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,            -- articles | comments
    row_id INTEGER NOT NULL,
    f1 TEXT, f2 TEXT, f3 TEXT        -- title, subtitle, body | title, author, text: as they were
);
CREATE TRIGGER IF NOT EXISTS articles_search_update AFTER UPDATE OF title, subtitle, body ON articles BEGIN
    INSERT INTO search_pending (source, row_id, f1, f2, f3)
    VALUES ('articles', old.id, old.title, old.subtitle, old.body);
END;
CREATE TRIGGER IF NOT EXISTS articles_search_delete AFTER DELETE ON articles BEGIN
    INSERT INTO search_pending (source, row_id, f1, f2, f3)
    VALUES ('articles', old.id, old.title, old.subtitle, old.body);
END;
CREATE TRIGGER IF NOT EXISTS comments_search_update AFTER UPDATE OF title, author, text ON comments BEGIN
    INSERT INTO search_pending (source, row_id, f1, f2, f3)
    VALUES ('comments', old.id, old.title, old.author, old.text);
END;
CREATE TRIGGER IF NOT EXISTS comments_search_delete AFTER DELETE ON comments BEGIN
    INSERT INTO search_pending (source, row_id, f1, f2, f3)
    VALUES ('comments', old.id, old.title, old.author, old.text);
END;

CREATE TABLE IF NOT EXISTS archive_meta (
    key TEXT PRIMARY KEY,
    value TEXT
);

CREATE TABLE IF NOT EXISTS crawl_runs (
    id INTEGER PRIMARY KEY,
    spider TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,            -- running | finished | failed | killed | ...
    finish_reason TEXT,
    pid INTEGER,
    host TEXT,
    args TEXT,                       -- JSON: spider arguments
    stats TEXT,                      -- JSON: Scrapy stats at the end
    coverage TEXT,                   -- JSON: share of article pages where each field was found
    verdict TEXT                     -- ok | ok, but ... | template changed: ... | blocked by the site | failed (...)
);
"""


class ArchiveError(Exception):
    """A problem with the archive file itself (missing, not SQLite, read-only)."""


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def utc_stamp(text: str | None) -> str | None:
    """An ISO 8601 time (a WARC-Date, an item's fetched_at) in the form the
    archive writes its own times, utcnow's: UTC, to the second. A time
    without offset is UTC; None for anything else."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


# The marker of a newscrawl archive: PRAGMA application_id, four bytes at
# offset 68 of the file header ("NCRW"), set when an archive is made and
# added by the first writing open of an archive made before it existed.
# `file news.db` and `sqlite3 news.db 'PRAGMA application_id'` show it.
APPLICATION_ID = 0x4E435257  # "NCRW"; PRAGMA application_id is a signed 32-bit integer
# What an archive made before the marker holds (every schema from 1 on): with a
# user_version newscrawl knows, these tables and columns make a file ours.
_LEGACY_SIGNATURE = {
    "articles": {"site", "article_id", "title", "body", "content_hash", "first_seen", "last_changed"},
    "comments": {"site", "article_id", "comment_key", "fingerprint", "position"},
}


def open_archive(path: str | os.PathLike, *, create: bool = True, readonly: bool = False) -> sqlite_utils.Database:
    """Open the archive at `path`.

    For writing (the default): with `create`, a missing or empty file becomes
    a new archive; an archive of an older schema is migrated and an archive
    made before the marker gets it; the file is switched to WAL mode.

    With `readonly`: nothing is written, ever. The connection is SQLite's
    read-only mode (`mode=ro`), nothing is migrated, the journal mode is left
    alone; an archive of an older schema is refused with the writing command
    that upgrades it. (In WAL mode SQLite may leave empty -wal/-shm files
    beside an archive after a read-only connection; never beside a file
    that is not an archive.)

    Either way a file that is not a newscrawl archive (another application's
    SQLite database, a non-empty file that is not SQLite) is refused with an
    ArchiveError before anything touches it: it stays byte for byte as it was.
    """
    path = Path(path)
    if readonly:
        create = False
    kind, version = check_archive(path, create=create)
    if kind == "empty":
        path.parent.mkdir(parents=True, exist_ok=True)
    if readonly:
        return _open_readonly(path, version)
    return _open_for_writing(path, kind)


def _open_readonly(path: Path, version: int) -> sqlite_utils.Database:
    if version < SCHEMA_VERSION:
        raise ArchiveError(f"{path} is an archive of schema {version} (this newscrawl reads {SCHEMA_VERSION}): "
                           f"run a writing command once to upgrade it, e.g. newscrawl reindex --db {path}")
    try:
        db = sqlite_utils.Database(sqlite3.connect(_uri(path, "ro"), uri=True, timeout=60))
        db.execute("PRAGMA busy_timeout = 60000")
        db.execute("PRAGMA query_only = ON")
        # Reads through the page cache without copying: a search at
        # 100,000 articles spent a tenth of its time copying pages.
        db.execute(f"PRAGMA mmap_size = {READ_MMAP_BYTES}")
        return db
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"{path} is not a usable SQLite archive: {exc}") from None


def _open_for_writing(path: Path, kind: str) -> sqlite_utils.Database:
    """Open, migrate or create (`kind` "empty"), mark, and switch to WAL."""
    try:
        conn = sqlite3.connect(str(path), timeout=60)
        db = sqlite_utils.Database(conn)
        db.execute("PRAGMA busy_timeout = 60000")
        marked = db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        # As it is now (another writer may have made or upgraded it since it was inspected).
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if kind == "empty" and marked:
            kind = "archive"
        if version > SCHEMA_VERSION:
            raise ArchiveError(f"{path} was written by a newer newscrawl (schema {version} > {SCHEMA_VERSION})")
        if version < SCHEMA_VERSION or not marked:
            if kind == "empty":
                db.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # only before the first table, and before WAL
            db.enable_wal()
            with db.atomic():
                if kind != "empty":
                    for step in range(version, SCHEMA_VERSION):
                        _MIGRATIONS[step](db)
                _create_schema(db)
                if kind == "empty":
                    _size_fts_leaves(db)
                    mark_current(db)
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("PRAGMA synchronous = NORMAL")  # safe in WAL: no corruption on crash
        db.execute(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
        return db
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"{path} is not a usable SQLite archive: {exc}") from None


def check_archive(path: str | os.PathLike, *, create: bool = False) -> tuple[str, int]:
    """What open_archive checks before it opens: ("archive", schema), or
    ("empty", 0) for a missing or empty file when `create` allows making an
    archive there; ArchiveError otherwise. Reads at most the file itself;
    a writing command calls it before it takes the lock beside the file."""
    path = Path(path)
    if not path.exists():
        if not create:
            raise ArchiveError(f"no archive at {path}")
        return "empty", 0
    if path.is_dir():
        raise ArchiveError(f"{path} is a folder, not an archive file")
    kind, version = inspect_file(path)
    if kind == "empty" and not create:
        raise ArchiveError(f"{path} is an empty file, not a newscrawl archive "
                           "(a crawl or `newscrawl import` makes one)")
    if version > SCHEMA_VERSION:
        raise ArchiveError(f"{path} was written by a newer newscrawl (schema {version} > {SCHEMA_VERSION})")
    return kind, version


def _uri(path: Path, mode: str, **options) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"mode": mode, **options}.items())
    return f"file:{urllib.parse.quote(str(path.resolve()))}?{query}"


def inspect_file(path: str | os.PathLike) -> tuple[str, int]:
    """What the file at `path` is, without changing a byte of it or making a
    file beside it: ("archive", schema) for a newscrawl archive (marked, or
    made before the marker: our tables and a user_version we know),
    ("empty", 0) for an empty file or a SQLite database with nothing in it.
    Anything else raises ArchiveError saying what the file is."""
    path = Path(path)
    if path.stat().st_size == 0:
        return "empty", 0
    # Only SQLite opens the file, never open()/close() here: closing any
    # descriptor of a database file drops every POSIX lock this process holds
    # on it (SQLite's own connections included, which then look gone to a
    # writer in another process, which may then delete the WAL under them).
    # SQLite's VFS defers such a close while its locks are held.
    #
    # Without a -wal file the main file is the whole database: read it as an
    # immutable file (no locks, no -shm made). With one, another connection
    # may be writing: an ordinary read-only connection sees its work.
    wal = Path(f"{path}-wal").exists()
    try:
        conn = sqlite3.connect(_uri(path, "ro") if wal else _uri(path, "ro", immutable=1), uri=True, timeout=60)
    except sqlite3.Error as exc:
        raise ArchiveError(f"{path} is not a usable SQLite archive: {exc}") from None
    try:
        conn.execute("PRAGMA busy_timeout = 60000")
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id == APPLICATION_ID:
            return "archive", version
        names = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        tables = {name: {c for (c,) in conn.execute("SELECT name FROM pragma_table_info(?)", [name])}
                  for name in names if name in _LEGACY_SIGNATURE}
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(f"{path} is not a usable SQLite archive: {exc}") from None
    finally:
        conn.close()
    if app_id == 0 and version == 0 and not names:
        return "empty", 0
    legacy = 1 <= version <= SCHEMA_VERSION and all(
        columns <= tables.get(table, set()) for table, columns in _LEGACY_SIGNATURE.items())
    if app_id == 0 and legacy:
        return "archive", version
    what = f"application_id {app_id:#x}" if app_id else (
        "an articles table" if "articles" in tables else f"{len(names)} table{'s' if len(names) != 1 else ''}")
    raise ArchiveError(f"{path} is a SQLite database newscrawl did not make ({what}, no newscrawl marker); "
                       "it is left as it is: point the command at an archive")


def check_integrity(db, path: str | os.PathLike) -> None:
    """Raise ArchiveError if SQLite finds the file damaged (PRAGMA quick_check:
    every page and index entry read, in time proportional to the file).
    `db` None: on a read-only connection of its own."""
    conn = None
    try:
        if db is None:
            conn = sqlite3.connect(_uri(Path(path), "ro"), uri=True, timeout=60)
            conn.execute("PRAGMA busy_timeout = 60000")
        problems = [row[0] for row in (conn or db).execute("PRAGMA quick_check(5)").fetchall()]
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    finally:
        if conn is not None:
            conn.close()
    if problems != ["ok"]:
        # A problem may be several lines ("*** in database main ***" first): name the first real one.
        first = next((line for p in problems for line in p.splitlines() if not line.startswith("***")), problems[0])
        raise ArchiveError(f"{path} is damaged ({first}); restore it from a backup, "
                           f"or save what is readable with: sqlite3 {path} .recover")


def _statements(script: str):
    """The statements of `script` (a trigger's body holds ';' too)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            yield statement
            statement = ""


def _create_schema(db) -> None:
    for statement in _statements(SCHEMA):
        db.execute(statement)


def _size_fts_leaves(db, tables: tuple[str, ...] = FULL_TEXT_TABLES) -> None:
    """Leaves of every full-text index as large as a page holds (FTS5's
    default, 4,050 bytes, is made for 4 KB pages). Kept in each index's
    config, so `newscrawl reindex` and every later segment use it."""
    # From the page size the file has: PRAGMA page_size does nothing to a
    # file that already had a header, and leaves larger than a page overflow.
    leaf = db.execute("PRAGMA page_size").fetchone()[0] - 384
    if leaf <= FTS5_DEFAULT_LEAF:
        return
    for table in tables:
        db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('pgsz', {leaf})")


def _rebuild_tables(db, tables: tuple[str, ...]) -> None:
    """Recreate `tables` with the current schema, copying every column the
    old and new layouts share (SQLite cannot add a primary key in place)."""
    for table in tables:
        db.execute(f"ALTER TABLE {table} RENAME TO {table}_old")
    _create_schema(db)  # the new tables (their indexes still carry the old tables' names)
    for table in tables:
        shared = [c for c in db[f"{table}_old"].columns_dict if c in db[table].columns_dict]
        columns = ", ".join(shared)
        db.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}_old")
        db.execute(f"DROP TABLE {table}_old")  # and its indexes; _create_schema makes them anew


def _v1_to_v2(db) -> None:
    """v2: stable integer ids on articles and comments (the search index is keyed by them)."""
    _rebuild_tables(db, ("articles", "comments"))


def _v2_to_v3(db) -> None:
    """v3: full-text search, exact (articles_fts, comments_fts) and Arabic-aware (*_search)."""
    _create_schema(db)
    reindex(db)


def _v3_to_v4(db) -> None:
    """v4: how many pages each comment thread filled (decides whether a 304 can be
    trusted); each run's field coverage and verdict."""
    if "comment_pages" not in db["articles"].columns_dict:
        db.execute("ALTER TABLE articles ADD COLUMN comment_pages INTEGER")
    for column in ("coverage", "verdict"):
        if column not in db["crawl_runs"].columns_dict:
            db.execute(f"ALTER TABLE crawl_runs ADD COLUMN {column} TEXT")


def _v4_to_v5(db) -> None:
    """v5: tags of articles, likes of comments (Hespress shows both)."""
    for table, column, kind in (("articles", "tags", "TEXT"), ("comments", "likes", "INTEGER")):
        if column not in db[table].columns_dict:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def _v5_to_v6(db) -> None:
    """v6: who replied to whom (parent_key, depth) and the count a page prints
    about its thread (comments_shown). Older rows keep NULL: unknown, not top level."""
    for table, column, kind in (("comments", "parent_key", "TEXT"), ("comments", "depth", "INTEGER"),
                                ("articles", "comments_shown", "INTEGER")):
        if column not in db[table].columns_dict:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")


def _v6_to_v7(db) -> None:
    """v7: comments that vanished from their thread (gone_since; older rows
    keep NULL: shown when last read, as far as anyone knew), a foreign key
    from each comment to its article's row (article_row), and the site's
    own month and year of each date (computed columns, for facets)."""
    if "gone_since" not in db["comments"].columns_dict:
        db.execute("ALTER TABLE comments ADD COLUMN gone_since TEXT")
    if "article_row" not in db["comments"].columns_dict:
        db.execute("ALTER TABLE comments ADD COLUMN article_row INTEGER REFERENCES articles (id)")
    # Months and years in the site's own time, for facets (computed columns).
    for table, column, source, length in (("articles", "published_month", "published", 7),
                                          ("articles", "published_year", "published", 4),
                                          ("comments", "posted_month", "posted_at", 7)):
        if column not in _all_columns(db, table):
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT "
                       f"GENERATED ALWAYS AS (substr({source}, 1, {length})) VIRTUAL")
    # Also for tables an earlier step rebuilt with the current schema (v1 -> v2).
    db.execute("UPDATE comments SET article_row = (SELECT a.id FROM articles a "
               "WHERE a.site = comments.site AND a.article_id = comments.article_id) WHERE article_row IS NULL")


def _v7_to_v8(db) -> None:
    """v8: the normalized search index is contentless (it kept a second copy
    of every text, 39 % of the file), edits reach it through search_pending,
    and the store writes the full-text rows of what it inserts itself (no
    per-row insert triggers); one comments index, by article row and thread
    position, where there were two. The normalized index is rebuilt; the space its
    copy took is free pages until a VACUUM (`sqlite3 news.db VACUUM`)."""
    # The thread order by article row replaces the index by (site, article_id, position).
    db.execute("DROP INDEX IF EXISTS comments_thread")
    if [row[2] for row in db.execute("PRAGMA index_info(comments_article_row)")] == ["article_row"]:
        db.execute("DROP INDEX comments_article_row")
    for trigger in ("articles_fts_insert", "comments_fts_insert", "articles_search_delete", "comments_search_delete"):
        db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for table in ("articles_search", "comments_search"):
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", [table]).fetchone()
        if sql and "content=''" not in sql[0]:
            db.execute(f"DROP TABLE {table}")
    _create_schema(db)
    reindex(db)


def _v8_to_v9(db) -> None:
    """v9: the normalized index's tokenizer is "ascii" (index_text hands it
    terms in their final form); the index holds the same terms as before. Rebuilt."""
    rebuilt = []
    for table in ("articles_search", "comments_search"):
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", [table]).fetchone()
        if sql and "tokenize='ascii'" not in sql[0]:
            db.execute(f"DROP TABLE {table}")
            rebuilt.append(table)
    _create_schema(db)
    if rebuilt:
        _size_fts_leaves(db, tuple(rebuilt))
        reindex(db)


def _all_columns(db, table: str) -> set[str]:
    """Every column, computed ones too (PRAGMA table_info leaves those out)."""
    return {row[1] for row in db.execute(f"SELECT * FROM pragma_table_xinfo('{table}')").fetchall()}


_MIGRATIONS = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4, 4: _v4_to_v5, 5: _v5_to_v6, 6: _v6_to_v7, 7: _v7_to_v8,
               8: _v8_to_v9}


# --- storing ---------------------------------------------------------------

CONTENT_FIELDS = ("title", "subtitle", "body", "author", "published")


def content_hash(row: dict) -> str:
    return short_hash(*(row.get(name) or "" for name in CONTENT_FIELDS))


def comment_fingerprint(comment: dict) -> str:
    # The author as a dump writes it, so that a comment read back from a dump
    # (where " -" in an author becomes " \u2010") is the same comment.
    author = hyphen_safe_author(comment.get("author") or "")
    return short_hash(author, comment.get("title") or "", comment.get("text") or "")


class CommentRecord(TypedDict, total=False):
    """One comment as the store takes it (in thread order, as the page shows it)."""

    comment_id: str | int | None  # the site's id, if the page shows one
    title: str
    author: str
    text: str
    posted_at: str | None  # ISO 8601 with offset
    likes: int | None
    parent: int | None  # index in the same list of the comment replied to; None: top level
    depth: int | None  # 0 top level; None: unknown (a dump)


class ArticleRecord(TypedDict, total=False):
    """What the store takes: newscrawl.items.ArticleItem as a dict (a crawl,
    reextract, the drain), or a parsed dump (import). Absent or None means
    "not known": an existing article keeps what it had for that field."""

    site: Required[str]
    article_id: Required[str]
    url: str | None
    section: str | None
    title: str
    subtitle: str
    body: list[str] | str  # lines, or the lines joined with "\n"
    published: str | None
    author: str | None
    tags: list[str]
    comments: list[CommentRecord]
    comments_complete: bool  # every page of the thread was read (only a crawl knows)
    thread_whole: bool  # and not cut at a page limit: comments not seen may be marked gone
    comments_shown: int | None  # the count the page prints
    comment_pages: int
    extraction: dict  # how each field was found
    source: str  # crawl | import
    fetched_at: str | None  # when the page was fetched: a comment not shown then is gone since
    sitemap_lastmod: str | None
    http: dict  # etag, last_modified


@dataclass
class StoreResult:
    status: str  # new | updated | unchanged | kept (a fallback extraction did not replace the profile's)
    comments_new: int = 0
    comments_updated: int = 0
    comments_total: int = 0
    comments_gone: int = 0  # archived comments this read of the thread no longer shows
    comments_back: int = 0  # comments marked gone that it shows again
    changed_fields: list[str] = field(default_factory=list)


def _article_row(article: dict, existing: dict | None) -> dict:
    """The row to write: given fields, and the existing value for fields the
    source does not know (None), such as the date of an imported dump."""
    body = article.get("body")
    if isinstance(body, (list, tuple)):
        body = "\n".join(clean_lines(body))
    row = {
        "url": article.get("url"),
        "section": article.get("section"),
        "title": one_line(article.get("title")),
        "subtitle": one_line(article.get("subtitle")),
        "body": body or "",
        "published": article.get("published"),
        "author": None if article.get("author") is None else one_line(article.get("author")),
    }
    if existing:
        for name, value in row.items():
            if value is None:
                row[name] = existing.get(name)
    return row


# Errors that are the archive's, not one article's: a full disk, a read-only
# or locked file, an I/O error, a corrupt page. Every other article would fail
# alike, so the whole batch fails with it (and the crawl stops).
_ARCHIVE_FAULTS = (sqlite3.OperationalError,)


def _archive_fault(exc: BaseException) -> bool:
    return isinstance(exc, _ARCHIVE_FAULTS) or type(exc) is sqlite3.DatabaseError


def store_articles(db: sqlite_utils.Database, articles: list[ArticleRecord], *,
                   now: str | None = None) -> list[StoreResult | Exception]:
    """Store a batch of articles with their comments in one transaction.

    Returns, in order, each article's StoreResult, or the exception that
    article raised: an article that cannot be stored (a value the archive
    refuses, a bug its data exposes) is set aside and the others are stored
    without it (the transaction is rolled back and run again). An error of
    the archive itself (`_archive_fault`) is raised, and nothing of the
    batch is stored.

    One transaction for many articles is what makes storing fast: the full-
    text rows of the whole batch go in with one statement per index, and
    SQLite commits (and syncs) once.
    """
    now = now or utcnow()
    results: list[StoreResult | Exception | None] = [None] * len(articles)
    todo = list(range(len(articles)))
    while todo:
        stored: dict[int, StoreResult] = {}
        current = None
        try:
            with _write_transaction(db):
                batch = _Batch.start(db)
                for current in todo:
                    stored[current] = _store_one(db, articles[current], now, batch)
                current = None  # past the articles: what fails now is the batch's
                batch.index.write(db)
                apply_pending(db)
        except Exception as exc:
            if current is None or _archive_fault(exc):
                raise
            results[current] = exc
            todo.remove(current)
            continue
        for position, result in stored.items():
            results[position] = result
        break
    return results  # type: ignore[return-value]


@contextmanager
def _write_transaction(db):
    """BEGIN IMMEDIATE: the write lock from the start, so that the row ids
    read at the start of a batch stay free (and a reader never has to be
    upgraded to a writer midway, which WAL refuses when another wrote)."""
    if db.conn.in_transaction:  # the caller's transaction: a savepoint within it
        with db.atomic():
            yield
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


@dataclass
class _Batch:
    """What the articles of one transaction share: the full-text rows to
    write at its end, and the next free row ids (given here, so that a
    thread's comments go in with one statement)."""

    index: IndexBatch
    next_article: int
    next_comment: int

    @classmethod
    def start(cls, db) -> _Batch:
        last = db.conn.execute("SELECT (SELECT max(id) FROM articles), (SELECT max(id) FROM comments)").fetchone()
        return cls(IndexBatch(), (last[0] or 0) + 1, (last[1] or 0) + 1)

    def article_id(self) -> int:
        self.next_article += 1
        return self.next_article - 1

    def comment_id(self) -> int:
        self.next_comment += 1
        return self.next_comment - 1


def store_article(db: sqlite_utils.Database, article: ArticleRecord, *, now: str | None = None) -> StoreResult:
    """Insert or update one article with its comments, in one transaction
    (a batch of one; raises what the article raised). See ArticleRecord."""
    result = store_articles(db, [article], now=now)[0]
    if isinstance(result, Exception):
        raise result
    return result


def seen_at(article: dict, now: str) -> str:
    """When the page that gave `article` was fetched, in the archive's form
    (UTC, to the second): its `fetched_at` (a re-extraction replays a page
    of that time), else `now`; never later than now."""
    fetched = utc_stamp(article.get("fetched_at"))
    return min(fetched, now) if fetched else now


def _later(seen: str, before: str | None) -> str:
    """last_seen: the latest fetch that showed it. A re-extraction of an
    older capture does not move it back, nor forward to the time it ran."""
    return before if before and before > seen else seen


def _store_one(db: sqlite_utils.Database, article: ArticleRecord, now: str, batch: _Batch) -> StoreResult:
    site, article_id = article["site"], str(article["article_id"])
    existing = next(
        db.query("SELECT * FROM articles WHERE site = ? AND article_id = ?", [site, article_id]),
        None,
    )
    row = _article_row(article, existing)
    row["content_hash"] = content_hash(row)
    http = article.get("http") or {}
    seen = seen_at(article, now)
    bookkeeping = {
        "last_seen": _later(seen, (existing or {}).get("last_seen")),
        "extraction": json.dumps(article.get("extraction") or {}, ensure_ascii=False, sort_keys=True),
        # Only a crawl knows whether it read the whole thread; an import keeps what was known.
        "comments_complete": int(article.get("comments_complete", (existing or {}).get("comments_complete", 1))),
        "comment_pages": article.get("comment_pages") or (existing or {}).get("comment_pages"),
        "sitemap_lastmod": article.get("sitemap_lastmod") or (existing or {}).get("sitemap_lastmod"),
        "tags": (json.dumps(article["tags"], ensure_ascii=False) if article.get("tags")
                 else (existing or {}).get("tags")),
        "http_etag": http.get("etag") or (existing or {}).get("http_etag"),
        "http_last_modified": http.get("last_modified") or (existing or {}).get("http_last_modified"),
    }
    if existing is None:
        return _insert_article(db, article, row, bookkeeping, now, seen, batch)
    elif _fallback_over_profile(existing, article):
        # The profile read this article before; now only a fallback did (a
        # template change): keep the text we have rather than a worse one.
        result = StoreResult("kept")
        # Not the validators or <lastmod> of the page that was not read:
        # a real edit made meanwhile must still look new next time.
        kept = ("last_seen", "comments_complete", "comment_pages")
        db.execute(
            "UPDATE articles SET " + ", ".join(f"{name} = :{name}" for name in kept)
            + " WHERE site = :site AND article_id = :article_id",
            {**{name: bookkeeping[name] for name in kept}, "site": site, "article_id": article_id},
        )
    elif existing["content_hash"] != row["content_hash"]:
        result = StoreResult(
            "updated",
            changed_fields=[n for n in CONTENT_FIELDS if (existing.get(n) or "") != (row.get(n) or "")],
        )
        _keep_article_version(db, existing, now)
        if batch.index.holds("articles", existing["id"]):
            batch.index.write(db)  # the exact index's update trigger takes out what it holds
        db.execute(
            "UPDATE articles SET "
            + ", ".join(f"{name} = :{name}" for name in (*row, *bookkeeping, "last_changed"))
            + " WHERE site = :site AND article_id = :article_id",
            {**row, **bookkeeping, "last_changed": now, "site": site, "article_id": article_id},
        )
    else:
        result = StoreResult("unchanged")
        # Same text; keep the freshest URL, section and bookkeeping.
        db.execute(
            "UPDATE articles SET url = :url, section = :section, "
            + ", ".join(f"{name} = :{name}" for name in bookkeeping)
            + " WHERE site = :site AND article_id = :article_id",
            {**bookkeeping, "url": row["url"], "section": row["section"], "site": site, "article_id": article_id},
        )
    _merge_comments(db, article, existing["id"], now, seen, result, batch,
                    whole_thread=_whole_thread(article, bookkeeping))
    db.execute(
        "UPDATE articles SET comment_count = ?, comments_shown = ? WHERE id = ?",
        [result.comments_total, _comments_shown(article, existing), existing["id"]],
    )
    return result


def _insert_article(db, article: dict, row: dict, bookkeeping: dict, now: str, seen: str,
                    batch: _Batch) -> StoreResult:
    """A new article: its comments first (no stored thread to read), then
    its row with their count, in two statements and no query."""
    result = StoreResult("new")
    row_id = batch.article_id()
    _merge_comments(db, article, row_id, now, seen, result, batch, whole_thread=False, stored=[])
    values = {
        "id": row_id,
        "site": article["site"],
        "article_id": str(article["article_id"]),
        **row,
        **bookkeeping,
        "first_seen": now,
        "last_changed": now,
        "source": article.get("source") or "crawl",
        "comment_count": result.comments_total,
        "comments_shown": _comments_shown(article, None),
    }
    # Plain SQL: Table.insert() inspects the table on every call.
    db.execute(f"INSERT INTO articles ({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})", values)
    batch.index.add("articles", row_id, tuple(row[name] for name in ARTICLE_FIELDS))
    return result


def _whole_thread(article: dict, bookkeeping: dict) -> bool:
    """Only a crawl's complete read of the thread can say a comment is no
    longer shown: a dump, or a thread with a page missing, may hold fewer."""
    return ((article.get("source") or "crawl") == "crawl" and bool(bookkeeping["comments_complete"])
            and article.get("thread_whole", True))


def _comments_shown(article: dict, existing: dict | None):
    """The count the page prints: a crawl reports it (None: the page prints
    none); an import does not know it and keeps what was known."""
    return article["comments_shown"] if "comments_shown" in article else (existing or {}).get("comments_shown")


def _fallback_over_profile(existing: dict, article: dict) -> bool:
    before = json.loads(existing.get("extraction") or "{}").get("body")
    now = (article.get("extraction") or {}).get("body")
    return before == "profile" and now not in (None, "profile")


def _keep_article_version(db, existing: dict, now: str) -> None:
    db["article_versions"].insert(
        {
            "site": existing["site"],
            "article_id": existing["article_id"],
            "content_hash": existing["content_hash"],
            **{k: existing.get(k)
               for k in ("url", "section", "title", "subtitle", "body", "published", "author", "extraction")},
            "seen_from": existing["last_changed"],
            "seen_until": existing["last_seen"],
            "replaced_at": now,
        }
    )


def _merge_comments(db, article: dict, article_row: int, now: str, seen: str, result: StoreResult, batch: _Batch,
                    *, whole_thread: bool = False, stored: list[dict] | None = None) -> None:
    """Add the comments not yet stored; update (keeping the old text) the
    ones the site edited; never delete. With `whole_thread` (a crawl read
    every page of it), archived comments it no longer shows get gone_since
    (when the page was fetched), and those shown again lose it. `stored`:
    the archived thread, when the caller knows it (none for a new article)."""
    site, article_id = article["site"], str(article["article_id"])
    comments = article.get("comments") or []
    if stored is None:
        # By (site, article_id), not article_row: a row another tool added may lack it.
        stored = _rows(db, f"SELECT {_MATCHED_COLUMNS} FROM comments WHERE site = ? AND article_id = ? "
                       "ORDER BY position", [site, article_id])
    # Stored comments by site id and by fingerprint, in thread order; an
    # incoming comment takes the first one not matched yet, so repeats (the
    # same text twice, or a site showing one id twice) match one to one.
    by_site_id: dict[str, list[dict]] = defaultdict(list)
    by_fingerprint: dict[str, list[dict]] = defaultdict(list)
    for c in stored:
        if c["comment_id"]:
            by_site_id[c["comment_id"]].append(c)
        by_fingerprint[c["fingerprint"]].append(c)
    keys = {c["comment_key"] for c in stored}
    matched: set[str] = set()
    next_position = max((c["position"] for c in stored), default=-1) + 1
    # The key each incoming comment got, so a reply (whose "parent" is the
    # index of an earlier comment in `comments`) can name its parent's key.
    keys_in_order: list[str] = []
    new_rows: list[tuple] = []
    # (seen, id): matched comments with nothing else to change. `seen`: when
    # the page was fetched (a re-extracted one when it was captured, not now).
    seen_again: list[tuple] = []

    for incoming in comments:
        parent_key = _parent_key(incoming.get("parent"), keys_in_order)
        depth = incoming.get("depth")
        comment = {
            "title": one_line(incoming.get("title")),
            "author": one_line(incoming.get("author")),
            "text": one_line(incoming.get("text")),
        }
        fingerprint = comment_fingerprint(comment)
        site_id = incoming.get("comment_id")
        site_id = str(site_id) if site_id not in (None, "") else None
        found = _match(site_id, fingerprint, by_site_id, by_fingerprint, matched) if stored else None
        if found is None:
            key = _new_comment_key(site_id, fingerprint, keys)
            keys.add(key)
            matched.add(key)
            keys_in_order.append(key)
            row_id = batch.comment_id()
            new_rows.append((row_id, site, article_id, article_row, key, site_id, next_position, comment["title"],
                             comment["author"], comment["text"], incoming.get("posted_at"), incoming.get("likes"),
                             parent_key, depth, fingerprint, now, seen))
            batch.index.add("comments", row_id, (comment["title"], comment["author"], comment["text"]))
            next_position += 1
            result.comments_new += 1
            continue
        matched.add(found["comment_key"])
        keys_in_order.append(found["comment_key"])
        updates = _comment_updates(found, incoming, site_id, parent_key, depth, result)
        if found["fingerprint"] != fingerprint:
            replaced = _rows(db, "SELECT title, author, text FROM comments WHERE id = ?", [found["id"]])[0]
            db["comment_versions"].insert(
                {
                    "site": site,
                    "article_id": article_id,
                    "comment_key": found["comment_key"],
                    **{k: replaced[k] for k in ("title", "author", "text")},
                    "posted_at": found["posted_at"],
                    "replaced_at": now,
                }
            )
            updates.update(comment, fingerprint=fingerprint)
            if batch.index.holds("comments", found["id"]):
                batch.index.write(db)  # as for articles: the update trigger takes out what the index holds
            result.comments_updated += 1
        if not updates:
            _note_seen(seen_again, found, seen)
            continue
        db.execute(
            "UPDATE comments SET last_seen = :last_seen, " + ", ".join(f"{k} = :{k}" for k in updates)
            + " WHERE id = :id",
            {**updates, "last_seen": _later(seen, found["last_seen"]), "id": found["id"]},
        )
    # Plain SQL, one statement for the thread's new comments (Table.insert()
    # inspects the table on every call, and a thread is many rows).
    if new_rows:
        db.conn.executemany(_INSERT_COMMENT, new_rows)
    if seen_again:
        db.conn.executemany("UPDATE comments SET last_seen = ? WHERE id = ?", seen_again)
    # An empty read marks nothing gone: a thread emptied at once is far more
    # often a page the profile no longer reads than a site deleting every comment.
    if whole_thread and comments:
        when = article.get("fetched_at") or now
        # Not a comment seen after this page was fetched (a re-extraction of
        # an older capture): the page of that time could not show it.
        _mark_gone(db, [c for c in stored if c["comment_key"] not in matched
                        and c["gone_since"] is None and c["last_seen"] <= when], when, result)
    result.comments_total = len(keys)


# What matching a thread read again against the archived one needs of each
# archived comment: not its text (most of the row), read only for a comment
# whose text changed (its old version is kept).
_MATCHED_COLUMNS = ("id, comment_key, comment_id, fingerprint, position, gone_since, last_seen, depth, "
                    "parent_key, posted_at, likes")


def _rows(db, sql: str, params) -> list[sqlite3.Row]:
    """The rows of a query, read by name (row["text"]): sqlite3.Row, built in
    C, where db.query() builds a dict per row in Python (a thread read back
    for every article a crawl or a re-extraction stores)."""
    cursor = db.conn.cursor()
    cursor.row_factory = sqlite3.Row
    return cursor.execute(sql, params).fetchall()


def _note_seen(seen_again: list[tuple], found, seen: str) -> None:
    """A matched comment with nothing else to change gets `seen` as its
    last_seen, if later (_later): an older capture read again writes nothing."""
    if _later(seen, found["last_seen"]) != found["last_seen"]:
        seen_again.append((seen, found["id"]))


def _comment_updates(found: dict, incoming: dict, site_id: str | None, parent_key: str | None, depth,
                     result: StoreResult) -> dict:
    """What a new read of an archived comment changes, besides its text."""
    updates = {}
    if found["gone_since"] is not None:
        updates["gone_since"] = None  # back (moderation lifted, a page that failed to show it)
        result.comments_back += 1
    if depth is not None and (found["depth"], found["parent_key"]) != (depth, parent_key):
        # The thread's structure as last read (first read from a dump, which has none).
        updates.update(parent_key=parent_key, depth=depth)
    if site_id and not found["comment_id"]:
        updates["comment_id"] = site_id
    if incoming.get("posted_at") and not found["posted_at"]:
        updates["posted_at"] = incoming["posted_at"]
    if incoming.get("likes") is not None and incoming["likes"] != found["likes"]:
        updates["likes"] = incoming["likes"]  # a count that moves: the latest is kept, not versioned
    return updates


def _mark_gone(db, missing: list[dict], when: str, result: StoreResult) -> None:
    db.conn.executemany("UPDATE comments SET gone_since = ? WHERE id = ?", [(when, c["id"]) for c in missing])
    result.comments_gone += len(missing)


_COMMENT_COLUMNS = ("id", "site", "article_id", "article_row", "comment_key", "comment_id", "position", "title",
                    "author", "text",
                    "posted_at", "likes", "parent_key", "depth", "fingerprint", "first_seen", "last_seen")
_INSERT_COMMENT = (f"INSERT INTO comments ({', '.join(_COMMENT_COLUMNS)}) "
                   f"VALUES ({', '.join('?' * len(_COMMENT_COLUMNS))})")


def _parent_key(parent, keys_in_order: list[str]) -> str | None:
    """The key of the comment at index `parent` of the incoming thread, if it came before."""
    if isinstance(parent, int) and 0 <= parent < len(keys_in_order):
        return keys_in_order[parent]
    return None


def _match(site_id: str | None, fingerprint: str, by_site_id: dict, by_fingerprint: dict,
           matched: set[str]) -> dict | None:
    """The archived comment an incoming one is: by the site's id, or else
    by its text (a comment first archived without its site id, from a dump,
    is the same comment when its text matches)."""
    found = _first_unmatched(by_site_id.get(site_id, ()), matched) if site_id else None
    if found is None:
        candidates = [c for c in by_fingerprint.get(fingerprint, ()) if site_id is None or c["comment_id"] is None]
        found = _first_unmatched(candidates, matched)
    return found


def _first_unmatched(rows, matched: set[str]) -> dict | None:
    return next((row for row in rows if row["comment_key"] not in matched), None)


def _new_comment_key(site_id: str | None, fingerprint: str, taken: set[str]) -> str:
    base = site_id if site_id else f"h:{fingerprint}"
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}:{n}"
    return key


# --- reading ---------------------------------------------------------------


def get_article(db: sqlite_utils.Database, site: str, article_id: str) -> dict | None:
    """One article with its comments (thread order), as the dump layout reads it."""
    row = next(
        db.query("SELECT * FROM articles WHERE site = ? AND article_id = ?", [site, str(article_id)]),
        None,
    )
    if row is None:
        return None
    return _with_comments(db, row)


def _with_comments(db, row: dict) -> dict:
    article = dict(row)
    article["body"] = row["body"].split("\n") if row["body"] else []
    article["comments"] = list(
        db.query(
            "SELECT comment_key, comment_id, title, author, text, posted_at, likes, parent_key, depth FROM comments "
            "WHERE site = ? AND article_id = ? ORDER BY position",
            [row["site"], row["article_id"]],
        )
    )
    return article


def iter_articles(db, *, site: str | None = None, article_id: str | None = None,
                  since: str | None = None) -> Iterator[dict]:
    """Articles with their comments, filtered by site, id and publication date."""
    where, params = [], []
    if site:
        where.append("site = ?")
        params.append(site)
    if article_id:
        where.append("article_id = ?")
        params.append(str(article_id))
    if since:
        # datetime() compares instants: published keeps the site's own offset.
        where.append("datetime(published) >= datetime(?)")
        params.append(since)
    sql = "SELECT * FROM articles"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY site, published, article_id"
    for row in list(db.query(sql, params)):
        yield _with_comments(db, row)


def archive_stats(db, site: str | None = None) -> dict:
    """Counts per site (or of one site): articles, comments, first and last
    publication, earlier versions kept; the last run."""
    sites = {}
    where = " WHERE site = :site" if site else ""
    for row in db.query(
        "SELECT site, count(*) AS articles, sum(comment_count) AS comments, "
        "min(published) AS first_published, max(published) AS last_published, "
        f"max(last_seen) AS last_seen FROM articles{where} GROUP BY site ORDER BY site", {"site": site}
    ):
        sites[row["site"]] = row
    versions = db.execute(f"SELECT count(*) FROM article_versions{where}", {"site": site}).fetchone()[0]
    runs = list(db.query("SELECT id, spider, started, finished, status FROM crawl_runs ORDER BY id DESC LIMIT 1"))
    return {"sites": sites, "article_versions": versions, "last_run": runs[0] if runs else None}


# --- incremental crawling state --------------------------------------------


def article_state(db, site: str, article_id: str) -> dict | None:
    return next(
        db.query(
            "SELECT sitemap_lastmod, published, comments_complete, url, comment_pages, http_etag, "
            "http_last_modified FROM articles "
            "WHERE site = ? AND article_id = ?",
            [site, str(article_id)],
        ),
        None,
    )


def recent_articles(db, site: str, since: str) -> list[dict]:
    """Articles published at or after `since` (ISO): re-fetched for new comments."""
    return list(
        db.query(
            "SELECT article_id, url FROM articles WHERE site = ? AND datetime(published) >= datetime(?) "
            "AND url IS NOT NULL "
            "ORDER BY published DESC",
            [site, since],
        )
    )


def incomplete_articles(db, site: str) -> list[dict]:
    """Articles whose comment thread could not be read in full last time."""
    return list(
        db.query(
            "SELECT article_id, url FROM articles WHERE site = ? AND comments_complete = 0 AND url IS NOT NULL",
            [site],
        )
    )


def sitemap_lastmod(db, site: str, url: str) -> str | None:
    row = next(db.query("SELECT lastmod FROM sitemaps WHERE site = ? AND url = ?", [site, url]), None)
    return row["lastmod"] if row else None


def mark_sitemap_done(db, site: str, url: str, lastmod: str | None) -> None:
    with db.atomic():
        db["sitemaps"].upsert({"site": site, "url": url, "lastmod": lastmod, "fetched_at": utcnow()},
                              pk=("site", "url"))


# --- crawl runs ------------------------------------------------------------


def start_run(db, spider: str, args: dict) -> int:
    mark_stale_runs(db)
    with db.atomic():
        return db["crawl_runs"].insert(
            {
                "spider": spider,
                "started": utcnow(),
                "status": "running",
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "args": json.dumps(args, ensure_ascii=False, sort_keys=True, default=str),
            }
        ).last_pk


def finish_run(db, run_id: int, *, status: str, reason: str, stats: dict, coverage: dict | None = None,
               verdict: str | None = None) -> None:
    with db.atomic():
        db["crawl_runs"].update(
            run_id,
            {
                "finished": utcnow(),
                "status": status,
                "finish_reason": reason,
                "stats": json.dumps(stats, ensure_ascii=False, sort_keys=True, default=str),
                "coverage": json.dumps(coverage) if coverage is not None else None,
                "verdict": verdict,
            },
        )


def list_runs(db, limit: int = 20) -> list[dict]:
    return list(db.query("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT ?", [limit]))


def mark_stale_runs(db) -> int:
    """Runs still 'running' whose process is gone were killed: say so."""
    host = socket.gethostname()
    stale = [
        r["id"]
        for r in db.query("SELECT id, pid, host FROM crawl_runs WHERE status = 'running'")
        if r["host"] == host and r["pid"] and not pid_alive(r["pid"])
    ]
    if stale:
        with db.atomic():
            for run_id in stale:
                db["crawl_runs"].update(run_id, {"status": "killed", "finish_reason": "process ended without closing"})
    return len(stale)
