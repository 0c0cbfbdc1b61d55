"""Keep the Arabic-aware search tables (articles_search, comments_search) in
step with the archive. They hold each field as `index_text` makes it
(normalized, light-stemmed), under the row's stable id."""

from __future__ import annotations

import time

from newscrawl.search.arabic import VERSION, index_text

ARTICLE_FIELDS = ("title", "subtitle", "body")
COMMENT_FIELDS = ("title", "author", "text")


def index_article(db, row_id: int, row: dict) -> None:
    db.execute(
        "INSERT OR REPLACE INTO articles_search (rowid, title, subtitle, body) VALUES (?, ?, ?, ?)",
        [row_id, *(index_text(row.get(name) or "") for name in ARTICLE_FIELDS)],
    )


def index_comment(db, row_id: int, row: dict) -> None:
    db.execute(
        "INSERT OR REPLACE INTO comments_search (rowid, title, author, text) VALUES (?, ?, ?, ?)",
        [row_id, *(index_text(row.get(name) or "") for name in COMMENT_FIELDS)],
    )


def reindex(db, batch: int = 2000) -> dict:
    """Rebuild every search table from the archive's text, in one transaction."""
    started = time.monotonic()
    counts = {}
    with db.atomic():
        for table in ("articles_fts", "comments_fts"):
            db.execute(f"INSERT INTO {table} ({table}) VALUES ('rebuild')")
        for table, source, fields, index in (
            ("articles_search", "articles", ARTICLE_FIELDS, index_article),
            ("comments_search", "comments", COMMENT_FIELDS, index_comment),
        ):
            db.execute(f"DELETE FROM {table}")
            cursor = db.conn.execute(f"SELECT id, {', '.join(fields)} FROM {source} ORDER BY id")
            done = 0
            while rows := cursor.fetchmany(batch):
                db.conn.executemany(
                    f"INSERT INTO {table} (rowid, {', '.join(fields)}) VALUES (?, {', '.join('?' * len(fields))})",
                    [(r[0], *(index_text(v or "") for v in r[1:])) for r in rows],
                )
                done += len(rows)
            counts[source] = done
        mark_current(db)
    counts["seconds"] = round(time.monotonic() - started, 2)
    return counts


def index_is_current(db) -> bool:
    """Whether the search tables were built by this version of the normalizer."""
    row = next(db.query("SELECT value FROM archive_meta WHERE key = 'search_normalizer'"), None)
    return row is not None and row["value"] == VERSION


def mark_current(db) -> None:
    db["archive_meta"].upsert({"key": "search_normalizer", "value": VERSION}, pk="key")
