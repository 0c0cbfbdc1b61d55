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
- adds pages (newscrawl/datasette_pages.py): an article with its whole
  thread, ``/-/thread/<database>/<site>/<article_id>``, linked from every
  article id in every table and query; one search over articles and
  comments, ``/-/search/<database>``, linked from the database page;
- adds canned queries: search_articles, search_comments, article_with_comments;
- facets on site, section and publication date;
- shows Arabic right to left (each cell takes the direction of its text).

Metadata and plugins, no fork: Datasette itself is unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from newscrawl import overview
from newscrawl.datasette_pages import (
    archives,
    overview_page,
    page_path,
    search_page,
    set_archives,
    thread_page,
    thread_path,
)
from newscrawl.search.arabic import index_text, normalize
from newscrawl.search.engine import ARTICLE_WEIGHTS, CANDIDATES, COMMENT_WEIGHTS, candidate_sql, snippet
from newscrawl.search.query import ARTICLE_COLUMNS, COMMENT_COLUMNS, QueryError, parse_query

MARK_OPEN, MARK_CLOSE = "\u3010", "\u3011"  # 【 】: marks matches in snippets, rare in Arabic news text
NO_MATCH = '""'  # an FTS5 expression that matches nothing, for a query with nothing to search for



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


def _top(table: str, weights, shown: int = 100) -> str:
    """The `shown` best of the candidates, picked before any row is read:
    a snippet is cut only for a row shown (SQLite computes the result
    columns of every row it sorts)."""
    return f"(select rowid, score from {_ranked(table, weights)} order by score limit {shown})"


CANNED_QUERIES = {
    "search_articles": {
        "title": "Search articles",
        "description": "Arabic-aware: hamza forms, harakat, ة/ه, ى/ي and prefixes such as وال, بال, ال do not matter. "
        'Quotes for a phrase ("خندق واحد"), * for a prefix (كتب*), AND / OR / NOT. '
        f"Ranked among the {CANDIDATES:,} most recently archived matches.",
        "sql": f"""select a.site, a.article_id, a.title, a.published,
  arabic_snippet(a.body, :q) as snippet, a.comment_count, a.url
from {_top("articles_search", ARTICLE_WEIGHTS)} as r
join articles a on a.id = r.rowid
order by r.score""",
    },
    "search_comments": {
        "title": "Search reader comments",
        "description": "Arabic-aware search of comment titles, authors and texts (same rules as Search articles).",
        "sql": f"""select c.site, c.article_id, a.title as article, c.author, c.title,
  arabic_snippet(c.text, :q) as snippet, c.posted_at
from {_top("comments_search", COMMENT_WEIGHTS)} as r
join comments c on c.id = r.rowid
join articles a on a.site = c.site and a.article_id = c.article_id
order by r.score""",
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
            # The site's own months and years: a date facet would bucket by UTC day.
            "facets": ["site", "section", "published_year", "published_month"],
            "sort_desc": "published",
            "label_column": "title",
            "columns": {
                "article_id": "The site's id of the article; opens the article with its whole thread.",
                "body": "Body lines as published, joined with line breaks.",
                "published": "ISO 8601 in the site's time zone (with its offset).",
                "comment_count": "Comments archived (including those gone from the page since).",
                "published_month": "YYYY-MM of publication in the site's own time (computed from published).",
                "published_year": "Year of publication in the site's own time (computed from published).",
                "comments_shown": "The count the page prints about its thread (empty: it prints none).",
                "comments_complete": "1 when every page of the thread was read; 0: read again next crawl.",
                "extraction": "JSON: how each field was found (profile, fallbacks, Trafilatura) and what was missing.",
                "content_hash": "Hash of title, subtitle, body, author and date: a change keeps the old text in "
                "article_versions.",
                "first_seen": "UTC: first archived.", "last_seen": "UTC: last fetched.",
                "last_changed": "UTC: last time its text changed.",
            },
            "description_html": "Articles as published. The search box is Arabic-aware: "
            "<bdi>ابراهيم</bdi> finds <bdi>إبراهيم</bdi>, <bdi>العراق</bdi> finds <bdi>والعراق</bdi>; "
            '"a phrase", prefix*, AND / OR / NOT.',
        },
        "comments": {
            "fts_table": "comments_search",
            "fts_pk": "id",
            "facets": ["site", "posted_month"],
            # By article, then in page order: rows are added in page order,
            # and Datasette breaks ties by the row id.
            "sort": "article_row",
            "description_html": "Reader comments, one row each, by article and in page order. "
            "<code>article_row</code> links to the article, the article id to the whole thread. "
            "The search box is Arabic-aware.",
            "columns": {
                "article_row": "The article's row in articles (a foreign key).",
                "comment_key": "The site's comment id, or h:<hash of author, title, text> when the page shows none.",
                "comment_id": "The site's comment id, when the page shows one.",
                "position": "Order in the thread as the pages show it (0 first).",
                "parent_key": "comment_key of the comment this one replies to; empty at top level or unknown.",
                "depth": "0 top level, 1 a reply, 2 a reply to a reply; empty when the page does not say.",
                "posted_at": "When it was posted, ISO 8601 in the site's time zone.",
                "likes": "Net likes where the site shows them; the latest seen.",
                "gone_since": "UTC: the first complete read of the thread that no longer showed it "
                "(moderated or deleted); empty while it is shown.",
                "fingerprint": "Hash of author, title and text: an edit changes it (earlier text in comment_versions).",
                "first_seen": "UTC: first archived.", "last_seen": "UTC: last seen on the page.",
                "posted_month": "YYYY-MM it was posted, in the site's own time (computed from posted_at).",
            },
        },
        "crawl_runs": {
            "sort_desc": "id",
            "description": "One row per crawl, newest first: status, verdict (ok, or what went wrong) and coverage.",
        },
        "articles_search": {"hidden": True},
        "comments_search": {"hidden": True},
    }
}

