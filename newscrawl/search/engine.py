"""Search the archive: ranked hits with snippets cut from the original text.

The same code path serves `newscrawl search`, the Datasette plugin's
canned queries and the search benchmark.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import asdict, dataclass
from functools import cache
from itertools import islice

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
_WORD_LETTER = f"(?:[^\\W_]|[{MARKS}])"
_SEPARATOR = f"(?:[^\\w{MARKS}]|_)"  # anything else
_WORD = re.compile(f"{_WORD_LETTER}+")
_WORD_LETTERS = re.compile(f"{_WORD_LETTER}*")
_WORD_LETTER_RE = re.compile(_WORD_LETTER)
_NON_SPACE = re.compile(r"\S+")  # what str.split() returns


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

    Only a window of the text is read word by word: the first match is found
    by a regular expression over the whole text (newscrawl.search.query.
    Query.finder, every spelling the normalizer folds), and checked with
    matches(); then the `before` words before it and the `after` words from
    it are cut out. The result is that of reading every word in turn.

    `escape` is applied to the text, not to the markers: with
    text.terminal_safe the markers may be terminal controls (bold on, off)
    while every control of the archived text is shown escaped."""
    text = text or ""
    finder = _finder_for(text, query)
    found = _first_match(text, query, finder)
    if found is None:
        return None
    start, earlier = _start_before(text, found.start(), before)
    end = _words_after(after - 1).match(text, found.end()).end()
    later = _WORD.search(text, end) is not None
    out, cursor = [], start
    for w in _matching(text, found, end, query, finder):
        out.append(escape(text[cursor : w.start()]) + markers[0] + escape(w.group()) + markers[1])
        cursor = w.end()
    out.append(escape(text[cursor:end]))
    piece = " ".join("".join(out).split())
    return ("… " if earlier else "") + piece + (" …" if later else "")


@cache
def _words_after(count: int) -> re.Pattern:
    """Up to `count` words, each after what separates words: from the end of a
    word, the next `count` (fewer where the text ends), in one call."""
    return re.compile(f"(?:{_SEPARATOR}+{_WORD_LETTER}+){{0,{count}}}")


def _finder_for(text: str, query: Query) -> re.Pattern | None:
    """The query's finder, if it sees through `text`: not through compatibility
    forms (their normal form differs letter by letter; `text` is then read
    word by word) nor İ (the one letter whose lower case is two)."""
    if "\u0130" in text or not unicodedata.is_normalized("NFKC", text):
        return None
    return query.finder()


def _first_match(text: str, query: Query, finder: re.Pattern | None) -> re.Match | None:
    """The first word of `text` that matches(), as a match of _WORD."""
    if finder is None:
        return next((w for w in _WORD.finditer(text) if matches(w.group(), query)), None)
    pos = 0
    while candidate := finder.search(text, pos):
        word = _word_at(text, candidate.start())
        if matches(word.group(), query):
            return word
        pos = word.end()
    return None


def _matching(text: str, found: re.Match, end: int, query: Query, finder: re.Pattern | None) -> list[re.Match]:
    """The words from `found` (a match) to `end` (a word's end) that matches(),
    in order: only those where the finder finds a place are asked."""
    if finder is None:
        return [w for w in _WORD.finditer(text, found.start(), end) if matches(w.group(), query)]
    hits, asked_to = [found], found.end()
    for place in finder.finditer(text, found.end(), end):
        if place.start() < asked_to:
            continue  # in a word already asked
        word = _word_at(text, place.start())
        asked_to = word.end()
        if matches(word.group(), query):
            hits.append(word)
    return hits


def _word_at(text: str, pos: int) -> re.Match:
    """The word of the original text (_WORD) that holds the letter at `pos`:
    its letters before `pos` are read backwards, from a piece long enough."""
    reach = 32
    while True:
        piece_start = max(0, pos - reach)
        backwards = text[piece_start:pos][::-1]
        taken = _WORD_LETTERS.match(backwards).end()
        if taken < len(backwards) or piece_start == 0:
            return _WORD.match(text, pos - taken)
        reach *= 4  # a word longer than the piece


