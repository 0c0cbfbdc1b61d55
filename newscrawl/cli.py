"""The `newscrawl` command: work with the archive that `scrapy crawl` fills.

A thin layer over newscrawl.archive and newscrawl.seedformat; every error is
one line on stderr and a non-zero exit status, never a traceback
(set NEWSCRAWL_DEBUG=1 to see one).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import sys
from pathlib import Path

import click

from newscrawl import archive
from newscrawl.dates import parse_date, to_iso
from newscrawl.lock import ArchiveLocked, archive_lock
from newscrawl.seedformat import SeedFormatError, dump_article, parse_dump
from newscrawl.sites import PROFILES

DEFAULT_DB = "archive/news.db"


def _open(db_path: str, create: bool = False):
    return archive.open_archive(db_path, create=create)


def _since(value: str | None) -> str | None:
    if not value:
        return None
    parsed = parse_date(value, tz="UTC")
    if parsed is None:
        raise click.BadParameter(f"{value!r} is not a date; use ISO form such as 2015-03-24", param_hint="--since")
    return to_iso(parsed)


_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_name(kind: str, value: str) -> str:
    """A site or article id is a file name in dumps: letters, digits, . _ - only."""
    if not _SAFE_NAME.match(value) or ".." in value:
        raise click.ClickException(f"{kind} {value!r} cannot be a file name (letters, digits, '.', '_', '-')")
    return value


def article_id_for(site: str, identity: str, source: str) -> str:
    """The article id an imported file gets, checked against the site's profile."""
    check_name("article id", identity)
    profile = PROFILES.get(site)
    if profile and not re.fullmatch(profile.article_id_pattern, identity):
        raise click.ClickException(
            f"{source}: {identity!r} is not an article id of {site} (pattern {profile.article_id_pattern}); "
            "name the file <id>.txt or give --id"
        )
    return identity


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(text.encode("utf-8"))
    os.replace(tmp, path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli():
    """Search, export and import the newscrawl archive (one SQLite file).

    The crawler fills it: `scrapy crawl elaph` writes archive/news.db.

    \b
    Examples:
      newscrawl stats --db archive/news.db
      newscrawl dump --db archive/news.db --out archive/dumps --since 2015-01-01
      newscrawl dump --db archive/news.db --out /tmp/one --id 994567
      newscrawl import --db archive/news.db --site elaph archive/dumps/elaph/*.txt
    """


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the dumps.")
@click.option("--site", help="Only this site (e.g. elaph).")
@click.option("--id", "article_id", help="Only this article id.")
@click.option("--since", help="Only articles published on or after this date (ISO, e.g. 2015-03-01).")
def dump(db_path, out_dir, site, article_id, since):
    """Write articles as plain-text dumps, OUT/<site>/<article_id>.txt.

    The layout is the seed format (seeds/000_479c496df3c3ad8c.txt): title,
    subtitle, body lines, then "التعليقات" and two lines per comment
    (title; AUTHOR -TEXT). UTF-8, no newline after the last line.
    """
    since_iso = _since(since)
    db = _open(db_path)
    written = 0
    out = Path(out_dir)
    for article in archive.iter_articles(db, site=site, article_id=article_id, since=since_iso):
        try:
            check_name("site", article["site"])
            check_name("article id", article["article_id"])
        except click.ClickException as exc:
            click.echo(f"warning: skipped: {exc.format_message()}", err=True)
            continue
        result = dump_article(article)
        path = out / article["site"] / f"{article['article_id']}.txt"
        write_atomically(path, result.text)
        for warning in result.warnings:
            click.echo(f"warning: {article['site']}/{article['article_id']}: {warning}", err=True)
        written += 1
    if written == 0:
        what = f"article {site or '*'}/{article_id}" if article_id else "articles"
        raise click.ClickException(f"no {what} in {db_path} match" + (f" since {since}" if since else ""))
    click.echo(f"wrote {written} dump{'s' if written != 1 else ''} to {out}")


@cli.command(name="import")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file (made if missing).")
@click.option("--site", required=True, help="Site the files belong to (e.g. elaph).")
@click.option("--id", "article_id", help="Article id, for a single file whose name is not <id>.txt.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def import_(db_path, site, article_id, files):
    """Read seed-format dumps back into the archive.

    The article id is the file name without .txt (or --id). An article that
    is already archived is merged: changed text is updated (the previous
    version kept), comments not yet archived are added, nothing doubles.
    """
    if article_id and len(files) > 1:
        raise click.UsageError("--id can name one file only")
    check_name("site", site)
    with archive_lock(db_path, "import"):
        failed = _import_files(db_path, site, article_id, files)
    if failed:
        raise click.ClickException(f"{failed} of {len(files)} files could not be imported")


def _import_files(db_path, site, article_id, files) -> int:
    db = _open(db_path, create=True)
    failed = 0
    for name in files:
        path = Path(name)
        try:
            text = path.read_bytes().decode("utf-8")
            parsed = parse_dump(text)
        except FileNotFoundError:
            click.echo(f"error: {name}: no such file", err=True)
            failed += 1
            continue
        except (OSError, UnicodeDecodeError, SeedFormatError) as exc:
            reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc
            click.echo(f"error: {name}: {reason}", err=True)
            failed += 1
            continue
        try:
            identity = article_id_for(site, article_id or path.stem, name)
        except click.ClickException as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
            failed += 1
            continue
        result = archive.store_article(
            db, {**parsed, "site": site, "article_id": identity, "source": "import", "extraction": {"source": "import", "file": path.name}}
        )
        click.echo(f"{name}: {site}/{identity} {result.status}, {result.comments_new} new comments ({result.comments_total} archived)")
    return failed


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def stats(db_path, as_json):
    """How much the archive holds, per site, and how the last crawl ended."""
    db = _open(db_path)
    data = archive.archive_stats(db)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if not data["sites"]:
        click.echo(f"{db_path}: empty archive")
    for site, row in data["sites"].items():
        click.echo(
            f"{site}: {row['articles']} articles, {row['comments'] or 0} comments, "
            f"published {row['first_published'] or '?'} .. {row['last_published'] or '?'}"
        )
    click.echo(f"earlier versions kept: {data['article_versions']}")
    run = data["last_run"]
    if run:
        click.echo(f"last crawl: #{run['id']} {run['spider']} {run['status']}, started {run['started']}, ended {run['finished'] or '-'}")


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file.")
@click.option("--comments", is_flag=True, help="Search reader comments instead of articles.")
@click.option("--site", help="Only this site (e.g. elaph).")
@click.option("--since", help="Only articles (or comments) from this date on (ISO, e.g. 2015-03-01).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="How many hits.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@click.argument("query", nargs=-1, required=True)
def search(db_path, comments, site, since, limit, as_json, query):
    """Search articles (or comments) the way a reader means it.

    Hamza forms, harakat, tatweel, ة/ه, ى/ي and the prefixes ال وال بال كال
    فال لل (and و on longer words) do not matter: ابراهيم finds إبراهيم,
    العراق finds والعراق, كتب finds كَتَبَ.
    Hits are ranked (bm25) and shown with the matching words marked in the
    text as published. A query matching more than 2,000 rows is ranked among
    its 2,000 most recently archived matches (the cost of ranking grows with
    every row ranked); --site and --since apply before that cut.

    \b
    Query language:
      العراق سوريا              both words
      "خندق واحد"               a phrase
      كتب*                      words starting with كتب
      داعش OR الدولة            either word
      العراق NOT إيران          the first without the second
    \b
    Examples:
      newscrawl search --db archive/news.db ابراهيم الجعفري
      newscrawl search --db archive/news.db --comments --since 2015-01-01 '"خندق واحد"'
      newscrawl search --db archive/news.db --json مستشفي | jq .title
    """
    from newscrawl.search.engine import search as run_search
    from newscrawl.search.index import index_is_current
    from newscrawl.search.query import QueryError

    since_iso = _since(since)
    db = _open(db_path)
    if not index_is_current(db):
        click.echo("warning: the search index was built by another version of the normalizer; "
                   f"run: newscrawl reindex --db {db_path}", err=True)
    tty = sys.stdout.isatty() and not as_json
    markers = ("\x1b[1m", "\x1b[0m") if tty else ("[", "]")
    try:
        hits = run_search(db, " ".join(query), comments=comments, site=site, since=since_iso, limit=limit,
                          markers=markers)
    except QueryError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        for hit in hits:
            click.echo(json.dumps(hit.as_dict(), ensure_ascii=False))
        return
    if not hits:
        click.echo("no hits", err=True)
        return
    for n, hit in enumerate(hits, 1):
        date = (hit.published or "")[:10] or "----------"
        who = f" #{hit.comment_id} {hit.author or '(no name)'}:" if comments else ""
        click.echo(f"{n:>3}. {hit.site}/{hit.article_id}  {date}  {hit.title}")
        click.echo(f"     {who} {hit.snippet}".rstrip() if who else f"     {hit.snippet}")


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file.")
def reindex(db_path):
    """Rebuild the search indexes from the archive's text.

    Needed only after the normalizer changed (newscrawl search says so) or
    after the archive was edited by other tools; crawls and imports keep the
    indexes up to date themselves.
    """
    from newscrawl.search.index import reindex as rebuild

    db = _open(db_path)
    with archive_lock(db_path, "reindex"):  # one long transaction: not beside a crawl
        counts = rebuild(db)
    click.echo(f"indexed {counts['articles']} articles and {counts['comments']} comments in {counts['seconds']} s")


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.option("-o", "--open", "open_browser", is_flag=True, help="Open a browser at the archive.")
def serve(db_path, host, port, open_browser):
    """Browse and search the archive in Datasette, read-only.

    The project's Datasette plugin makes the search boxes of `articles` and
    `comments` Arabic-aware, adds the canned queries search_articles,
    search_comments and article_with_comments, facets on site, section and
    date, and shows Arabic right to left. Safe to run while a crawl writes.

    \b
    Example:
      newscrawl serve --db archive/news.db -o
    """
    _open(db_path).close()  # one clear line if it is missing or not an archive
    args = [sys.executable, "-m", "datasette", "serve", db_path, "--host", host, "--port", str(port),
            "--setting", "default_page_size", "50", "--setting", "sql_time_limit_ms", "5000",
            # Article bodies are long: tables show their start, a row's page all of it.
            "--setting", "truncate_cells_html", "300"]
    if open_browser:
        args.append("--open")
    click.echo(f"serving {db_path} at http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    os.execv(sys.executable, args)  # Datasette takes over this process


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file.")
@click.option("--site", help="Only this site (default: every site with a profile).")
@click.option("--since", help="Only articles published on or after this date (ISO).")
@click.option("--warc-dir", type=click.Path(file_okay=False), help="WARC folder (default: warc beside the archive).")
def reextract(db_path, site, since, warc_dir):
    """Re-run extraction over the raw pages kept as WARC, without fetching.

    Works for the sites with a profile (not for `generic` crawls).

    Use it after improving a site profile: every article page stored in the
    WARC files (the latest copy of each) is extracted again with its comment
    pages, and the archive is updated under the crawl's rules (changed text
    replaced with the old version kept, new comments added, nothing doubled).

    \b
    Example:
      newscrawl reextract --db archive/news.db --site elaph --since 2015-01-01
    """
    from scrapy.spiderloader import get_spider_loader
    from scrapy.utils.project import get_project_settings

    from newscrawl.reextract import Reextractor

    since_iso = _since(since)
    folder = Path(warc_dir) if warc_dir else Path(db_path).parent / "warc"
    if not folder.is_dir():
        raise click.ClickException(f"no WARC folder at {folder} (crawls write it unless WARC_ENABLED is off)")
    # The generic profile takes any URL for an article: over a WARC folder it
    # would re-read every site's pages as generic ones.
    profiled = sorted(name for name in PROFILES if name != "generic")
    names = [site] if site else profiled
    for name in names:
        if name not in profiled:
            raise click.ClickException(f"cannot re-extract site {name!r}; sites with a profile: {', '.join(profiled)}")
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
    loader = get_spider_loader(get_project_settings())
    # What the spider notices about a page (a looping comments link, a
    # mislabelled charset) is shown as it would be in a crawl's log.
    logging.basicConfig(level=logging.WARNING, format="  note: %(message)s")
    with archive_lock(db_path, "reextract"):
        db = _open(db_path)
        for name in names:
            report = Reextractor(loader.load(name), db_path, db, folder, since_iso).run()
            counts = ", ".join(f"{n} {status}" for status, n in sorted(report.articles.items())) or "no articles"
            click.echo(f"{name}: {report.pages} pages from {report.warc_files} WARC files: {counts}; "
                       f"{report.comments_new} new comments")
            if report.changed_fields:
                click.echo("  changed: " + ", ".join(f"{f} x{n}" for f, n in report.changed_fields.most_common()))
            for reason, n in report.dropped.items():
                click.echo(f"  dropped {n}: {reason}", err=True)
            if report.incomplete:
                click.echo(f"  {report.incomplete} threads incomplete (a comments page is not in the WARC files)", err=True)
            for problem in report.unreadable:
                click.echo(f"  warning: {problem}", err=True)


@cli.command()
@click.option("--site", required=True, help="The site profile to try (elaph, hespress, alquds, generic, ...).")
@click.option("--warc", type=click.Path(exists=True), help="A WARC file or folder a crawl kept; with --url.")
@click.option("--url", help="The page's address: the record to take from --warc, or the URL a file was saved from.")
@click.argument("page", required=False)
def doctor(site, warc, url, page):
    """Show what a site profile matches on one page, field by field.

    For each field: every selector of the profile, how many elements it
    matched and the first value, and what the extraction chose. For the
    comments: the profile's block and items, the count the page prints,
    and what the generic detector finds on its own, written as selectors
    to paste into the profile. Nothing is stored.

    PAGE is a saved HTML file or a URL on this machine (127.0.0.1). A crawl
    that stops on a template change (exit 5), or sees comments it could not
    read, prints the doctor command for a page it kept.

    \b
    Examples:
      newscrawl doctor --site alquds saved-page.html --url 'https://www.alquds.co.uk/?p=123'
      newscrawl doctor --site generic http://127.0.0.1:8000/2024/05/story/
      newscrawl doctor --site elaph --warc archive/warc --url https://elaph.com/Web/News/2015/3/993653.html
    """
    from newscrawl.doctor import DoctorError, diagnose, read_page

    if site not in PROFILES:
        raise click.ClickException(f"unknown site {site!r}; known: {', '.join(sorted(PROFILES))}")
    try:
        html, page_url = read_page(page, warc=warc, url=url)
    except DoctorError as exc:
        raise click.ClickException(str(exc)) from None
    for line in diagnose(html, page_url, PROFILES[site]):
        click.echo(line)


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000), help="How many runs.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line, with all stats.")
def runs(db_path, limit, as_json):
    """The history of crawl runs: how each ended, what it stored, how well it read the site.

    Coverage is the share of article pages where the profile found the
    title (T), body (B), date (D) and comments block (C). A run that stopped
    for a template change or a block says so in its verdict.
    """
    db = _open(db_path)
    rows = archive.list_runs(db, limit)
    if as_json:
        for row in rows:
            row = dict(row)
            for key in ("args", "stats", "coverage"):
                row[key] = json.loads(row[key]) if row.get(key) else None
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"{db_path}: no crawl runs yet")
        return
    click.echo(f"{'run':>4}  {'spider':<8} {'started':<20} {'min':>5}  {'status':<16} {'new':>5} {'upd':>4} "
               f"{'comments':>8}  {'T':>4} {'B':>4} {'D':>4} {'C':>4}  verdict")
    for row in rows:
        stats = json.loads(row["stats"] or "{}")
        cov = json.loads(row["coverage"] or "{}")
        minutes = f"{stats.get('elapsed_time_seconds', 0) / 60:.1f}" if stats else "-"

        def pct(name):
            value = cov.get(name)
            return f"{value:.0%}" if isinstance(value, (int, float)) else "-"

        click.echo(
            f"{row['id']:>4}  {row['spider']:<8} {row['started'][:19]:<20} {minutes:>5}  {row['status']:<16} "
            f"{stats.get('archive/articles_new', 0):>5} {stats.get('archive/articles_updated', 0):>4} "
            f"{stats.get('archive/comments_new', 0):>8}  {pct('title'):>4} {pct('body'):>4} {pct('published'):>4} "
            f"{pct('comments_block'):>4}  {row['verdict'] or ''}"
        )


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file (made if missing).")
@click.option("--redis", "redis_url", required=True, help="The Redis the workers use, e.g. redis://127.0.0.1:6379/0")
@click.option("--idle", type=click.FloatRange(min=0), help="Exit after this many seconds without items "
              "and without a live worker (default: run until stopped with Ctrl-C).")
def drain(db_path, redis_url, idle):
    """Store what distributed workers crawl: the one writer of the archive.

    Workers are ordinary crawls given -s REDIS_URL: they share one frontier
    in Redis and push finished articles there; this stores them with the
    crawl's own rules (nothing twice, nothing lost) and tells the workers what
    the archive already holds, so they fetch only what changed.

    \b
    Example, two workers and the drain:
      newscrawl drain --db archive/news.db --redis redis://127.0.0.1:6379/0 &
      scrapy crawl elaph -s REDIS_URL=redis://127.0.0.1:6379/0 &
      scrapy crawl elaph -s REDIS_URL=redis://127.0.0.1:6379/0
    """
    import redis

    from newscrawl.drain import Drain, DrainBusy

    server = redis.Redis.from_url(redis_url)
    try:
        server.ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        raise click.ClickException(f"cannot reach Redis at {redis_url}: {exc}") from None
    with archive_lock(db_path, "drain"):
        db = _open(db_path, create=True)
        worker = Drain(db, server)
        try:
            report = worker.run(idle=idle)
        except DrainBusy as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            report = worker.report  # an item cut short stays in the processing list, stored on the next start
        counts = ", ".join(f"{n} {status}" for status, n in sorted(report.articles.items())) or "no articles"
        click.echo(f"drained {report.items} items: {counts}; {report.comments_new} new comments; "
                   f"{report.runs} worker runs recorded" + (f"; {report.recovered} recovered" if report.recovered else "")
                   + (f"; {report.failed} not storable, kept in newscrawl:items:failed" if report.failed else ""))
        for reason, n in report.dropped.items():
            click.echo(f"  dropped {n}: {reason}", err=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning every error into one line."""
    try:
        cli.main(args=argv, prog_name="newscrawl", standalone_mode=False)
        return 0
    except click.UsageError as exc:
        if type(exc).__name__.startswith("NoArgsIsHelp"):  # bare `newscrawl`: show the help
            click.echo(exc.format_message())
            return 0
        command = exc.ctx.command_path if exc.ctx else "newscrawl"
        click.echo(f"Error: {exc.format_message()} (see {command} --help)", err=True)
        return 2
    except click.ClickException as exc:
        click.echo(f"Error: {exc.format_message()}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("Error: aborted", err=True)
        return 1
    except ArchiveLocked as exc:  # another writer (a crawl) holds the archive
        click.echo(f"Error: {exc}; try again when it has finished", err=True)
        return 4
    except (archive.ArchiveError, SeedFormatError, OSError, sqlite3.Error) as exc:
        click.echo(f"Error: {exc}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("Error: interrupted", err=True)
        return 130
    except Exception as exc:  # the promise: never a traceback
        if os.environ.get("NEWSCRAWL_DEBUG"):
            raise
        click.echo(f"Error: unexpected {type(exc).__name__}: {exc} (NEWSCRAWL_DEBUG=1 shows the traceback)", err=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
