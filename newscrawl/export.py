"""Take the data away: the archive as JSON Lines, CSV or Parquet.

Streaming, so memory does not grow with the archive: articles are read in
(site, article_id) order and their comments by a second cursor in the same
order (both follow an index), merged as they go; rows are written as they
come (Parquet a batch of BATCH articles at a time).

Every column the archive has is exported, as stored: text exactly as
published, dates as ISO 8601 with their offset (``published`` and
``posted_at`` in the site's local time, the crawl's own ``first_seen``,
``last_seen``, ``last_changed`` and ``gone_since`` in UTC). ``tags`` and
``extraction`` are JSON in the archive; JSON Lines and Parquet carry them
as a list and a JSON string (CSV as JSON text).

Layouts (`comments`):

- ``nested``: one record per article with its comments in thread order
  under ``comments`` (JSON Lines, Parquet: list of structs).
- ``flat``: two files in the folder PATH, ``articles.<ext>`` and
  ``comments.<ext>``, joined on (site, article_id). CSV is always flat.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

FORMATS = ("jsonl", "csv", "parquet")
BATCH = 1000  # articles per Parquet row group


class ExportError(Exception):
    """A request the export cannot do (one line for the CLI)."""


@dataclass
class Filters:
    site: str | None = None
    since: str | None = None  # ISO date or time: published on or after
    until: str | None = None  # published before

    def where(self, alias: str = "a") -> tuple[str, list]:
        clauses, params = [], []
        if self.site:
            clauses.append(f"{alias}.site = ?")
            params.append(self.site)
        if self.since:
            clauses.append(f"datetime({alias}.published) >= datetime(?)")
            params.append(self.since)
        if self.until:
            clauses.append(f"datetime({alias}.published) < datetime(?)")
            params.append(self.until)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """Every column, as SELECT * gives them: the computed months too (hidden 2 and 3), not FTS's hidden ones."""
    return list(declared_types(conn, table))


def declared_types(conn: sqlite3.Connection, table: str) -> dict[str, str]:
    """Every column (as `columns`) with the type it was declared with: the
    archive's own and those other tools added (sqlite-utils add-column)."""
    return {row[1]: row[2] for row in conn.execute(f"SELECT * FROM pragma_table_xinfo('{table}')")
            if row[6] in (0, 2, 3)}


# NUMERIC affinity, or none: such a column may hold numbers and text alike.
TEXT_OR_NUMBER = "text or number"


def parquet_kind(declared: str) -> str:
    """The Parquet type of a column, from its declared type by SQLite's own
    rules for a column's affinity (sqlite.org/datatype3.html, 3.1): INTEGER
    affinity int64, REAL float64, BLOB binary; TEXT, and NUMERIC or none
    (which may hold numbers and text alike: numbers are written as text), string."""
    declared = (declared or "").upper()
    if "INT" in declared:
        return "int64"
    if any(word in declared for word in ("CHAR", "CLOB", "TEXT")):
        return "string"
    if "BLOB" in declared:
        return "binary"
    if any(word in declared for word in ("REAL", "FLOA", "DOUB")):
        return "float64"
    return TEXT_OR_NUMBER


def _rows(conn: sqlite3.Connection, sql: str, params: list) -> Iterator[dict]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    while True:
        chunk = cursor.fetchmany(500)
        if not chunk:
            return
        for values in chunk:
            yield dict(zip(names, values, strict=True))


def count(conn: sqlite3.Connection, filters: Filters) -> int:
    where, params = filters.where()
    return conn.execute(f"SELECT count(*) FROM articles a{where}", params).fetchone()[0]


def iter_articles(conn: sqlite3.Connection, filters: Filters, *, nested: bool = True,
                  article_id: str | None = None) -> Iterator[dict]:
    """Articles as stored (tags as a list), each with its comments in thread
    order under "comments" when `nested`. Two cursors, merged: bounded memory."""
    where, params = filters.where()
    if article_id is not None:
        where, params = (where + " AND" if where else " WHERE") + " a.article_id = ?", [*params, article_id]
    articles = _rows(conn, f"SELECT * FROM articles a{where} ORDER BY a.site, a.article_id", params)
    comments = _rows(conn, f"SELECT c.* FROM comments c JOIN articles a ON a.site = c.site AND a.article_id = "
                           f"c.article_id{where} ORDER BY c.site, c.article_id, c.position", params) if nested else None
    pending = next(comments, None) if comments is not None else None
    for article in articles:
        article["tags"] = json.loads(article["tags"]) if article.get("tags") else []
        if nested:
            key = (article["site"], article["article_id"])
            thread = []
            # Both cursors run in (site, article_id) order: comments before this
            # article's belong to none exported (cannot happen with the join).
            while pending is not None and (pending["site"], pending["article_id"]) <= key:
                if (pending["site"], pending["article_id"]) == key:
                    thread.append(pending)
                pending = next(comments, None)
            article["comments"] = thread
        yield article