def _start_before(text: str, end: int, count: int) -> tuple[int, bool]:
    """Where the `count` words before `end` (a word's start) begin (fewer
    where the text begins), and whether any word comes before them. Read
    backwards, from a piece of text before `end` long enough for them."""
    reach = 16 * (count + 1)
    while True:
        piece_start = max(0, end - reach)
        backwards = text[piece_start:end][::-1]
        taken = _words_after(count).match(backwards).end()
        if _WORD_LETTER_RE.search(backwards, taken):
            return end - taken, True  # `count` whole words, and more before them
        if piece_start == 0:
            return end - taken, False
        reach *= 4  # the piece may have cut a word, or held too few: a longer one


def _best_snippet(fields: list[str], query: Query, markers, escape=_same) -> str:
    for text in fields:
        found = snippet(text, query, markers, escape=escape)
        if found:
            return found
    # Matched through a form the highlighter does not see (rare): show the start.
    text = next((t for t in fields if t), "")
    return escape(" ".join(m.group() for m in islice(_NON_SPACE.finditer(text), 30)))


def candidate_sql(table: str, weights, joins: str, where: list[str]) -> str:
    """The newest :candidates matches of :match that pass `where`, with their
    bm25 score. FTS5 walks the matches in descending rowid order and stops
    there, so the cost is bounded however common the words are. Reads only
    the index's rowid and bm25 (the normalized index may be contentless)."""
    conditions = " ".join(f"AND {w}" for w in where)
    return (f"(SELECT {table}.rowid AS rowid, bm25({table}, {', '.join(map(str, weights))}) AS score "
            f"FROM {table} {joins} WHERE {table} MATCH :match {conditions} "
            f"ORDER BY {table}.rowid DESC LIMIT :candidates)")


def _best_sql(table: str, weights, joins: str, where: list[str], present: str = "") -> str:
    """The :limit best-scored of the candidates (those `present` in the archive,
    if said), rowid and score only: the rows' text is read for those alone,
    not for every candidate."""
    return (f"(SELECT rowid, score FROM {candidate_sql(table, weights, joins, where)} AS k "
            f"{'WHERE ' + present if present else ''} ORDER BY score LIMIT :limit)")


# A match whose row is gone: the normalized index is contentless, and a row
# another tool deletes leaves it until the next store or reindex.
_ARTICLE_PRESENT = "EXISTS (SELECT 1 FROM articles x WHERE x.id = k.rowid)"
_COMMENT_PRESENT = ("EXISTS (SELECT 1 FROM comments x "
                    "JOIN articles y ON y.site = x.site AND y.article_id = x.article_id "
                    "WHERE x.id = k.rowid)")


def _article_sql(site: str | None, since: str | None, every_row: bool = False) -> str:
    """Articles: the best :limit candidates joined to their rows. With
    `every_row`, only candidates whose row exists are ranked (each one
    looked up: the second try when a best one turned out to be gone)."""
    where = ["a.site = :site"] if site else []
    if since:
        where.append("datetime(a.published) >= datetime(:since)")
    joins = "JOIN articles a ON a.id = articles_search.rowid" if where else ""
    present = _ARTICLE_PRESENT if every_row and not where else ""
    return f"""
        SELECT a.id IS NOT NULL AS present, a.site, a.article_id, a.title, a.subtitle, a.body, a.published, a.url,
               r.score
        FROM {_best_sql("articles_search", ARTICLE_WEIGHTS, joins, where, present)} AS r
        LEFT JOIN articles a ON a.id = r.rowid
        ORDER BY r.score"""


def _comment_sql(site: str | None, since: str | None, every_row: bool = False) -> str:
    """Comments, as _article_sql; a comment is shown with its article."""
    where = ["c.site = :site"] if site else []
    joins = "JOIN comments c ON c.id = comments_search.rowid" if site or since else ""
    if since:
        joins += " JOIN articles a ON a.site = c.site AND a.article_id = c.article_id"
        where.append("datetime(coalesce(c.posted_at, a.published)) >= datetime(:since)")
    present = _COMMENT_PRESENT if every_row and not since else ""
    return f"""
        SELECT a.id IS NOT NULL AS present, a.site, a.article_id, a.title AS article_title, a.published, a.url,
               c.comment_id, c.comment_key, c.title, c.author, c.text, r.score
        FROM {_best_sql("comments_search", COMMENT_WEIGHTS, joins, where, present)} AS r
        LEFT JOIN comments c ON c.id = r.rowid
        LEFT JOIN articles a ON a.site = c.site AND a.article_id = c.article_id
        ORDER BY r.score"""


