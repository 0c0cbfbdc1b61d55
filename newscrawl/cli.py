"""The `newscrawl` command: work with the archive that `scrapy crawl` fills.

A thin layer over newscrawl.archive and newscrawl.seedformat; every error is
one line on stderr and a non-zero exit status, never a traceback
(set NEWSCRAWL_DEBUG=1 to see one).

What it prints for a person goes through `say`: the archive keeps text as
published, and a title holding ESC ] 0 ; ... BEL (retitles the window),
ESC [ 2 J (clears the screen), a C1 CSI (U+009B) or a bidi override
(U+202E) reaches the terminal as visible escapes (\\x1b, \\x9b, \\u202e),
not as controls. `--json` output is exact text (json_line): JSON escapes C0
controls itself, and DEL, C1 and bidi controls are written as \\u escapes,
which a JSON reader turns back into the very characters archived.

Which files it works on: `newscrawl.archive.open_archive` recognises an
archive by its marker (PRAGMA application_id) and refuses any other file
before touching it. Commands that only read open it read-only and never
migrate; commands that write (import, reindex, reextract, drain) migrate.
"""

from __future__ import annotations

import contextlib
import difflib
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
from newscrawl.settings import ARCHIVE_DB
from newscrawl.sites import PROFILES
from newscrawl.text import TerminalSafeFormatter, terminal_safe, terminal_safe_json, terminal_safe_logging

DEFAULT_DB = ARCHIVE_DB  # the archive a crawl writes by default (settings.py)
# Larger than any real dump (an article with thousands of comments is a few
# MB); a file above it is refused before it is read.
MAX_IMPORT_MB = 10
JSON_HELP = ("Exact text as archived, for programs: control characters are JSON escapes, which a JSON "
             "reader turns back into the characters published (jq -r prints them raw).")


def _read(db_path: str):
    """The archive, read-only: refused unless it is one; never migrated."""
    return archive.open_archive(db_path, readonly=True)


def _write(db_path: str, create: bool = False):
    """The archive, for writing: migrated, marked; with `create` a missing file becomes one."""
    return archive.open_archive(db_path, create=create)


def _refuse_foreign(db_path: str, create: bool = False) -> None:
    """Refuse a file that is not an archive (or a missing one, unless the
    command makes it) before a writing command takes the lock beside it:
    the lock file would be the first thing it changed."""
    archive.check_archive(db_path, create=create)


def say(message: str = "", err: bool = False) -> None:
    """Print a line for a person: controls in it are shown escaped."""
    click.echo(terminal_safe(str(message)), err=err)


def show(value) -> str:
    """A value from the archive inside a line of output: controls and line breaks escaped."""
    return terminal_safe("" if value is None else str(value), newlines=False)


def json_line(data, **options) -> str:
    """`data` as JSON: exact, and still harmless if printed to a terminal."""
    return terminal_safe_json(json.dumps(data, ensure_ascii=False, **options))


def _same(text: str) -> str:
    return text


def sites_held(db) -> list[str]:
    return [row["site"] for row in db.query("SELECT DISTINCT site FROM articles ORDER BY site")]


def site_warning(db, site: str | None) -> str | None:
    """None if `site` is not given or the archive holds articles of it;
    otherwise one line saying which sites it holds."""
    if not site:
        return None
    held = sites_held(db)
    if site in held:
        return None
    close = difflib.get_close_matches(site, held, n=1)
    return (f"no articles of site {site!r} in the archive; it holds: {', '.join(held) or 'none'}"
            + (f" (did you mean {close[0]}?)" if close else ""))


