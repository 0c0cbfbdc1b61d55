"""Datasette plugin: Arabic-aware search in the browser, for any newscrawl archive.

Installed with the project (entry point `datasette` -> `newscrawl`), so
`datasette archive/news.db` or `newscrawl serve` get it. For every database
that is a newscrawl archive it:

- points the search boxes of `articles` and `comments` at the normalized
  indexes (articles_search, comments_search) and replaces Datasette's
  `escape_fts()` with the project's query reader, so typing ابراهيم finds
  إبراهيم, with phrases, prefixes and AND/OR/NOT as in `newscrawl search`;
- registers SQL functions: arabic_normalize(text), arabic_index(text),
  arabic_query(q) (an FTS5 expression), arabic_snippet(text, q);
- adds canned queries: search_articles, search_comments, article_with_comments;
- facets on site, section and publication date;
- shows Arabic right to left (each cell takes the direction of its text).

Metadata and plugins, no fork: Datasette itself is unchanged.
"""

from __future__ import annotations

import weakref

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from newscrawl.search.arabic import index_text, normalize
from newscrawl.search.engine import ARTICLE_WEIGHTS, CANDIDATES, COMMENT_WEIGHTS, candidate_sql, snippet
from newscrawl.search.query import QueryError, parse_query

MARK_OPEN, MARK_CLOSE = "\u3010", "\u3011"  # 【 】: marks matches in snippets, rare in Arabic news text
NO_MATCH = '""'  # an FTS5 expression that matches nothing, for a query with nothing to search for

# Datasette instance -> names of its databases that are newscrawl archives.
_ARCHIVES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def arabic_query(q: str | None) -> str:
    try:
        return parse_query(q or "").match
    except QueryError:
        return NO_MATCH


def arabic_snippet(text: str | None, q: str | None) -> str | None:
    try:
        query = parse_query(q or "")
    except QueryError:
        return None
    return snippet(text or "", query, (MARK_OPEN, MARK_CLOSE))


def _ranked(table: str, weights) -> str:
    """The engine's bounded candidate set (engine.CANDIDATES newest matches,
    ranked by bm25), with the typed query read by arabic_query()."""
    return (candidate_sql(table, weights, "", [])
            .replace(":match", "arabic_query(:q)").replace(":candidates", str(CANDIDATES)))


CANNED_QUERIES = {
    "search_articles": {
        "title": "Search articles",
        "description": "Arabic-aware: hamza forms, harakat, ة/ه, ى/ي and prefixes such as وال, بال, ال do not matter. "
        'Quotes for a phrase ("خندق واحد"), * for a prefix (كتب*), AND / OR / NOT. '
        f"Ranked among the {CANDIDATES:,} most recently archived matches.",
        "sql": f"""select a.site, a.article_id, a.title, a.published,
  arabic_snippet(a.body, :q) as snippet, a.comment_count, a.url
from {_ranked("articles_search", ARTICLE_WEIGHTS)} as r
join articles a on a.id = r.rowid
order by r.score
limit 100""",
    },
    "search_comments": {
        "title": "Search reader comments",
        "description": "Arabic-aware search of comment titles, authors and texts (same rules as Search articles).",
        "sql": f"""select c.site, c.article_id, a.title as article, c.author, c.title,
  arabic_snippet(c.text, :q) as snippet, c.posted_at
from {_ranked("comments_search", COMMENT_WEIGHTS)} as r
join comments c on c.id = r.rowid
join articles a on a.site = c.site and a.article_id = c.article_id
order by r.score
limit 100""",
    },
    "article_with_comments": {
        "title": "An article with its comments",
        "description": "The article (first row), then its comments in thread order, as the dump layout has them.",
        "sql": """select 0 as n, 'article' as part, title, subtitle as author, body as text, published as date
from articles where site = :site and article_id = :article_id
union all
select position + 1, 'comment', title, author, text, posted_at
from comments where site = :site and article_id = :article_id
order by n""",
    },
}

ARCHIVE_METADATA = {
    "tables": {
        "articles": {
            "fts_table": "articles_search",
            "fts_pk": "id",
            "facets": ["site", "section", {"date": "published"}],
            "sort_desc": "published",
            "label_column": "title",
            "description_html": "Articles as published. The search box is Arabic-aware: "
            "<bdi>ابراهيم</bdi> finds <bdi>إبراهيم</bdi>, <bdi>العراق</bdi> finds <bdi>والعراق</bdi>; "
            '"a phrase", prefix*, AND / OR / NOT.',
        },
        "comments": {
            "fts_table": "comments_search",
            "fts_pk": "id",
            "facets": ["site", {"date": "posted_at"}],
            "sort": "position",
            "description": "Reader comments, one row each. The search box is Arabic-aware.",
        },
        "articles_search": {"hidden": True},
        "comments_search": {"hidden": True},
    }
}

CSS = """/* newscrawl: Arabic reads right to left; each cell, heading and input takes the direction of its own text. */
.rows-and-columns td, .rows-and-columns th, table.rows-and-columns td pre, .row-data td, h1, h2, h3, p,
input[type="search"], input[type="text"], textarea { unicode-bidi: plaintext; text-align: start; }
.rows-and-columns td { max-width: 40em; }
mark { background: #ffe38a; padding: 0 .1em; }
"""


def _archives(datasette) -> set[str]:
    return _ARCHIVES.get(datasette, set())


@hookimpl
def startup(datasette):
    async def find_archives():
        names = set()
        for name, database in datasette.databases.items():
            if name.startswith("_"):
                continue
            if await database.table_exists("articles_search") and await database.table_exists("comments_search"):
                names.add(name)
        _ARCHIVES[datasette] = names

    return find_archives


@hookimpl
def get_metadata(datasette, key, database, table):
    return {"databases": {name: ARCHIVE_METADATA for name in _archives(datasette)}}


@hookimpl
def canned_queries(datasette, database, actor):
    if database in _archives(datasette):
        return CANNED_QUERIES
    return None


@hookimpl(trylast=True)  # after Datasette's own escape_fts, so ours is the one registered
def prepare_connection(conn):
    # Only a newscrawl archive's search tables hold normalized text: other
    # databases served alongside keep Datasette's own escape_fts.
    is_archive = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE name IN ('articles_search', 'comments_search')"
    ).fetchone()
    if is_archive:
        conn.create_function("escape_fts", 1, arabic_query, deterministic=True)
    conn.create_function("arabic_query", 1, arabic_query, deterministic=True)
    conn.create_function("arabic_normalize", 1, lambda text: normalize(text or ""), deterministic=True)
    conn.create_function("arabic_index", 1, lambda text: index_text(text or ""), deterministic=True)
    conn.create_function("arabic_snippet", 2, arabic_snippet, deterministic=True)


@hookimpl
def render_cell(value, column):
    # Snippets carry 【match】 marks: show them highlighted, everything else escaped.
    if column == "snippet" and isinstance(value, str) and MARK_OPEN in value:
        html = str(escape(value)).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
        return Markup(html)
    return None


@hookimpl
def extra_css_urls():
    return ["/-/newscrawl.css"]


async def _css(request):
    return Response(CSS, content_type="text/css; charset=utf-8", headers={"Cache-Control": "max-age=3600"})


@hookimpl
def register_routes():
    return [(r"^/-/newscrawl\.css$", _css)]
