"""The pages a reader of the archive opens in Datasette, beside its tables.

- ``/-/thread/<database>/<site>/<article_id>``: the article and its whole
  thread, untruncated: replies under their parents (newscrawl/thread.py),
  author, date and time as the site gave them, likes, comments no longer
  shown on the page (gone_since) and edited ones (earlier versions one
  click away), the site's URL; right to left throughout.
- ``/-/overview/<database>?site=...``: the archive at a glance, per site
  or whole: articles and comments per month, per section and site, thread
  lengths, replies, commenters, vanished comments, crawl health over time
  (newscrawl/overview.py: each chart one SQL query, also a canned query).
- ``/-/search/<database>?q=...``: one search over articles and comments,
  ranked together with newscrawl.search.engine.search_archive (the code
  path of `newscrawl search`), snippets highlighted, paged, each hit
  linked to its thread page (a comment hit to its place in the thread).

Registered by newscrawl/datasette_plugin.py; the HTML is Jinja inside
Datasette's own base template, so the header, crumbs and CSS are its own.
"""

from __future__ import annotations

import weakref
from datetime import datetime
from urllib.parse import quote, unquote, urlencode

from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from newscrawl.overview import CHARTS, COVERAGE_FIELDS, RUNS_SQL, svg_chart
from newscrawl.search.engine import search_archive
from newscrawl.search.query import QueryError
from newscrawl.thread import in_thread_order

MARK_OPEN, MARK_CLOSE = "\u3010", "\u3011"  # as the plugin's snippets: 【match】
PER_PAGE = 50
MAX_PAGES = 20  # search_archive ranks at most 1,000 hits


def thread_path(database: str, site: str, article_id: str, comment_key: str | None = None) -> str:
    # Tilde-encoded, as Datasette names databases and rows: a / in an id, an
    # Arabic site or file name cannot split or break the path.
    path = f"/-/thread/{tilde_encode(database)}/{tilde_encode(site)}/{tilde_encode(str(article_id))}"
    return path + (f"#c-{quote(comment_key, safe='')}" if comment_key else "")


def page_path(kind: str, database: str) -> str:
    return f"/-/{kind}/{tilde_encode(database)}"


def url_var(request, name: str) -> str:
    """A path segment as written by thread_path (tilde-encoded) or typed (percent-encoded)."""
    return tilde_decode(unquote(request.url_vars[name]))


def shown_date(value: str | None) -> str:
    """An ISO 8601 date as the site gave it: its own local time and offset,
    "2015-03-24 10:00 (UTC+03:00)"; a date without a time as it is."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if len(value) <= 10:
        return value
    offset = moment.strftime("%z")
    zone = f" (UTC{offset[:3]}:{offset[3:]})" if offset else ""
    return f"{moment:%Y-%m-%d %H:%M}{zone}"


def marked(snippet: str) -> Markup:
    """A snippet with its 【】 marks as <mark>, everything else escaped."""
    return Markup(str(escape(snippet)).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>"))


# In the templates, a backslash that ends a line joins it to the next one
# (Python drops both): the page gets one line where the source needs two.
THREAD_TEMPLATE = """{% extends "base.html" %}
{% block title %}{{ article.title }}{% endblock %}
{% block extra_head %}<style>
.newscrawl-thread { max-width: 50em; }
.newscrawl-thread .meta, .newscrawl-thread .comment-meta { color: #555; font-size: 0.9em;
  unicode-bidi: isolate; direction: rtl; text-align: right; }
