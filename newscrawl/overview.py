"""The archive at a glance: each chart is one SQL query and its drawing.

Every chart's numbers come from its query alone (`CHARTS`), which the
Datasette plugin also registers as a canned query (``overview_<name>``),
so whatever a chart shows can be exported as CSV or JSON from there. The
queries take ``:site`` ('' for every site). Months are the site's own:
``substr(published, 1, 7)`` of a date stored with its offset, not a UTC
bucket. The drawing is plain SVG made here (no JavaScript, works offline),
each bar carrying its label and value as data attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    sql: str  # rows of (label, value), in the order to draw them
    description: str = ""
    columns: bool = False  # a time series drawn as columns; otherwise horizontal bars


SITE = "(:site = '' OR {alias}site = :site)"

CHARTS = (
    Chart("articles_per_month", "Articles per month",
          f"""select substr(published, 1, 7) as label, count(*) as value from articles
where published is not null and {SITE.format(alias='')}
group by label order by label""", "By the month of publication, in the site's own time zone.", columns=True),
    Chart("comments_per_month", "Comments per month",
          f"""select substr(coalesce(c.posted_at, a.published), 1, 7) as label, count(*) as value
from comments c join articles a on a.id = c.article_row
where coalesce(c.posted_at, a.published) is not null and {SITE.format(alias='c.')}
group by label order by label""",
          "By the month a comment was posted (its article's month when the page gives no date).",
          columns=True),
    Chart("comments_per_section", "Comments per section",
          f"""select coalesce(nullif(a.section, ''), '(none)') as label, count(c.id) as value
from articles a left join comments c on c.article_row = a.id
where {SITE.format(alias='a.')}
group by label order by value desc, label limit 20""", "The 20 sections with the most comments."),
    Chart("comments_per_site", "Comments per site",
          f"""select a.site as label, count(c.id) as value
from articles a left join comments c on c.article_row = a.id
where {SITE.format(alias='a.')}
group by label order by value desc, label"""),
    Chart("thread_lengths", "Articles by thread length",
          f"""select case when comment_count = 0 then '0' when comment_count = 1 then '1'
  when comment_count <= 5 then '2-5' when comment_count <= 10 then '6-10' when comment_count <= 20 then '11-20'
  when comment_count <= 50 then '21-50' when comment_count <= 100 then '51-100' else '101+' end as label,
  count(*) as value, min(comment_count) as sort_key
from articles where {SITE.format(alias='')}
group by label order by sort_key""", "How many articles have how many archived comments."),
    Chart("threads_with_replies", "Threads with replies",
          f"""select case when exists (select 1 from comments r where r.article_row = a.id and r.parent_key is not null)
  then 'with replies' else 'no replies shown' end as label, count(*) as value
from articles a where a.comment_count > 0 and {SITE.format(alias='a.')}
group by label order by label desc""",
          "Articles with comments, by whether any comment is a reply the page links to its parent."),
    Chart("most_active_commenters", "Most active commenters",
          f"""select author as label, count(*) as value from comments
where author != '' and {SITE.format(alias='')}
group by author order by value desc, author limit 20""",
          "The 20 names that signed the most comments (a name is what the page shows, not a person)."),
    Chart("longest_threads", "Longest threads",
          f"""select title as label, comment_count as value from articles
where {SITE.format(alias='')} order by comment_count desc, published desc limit 10"""),
    Chart("vanished_comments", "Comments no longer shown, by month they vanished",
          f"""select substr(gone_since, 1, 7) as label, count(*) as value from comments
where gone_since is not null and {SITE.format(alias='')}
group by label order by label""", "Moderation and deletion seen from outside (gone_since, UTC).", columns=True),
)

RUNS_SQL = """select id, spider, started, status, verdict, coverage from crawl_runs
where (:site = '' or spider = :site) order by id desc limit 30"""
COVERAGE_FIELDS = ("title", "body", "date", "comments")


def canned_queries() -> dict:
    queries = {f"overview_{c.name}": {"title": f"Overview: {c.title}", "sql": c.sql, "description": c.description,
                                      "params": ["site"]} for c in CHARTS}
    queries["overview_crawl_health"] = {"title": "Overview: crawl health", "sql": RUNS_SQL, "params": ["site"],
                                        "description": "The last 30 runs: status, verdict, field coverage."}
    return queries


def svg_chart(chart: Chart, rows: list[tuple[str, int]], width: int = 720) -> Markup:
    """A bar chart of (label, value) rows as inline SVG."""
    if not rows:
        return Markup('<p class="empty">nothing yet</p>')
    top = max(value for _, value in rows) or 1
    if chart.columns:
        return _columns(chart, rows, top, width)
    bar, gap, label_width = 20, 6, 330
    height = len(rows) * (bar + gap)
    parts = [f'<svg class="chart bars" data-chart="{chart.name}" width="{width}" height="{height}" '
             f'role="img" aria-label="{escape(chart.title)}">']
    for n, (label, value) in enumerate(rows):
        y = n * (bar + gap)
        length = max(1, int((width - label_width - 70) * value / top))
        text = str(label)
        shown = text if len(text) <= 36 else text[:35] + "…"
        parts.append(
            f'<g class="bar" data-label="{escape(text)}" data-value="{value}">'
            f'<text x="{label_width - 8}" y="{y + bar - 6}" text-anchor="end">{escape(shown)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar}">'
            f'<title>{escape(text)}: {value:,}</title></rect>'
            f'<text x="{label_width + length + 6}" y="{y + bar - 6}">{value:,}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _columns(chart: Chart, rows, top: int, width: int) -> Markup:
    height, bottom = 200, 24
    step = max(2.0, (width - 50) / len(rows))
    every = max(1, int(60 / step) + 1)  # a label every so many columns, never overlapping
    parts = [f'<svg class="chart columns" data-chart="{chart.name}" width="{int(50 + step * len(rows))}" '
             f'height="{height + bottom}" role="img" aria-label="{escape(chart.title)}">',
             f'<text x="0" y="12">{top:,}</text>']
    for n, (label, value) in enumerate(rows):
        x = 50 + n * step
        h = max(1, int((height - 16) * value / top))
        parts.append(f'<g class="bar" data-label="{escape(str(label))}" data-value="{value}">'
                     f'<rect x="{x:.1f}" y="{height - h}" width="{max(1.0, step - 1):.1f}" height="{h}">'
                     f'<title>{escape(str(label))}: {value:,}</title></rect>'
                     + (f'<text x="{x:.1f}" y="{height + 16}">{escape(str(label))}</text>' if n % every == 0 else "")
                     + "</g>")
    parts.append("</svg>")
    return Markup("".join(parts))