def _since(value: str | None, option: str = "--since") -> str | None:
    if not value:
        return None
    parsed = parse_date(value, tz="UTC")
    if parsed is None:
        raise click.BadParameter(f"{value!r} is not a date; use ISO form such as 2015-03-24", param_hint=option)
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
@click.version_option(package_name="newscrawl", message="%(prog)s %(version)s")
def cli() -> None:
    """Search, export and import the newscrawl archive (one SQLite file).

    The crawler fills it: `scrapy crawl elaph` writes archive/news.db.

    An archive is marked in its file (PRAGMA application_id 0x4E435257,
    "NCRW"); every command refuses any other file, leaving it as it is.
    stats, search, dump, runs and serve only read (and never upgrade an
    older archive); import, reindex, reextract and drain write. Text from
    the archive is printed with its control characters escaped; --json
    gives it exact.

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
def dump(db_path, out_dir, site, article_id, since) -> None:
    """Write articles as plain-text dumps, OUT/<site>/<article_id>.txt.

    The layout is the seed format (seeds/000_479c496df3c3ad8c.txt): title,
    subtitle, body lines, then "التعليقات" and two lines per comment
    (title; AUTHOR -TEXT). UTF-8, no newline after the last line.
    """
    since_iso = _since(since)
    db = _read(db_path)
    unknown_site = site_warning(db, site)
    if unknown_site:
        raise click.ClickException(unknown_site)
    written = 0
    out = Path(out_dir)
    for article in archive.iter_articles(db, site=site, article_id=article_id, since=since_iso):
        try:
            check_name("site", article["site"])
            check_name("article id", article["article_id"])
        except click.ClickException as exc:
            say(f"warning: skipped: {exc.format_message()}", err=True)
            continue
        result = dump_article(article)
        path = out / article["site"] / f"{article['article_id']}.txt"
        write_atomically(path, result.text)
        for warning in result.warnings:
            say(f"warning: {article['site']}/{article['article_id']}: {show(warning)}", err=True)
        written += 1
    if written == 0:
        what = f"article {site or '*'}/{article_id}" if article_id else "articles"
        raise click.ClickException(f"no {what} in {db_path} match" + (f" since {since}" if since else ""))
    say(f"wrote {written} dump{'s' if written != 1 else ''} to {out}")


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl", show_default=True,
              help="JSON Lines, CSV or Parquet.")
@click.option("--out", required=True, type=click.Path(), help="The file (nested) or folder (--comments flat).")
@click.option("--site", help="Only this site (e.g. elaph).")
@click.option("--since", help="Only articles published on or after this date (ISO, e.g. 2015-03-01).")
@click.option("--until", help="Only articles published before this date.")
@click.option("--comments", "layout", type=click.Choice(["nested", "flat"]), default=None,
              help="nested: comments inside each article (default for jsonl, parquet); "
              "flat: articles and comments as two files in the folder --out (always for csv).")
def export(db_path, fmt, out, site, since, until, layout) -> None:
    """Export articles and their comments, every column, streaming.

    \b
    JSON Lines: one article a line, its comments (thread order) under
    "comments"; Parquet the same as a list of structs, or, with --comments
    flat, articles.parquet and comments.parquet; CSV always two files.
    Text exactly as archived; dates ISO 8601 with their offset. Memory
    stays flat however large the archive; the file appears only when it is
    complete (written as NAME.partial, then renamed).

    \b
    Examples:
      newscrawl export --db archive/news.db --out news.jsonl
      newscrawl export --db archive/news.db --format parquet --out news.parquet --since 2015-01-01
      newscrawl export --db archive/news.db --format csv --out news-csv/ --site elaph
    """
    from newscrawl.export import ExportError, Filters, count
    from newscrawl.export import export as run_export

    filters = Filters(site=site, since=_since(since), until=_since(until, "--until"))
    db = _read(db_path)
    unknown_site = site_warning(db, site)
    if unknown_site:
        raise click.ClickException(unknown_site)
    layout = layout or ("flat" if fmt == "csv" else "nested")
    total = count(db.conn, filters)
    try:
        if sys.stderr.isatty():
            with click.progressbar(length=total, label="articles", file=sys.stderr) as bar:
                done = run_export(db.conn, fmt, Path(out), filters, comments=layout, progress=bar.update)
        else:
            done = run_export(db.conn, fmt, Path(out), filters, comments=layout)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    say(f"exported {done['articles']} articles and {done['comments']} comments to {', '.join(done['files'])}")


@cli.command(name="import")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file (made if missing).")
@click.option("--site", required=True, help="Site the files belong to (e.g. elaph).")
@click.option("--id", "article_id", help="Article id, for a single file whose name is not <id>.txt.")
@click.option("--max-size", "max_mb", default=MAX_IMPORT_MB, show_default=True, type=click.FloatRange(min=0.001),
              help="Largest file to read, in MB; a larger one is refused, not read.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def import_(db_path, site, article_id, max_mb, files) -> None:
    """Read seed-format dumps back into the archive.

    The article id is the file name without .txt (or --id). An article that
    is already archived is merged: changed text is updated (the previous
    version kept), comments not yet archived are added, nothing doubles.

    Files are stored 100 to a transaction (memory holds at most those 100,
    or 32 MB of them, however many are given); a file larger than --max-size is refused with a line
    naming it, and the others are still imported. The archive is made if
    the file is missing or empty; any other file that is not an archive is
    refused and left as it is.
    """
    if article_id and len(files) > 1:
        raise click.UsageError("--id can name one file only")
    check_name("site", site)
    _refuse_foreign(db_path, create=True)
    with archive_lock(db_path, "import"):
        failed = _import_files(db_path, site, article_id, files, int(max_mb * 1_000_000))
    if failed:
        raise click.ClickException(f"{failed} of {len(files)} files could not be imported")


def read_dump_file(path: Path, limit: int) -> str:
    """The text of one dump file, at most `limit` bytes (checked before and while reading)."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > limit:
            raise SeedFormatError(f"{size:,} bytes, larger than the --max-size limit of {limit:,} bytes; not read")
        data = f.read(limit + 1)  # a file that grows, or a device with no size, stops here
    if len(data) > limit:
        raise SeedFormatError(f"larger than the --max-size limit of {limit:,} bytes; not read")
    return data.decode("utf-8")


