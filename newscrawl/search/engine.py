"""Search the archive: ranked hits with snippets cut from the original text.

The same code path serves `newscrawl search`, the Datasette plugin's
canned queries and the search benchmark.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import asdict, dataclass

from newscrawl.search.arabic import MARKS
from newscrawl.search.query import (
    ARTICLE_COLUMNS,
    COMMENT_COLUMNS,
    Query,
    QueryError,
    matches,
    parse_query,
)

# A query matching more than this many rows is ranked among its most recently
# archived CANDIDATES matches (FTS5 walks them in rowid order and stops): bm25
# costs time in proportion to the rows it scores, and a word found in most of a
# million comments would otherwise take a second. Exact below the cap.
CANDIDATES = 2000
# bm25 weights per column: a hit in the title counts most.
ARTICLE_WEIGHTS = (10.0, 4.0, 1.0)  # title, subtitle, body
COMMENT_WEIGHTS = (3.0, 2.0, 1.0)  # title, author, text
# A word of the original text: letters and digits with the marks inside it
# that the normalizer removes (harakat, tatweel, ZWNJ...).
_WORD = re.compile(f"(?:[^\\W_]|[{MARKS}])+")


@dataclass
class Hit:
    site: str
    article_id: str
    title: str
    published: str | None
    url: str | None
    snippet: str
    score: float
    comment_id: str | None = None  # comment hits: the site's id, or the archive's key
    author: str | None = None
    kind: str = "article"  # article | comment
    comment_key: str | None = None  # comment hits: the archive's key (its anchor on the thread page)

    def as_dict(self) -> dict:
        data = asdict(self)
        if self.kind != "comment":
            del data["comment_id"], data["author"], data["comment_key"]
        return data


def _same(text: str) -> str:
    return text


def snippet(text: str, query: Query, markers=("[", "]"), before: int = 12, after: int = 24,
            escape=_same) -> str | None:
    """The words around the first match in `text`, matches marked; None if none match.

    `escape` is applied to the text, not to the markers: with
    text.terminal_safe the markers may be terminal controls (bold on, off)
    while every control of the archived text is shown escaped."""
    words = list(_WORD.finditer(text or ""))
    found = next((i for i, w in enumerate(words) if matches(w.group(), query)), None)
    if found is None:
        return None
    first, last = max(0, found - before), min(len(words), found + after)
    hits = {i for i in range(found, last) if matches(words[i].group(), query)}
    start, end = words[first].start(), words[last - 1].end()
    out, cursor = [], start
    for i in range(first, last):
        w = words[i]
        if i in hits:
            out.append(escape(text[cursor : w.start()]) + markers[0] + escape(w.group()) + markers[1])
            cursor = w.end()
    out.append(escape(text[cursor:end]))
    piece = " ".join("".join(out).split())
    return ("… " if first > 0 else "") + piece + (" …" if last < len(words) else "")


def _best_snippet(fields: list[str], query: Query, markers, escape=_same) -> str:
    for text in fields:
        found = snippet(text, query, markers, escape=escape)
        if found:
            return found
    # Matched through a form the highlighter does not see (rare): show the start.
    text = next((t for t in fields if t), "")
    return escape(" ".join(text.split()[:30]))


def candidate_sql(table: str, weights, joins: str, where: list[str]) -> str:
    """The newest :candidates matches of :match that pass `where`, with their
    bm25 score. FTS5 walks the matches in descending rowid order and stops
    there, so the cost is bounded however common the words are."""
    conditions = " ".join(f"AND {w}" for w in where)
    return (f"(SELECT {table}.rowid AS rowid, bm25({table}, {', '.join(map(str, weights))}) AS score "
            f"FROM {table} {joins} WHERE {table} MATCH :match {conditions} "
            f"ORDER BY {table}.rowid DESC LIMIT :candidates)")


def search(db, text: str, *, comments: bool = False, site: str | None = None, since: str | None = None,
           limit: int = 20, markers=("[", "]"), candidates: int = CANDIDATES, escape=_same) -> list[Hit]:
    """Hits for `text` (the query language of newscrawl.search.query), best first.

    Ranked by bm25 among the `candidates` most recently archived matches that
    pass the filters (all of them when there are fewer). Raises QueryError
    for a query with nothing to search for. `escape` applies to the text of
    the snippets (not their markers); the other fields are as archived.
    """
    query = parse_query(text, columns=COMMENT_COLUMNS if comments else ARTICLE_COLUMNS)
    limit = max(1, min(int(limit), 1000))
    params = {"match": query.match, "limit": limit, "candidates": max(limit, int(candidates)),
              "site": site, "since": since}
    if comments:
        joins = "JOIN comments c ON c.id = comments_search.rowid"
        where = ["c.site = :site"] if site else []
        if since:
            joins += " JOIN articles a ON a.site = c.site AND a.article_id = c.article_id"
            where.append("datetime(coalesce(c.posted_at, a.published)) >= datetime(:since)")
        sql = f"""
            SELECT a.site, a.article_id, a.title AS article_title, a.published, a.url,
                   c.comment_id, c.comment_key, c.title, c.author, c.text, r.score
            FROM {candidate_sql("comments_search", COMMENT_WEIGHTS, joins, where)} AS r
            JOIN comments c ON c.id = r.rowid
            JOIN articles a ON a.site = c.site AND a.article_id = c.article_id
            ORDER BY r.score LIMIT :limit"""
    else:
        where = ["a.site = :site"] if site else []
        if since:
            where.append("datetime(a.published) >= datetime(:since)")
        joins = "JOIN articles a ON a.id = articles_search.rowid" if where else ""
        sql = f"""
            SELECT a.site, a.article_id, a.title, a.subtitle, a.body, a.published, a.url, r.score
            FROM {candidate_sql("articles_search", ARTICLE_WEIGHTS, joins, where)} AS r
            JOIN articles a ON a.id = r.rowid
            ORDER BY r.score LIMIT :limit"""
    try:
        cursor = db.execute(sql, params)
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    except sqlite3.OperationalError as exc:  # should not happen: every term is quoted
        if "fts5" not in str(exc) and "syntax" not in str(exc):
            raise  # the archive's trouble (a damaged file), not the query's
        raise QueryError(f"cannot search for that query ({exc})") from None
    hits = []
    for values in rows:
        row = dict(zip(names, values))
        if comments:
            hits.append(Hit(
                site=row["site"], article_id=row["article_id"], title=row["article_title"],
                published=row["published"], url=row["url"], score=round(row["score"], 3),
                snippet=_best_snippet([row["text"], row["title"], row["author"]], query, markers, escape),
                comment_id=row["comment_id"] or row["comment_key"], author=row["author"], kind="comment",
                comment_key=row["comment_key"],
            ))
        else:
            hits.append(Hit(
                site=row["site"], article_id=row["article_id"], title=row["title"], published=row["published"],
                url=row["url"], score=round(row["score"], 3),
                snippet=_best_snippet([row["body"], row["subtitle"], row["title"]], query, markers, escape),
            ))
    return hits


def search_archive(db, text: str, *, articles: bool = True, comments: bool = True, limit: int = 20,
                   **options) -> list[Hit]:
    """Hits among articles and comments together (each Hit says its `kind`),
    best first: each kind ranked by bm25 as `search` ranks it, the two lists
    merged by score. A column only one kind has narrows the search to it
    (author: finds commenters, body: article text); a column neither has is
    a QueryError naming every column. Options as for `search`."""
    kinds = [kind for kind, wanted in (("articles", articles), ("comments", comments)) if wanted]
    if not kinds:
        raise ValueError("search articles, comments or both")
    columns = {"articles": ARTICLE_COLUMNS, "comments": COMMENT_COLUMNS}
    union = tuple(dict.fromkeys(c for kind in kinds for c in columns[kind]))
    parse_query(text, columns=union)  # the query's own mistakes, said once with every column named
    hits: list[Hit] = []
    for kind in kinds:
        if len(kinds) > 1:
            try:
                parse_query(text, columns=columns[kind])
            except QueryError:
                continue  # a column of the other kind only
        hits += search(db, text, comments=kind == "comments", limit=limit, **options)
    hits.sort(key=lambda hit: hit.score)  # bm25: lower is better
    return hits[:max(1, min(int(limit), 1000))]
