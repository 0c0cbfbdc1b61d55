"""`newscrawl doctor`: what a site profile matches on one page, field by field.

For a maintainer facing a template the profile no longer fits: every
selector of every field with what it matched (how many, and the first
value), what the extraction chose, and for the comments what the generic
detector finds on its own, as selectors to paste into the profile.

The page comes from a file, a URL on this machine (127.0.0.1: a page served
for a test), or the WARC files a crawl kept (`--warc DIR --url URL`). The
doctor never fetches from another host: a crawl's requests go through its
politeness rules, and a one-off diagnosis must not bypass them.
"""

from __future__ import annotations

import ipaddress
import shlex
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.http import HtmlResponse, Request

from newscrawl.comment_signals import comment_signals
from newscrawl.extract import _values, extract_article, page_selector, select
from newscrawl.sites.base import SiteProfile
from newscrawl.text import short_hash, terminal_safe

MAX_PAGE_BYTES = 50_000_000
SHOWN = 70  # characters of a value shown


class DoctorError(Exception):
    """A page that cannot be read: one line for the user."""


# --- where the page comes from ---------------------------------------------------


def read_page(page: str | None = None, *, warc: str | None = None, url: str | None = None) -> tuple[str, str]:
    """(html, url) of the page to diagnose: a file, a local URL, or a WARC record."""
    if warc:
        if not url:
            raise DoctorError("--warc needs --url: the address of the page in the WARC files")
        return _from_warc(Path(warc), url)
    if not page:
        raise DoctorError("give a page: a file, a URL on 127.0.0.1, or --warc DIR --url URL")
    if urlsplit(page).scheme in ("http", "https"):
        return _from_local_url(page)
    path = Path(page)
    if not path.is_file():
        raise DoctorError(f"no file at {page}")
    return _decoded(path.read_bytes(), url or f"http://localhost/{path.name}", {})


def _decoded(body: bytes, url: str, headers: dict) -> tuple[str, str]:
    """The text a crawl would see: Scrapy's charset rules, then the project's repair."""
    from newscrawl.middlewares import CharsetMiddleware

    response = HtmlResponse(url, body=body, headers=headers, request=Request(url))
    response = CharsetMiddleware(_NoStats()).process_response(response.request, response)
    return response.text, url


class _NoStats:
    def inc_value(self, *args, **kwargs) -> None:
        pass


def _is_local(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _from_local_url(url: str) -> tuple[str, str]:
    if not _is_local(urlsplit(url).hostname or ""):
        raise DoctorError(f"doctor reads pages on this machine only, not {url}: save the page and give the file, "
                          "or use the crawl's WARC files (--warc DIR --url URL)")
    try:
        with urllib.request.urlopen(url, timeout=20) as answer:
            body = answer.read(MAX_PAGE_BYTES + 1)
            headers = {"Content-Type": answer.headers.get("Content-Type", "")}
    except OSError as exc:
        raise DoctorError(f"cannot read {url}: {exc}") from None
    if len(body) > MAX_PAGE_BYTES:
        raise DoctorError(f"{url} is larger than {MAX_PAGE_BYTES:,} bytes")
    return _decoded(body, url, headers)


def _from_warc(where: Path, url: str) -> tuple[str, str]:
    from newscrawl.reextract import Report
    from newscrawl.warcindex import index_warcs, read_page

    if where.is_file():
        folder, only = where.parent, where
    elif where.is_dir():
        folder, only = where, None
    else:
        raise DoctorError(f"no WARC file or folder at {where}")
    stored = [p for p in index_warcs(folder, Report()).get(url, []) if only is None or p.path == only]
    if not stored:
        raise DoctorError(f"{url} is not in the WARC files at {where}")
    status, headers, body = read_page(stored[-1])  # the latest copy
    return _decoded(body, url, dict(headers))


def doctor_command(settings, site: str, response) -> str:
    """The command that shows what the profile matches on this page: from the
    WARC the crawl keeps, or from a copy saved beside the archive when WARC
    writing is off."""
    from newscrawl.warc import warc_dir

    if settings.getbool("WARC_ENABLED"):
        return (f"newscrawl doctor --site {site} --warc {shlex.quote(str(warc_dir(settings)))} "
                f"--url {shlex.quote(response.url)}")
    folder = Path(settings.get("ARCHIVE_DB") or "archive/news.db").parent / "samples"
    path = folder / f"{site}-{short_hash(response.url)}.html"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(response.body)
    except OSError as exc:
        return f"(sample page not saved: {exc})"
    return f"newscrawl doctor --site {site} {shlex.quote(str(path))} --url {shlex.quote(response.url)}"


# --- what the profile matches --------------------------------------------------------


def _shown(value: str) -> str:
    value = terminal_safe(value)
    return repr(value if len(value) <= SHOWN else value[:SHOWN] + "…")


def _selector_lines(root, selectors: tuple[str, ...]) -> list[str]:
    if not selectors:
        return ["    (no selectors)"]
    lines, chosen = [], False
    for css in selectors:
        try:
            matches = select(root, css)
        except Exception as exc:  # a selector the profile got wrong: say which
            lines.append(f"    {css}\n        invalid selector: {exc}")
            continue
        value = next(_values(root, css), "")
        mark = ""
        if value and not chosen:
            mark, chosen = "   <- used", True
        lines.append(f"    {css}\n        {_matches(len(matches))}{': ' + _shown(value) if value else ''}{mark}")
    return lines


def _matches(n: int) -> str:
    return f"{n} match{'es' if n != 1 else ''}"


FIELDS = ("title", "subtitle", "author", "published", "section", "canonical", "tags", "body")


def diagnose(html: str, url: str, profile: SiteProfile) -> list[str]:
    """The report, line by line."""
    sel = page_selector(html, url)
    root = sel.root
    got = extract_article(html, url, profile)
    out = [f"page {url} with the {profile.name} profile ({profile.layout_period})"]
    if got.notes.get("layout"):
        out.append(f"layout: {got.notes['layout']}")
    for name in FIELDS:
        out.append(f"\n{name}")
        out += _selector_lines(root, getattr(profile, name))
        out.append(f"  chosen: {_chosen(got, name)}")
        source = got.notes.get(name) if isinstance(got.notes.get(name), str) else None
        if source:
            out.append(f"  found by: {source}")
    out.append("")
    out += _comment_lines(root, profile, got, url)
    for problem in got.notes.get("problems", ()):
        out.append(f"problem: {terminal_safe(problem)}")
    if got.notes.get("missing"):
        out.append(f"missing: {', '.join(got.notes['missing'])}")
    return out


def _chosen(got, name: str) -> str:
    value = getattr(got, name)
    if name == "body":
        if not value:
            return "nothing"
        return f"{len(value)} lines (by {got.notes.get('body')}), first {_shown(value[0])}, last {_shown(value[-1])}"
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value) or "nothing"
    return _shown(value) if value else "nothing"