/* Dates, numbers and URLs read left to right inside the right-to-left lines. */
.newscrawl-thread .ltr { unicode-bidi: isolate; direction: ltr; }
.newscrawl-thread .body p { line-height: 1.7; }
.newscrawl-thread .comment { border-inline-start: 3px solid #d6d6d6; padding: .3em .8em; margin: .8em 0; }
.newscrawl-thread .comment.gone { border-color: #c0392b; background: #fbeeee; }
.newscrawl-thread summary { text-align: right; cursor: pointer; }
.newscrawl-thread .badge { font-size: .8em; padding: 0 .4em; border-radius: .3em; background: #eee; }
.newscrawl-thread .badge.gone { background: #c0392b; color: #fff; }
.newscrawl-thread .comment .text, .newscrawl-thread .body p { white-space: pre-wrap; line-height: 1.6;
  unicode-bidi: plaintext; text-align: start; }  /* each text in its own direction: Arabic right, Latin left */
</style>{% endblock %}
{% block content %}
<div class="newscrawl-thread" dir="rtl" lang="ar">
<h1>{{ article.title }}</h1>
{% if article.subtitle %}<p class="subtitle"><strong>{{ article.subtitle }}</strong></p>{% endif %}
<p class="meta">
<span class="ltr">{{ article.site }}</span> · \
<time class="ltr" datetime="{{ article.published or '' }}">{{ published }}</time>\
{% if article.author %} · {{ article.author }}{% endif %}{% if article.section %} · {{ article.section }}{% endif %}
{% if article.url %} · {% if web_url %}\
<a class="ltr" href="{{ web_url }}" rel="noopener noreferrer nofollow">{{ article.url }}</a>\
{% else %}<span class="ltr">{{ article.url }}</span>{% endif %}{% endif %}
· <a href="{{ row_url }}">row</a>
</p>
<div class="body">{% for line in body %}<p>{{ line }}</p>{% endfor %}</div>
<h2 id="comments">{{ comments|length }} {{ "comment" if comments|length == 1 else "comments" }}\
{% if article.comments_shown is not none %} (the page shows {{ article.comments_shown }}){% endif %}\
{% if gone %}, {{ gone }} no longer shown{% endif %}\
{% if not article.comments_complete %} · thread incomplete, read again next crawl{% endif %}</h2>
{% for entry in comments %}{% set c = entry.comment %}
<article class="comment{% if c.gone_since %} gone{% endif %}" id="c-{{ c.comment_key }}" \
data-depth="{{ entry.depth }}" style="margin-inline-start: {{ entry.depth * 2 }}em">
<div class="comment-meta"><strong class="author">{{ c.author or "(no name)" }}</strong>
{% if c.posted_at %} · <time class="ltr" datetime="{{ c.posted_at }}">{{ shown_date(c.posted_at) }}</time>{% endif %}
{% if c.likes is not none %} · <span class="ltr">{{ c.likes }} likes</span>{% endif %}
{% if entry.depth %} · \
<a class="ltr" href="#c-{{ c.parent_key }}">reply to {{ parents.get(c.parent_key, "") }}</a>{% endif %}
{% if c.gone_since %} \
<span class="badge gone ltr">no longer shown since {{ shown_date(c.gone_since) }}</span>{% endif %}
{% if versions.get(c.comment_key) %} <span class="badge">edited</span>{% endif %}</div>
{% if c.title %}<h3 class="comment-title">{{ c.title }}</h3>{% endif %}
<div class="text">{{ c.text }}</div>
{% if versions.get(c.comment_key) %}<details><summary>earlier versions ({{ versions[c.comment_key]|length }})</summary>
{% for v in versions[c.comment_key] %}<div class="version"><p class="comment-meta">\
<span class="ltr">until {{ shown_date(v.replaced_at) }}</span>\
{% if v.author != c.author %} · {{ v.author }}{% endif %}</p>
{% if v.title %}<h4>{{ v.title }}</h4>{% endif %}<div class="text">{{ v.text }}</div></div>{% endfor %}\
</details>{% endif %}
</article>
{% endfor %}
</div>
{% endblock %}
"""

SEARCH_TEMPLATE = """{% extends "base.html" %}
{% block title %}Search {{ database }}{% endblock %}
{% block extra_head %}<style>
.newscrawl-search { max-width: 55em; }
.newscrawl-search .hit { margin: 1em 0; }
.newscrawl-search .kind { font-size: .8em; padding: 0 .4em; border-radius: .3em; background: #eee; }
.newscrawl-search .snippet { line-height: 1.7; }
.newscrawl-search .error { color: #c0392b; }
.newscrawl-search .ltr { unicode-bidi: isolate; direction: ltr; }
.newscrawl-search .hit { unicode-bidi: isolate; direction: rtl; text-align: right; }
mark { background: #ffe38a; padding: 0 .1em; }
</style>{% endblock %}
{% block content %}
<div class="newscrawl-search">
<h1>Search articles and comments</h1>
<form action="" method="get">
<p><input type="search" name="q" value="{{ q }}" dir="auto" size="50" aria-label="query">
<select name="kind">{% for value, label in kinds %}\
<option value="{{ value }}"{% if value == kind %} selected{% endif %}>{{ label }}</option>{% endfor %}</select>
<input type="submit" value="Search"></p>
<p class="meta">Arabic-aware: hamza forms, harakat, ة/ه, ى/ي and prefixes such as وال, بال, ال do not matter.
"a phrase", prefix*, AND / OR / NOT, title: author: body:, NEAR(a b, 5) as in <code>newscrawl search</code>.</p>
</form>
{% if error %}<p class="error">{{ error }}</p>{% endif %}
{% if q and not error %}\
<p>{{ "no hits" if not hits else "hits %d–%d%s" % (first, first + hits|length - 1, " of more" if more else "") }}</p>\
{% endif %}
<div dir="rtl" lang="ar">
{% for hit in hits %}
<div class="hit"><span class="kind">{{ hit.kind }}</span>
<a class="hit-link" href="{{ hit.link }}"><strong>{{ hit.title }}</strong></a>
<span class="meta"><span class="ltr">{{ hit.site }}/{{ hit.article_id }}</span> · \
<span class="ltr">{{ hit.date }}</span>{% if hit.author %} · {{ hit.author }}{% endif %}</span>
<div class="snippet">{{ hit.snippet }}</div></div>
{% endfor %}
</div>
<p>{% if previous %}<a href="{{ previous }}">← previous</a>{% endif %} \
{% if more %}<a class="next" href="{{ more }}">next →</a>{% endif %}</p>
</div>
{% endblock %}
"""


# Datasette instance -> names of its databases that are newscrawl archives
# (found by the plugin's startup hook).
_ARCHIVES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def archives(datasette) -> set[str]:
    """Names of the databases of this Datasette that are newscrawl archives."""
    return _ARCHIVES.get(datasette, set())


def set_archives(datasette, names: set[str]) -> None:
    _ARCHIVES[datasette] = names


async def _archive(datasette, request, database: str):
    """The named database, if it is a newscrawl archive this visitor may see."""
    if database not in archives(datasette):
        raise NotFound(f"no archive named {database}")
    # Each table through its own chain: ensure_permissions stops at the first
    # definite answer, so one list would let "articles allowed" open the
    # comments (and their earlier versions) too.
    for table in ("articles", "comments", "comment_versions"):
        await datasette.ensure_permissions(request.actor, [("view-table", (database, table)),
                                                           ("view-database", database), "view-instance"])
    return datasette.get_database(database)


async def thread_page(datasette, request) -> Response:
    database = url_var(request, "database")
    site, article_id = url_var(request, "site"), url_var(request, "article_id")
    db = await _archive(datasette, request, database)
    found = (await db.execute("SELECT * FROM articles WHERE site = ? AND article_id = ?", [site, article_id])).rows
    if not found:
        raise NotFound(f"no article {site}/{article_id} in {database}")
    article = dict(found[0])
    comments = [dict(r) for r in (await db.execute(
        "SELECT * FROM comments WHERE site = ? AND article_id = ? ORDER BY position", [site, article_id])).rows]
    versions: dict[str, list[dict]] = {}
    for row in (await db.execute("SELECT * FROM comment_versions WHERE site = ? AND article_id = ? ORDER BY id",
                                 [site, article_id])).rows:
        versions.setdefault(row["comment_key"], []).append(dict(row))
    context = {
        "database": database, "article": article, "body": (article["body"] or "").split("\n"),
        "published": shown_date(article["published"]), "comments": in_thread_order(comments),
        "gone": sum(1 for c in comments if c.get("gone_since")), "versions": versions,
        "parents": {c["comment_key"]: c["author"] or "(no name)" for c in comments},
        "shown_date": shown_date, "row_url": datasette.urls.row(database, "articles", str(article["id"])),
        # A link only to the web: a url another tool wrote (javascript:, data:) is shown, never followed.
        "web_url": article["url"] if str(article["url"] or "").lower().startswith(("http://", "https://")) else None,
    }
    template = datasette.jinja_env.from_string(THREAD_TEMPLATE)
    return Response.html(await datasette.render_template(template, context, request=request))


KINDS = (("all", "articles and comments"), ("articles", "articles"), ("comments", "comments"))


async def search_page(datasette, request) -> Response:
    database = url_var(request, "database")
    db = await _archive(datasette, request, database)
    q = (request.args.get("q") or "").strip()
    kind = request.args.get("kind") if request.args.get("kind") in dict(KINDS) else "all"
    try:
        page = min(max(1, int(request.args.get("page") or 1)), MAX_PAGES)
    except ValueError:
        page = 1
    hits, error, more = [], None, False
    if q:
        wanted = page * PER_PAGE + 1  # one more than shown: is there a next page?

        def run(conn):
            return search_archive(conn, q, articles=kind != "comments", comments=kind != "articles", limit=wanted,
                                  markers=(MARK_OPEN, MARK_CLOSE))

        try:
            found = await db.execute_fn(run)
        except QueryError as exc:
            error = str(exc)
        else:
            more = len(found) > page * PER_PAGE and page < MAX_PAGES
            for hit in found[(page - 1) * PER_PAGE: page * PER_PAGE]:
                hits.append({
                    "kind": hit.kind, "title": hit.title, "site": hit.site, "article_id": hit.article_id,
                    "date": shown_date(hit.published), "author": hit.author if hit.kind == "comment" else None,
                    "snippet": marked(hit.snippet),
                    "link": thread_path(database, hit.site, hit.article_id,
                                        _comment_key(hit) if hit.kind == "comment" else None),
                })
    def page_url(n: int) -> str:
        return f"{request.path}?{urlencode({'q': q, 'kind': kind, 'page': n})}"

    context = {"database": database, "q": q, "kind": kind, "kinds": KINDS, "hits": hits, "error": error,
               "first": (page - 1) * PER_PAGE + 1, "more": page_url(page + 1) if more else None,
               "previous": page_url(page - 1) if page > 1 and q else None}
    template = datasette.jinja_env.from_string(SEARCH_TEMPLATE)
    return Response.html(await datasette.render_template(template, context, request=request))


def _comment_key(hit) -> str:
    return hit.comment_key or hit.comment_id


OVERVIEW_TEMPLATE = """{% extends "base.html" %}
{% block title %}Overview of {{ database }}{% endblock %}
{% block extra_head %}<style>
.newscrawl-overview svg.chart rect { fill: #2b6b9a; }
.newscrawl-overview svg.chart text { font-size: 12px; fill: #333; }
.newscrawl-overview .chart-box { margin: 1.5em 0; overflow-x: auto; }
.newscrawl-overview .meta { color: #555; font-size: .9em; }
.newscrawl-overview td.ok { background: #e7f5e7; } .newscrawl-overview td.bad { background: #fbeeee; }
</style>{% endblock %}
{% block content %}
<div class="newscrawl-overview">
<h1>Overview{% if site %}: {{ site }}{% endif %}</h1>
<p>{{ totals.articles }} articles, {{ totals.comments }} comments\
{% if totals.gone %}, {{ totals.gone }} no longer shown{% endif %}.
Sites: <a href="?site=">all</a>{% for name in sites %} · <a href="?site={{ name|urlencode }}">{{ name }}</a>{% endfor %}
· <a href="{{ search_url }}">search</a></p>
{% for chart in charts %}
<div class="chart-box" id="{{ chart.name }}"><h2>{{ chart.title }}</h2>
{% if chart.description %}<p class="meta">{{ chart.description }}</p>{% endif %}
{{ chart.svg }}
<p class="meta"><a href="{{ chart.query_url }}">the numbers (SQL, CSV, JSON)</a></p></div>
{% endfor %}
<div class="chart-box" id="crawl_health"><h2>Crawl health</h2>
<p class="meta">The last 30 runs: share of article pages where each field was found. \
<a href="{{ runs_url }}">the numbers</a></p>
<table class="rows-and-columns"><thead><tr><th>run</th><th>spider</th><th>started</th><th>status</th>
{% for f in fields %}<th>{{ f }}</th>{% endfor %}<th>verdict</th></tr></thead><tbody>
{% for run in runs %}<tr><td>{{ run.id }}</td><td>{{ run.spider }}</td><td>{{ run.started }}</td>
<td class="{{ 'ok' if run.status == 'finished' else 'bad' }}">{{ run.status }}</td>
{% for f in fields %}<td>{{ run.coverage.get(f) if run.coverage.get(f) is not none else "" }}</td>{% endfor %}
<td class="{{ 'ok' if run.verdict == 'ok' else 'bad' }}">{{ run.verdict or "" }}</td></tr>{% endfor %}
</tbody></table></div>
</div>
{% endblock %}
"""


async def overview_page(datasette, request) -> Response:
    import json

    database = url_var(request, "database")
    db = await _archive(datasette, request, database)
    site = request.args.get("site") or ""
    params = {"site": site}
    sites = [r[0] for r in (await db.execute("SELECT DISTINCT site FROM articles ORDER BY site")).rows]
    charts = []
    for chart in CHARTS:
        rows = [(r[0], r[1]) for r in (await db.execute(chart.sql, params)).rows]
        charts.append({"name": chart.name, "title": chart.title, "description": chart.description,
                       "svg": svg_chart(chart, rows),
                       "query_url": f"{datasette.urls.database(database)}/overview_{chart.name}?{urlencode(params)}"})
    runs = []
    for row in (await db.execute(RUNS_SQL, params)).rows:
        run = dict(row)
        try:
            run["coverage"] = json.loads(run["coverage"] or "{}") or {}
        except ValueError:
            run["coverage"] = {}
        runs.append(run)
    where = "" if not site else " WHERE site = :site"
    totals = dict((await db.execute(
        f"SELECT (SELECT count(*) FROM articles{where}) AS articles, "
        f"(SELECT count(*) FROM comments{where}) AS comments, "
        f"(SELECT count(*) FROM comments WHERE gone_since IS NOT NULL{' AND site = :site' if site else ''}) AS gone",
        params)).rows[0])
    context = {"database": database, "site": site, "sites": sites, "charts": charts, "runs": runs,
               "search_url": page_path("search", database),
               "fields": COVERAGE_FIELDS, "totals": totals,
               "runs_url": f"{datasette.urls.database(database)}/overview_crawl_health?{urlencode(params)}"}
    template = datasette.jinja_env.from_string(OVERVIEW_TEMPLATE)
    return Response.html(await datasette.render_template(template, context, request=request))