def iter_comments(conn: sqlite3.Connection, filters: Filters) -> Iterator[dict]:
    where, params = filters.where()
    return _rows(conn, f"SELECT c.* FROM comments c JOIN articles a ON a.site = c.site AND a.article_id = "
                       f"c.article_id{where} ORDER BY c.site, c.article_id, c.position", params)


Progress = Callable[[int], None]


def export(conn: sqlite3.Connection, fmt: str, out: Path, filters: Filters, *, comments: str = "nested",
           progress: Progress | None = None) -> dict:
    """Write the archive (or the filtered part of it) to `out`; what was written."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if comments not in ("nested", "flat"):
        raise ExportError("--comments is nested or flat")
    if fmt == "csv" and comments == "nested":
        raise ExportError("CSV cannot nest comments in articles: use --comments flat (two files in a folder)")
    tick = progress or (lambda n: None)
    if comments == "flat":
        out.mkdir(parents=True, exist_ok=True)
        ext = fmt
        written_articles = _write(fmt, out / f"articles.{ext}", iter_articles(conn, filters, nested=False),
                                  declared_types(conn, "articles"), tick)
        written_comments = _write(fmt, out / f"comments.{ext}", iter_comments(conn, filters),
                                  declared_types(conn, "comments"), lambda n: None, comments=True)
        return {"articles": written_articles, "comments": written_comments,
                "files": [str(out / f"articles.{ext}"), str(out / f"comments.{ext}")]}
    if out.is_dir():
        raise ExportError(f"{out} is a folder; nested output is one file (or use --comments flat for a folder)")
    out.parent.mkdir(parents=True, exist_ok=True)
    counts = {"comments": 0}

    def counted(rows):
        for row in rows:
            counts["comments"] += len(row["comments"])
            yield row

    written = _write(fmt, out, counted(iter_articles(conn, filters)), declared_types(conn, "articles"), tick,
                     comment_types=declared_types(conn, "comments"))
    return {"articles": written, "comments": counts["comments"], "files": [str(out)]}


def _write(fmt: str, path: Path, rows: Iterator[dict], types: dict[str, str], tick: Progress, *,
           comments: bool = False, comment_types: dict[str, str] | None = None) -> int:
    """Write `rows` to `path` through a temporary file renamed at the end:
    an export cut short leaves no half file under the name asked for."""
    partial = path.with_name(path.name + ".partial")
    try:
        if fmt == "jsonl":
            n = _write_jsonl(partial, rows, tick)
        elif fmt == "csv":
            n = _write_csv(partial, rows, list(types), tick)
        else:
            n = _write_parquet(partial, rows, types, tick, table="comments" if comments else "articles",
                               comment_types=comment_types)
        os.replace(partial, path)
        return n
    finally:
        partial.unlink(missing_ok=True)


def _json_bytes(value):
    """Bytes (a BLOB column another tool added) in JSON as sqlite-utils and
    Datasette write them, and `sqlite-utils insert` reads them back."""
    if isinstance(value, bytes):
        return {"$base64": True, "encoded": base64.b64encode(value).decode("ascii")}
    raise TypeError(f"{type(value).__name__} is not JSON")


def _write_jsonl(path: Path, rows: Iterator[dict], tick: Progress) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, default=_json_bytes))
            fh.write("\n")
            n += 1
            tick(1)
    return n


def _write_csv(path: Path, rows: Iterator[dict], names: list[str], tick: Progress) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=names, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            if isinstance(row.get("tags"), list):
                row = {**row, "tags": json.dumps(row["tags"], ensure_ascii=False) if row["tags"] else ""}
            if any(type(value) is bytes for value in row.values()):  # a BLOB: its base64, not Python's b'...'
                row = {k: base64.b64encode(v).decode("ascii") if type(v) is bytes else v for k, v in row.items()}
            writer.writerow(row)
            n += 1
            tick(1)
    return n


def _arrow_type(name: str, declared: str, *, articles: bool):
    import pyarrow as pa

    if articles and name == "tags":  # JSON in the archive, a list in the export (iter_articles)
        return pa.list_(pa.string())
    return {"int64": pa.int64(), "float64": pa.float64(), "binary": pa.binary()}.get(parquet_kind(declared),
                                                                                      pa.string())


def _arrow_schema(types: dict[str, str], comment_types: dict[str, str] | None = None, *, articles: bool = True):
    import pyarrow as pa

    fields = [pa.field(name, _arrow_type(name, declared, articles=articles)) for name, declared in types.items()]
    if comment_types is not None:
        comment = pa.struct([pa.field(name, _arrow_type(name, declared, articles=False))
                             for name, declared in comment_types.items()])
        fields.append(pa.field("comments", pa.list_(comment)))
    return pa.schema(fields)


def _columns_of(types: dict[str, str], kind: str) -> list[str]:
    """The columns whose declared type makes them `kind` in Parquet."""
    return [name for name, declared in types.items() if parquet_kind(declared) == kind]


def _fits(row: dict, as_text: list[str], integers: list[str]) -> bool:
    """Ready `row` for its Parquet columns: numbers in the columns that may
    hold text and numbers (`as_text`) written as text. False when an int64
    column holds anything but an integer: pyarrow would write 1.7 there as
    1, and say nothing (SQLite keeps a REAL in a column declared INTEGER)."""
    for name in as_text:
        value = row.get(name)
        if isinstance(value, int | float):
            row[name] = repr(value)
    return all(row.get(name) is None or type(row.get(name)) is int for name in integers)


def _culprit(batch: list[dict], types: dict[str, str], comment_types: dict[str, str] | None, table: str) -> str:
    """Which value of `batch` Parquet refused (or would have changed), said in one line."""
    accepted = {"int64": (int,), "float64": (int, float), "binary": (bytes,), "string": (str,),
                TEXT_OR_NUMBER: (str,)}
    checks = [(table, row, types) for row in batch]
    if comment_types is not None:
        checks += [("comments", comment, comment_types) for row in batch for comment in row.get("comments") or ()]
    for where, row, kinds in checks:
        for name, declared in kinds.items():
            value = row.get(name)
            if (name == "tags" and where == "articles") or value is None:
                continue
            if not isinstance(value, accepted[parquet_kind(declared)]):
                return (f"{where} row {row.get('id')}: column {name!r} (declared {declared or 'without a type'}) "
                        f"holds {type(value).__name__} {str(value)[:40]!r}; Parquet keeps one type a column: "
                        "fix the value, or export as jsonl or csv")
    return "a value Parquet cannot write"


def _write_parquet(path: Path, rows: Iterator[dict], types: dict[str, str], tick: Progress, *, table: str,
                   comment_types: dict[str, str] | None) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pinned in requirements.txt
        raise ExportError("Parquet needs pyarrow: .venv/bin/pip install pyarrow") from None
    schema = _arrow_schema(types, comment_types, articles=table == "articles")
    as_text, integers = _columns_of(types, TEXT_OR_NUMBER), _columns_of(types, "int64")
    comment_as_text = _columns_of(comment_types or {}, TEXT_OR_NUMBER)
    comment_integers = _columns_of(comment_types or {}, "int64")

    def table_of(batch: list[dict]):
        fits = True
        for row in batch:
            fits &= _fits(row, as_text, integers)
            for comment in (row.get("comments") or ()) if comment_types is not None else ():
                fits &= _fits(comment, comment_as_text, comment_integers)
        try:
            if fits:
                return pa.Table.from_pylist(batch, schema=schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
        raise ExportError(_culprit(batch, types, comment_types, table))

    n = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        batch: list[dict] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                writer.write_table(table_of(batch))
                tick(len(batch))
                n += len(batch)
                batch = []
        if batch or not n:
            writer.write_table(table_of(batch))
            tick(len(batch))
            n += len(batch)
    return n