def _comment_lines(root, profile: SiteProfile, got, url: str) -> list[str]:
    thread = got.comments
    out = ["comments"]
    rules = profile.comments
    if rules is None:
        out.append("    (no selectors: the generic detector reads the thread)")
    else:
        blocks = select(root, rules.block) if rules.block else []
        out.append(f"    block {rules.block}\n        {_matches(len(blocks))}")
        in_page = select(root, rules.item) if rules.item else []
        in_block = sum(len(select(b, rules.item)) for b in blocks)
        out.append(f"    items {rules.item}\n        {in_block} in the block, {len(in_page)} in the whole page")
    out.append(f"  read by: {thread.method}, {len(thread.comments)} comments")
    signals = comment_signals(root)
    shown = "no count" if signals.shown is None else f"count {signals.shown}"
    out.append(f"  the page shows: {shown}; signals: {', '.join(signals.sources) or 'none'}")
    for n, comment in enumerate(thread.comments[:2], 1):
        out.append(f"    {n}. {_shown(comment.get('author') or '')}: {_shown(comment.get('text') or '')}")
    if thread.next_urls:
        out.append(f"  next page: {terminal_safe(thread.next_urls[0])}")
    if thread.failure:
        out.append(f"  FAILING: {terminal_safe(thread.failure)}")
    out += _detector_lines(root, profile, url, thread.detected)
    return out


def _detector_lines(root, profile: SiteProfile, url: str, found=None) -> list[str]:
    """The detector's own finding (already made when it read the thread)."""
    from newscrawl.comment_detector import detect_comments

    found = found or detect_comments(root, url, profile.timezone)
    if found is None or not found.comments:
        return ["  detector: no comment thread found on the page"]
    replies = sum(1 for c in found.comments if c.get("parent") is not None)
    out = [f"  detector: {len(found.comments)} comments ({replies} replies) in {found.block_css}",
           f"    items: {found.items_css}"]
    for n, comment in enumerate(found.comments[:2], 1):
        out.append(f"    {n}. {_shown(comment.get('author') or '')}: {_shown(comment.get('text') or '')}")
    if found.pingbacks:
        out.append(f"    ({found.pingbacks} pingbacks/trackbacks left out)")
    out.append("    to paste into the profile (CommentSelectors):")
    out += [f"      {line}" for line in _selectors_to_paste(found)]
    return out


# The detector's names for a comment's parts -> CommentSelectors' fields.
_PART_FIELDS = (("title", "title", True), ("author", "author", True), ("date", "posted_at", True),
                ("text", "text", False))


def _selectors_to_paste(found) -> list[str]:
    """The detector's finding as CommentSelectors arguments. A part it read
    without a selector of its own (the item's text once the parts are
    out) is left for the maintainer, and says so."""
    lines = [f'block="{found.block_css}",', f'item="{found.items_css}",']
    for part, name, as_tuple in _PART_FIELDS:
        css = found.parts.get(part)
        if not css:
            continue
        if css.startswith("("):  # "(item text)": no element of its own
            lines.append(f"# {name}: no element of its own on this page {css}")
        else:
            lines.append(f'{name}=("{css}",),' if as_tuple else f'{name}="{css}",')
    return lines
