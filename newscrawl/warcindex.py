"""Where each page is in a folder of WARC files: the index re-extraction
and `newscrawl doctor` read the pages by.

`index_warcs` lists, for every URL, its stored 200 responses (file, offset,
date, the charset the crawl read it with). Building that reads and inflates
every record of every file: a second of CPU for every 8,000 records, and for
an archive of years (Elaph lists 660,000 articles) minutes of reading before
the first page is extracted, repeated by every run. So each file's part of
the index is kept beside it, in `.index/<file name>.json` in the WARC
folder, and read back while the file has the size, inode, modification and
change time it had when it was indexed (files are only ever appended to,
and a crawl writes new ones); each record read by it is checked to be the
one indexed. The crawl keeps the part of each file it writes as it closes
it (IndexKeeper, from what it wrote: nothing is read back), so even the
first re-extraction after a crawl reads no file in full. A file that changed, a part that is missing, unreadable or of
another version: the file is read again and its part rewritten. The parts
are a cache: a folder they cannot be written to is indexed in full each
time, with one warning line; a file whose reading the disk failed is not
kept (it is read again next time); deleting `.index` is always safe.

The crawl's own files are read by newscrawl/warcread.py, any other by warcio.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from newscrawl import warcread
from newscrawl.warc import CHARSET_FIELD

logger = logging.getLogger(__name__)

# Headers that described the bytes on the wire; warcio hands us the decoded body.
_WIRE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
INDEX_FOLDER = ".index"
# Bumped whenever what a file's part holds changes: older parts are then rebuilt.
INDEX_VERSION = 1


@dataclass
class StoredPage:
    date: str
    path: Path
    offset: int
    length: int = 0  # its gzip member's bytes, when the fast reader indexed it (0: read it with warcio)
    record_id: str | None = None  # its WARC-Record-ID, which the crawl's charset note names
    # The charset the crawl read it with (a metadata record beside it, newscrawl/warc.py);
    # None: decode it as a crawl would, through the charset check.
    charset: str | None = None


@dataclass
class FileIndex:
    """One WARC file's part of the index: its 200 responses as (URL, page),
    what could not be used in it, and the charset notes of its metadata
    records (page record ID -> charset; a note may name a page of another file)."""

    found: list[tuple[str, StoredPage]]
    problems: list[str]
    notes: dict[str, str]
    # False when reading it ended in an error of the disk or the memory (not
    # of the file: one cut short stays so): not kept, the next run reads the file again.
    complete: bool = True


class StaleIndex(Exception):
    """A kept part names a record that is not where it says: the page is not read."""


def index_warcs(folder: Path, report, *, crawl_charsets: bool = True) -> dict[str, list[StoredPage]]:
    """URL -> its stored 200 responses, oldest first, each with the charset
    the crawl read it with when a metadata record says so (not with
    `crawl_charsets` off: every page then goes through the charset check).
    Counts the files in `report.warc_files` and adds what could not be used
    to `report.unreadable`."""
    pages: dict[str, list[StoredPage]] = defaultdict(list)
    charsets: dict[str, str] = {}  # response record ID -> the charset its note names
    paths = sorted(folder.glob("*.warc.gz")) + sorted(folder.glob("*.warc"))
    cache = _IndexCache(folder)
    for path in paths:
        report.warc_files += 1
        identity = _identity(path)
        part = cache.read(path, identity)
        if part is None:
            part = index_file(path)
            cache.write(path, part, identity)
        report.unreadable += part.problems
        charsets.update(part.notes)
        for url, page in part.found:
            pages[url].append(page)
    cache.forget_all_but(paths)
    for stored in pages.values():
        stored.sort(key=lambda p: p.date)
        if crawl_charsets and charsets:
            for page in stored:
                page.charset = charsets.get(page.record_id)
    return pages


def index_file(path: Path) -> FileIndex:
    """One file's part of the index, read from the file itself: by the fast
    reader when the crawl wrote it, else (or when it gives up midway) by warcio."""
    part = _index_plain(path) if path.name.endswith(".gz") else None
    return part if part is not None else _index_with_warcio(path)


def _identity(path: Path) -> list | None:
    """What tells a file from the same file changed: its size, inode, and
    modification and change times. The change time cannot be set back (a
    copy that keeps the modification time still differs in it). Taken
    before the file is read, so that one growing meanwhile is read again next time."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return [stat.st_size, stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns]