CSS = """/* newscrawl: Arabic reads right to left; each cell, heading and input takes the direction of its own text. */
.rows-and-columns td, .rows-and-columns th, table.rows-and-columns td pre, .row-data td, h1, h2, h3, p,
input[type="search"], input[type="text"], textarea { unicode-bidi: plaintext; text-align: start; }
.rows-and-columns td { max-width: 40em; }
.rows-and-columns td.col-title, .rows-and-columns td.col-text, .rows-and-columns td.col-snippet { min-width: 16em; }
.rows-and-columns td.col-url { min-width: 12em; max-width: 18em; overflow-wrap: anywhere; }
mark { background: #ffe38a; padding: 0 .1em; }
/* Column descriptions: a compact two-column list that scrolls, not a page above the rows. */
dl.column-descriptions { display: grid; grid-template-columns: max-content 1fr; gap: .1em 1em; font-size: .85em;
  max-height: 9em; overflow-y: auto; border: 1px solid #ddd; padding: .4em .6em; }
dl.column-descriptions dt { font-weight: bold; } dl.column-descriptions dd { margin: 0; color: #555; }
"""
# Columns a reader does not need in the table views (the thread page shows
# the body; hashes and HTTP validators are the crawler's bookkeeping):
# hidden in the HTML only, one click shows them; JSON, CSV and SQL keep all.
QUIET_COLUMNS = {
    "articles": ("body", "content_hash", "extraction", "sitemap_lastmod", "http_etag", "http_last_modified"),
    "comments": ("fingerprint", "comment_key"),
}
CSS += "".join(
    f"body.newscrawl-quiet .rows-and-columns .col-{column} {{ display: none; }}\n"
    for columns in QUIET_COLUMNS.values() for column in columns)


_archives = archives


@hookimpl
def startup(datasette) -> Callable[[], Awaitable[None]]:
    async def find_archives() -> None:
        names = set()
        for name, database in datasette.databases.items():
            if name.startswith("_"):
                continue
            if await database.table_exists("articles_search") and await database.table_exists("comments_search"):
                names.add(name)
        set_archives(datasette, names)

    return find_archives


def _database_metadata(name: str) -> dict:
    return {
        **ARCHIVE_METADATA,
        "description_html": (
            f'<a href="{escape(page_path("search", name))}"><strong>Search articles and comments</strong></a>: '
            "Arabic-aware, ranked together, each hit linked to its article's page with the whole comment thread. "
            "Every article id in the tables below opens that page too. "
            f'<a href="{escape(page_path("overview", name))}"><strong>Overview</strong></a>: '
            "articles and comments per month, section and site, thread lengths, commenters, vanished comments, "
            "crawl health."
        ),
    }


INSTANCE_METADATA = {
    "title": "newscrawl archive",
    "description": "Arabic news articles and their reader comments, archived as published by newscrawl.",
    "source": "newscrawl",
    "source_url": "https://github.com/newscrawl/newscrawl",
    "license": "Code: MIT. The articles and comments belong to their publishers and authors: "
    "see each site's terms before republishing them.",
}


@hookimpl
def get_metadata(datasette, key, database, table) -> dict:
    names = _archives(datasette)
    if not names:
        return {}
    # The instance's own metadata.json (--metadata) wins over these defaults.
    return {**INSTANCE_METADATA, "databases": {name: _database_metadata(name) for name in names}}