# Dumps stored per transaction (newscrawl.archive.store_articles), and the
# text they may hold in memory together.
IMPORT_BATCH_FILES = 100
IMPORT_BATCH_BYTES = 32 * 1024 * 1024


def _import_files(db_path, site, article_id, files, limit: int) -> int:
    db = _write(db_path, create=True)
    failed = 0
    batch: list[tuple[str, dict]] = []
    size = 0
    for name in files:
        path = Path(name)
        try:
            text = read_dump_file(path, limit)
            parsed = parse_dump(text)
        except FileNotFoundError:
            say(f"error: {name}: no such file", err=True)
            failed += 1
            continue
        except (OSError, UnicodeDecodeError, SeedFormatError) as exc:
            reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc
            say(f"error: {name}: {show(reason)}", err=True)
            failed += 1
            continue
        try:
            identity = article_id_for(site, article_id or path.stem, name)
        except click.ClickException as exc:
            say(f"error: {exc.format_message()}", err=True)
            failed += 1
            continue
        batch.append((name, {**parsed, "site": site, "article_id": identity, "source": "import",
                             "extraction": {"source": "import", "file": path.name}}))
        size += len(text)
        if len(batch) >= IMPORT_BATCH_FILES or size >= IMPORT_BATCH_BYTES:
            failed += _store_imported(db, batch)
            batch, size = [], 0
    if batch:
        failed += _store_imported(db, batch)
    return failed


