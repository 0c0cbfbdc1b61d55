"""Keep the full-text tables in step with the archive.

Two indexes per table, rowid = the row's stable id:

- `articles_fts` / `comments_fts`: the text as published (external content,
  the sqlite-utils and Datasette way);
- `articles_search` / `comments_search`: each field as `index_text` makes it
  (normalized, light-stemmed), contentless.

The store adds the rows it inserts through an `IndexBatch`, written once per
batch with one statement per table (FTS5 then flushes its terms once, not
once per row). Edits and deletions reach the exact index through triggers,
and the normalized one through `search_pending` and `apply_pending`.
"""

from __future__ import annotations

import time

from newscrawl.search.arabic import VERSION, index_text

ARTICLE_FIELDS = ("title", "subtitle", "body")
COMMENT_FIELDS = ("title", "author", "text")
# source table -> (exact-form index, normalized index, indexed fields)
INDEXES = {
    "articles": ("articles_fts", "articles_search", ARTICLE_FIELDS),
    "comments": ("comments_fts", "comments_search", COMMENT_FIELDS),
}


def _insert_sql(table: str, fields: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} (rowid, {', '.join(fields)}) VALUES (?, {', '.join('?' * len(fields))})"


def normalized(values) -> tuple[str, ...]:
    # A list, not a generator: this runs for every stored row. (No cache of
    # whole short fields on top of index_text's own memo of words: measured,
    # it no longer paid, 0.54 s against 0.51 for the benchmark's 31,733 rows.)
    return tuple([index_text(value or "") for value in values])


class IndexBatch:
    """The full-text rows of the rows a store batch inserts, kept until `write`."""

    def __init__(self):
        self.rows: dict[str, list[tuple]] = {source: [] for source in INDEXES}
        self.normalized: dict[str, list[tuple]] = {source: [] for source in INDEXES}
        self.ids: dict[str, set[int]] = {source: set() for source in INDEXES}

    def add(self, source: str, row_id: int, values: tuple) -> None:
        """`values`: the row's indexed fields, exactly as stored. Normalized
        now, so that a text index_text cannot take fails with its article."""
        self.rows[source].append((row_id, *values))
        self.normalized[source].append((row_id, *normalized(values)))
        self.ids[source].add(row_id)

    def holds(self, source: str, row_id: int) -> bool:
        return row_id in self.ids[source]

    def write(self, db) -> None:
        for source, rows in self.rows.items():
            if not rows:
                continue
            exact, normalized_table, fields = INDEXES[source]
            db.conn.executemany(_insert_sql(exact, fields), rows)
            db.conn.executemany(_insert_sql(normalized_table, fields), self.normalized[source])
            rows.clear()
            self.normalized[source].clear()
            self.ids[source].clear()


def _indexed(db, table: str, row_id: int) -> bool:
    # The docsize table has one row per indexed document (columnsize=1, the default).
    return db.conn.execute(f"SELECT 1 FROM {table}_docsize WHERE id = ?", [row_id]).fetchone() is not None


def apply_pending(db) -> int:
    """Bring the normalized index up to the edits and deletions noted in
    search_pending: take out each row's terms as they were indexed (its
    oldest noted text), index it as it is now (if it still exists). Returns
    how many rows it changed. Run inside the caller's transaction."""
    pending = db.conn.execute("SELECT id, source, row_id, f1, f2, f3 FROM search_pending ORDER BY id").fetchall()
    if not pending:
        return 0
    indexed_as: dict[tuple[str, int], tuple] = {}
    for _, source, row_id, *old in pending:
        indexed_as.setdefault((source, row_id), tuple(old))
    # Terms made by another normalizer cannot be recomputed: leave them (the
    # search says to reindex, which rebuilds everything) rather than corrupt.
    current = index_is_current(db)
    for (source, row_id), old in indexed_as.items():
        _, table, fields = INDEXES[source]
        if current and _indexed(db, table, row_id):
            db.conn.execute(
                f"INSERT INTO {table} ({table}, rowid, {', '.join(fields)}) VALUES ('delete', ?, ?, ?, ?)",
                [row_id, *normalized(old)],
            )
        now = db.conn.execute(f"SELECT {', '.join(fields)} FROM {source} WHERE id = ?", [row_id]).fetchone()
        if now is not None:
            db.conn.execute(_insert_sql(table, fields), [row_id, *normalized(now)])
    db.conn.execute("DELETE FROM search_pending WHERE id <= ?", [pending[-1][0]])
    return len(indexed_as)


def reindex(db, batch: int = 2000) -> dict:
    """Rebuild every search table from the archive's text, in one transaction."""
    started = time.monotonic()
    counts = {}
    with db.atomic():
        for source, (exact, table, fields) in INDEXES.items():
            db.execute(f"INSERT INTO {exact} ({exact}) VALUES ('rebuild')")
            db.execute(f"INSERT INTO {table} ({table}) VALUES ('delete-all')")
            cursor = db.conn.execute(f"SELECT id, {', '.join(fields)} FROM {source} ORDER BY id")
            done = 0
            while rows := cursor.fetchmany(batch):
                db.conn.executemany(_insert_sql(table, fields), [(r[0], *normalized(r[1:])) for r in rows])
                done += len(rows)
            counts[source] = done
        db.execute("DELETE FROM search_pending")
        mark_current(db)
    counts["seconds"] = round(time.monotonic() - started, 2)
    return counts


def index_is_current(db) -> bool:
    """Whether the search tables were built by this version of the normalizer."""
    row = next(db.query("SELECT value FROM archive_meta WHERE key = 'search_normalizer'"), None)
    return row is not None and row["value"] == VERSION


def mark_current(db) -> None:
    db["archive_meta"].upsert({"key": "search_normalizer", "value": VERSION}, pk="key")