class _IndexCache:
    """The parts of a folder's index kept in its `.index` folder."""

    def __init__(self, folder: Path):
        self.folder = folder / INDEX_FOLDER
        self.warned = False  # a folder that cannot keep the index is said once a run, not once a file

    def _part_path(self, path: Path) -> Path:
        return self.folder / f"{path.name}.json"

    def read(self, path: Path, identity: list | None) -> FileIndex | None:
        """The file's kept part, if it was made from the file as it is now."""
        if identity is None:
            return None
        try:
            kept = json.loads(self._part_path(path).read_bytes())
            if kept["version"] != INDEX_VERSION or kept["file"] != identity:
                return None
            found = [(url, StoredPage(date, path, offset, length, record_id))
                     for url, date, offset, length, record_id in kept["found"]]
            problems, notes = kept["problems"], kept["notes"]
            if not (all(_sound(url, page) for url, page in found) and all(isinstance(p, str) for p in problems)
                    and isinstance(notes, dict) and all(isinstance(r, str) for r in notes)
                    and all(_text_codec(c) for c in set(notes.values()))):  # a few charsets, many pages
                return None
            return FileIndex(found, problems, notes)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # none kept, or not one this version wrote whole: read the file again

    def write(self, path: Path, part: FileIndex, identity: list | None) -> None:
        """Keep the file's part for the next run, whole or not at all (written
        beside, then renamed over). Not kept: the run goes on, said once."""
        if identity is None or not part.complete:
            return
        try:
            data = json.dumps({  # ASCII: a URL's undecodable bytes (lone surrogates) are kept as escapes
                "version": INDEX_VERSION, "file": identity,
                "found": [(url, page.date, page.offset, page.length, page.record_id) for url, page in part.found],
                "problems": part.problems, "notes": part.notes})
            self.folder.mkdir(exist_ok=True)
            target = self._part_path(path)
            # A name no other process writes (runs on other hosts may share the folder).
            handle, name = tempfile.mkstemp(dir=self.folder, prefix=f".{target.name}.", suffix=".tmp")
            temporary = Path(name)
            try:
                with os.fdopen(handle, "w", encoding="ascii") as out:
                    out.write(data)
                os.replace(temporary, target)
            finally:
                temporary.unlink(missing_ok=True)
        except OSError as exc:
            if not self.warned:
                self.warned = True
                logger.warning("the WARC index cannot be kept in %s (%s): the files it is not kept for are "
                               "read in full again next time", self.folder, exc.strerror or exc)

    def forget_all_but(self, paths: list[Path]) -> None:
        """Drop the kept parts of WARC files no longer in the folder, and what
        a killed run left half written (an hour old: not another run's, now).
        Only names this module writes; nothing through a `.index` that is a
        link (another folder's index, maybe, or files that are not ours)."""
        names = {f"{path.name}.json" for path in paths}
        try:
            if self.folder.is_symlink():
                return
            for kept in [*self.folder.glob("*.warc.gz.json"), *self.folder.glob("*.warc.json")]:
                if kept.name not in names:
                    kept.unlink(missing_ok=True)
            for left in [*self.folder.glob(".*.warc.gz.json.*.tmp"), *self.folder.glob(".*.warc.json.*.tmp")]:
                if time.time() - left.stat().st_mtime > 3600:
                    left.unlink(missing_ok=True)
        except OSError:
            pass  # a cache: what cannot be tidied now is tidied by a later run


def _sound(url, page: StoredPage) -> bool:
    """Whether an entry read back from a kept part has the types the index gives."""
    return (isinstance(url, str | None) and isinstance(page.date, str | None) and isinstance(page.record_id, str | None)
            and type(page.offset) is int and type(page.length) is int and page.offset >= 0 and page.length >= 0)


def _text_codec(charset) -> bool:
    """Whether `charset` names a codec Python decodes text with."""
    if not isinstance(charset, str):
        return False
    try:
        b"a".decode(charset, "replace")  # refuses names Python does not know, and codecs of no text
    except (LookupError, ValueError):  # (idna and undefined raise UnicodeError; a NUL, ValueError)
        return False
    return True


def _charset_noted(payload: bytes) -> str | None:
    """The charset a metadata record of the crawl's names (CHARSET_FIELD),
    if it is one Python decodes with; None for any other metadata."""
    for line in payload.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == CHARSET_FIELD.encode():
            charset = value.strip().decode("ascii", "replace")
            return charset if _text_codec(charset) else None  # not a charset: the check decides, as in a crawl
    return None


class IndexKeeper:
    """Keeps the parts of the files a crawl writes, as it closes each
    (newscrawl/warc.py): what reading the file back would find, without
    reading it. `found`: (URL, (date, offset, length, record ID)) of each
    200 response; `notes`: record ID -> charset."""

    def __init__(self, folder: Path):
        self.cache = _IndexCache(folder)

    def keep(self, path: Path, found: list[tuple[str, tuple]], notes: dict[str, str]) -> None:
        pages = [(url, StoredPage(date, path, offset, length, record_id))
                 for url, (date, offset, length, record_id) in found]
        self.cache.write(path, FileIndex(pages, [], notes), _identity(path))