def _store_imported(db, batch: list[tuple[str, dict]]) -> int:
    """Store a batch of parsed dumps in one transaction; say what became of each."""
    results = archive.store_articles(db, [article for _, article in batch])
    failed = 0
    for (name, article), result in zip(batch, results, strict=True):  # one result per article
        if isinstance(result, Exception):
            say(f"error: {name}: not stored ({type(result).__name__}: {show(str(result))})", err=True)
            failed += 1
            continue
        say(f"{name}: {article['site']}/{article['article_id']} {result.status}, {result.comments_new} new comments "
            f"({result.comments_total} archived)")
    return failed


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file.")
@click.option("--site", help="Only this site (e.g. elaph).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table. " + JSON_HELP)
def stats(db_path, site, as_json) -> None:
    """How much the archive holds, per site, and how the last crawl ended.

    The file is checked first (PRAGMA quick_check, which reads all of it):
    a damaged archive is one line and exit status 1, not a count.
    """
    db = _read(db_path)
    archive.check_integrity(db, db_path)
    unknown_site = site_warning(db, site)
    if unknown_site:
        say(f"warning: {unknown_site}", err=True)
    data = archive.archive_stats(db, site)
    if as_json:
        click.echo(json_line(data, indent=2))
        return
    if not data["sites"] and not site:
        say(f"{db_path}: empty archive")
    for name, row in data["sites"].items():
        say(
            f"{show(name)}: {row['articles']} articles, {row['comments'] or 0} comments, "
            f"published {show(row['first_published'] or '?')} .. {show(row['last_published'] or '?')}"
        )
    say(f"earlier versions kept: {data['article_versions']}")
    run = data["last_run"]
    if run:
        say(f"last crawl: #{run['id']} {show(run['spider'])} {show(run['status'])}, started {show(run['started'])}, "
            f"ended {show(run['finished'] or '-')}")


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file.")
@click.option("--articles", "only_articles", is_flag=True, help="Only articles (default: articles and comments).")
@click.option("--comments", "only_comments", is_flag=True, help="Only reader comments.")
@click.option("--site", help="Only this site (e.g. elaph).")
@click.option("--since", help="Only articles (or comments) from this date on (ISO, e.g. 2015-03-01).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="How many hits.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line. " + JSON_HELP)
@click.argument("query", nargs=-1, required=True)
def search(db_path, only_articles, only_comments, site, since, limit, as_json, query) -> None:
    """Search articles and reader comments the way a reader means it.

    Hamza forms, harakat, tatweel, ة/ه, ى/ي and the prefixes ال وال بال كال
    فال لل (and و on longer words) do not matter: ابراهيم finds إبراهيم,
    العراق finds والعراق, كتب finds كَتَبَ.
    Articles and comments are searched together and ranked together (bm25),
    each hit labelled "article" or "comment" and shown with the matching
    words marked in the text as published; --articles or --comments narrows
    the search to one. A query matching more than 2,000 rows is ranked among
    its 2,000 most recently archived matches (the cost of ranking grows with
    every row ranked); --site and --since apply before that cut.

    \b
    Query language:
      العراق سوريا              both words
      "خندق واحد"               a phrase
      كتب*                      words starting with كتب
      داعش OR الدولة            either word
      العراق NOT إيران          the first without the second
      title:العراق              only in titles (also title:"خندق واحد",
                                title:(a OR b), {title body}:x, -body:x)
      NEAR(العراق سوريا, 5)     both, at most 5 words apart (10 without ", 5")
    Columns: articles have title, subtitle, body; comments title, author,
    text. A column only one of them has searches that one: author:ابراهيم
    finds a commenter, body:العراق article text.
    A column name that does not exist, or NEAR(...) with brackets or
    operators inside, is an error that says what to write.

    Text from the archive is printed with its control characters escaped
    (\\x1b, \\u202e): a title cannot retitle the window or reverse a line.

    \b
    Examples:
      newscrawl search --db archive/news.db ابراهيم الجعفري
      newscrawl search --db archive/news.db --comments --since 2015-01-01 '"خندق واحد"'
      newscrawl search --db archive/news.db author:ابراهيم
      newscrawl search --db archive/news.db --json مستشفي | jq .title
    """
    from newscrawl.search.engine import search_archive
    from newscrawl.search.index import index_is_current
    from newscrawl.search.query import QueryError

    since_iso = _since(since)
    db = _read(db_path)
    if not index_is_current(db):
        say("warning: the search index was built by another version of the normalizer; "
            f"run: newscrawl reindex --db {db_path}", err=True)
    unknown_site = site_warning(db, site)
    if unknown_site:
        say(f"warning: {unknown_site}", err=True)
    tty = sys.stdout.isatty() and not as_json
    markers = ("\x1b[1m", "\x1b[0m") if tty else ("[", "]")
    try:
        # For a person the snippet's text is escaped before the markers go in
        # (they may be the terminal's bold on/off); for --json it is exact.
        hits = search_archive(db, " ".join(query), articles=only_articles or not only_comments,
                              comments=only_comments or not only_articles, site=site, since=since_iso, limit=limit,
                              markers=markers, escape=_same if as_json else terminal_safe)
    except QueryError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        for hit in hits:
            click.echo(json_line(hit.as_dict()))
        return
    if not hits:
        if not unknown_site:
            say("no hits", err=True)
        return
    for n, hit in enumerate(hits, 1):
        date = show((hit.published or "")[:10] or "----------")
        comment = hit.kind == "comment"
        who = f" #{show(hit.comment_id)} {show(hit.author or '(no name)')}:" if comment else ""
        say(f"{n:>3}. {hit.kind:<7} {show(hit.site)}/{show(hit.article_id)}  {date}  {show(hit.title)}")
        # Not through say(): the snippet is escaped already and holds the markers.
        click.echo(f"     {who} {hit.snippet}".rstrip() if who else f"     {hit.snippet}")


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file.")
def reindex(db_path) -> None:
    """Rebuild the search indexes from the archive's text.

    Needed only after the normalizer changed (newscrawl search says so) or
    after the archive was edited by other tools; crawls and imports keep the
    indexes up to date themselves. It also upgrades an archive of an older
    schema (which read-only commands refuse, saying so).

    The file is checked first (PRAGMA quick_check): a damaged archive is
    one line and exit status 1, and is not written to.
    """
    from newscrawl.search.index import reindex as rebuild

    _refuse_foreign(db_path)
    with archive_lock(db_path, "reindex"):  # one long transaction: not beside a crawl
        archive.check_integrity(None, db_path)  # before a migration could write to it
        db = _write(db_path)
        counts = rebuild(db)
    say(f"indexed {counts['articles']} articles and {counts['comments']} comments in {counts['seconds']} s")


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.option("-o", "--open", "open_browser", is_flag=True, help="Open a browser at the archive.")
def serve(db_path, host, port, open_browser) -> None:
    """Browse and search the archive in Datasette, read-only.

    The project's Datasette plugin makes the search boxes of `articles` and
    `comments` Arabic-aware, adds the canned queries search_articles,
    search_comments and article_with_comments, facets on site, section and
    date, and shows Arabic right to left. Safe to run while a crawl writes.

    \b
    Example:
      newscrawl serve --db archive/news.db -o
    """
    _read(db_path).close()  # one clear line if it is missing or not an archive
    args = [sys.executable, "-m", "datasette", "serve", db_path, "--host", host, "--port", str(port),
            "--setting", "default_page_size", "50", "--setting", "sql_time_limit_ms", "5000",
            # Article bodies are long: tables show their start, a row's page all of it.
            "--setting", "truncate_cells_html", "300"]
    if open_browser:
        args.append("--open")
    say(f"serving {db_path} at http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    os.execv(sys.executable, args)  # Datasette takes over this process


def _cores() -> int:
    """The cores this process may run on: reextract's default --jobs."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file.")
@click.option("--site", help="Only this site (default: every site with a profile).")
@click.option("--since", help="Only articles published on or after this date (ISO).")
@click.option("--warc-dir", type=click.Path(file_okay=False), help="WARC folder (default: warc beside the archive).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes that extract, beside this one, which stores (default: one per core, "
                   f"here {_cores()}). --jobs 1 extracts in this process.")
@click.option("--check-charsets", is_flag=True,
              help="Run the charset check on every page again, instead of decoding each as the crawl did "
                   "(after a fix to the check).")
def reextract(db_path, site, since, warc_dir, jobs, check_charsets) -> None:
    """Re-run extraction over the raw pages kept as WARC, without fetching.

    Works for the sites with a profile (not for `generic` crawls).

    Use it after improving a site profile: every article page stored in the
    WARC files (the latest copy of each) is extracted again with its comment
    pages, and the archive is updated under the crawl's rules (changed text
    replaced with the old version kept, new comments added, nothing doubled).

    The articles are shared out among --jobs worker processes, a chunk at a
    time, each chunk with every WARC record its threads need; this process
    stores what they return, in article order, so the archive and the
    counts are the same for any --jobs. Each site's summary ends with the
    time taken and the CPU per article spent extracting (shared by the
    jobs) and storing (this process alone): more jobs help while extraction
    is the larger part, up to the cores free for them. A page whose
    extraction fails is named and the run exits 1; a worker that dies (or
    Ctrl-C) stops the run with one line, keeping what was stored: run the
    command again to finish.

    Each page is decoded with the charset the crawl settled on, which the
    WARC files keep beside it; pages without that note (WARC files of older
    versions or other tools) go through the charset check, as in a crawl.

    \b
    Examples:
      newscrawl reextract --db archive/news.db --site elaph --since 2015-01-01
      newscrawl reextract --db archive/news.db --jobs 3   # leave a core free
    """
    from scrapy.spiderloader import get_spider_loader
    from scrapy.utils.project import get_project_settings

    from newscrawl.reextract import ReextractFailed, Reextractor, Report, Workers
    from newscrawl.warcindex import index_warcs

    jobs = jobs or _cores()

    since_iso = _since(since)
    _refuse_foreign(db_path)
    folder = Path(warc_dir) if warc_dir else Path(db_path).parent / "warc"
    if not folder.is_dir():
        raise click.ClickException(f"no WARC folder at {folder} (crawls write it unless WARC_ENABLED is off)")
    names = _reextract_sites(site)
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
    loader = get_spider_loader(get_project_settings())
    spiders = {name: loader.load(name) for name in names}
    # The workers are forked now, with all imported, before the lock and
    # the archive are opened (nothing of the writer's state is copied into
    # them); they wait for work while this process indexes the WARC files.
    # A site whose work fits one chunk is extracted here, as with --jobs 1.
    workers = Workers(jobs, spiders, db_path, since_iso, start_method="fork") if jobs > 1 else None
    with workers or contextlib.nullcontext():
        # What the spider notices about a page (a looping comments link, a
        # mislabelled charset) is shown as it would be in a crawl's log.
        handler = logging.StreamHandler()
        handler.setFormatter(TerminalSafeFormatter(logging.Formatter("  note: %(message)s")))
        logging.basicConfig(level=logging.WARNING, handlers=[handler])
        with archive_lock(db_path, "reextract"):
            db = _write(db_path)
            unknown_site = site_warning(db, site)
            if unknown_site:  # the WARC files may still hold its pages: go on
                say(f"warning: {unknown_site}", err=True)
            failed = 0
            seen = Report()
            indexed = (index_warcs(folder, seen, crawl_charsets=not check_charsets), seen)  # once, for every site
            for name in names:
                reextractor = Reextractor(spiders[name], db_path, db, folder, since_iso, jobs=jobs, workers=workers)
                try:
                    report = reextractor.run(indexed)
                except ReextractFailed as exc:
                    raise click.ClickException(f"{name}: {exc}") from None
                except KeyboardInterrupt:
                    stored = sum(reextractor.report.articles.values())
                    raise click.ClickException(f"{name}: interrupted; {stored} articles were stored before "
                                               "(the archive is intact: run the command again)") from None
                _say_reextracted(name, report)
                failed += len(report.failed)
    if failed:
        raise click.ClickException(f"{failed} article pages could not be re-extracted (named above); "
                                   "their archived copies are as they were")


def _reextract_sites(site: str | None) -> list[str]:
    """The sites `reextract` goes over: `site`, or every site with a profile."""
    # The generic profile takes any URL for an article: over a WARC folder it
    # would re-read every site's pages as generic ones.
    profiled = sorted(name for name in PROFILES if name != "generic")
    names = [site] if site else profiled
    for name in names:
        if name not in profiled:
            raise click.ClickException(f"cannot re-extract site {name!r}; sites with a profile: {', '.join(profiled)}")
    return names


def _say_reextracted(name: str, report) -> None:
    """The summary of one site's re-extraction: counts, time and CPU, what changed, what went wrong."""
    counts = ", ".join(f"{n} {status}" for status, n in sorted(report.articles.items())) or "no articles"
    say(f"{name}: {report.pages} pages from {report.warc_files} WARC files: {counts}; "
        f"{report.comments_new} new comments")
    articles = sum(report.articles.values()) + len(report.failed)
    if articles:
        say(f"  {report.seconds:.1f} s with {report.jobs} {'job' if report.jobs == 1 else 'jobs'}; CPU per "
            f"article: extraction {report.extract_cpu / articles * 1000:.2f} ms, "
            f"store {report.store_cpu / articles * 1000:.2f} ms")
    if report.changed_fields:
        say("  changed: " + ", ".join(f"{f} x{n}" for f, n in report.changed_fields.most_common()))
    for reason, n in report.dropped.items():
        say(f"  dropped {n}: {show(reason)}", err=True)
    if report.incomplete:
        say(f"  {report.incomplete} threads incomplete (a comments page is not in the WARC files)", err=True)
    for problem in report.unreadable:
        say(f"  warning: {show(problem)}", err=True)
    for problem in report.failed:
        say(f"  not re-extracted: {show(problem)}", err=True)


@cli.command()
@click.option("--site", required=True, help="The site profile to try (elaph, hespress, alquds, generic, ...).")
@click.option("--warc", type=click.Path(exists=True), help="A WARC file or folder a crawl kept; with --url.")
@click.option("--url", help="The page's address: the record to take from --warc, or the URL a file was saved from.")
@click.argument("page", required=False)
def doctor(site, warc, url, page) -> None:
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
        say(line)  # the page's text, class names and URLs: controls escaped


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000), help="How many runs.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line, with all stats. " + JSON_HELP)
def runs(db_path, limit, as_json) -> None:
    """The history of crawl runs: how each ended, what it stored, how well it read the site.

    Coverage is the share of article pages where the profile found the
    title (T), body (B), date (D) and comments block (C). A run that stopped
    for a template change or a block says so in its verdict.
    """
    db = _read(db_path)
    rows = archive.list_runs(db, limit)
    if as_json:
        for row in rows:
            row = dict(row)
            for key in ("args", "stats", "coverage"):
                row[key] = json.loads(row[key]) if row.get(key) else None
            click.echo(json_line(row))
        return
    if not rows:
        say(f"{db_path}: no crawl runs yet")
        return
    say(f"{'run':>4}  {'spider':<8} {'started':<20} {'min':>5}  {'status':<16} {'new':>5} {'upd':>4} "
               f"{'comments':>8}  {'T':>4} {'B':>4} {'D':>4} {'C':>4}  verdict")
    for row in rows:
        stats = json.loads(row["stats"] or "{}")
        cov = json.loads(row["coverage"] or "{}")
        minutes = f"{stats.get('elapsed_time_seconds', 0) / 60:.1f}" if stats else "-"

        def pct(name, cov=cov):
            value = cov.get(name)
            return f"{value:.0%}" if isinstance(value, (int, float)) else "-"

        say(
            f"{row['id']:>4}  {show(row['spider']):<8} {show(row['started'][:19]):<20} {minutes:>5}  "
            f"{show(row['status']):<16} "
            f"{show(stats.get('archive/articles_new', 0)):>5} {show(stats.get('archive/articles_updated', 0)):>4} "
            f"{show(stats.get('archive/comments_new', 0)):>8}  "
            f"{pct('title'):>4} {pct('body'):>4} {pct('published'):>4} "
            f"{pct('comments_block'):>4}  {show(row['verdict'] or '')}"
        )


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="The archive file (made if missing).")
@click.option("--redis", "redis_url", required=True, help="The Redis the workers use, e.g. redis://127.0.0.1:6379/0")
@click.option("--idle", type=click.FloatRange(min=0), help="Exit after this many seconds without items "
              "and without a live worker (default: run until stopped with Ctrl-C).")