def _ranked_rows(db, query: Query, *, comments: bool, site: str | None, since: str | None, limit: int,
                 candidates: int) -> list[tuple[str, dict]]:
    """The `limit` best rows of one kind, best first, as ("article" | "comment", row)."""
    params = {"match": query.match, "limit": limit, "candidates": max(limit, int(candidates)),
              "site": site, "since": since}
    sql = _comment_sql if comments else _article_sql
    rows = _rows(db, sql(site, since), params)
    if not all(row["present"] for row in rows):
        # One of the best is a row deleted since it was indexed: rank again
        # among the candidates that exist (as many hits as there are).
        rows = [row for row in _rows(db, sql(site, since, every_row=True), params) if row["present"]]
    kind = "comment" if comments else "article"
    return [(kind, row) for row in rows]


def _rows(db, sql: str, params: dict) -> list[dict]:
    try:
        cursor = db.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    except sqlite3.OperationalError as exc:  # should not happen: every term is quoted
        if "fts5" not in str(exc) and "syntax" not in str(exc):
            raise  # the archive's trouble (a damaged file), not the query's
        raise QueryError(f"cannot search for that query ({exc})") from None


def _hit(kind: str, row: dict, query: Query, markers, escape) -> Hit:
    """A row as a Hit, with its snippet: made only for the hits shown."""
    if kind == "comment":
        return Hit(
            site=row["site"], article_id=row["article_id"], title=row["article_title"],
            published=row["published"], url=row["url"], score=round(row["score"], 3),
            snippet=_best_snippet([row["text"], row["title"], row["author"]], query, markers, escape),
            comment_id=row["comment_id"] or row["comment_key"], author=row["author"], kind="comment",
            comment_key=row["comment_key"],
        )
    return Hit(
        site=row["site"], article_id=row["article_id"], title=row["title"], published=row["published"],
        url=row["url"], score=round(row["score"], 3),
        snippet=_best_snippet([row["body"], row["subtitle"], row["title"]], query, markers, escape),
    )


def _limit(limit) -> int:
    return max(1, min(int(limit), 1000))


def search(db, text: str, *, comments: bool = False, site: str | None = None, since: str | None = None,
           limit: int = 20, markers=("[", "]"), candidates: int = CANDIDATES, escape=_same) -> list[Hit]:
    """Hits for `text` (the query language of newscrawl.search.query), best first.

    Ranked by bm25 among the `candidates` most recently archived matches that
    pass the filters (all of them when there are fewer). Raises QueryError
    for a query with nothing to search for. `escape` applies to the text of
    the snippets (not their markers); the other fields are as archived.
    """
    query = parse_query(text, columns=COMMENT_COLUMNS if comments else ARTICLE_COLUMNS)
    rows = _ranked_rows(db, query, comments=comments, site=site, since=since, limit=_limit(limit),
                        candidates=candidates)
    return [_hit(kind, row, query, markers, escape) for kind, row in rows]


def search_archive(db, text: str, *, articles: bool = True, comments: bool = True, limit: int = 20,
                   site: str | None = None, since: str | None = None, markers=("[", "]"),
                   candidates: int = CANDIDATES, escape=_same) -> list[Hit]:
    """Hits among articles and comments together (each Hit says its `kind`),
    best first: each kind ranked by bm25 as `search` ranks it, the two lists
    merged by score. A column only one kind has narrows the search to it
    (author: finds commenters, body: article text); a column neither has is
    a QueryError naming every column. Options as for `search`.

    The query is read once; snippets are cut only for the hits returned."""
    kinds = [kind for kind, wanted in (("articles", articles), ("comments", comments)) if wanted]
    if not kinds:
        raise ValueError("search articles, comments or both")
    columns = {"articles": ARTICLE_COLUMNS, "comments": COMMENT_COLUMNS}
    union = tuple(dict.fromkeys(c for kind in kinds for c in columns[kind]))
    query = parse_query(text, columns=union)  # the query's own mistakes, said once with every column named
    limit = _limit(limit)
    rows: list[tuple[str, dict]] = []
    for kind in kinds:
        if not query.columns <= set(columns[kind]):
            continue  # a column of the other kind only
        rows += _ranked_rows(db, query, comments=kind == "comments", site=site, since=since, limit=limit,
                             candidates=candidates)
    rows.sort(key=lambda kind_row: round(kind_row[1]["score"], 3))  # bm25: lower is better; as Hit.score
    return [_hit(kind, row, query, markers, escape) for kind, row in rows[:limit]]