@hookimpl
def canned_queries(datasette, database, actor) -> dict | None:
    if database in _archives(datasette):
        return {**CANNED_QUERIES, **overview.canned_queries()}
    return None


@hookimpl(trylast=True)  # after Datasette's own escape_fts, so ours is the one registered
def prepare_connection(conn) -> None:
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
def render_cell(row, value, column, table, database, datasette) -> Markup | None:
    # Snippets carry 【match】 marks: show them highlighted, everything else escaped.
    if column == "snippet" and isinstance(value, str) and MARK_OPEN in value:
        html = str(escape(value)).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
        return Markup(html)
    # Every article id (the articles and comments tables, search results,
    # canned queries) opens the article with its thread.
    if column == "article_id" and value is not None and database in archives(datasette):
        keys = row.keys() if hasattr(row, "keys") else ()
        if "site" in keys and row["site"]:
            comment_key = row["comment_key"] if table == "comments" and "comment_key" in keys else None
            href = thread_path(database, row["site"], str(value), comment_key)
            return Markup(f'<a href="{escape(href)}" title="the article with its comments">{escape(value)}</a>')
    return None


@hookimpl
def extra_body_script(template, database, table, columns, view_name, request, datasette) -> str | None:
    """A query the search box cannot read gets the CLI's one-line
    explanation above the results, instead of silently finding nothing."""
    if request is None or database not in archives(datasette):
        return None
    # A canned query's page has no table in its context: its name is in the URL.
    table = table or (request.url_vars or {}).get("table")
    scripts = [_quiet_columns(table)] if view_name == "table" and table in QUIET_COLUMNS else []
    explained = _explain_query(table, request)
    return "\n".join(s for s in (*scripts, explained) if s) or None


def _quiet_columns(table: str) -> str:
    """Hide the bookkeeping columns, with a link that shows them."""
    names = json.dumps(", ".join(QUIET_COLUMNS[table]))
    return ("(function(){var t=document.querySelector('table.rows-and-columns');if(!t)return;"
            "document.body.classList.add('newscrawl-quiet');var a=document.createElement('a');a.href='#';"
            "a.className='newscrawl-show-columns';a.textContent='show all columns ('+" + names + "+')';"
            "a.onclick=function(e){e.preventDefault();document.body.classList.remove('newscrawl-quiet');a.remove();};"
            "var p=document.createElement('p');p.appendChild(a);t.parentNode.insertBefore(p,t);})();")


def _explain_query(table: str | None, request) -> str | None:
    if table in ("articles", "comments"):
        q = request.args.get("_search")
        allowed = ARTICLE_COLUMNS if table == "articles" else COMMENT_COLUMNS
    elif table in ("search_articles", "search_comments"):  # the canned searches
        q = request.args.get("q")
        allowed = ARTICLE_COLUMNS if table == "search_articles" else COMMENT_COLUMNS
    else:
        return None
    if not q:
        return None
    try:
        parse_query(q, columns=allowed)
    except QueryError as exc:
        # As JSON inside <script>: <, > and & written as escapes, so no query can close the script.
        message = json.dumps(f"This search cannot be read: {exc}").replace("<", "\\u003c").replace(
            ">", "\\u003e").replace("&", "\\u0026")
        # textContent: the message quotes the query, which is the visitor's text, never HTML.
        return ("(function(){var p=document.createElement('p');p.className='message-error newscrawl-query-error';"
                f"p.textContent={message};var m=document.querySelector('.content')||document.body;"
                "m.insertBefore(p,m.firstChild);})();")
    return None


@hookimpl
def extra_css_urls() -> list[str]:
    return ["/-/newscrawl.css"]


async def _css(request):
    return Response(CSS, content_type="text/css; charset=utf-8", headers={"Cache-Control": "max-age=3600"})


@hookimpl
def register_routes() -> list[tuple[str, Callable]]:
    return [
        (r"^/-/newscrawl\.css$", _css),
        (r"^/-/thread/(?P<database>[^/]+)/(?P<site>[^/]+)/(?P<article_id>[^/]+)$", thread_page),
        (r"^/-/search/(?P<database>[^/]+)$", search_page),
        (r"^/-/overview/(?P<database>[^/]+)$", overview_page),
    ]


@hookimpl
def database_actions(datasette, actor, database) -> list[dict] | None:
    if database in archives(datasette):
        return [{"href": page_path("search", database), "label": "Search articles and comments"},
                {"href": page_path("overview", database), "label": "Overview: the archive at a glance"}]
    return None