def drain(db_path, redis_url, idle) -> None:
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

    _refuse_foreign(db_path, create=True)
    server = redis.Redis.from_url(redis_url)
    try:
        server.ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        raise click.ClickException(f"cannot reach Redis at {redis_url}: {exc}") from None
    with archive_lock(db_path, "drain"):
        db = _write(db_path, create=True)
        worker = Drain(db, server)
        try:
            report = worker.run(idle=idle)
        except DrainBusy as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            report = worker.report  # an item cut short stays in the processing list, stored on the next start
        counts = ", ".join(f"{n} {status}" for status, n in sorted(report.articles.items())) or "no articles"
        say(f"drained {report.items} items in {report.batches} transactions: {counts}; "
            f"{report.comments_new} new comments; {report.runs} worker runs recorded"
            + (f"; {report.recovered} recovered" if report.recovered else "")
            + (f"; {report.failed} not storable, kept in newscrawl:items:failed" if report.failed else ""))
        for reason, n in report.dropped.items():
            say(f"  dropped {n}: {show(reason)}", err=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning every error into one line."""
    terminal_safe_logging()  # log lines (the drain's, reextract's notes) quote what pages say
    try:
        cli.main(args=argv, prog_name="newscrawl", standalone_mode=False)
        return 0
    except click.UsageError as exc:
        if type(exc).__name__.startswith("NoArgsIsHelp"):  # bare `newscrawl`: show the help
            click.echo(exc.format_message())
            return 0
        command = exc.ctx.command_path if exc.ctx else "newscrawl"
        _error(f"{exc.format_message()} (see {command} --help)")
        return 2
    except click.ClickException as exc:
        _error(exc.format_message())
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        _error("aborted")
        return 1
    except ArchiveLocked as exc:  # another writer (a crawl) holds the archive
        _error(f"{exc}; try again when it has finished")
        return 4
    except (archive.ArchiveError, SeedFormatError, OSError, sqlite3.Error) as exc:
        _error(str(exc))
        return 1
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except Exception as exc:  # the promise: never a traceback
        if os.environ.get("NEWSCRAWL_DEBUG"):
            raise
        _error(f"unexpected {type(exc).__name__}: {exc} (NEWSCRAWL_DEBUG=1 shows the traceback)")
        return 1


def _error(message: str) -> None:
    """The one line of an error: whatever it quotes (a file name, a site's
    text) cannot add a line or reach the terminal as a control."""
    message = show(message)
    if len(message) > 400:  # an SQLite error may quote a whole damaged value
        message = message[:400] + "…"
    click.echo(f"Error: {message}", err=True)


if __name__ == "__main__":
    sys.exit(main())