def take_note(notes: dict[str, str], page_record: str | None, payload: bytes) -> None:
    """A metadata record's charset note, kept under the ID of the page record it names."""
    charset = _charset_noted(payload)
    if charset and page_record:
        notes[page_record] = charset


def _index_plain(path: Path) -> FileIndex | None:
    """The part of a file the crawl wrote, read by newscrawl.warcread; None
    when the file is not in that form throughout."""
    found, problems = [], []
    notes: dict[str, str] = {}
    try:
        with open(path, "rb") as fh:
            for offset, length, data in warcread.gzip_members(fh):
                record = warcread.parse_record(data)
                if record.rec_type == "metadata":
                    take_note(notes, record.concurrent_to, record.payload)
                if record.rec_type != "response" or record.status != "200":
                    continue
                expected = next((v for k, v in record.headers if k.lower() == "content-length"), None)
                if expected is not None and not (expected.isascii() and expected.isdigit()):
                    raise warcread.Irregular("an HTTP Content-Length that is not a number")
                if expected is not None and len(record.payload) < int(expected):
                    problems.append(f"{path.name}: the record of {record.uri} is cut short; not used")
                    continue
                found.append((record.uri, StoredPage(record.date, path, offset, length, record.record_id)))
    except warcread.Irregular:
        return None
    return FileIndex(found, problems, notes)


def _index_with_warcio(path: Path) -> FileIndex:
    """The part of any WARC file warcio reads; what it could not read, said."""
    found, problems = [], []
    notes: dict[str, str] = {}
    with open(path, "rb") as fh:
        records = ArchiveIterator(fh)
        try:
            for record in records:
                if record.rec_type == "metadata":
                    take_note(notes, record.rec_headers.get_header("WARC-Concurrent-To"),
                               record.content_stream().read())
                    continue
                if record.rec_type != "response" or record.http_headers.get_statuscode() != "200":
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                date = record.rec_headers.get_header("WARC-Date")
                # A record cut short by a killed crawl is not a copy of the page.
                # (Read the body first: get_record_offset() reads the record to its end.)
                expected = record.http_headers.get_header("Content-Length")
                received = len(record.raw_stream.read())
                offset = records.get_record_offset()
                if expected is not None and received < int(expected):
                    problems.append(f"{path.name}: the record of {url} is cut short; not used")
                    continue
                found.append((url, StoredPage(date, path, offset, record_id=record.rec_headers.get_header(
                    "WARC-Record-ID"))))
        except Exception as exc:  # a file cut short by a killed crawl: keep what is readable
            problems.append(f"{path.name}: {exc}")
            # What the file is (cut short, odd) stays as it is; a read the disk
            # or the memory failed may not: that part is not kept.
            return FileIndex(found, problems, notes, complete=not isinstance(exc, OSError | MemoryError))
    return FileIndex(found, problems, notes)


def read_page(page: StoredPage) -> tuple[str, list[tuple[str, str]], bytes]:
    """(HTTP status, headers, body) of a stored response, as warcio reads it.
    Raises StaleIndex when the record there is not the one indexed."""
    if page.length:
        try:
            record = warcread.parse_record(warcread.read_member(page.path, page.offset, page.length))
        except warcread.Irregular:
            pass  # changed since it was indexed: warcio says what it finds
        else:
            _check_record(page, record.record_id)
            headers = [(k, v) for k, v in record.headers if k.lower() not in _WIRE_HEADERS]
            return record.status, headers, warcread.content(record)
    return read_with_warcio(page)


def read_with_warcio(page: StoredPage) -> tuple[str, list[tuple[str, str]], bytes]:
    with open(page.path, "rb") as fh:
        fh.seek(page.offset)
        record = next(iter(ArchiveIterator(fh)))
        _check_record(page, record.rec_headers.get_header("WARC-Record-ID"))
        headers = [(k, v) for k, v in record.http_headers.headers if k.lower() not in _WIRE_HEADERS]
        return record.http_headers.get_statuscode(), headers, record.content_stream().read()


def _check_record(page: StoredPage, record_id: str | None) -> None:
    """Another page's record where the index says this one is (a kept part
    edited, or a file rewritten in a way its times do not show): never read
    as this page."""
    if page.record_id is None or record_id == page.record_id:
        return
    kept = page.path.parent / INDEX_FOLDER / f"{page.path.name}.json"
    try:
        kept.unlink(missing_ok=True)  # the next run reads the file again
        way_out = "its kept index is dropped: run the command again"
    except OSError:
        way_out = f"delete {kept} and run the command again"
    raise StaleIndex(f"{page.path.name} at {page.offset} holds record {record_id}, not {page.record_id} as "
                     f"indexed; {way_out}")
