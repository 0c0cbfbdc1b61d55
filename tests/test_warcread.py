"""newscrawl.warcread reads the crawl's WARC files as warcio reads them, and
leaves every file outside their plain form to warcio: the index and the
records re-extraction gets are the same either way."""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import time
import zlib
from collections import defaultdict
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newscrawl import reextract, warcindex

BODY = ("<html><body><h1>عنوان</h1>" + "<p>نص التعليق " * 200 + "</body></html>").encode("utf-8")


def _chunked(data: bytes) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(data[i:i + 1000]), data[i:i + 1000]) for i in range(0, len(data), 1000)]
    return b"".join(parts) + b"0\r\n\r\n"


# (name, extra HTTP headers, payload as stored)
RESPONSES = [
    ("plain", [], BODY),
    ("gzip", [("Content-Encoding", "gzip")], gzip.compress(BODY)),
    ("deflate", [("Content-Encoding", "deflate")], zlib.compress(BODY)),
    ("raw-deflate", [("Content-Encoding", "deflate")], zlib.compress(BODY)[2:-4]),
    ("unknown-encoding", [("Content-Encoding", "x-unknown")], BODY),
    ("not-gzipped", [("Content-Encoding", "gzip")], BODY),
    ("chunked", [("Transfer-Encoding", "chunked")], _chunked(BODY)),
    ("chunked-gzip", [("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")], _chunked(gzip.compress(BODY))),
    ("cut-short", [("Content-Length", "999999")], BODY),
    ("odd-spaces", [("X-Odd", "  value  ")], BODY),
]


# The charset notes a crawl writes beside a page (newscrawl/warc.py); one names no charset.
NOTES = {"plain": "cp1256", "gzip": "utf-8", "chunked": "no-such-charset"}


def _note(writer, url: str, response, charset: str):
    return writer.create_warc_record(
        url, "metadata", payload=io.BytesIO(f"newscrawl-charset: {charset}\r\n".encode()),
        warc_content_type="application/warc-fields",
        warc_headers_dict={"WARC-Date": response.rec_headers.get_header("WARC-Date"),
                           "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")})


def _warc(responses=RESPONSES, status: str = "200 OK") -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    writer.write_record(writer.create_warcinfo_record("test.warc.gz", {"software": "test"}))
    for name, extra, payload in responses:
        url = f"http://127.0.0.1/{name}"
        request = writer.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=StatusAndHeaders(
            f"GET /{name} HTTP/1.1", [("Host", "127.0.0.1")], is_http_request=True))
        headers = [("Content-Type", "text/html; charset=utf-8"), *extra]
        if not any(k == "Content-Length" for k, _ in extra):
            headers.append(("Content-Length", str(len(payload))))
        writer.write_record(request)
        response = writer.create_warc_record(
            url, "response", payload=io.BytesIO(payload),
            http_headers=StatusAndHeaders(status, headers, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": "2024-01-01T00:00:00Z"})
        writer.write_record(response)
        if name in NOTES:
            writer.write_record(_note(writer, url, response, NOTES[name]))
    return out.getvalue()


def _member(record: bytes) -> bytes:
    return gzip.compress(record)


def _hand_made(http: bytes, uri: bytes = b"http://127.0.0.1/hand") -> bytes:
    """One response record written by hand, for the forms warcio's writer never makes."""
    return (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: " + uri + b"\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
            b"Content-Length: %d\r\n\r\n" % len(http) + http + b"\r\n\r\n")


HELLO = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"
FOLDERS = {
    "plain": lambda: {"a.warc.gz": _warc()},
    "cut-in-a-record": lambda: {"a.warc.gz": _warc()[:-300], "b.warc.gz": _warc()},
    "trailing-garbage": lambda: {"a.warc.gz": _warc() + b"\x00junk"},
    "uncompressed": lambda: {"a.warc": gzip.decompress(_warc())},
    "continued-header": lambda: {"a.warc.gz": _warc() + _member(_hand_made(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html;\r\n charset=utf-8\r\nContent-Length: 5\r\n\r\nhello"))},
    "angle-brackets": lambda: {"a.warc.gz": _member(_hand_made(HELLO, b"<http://127.0.0.1/angle>"))},
    "two-records-in-one-member": lambda: {"a.warc.gz": _member(_hand_made(HELLO) * 2)},
    "no-record-end": lambda: {"a.warc.gz": _member(_hand_made(HELLO)[:-4])},
    "not-200": lambda: {"a.warc.gz": _warc(status="404 Not Found")},
}


def _with_warcio(folder: Path) -> tuple[dict, reextract.Report]:
    """index_warcs as it was: warcio for every file."""
    report, pages, charsets = reextract.Report(), defaultdict(list), {}
    for path in sorted(folder.glob("*.warc.gz")) + sorted(folder.glob("*.warc")):
        report.warc_files += 1
        part = warcindex._index_with_warcio(path)
        report.unreadable += part.problems
        charsets.update(part.notes)
        for url, page in part.found:
            pages[url].append(page)
    for stored in pages.values():
        for page in stored:
            page.charset = charsets.get(page.record_id)
    return pages, report


def _outcome(read, page):
    try:
        return read(page)
    except Exception as exc:  # noqa: BLE001 - the same error either way is the same outcome
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("name", sorted(FOLDERS))
def test_the_index_and_the_records_are_warcios(tmp_path, name):
    for filename, data in FOLDERS[name]().items():
        (tmp_path / filename).write_bytes(data)
    report = reextract.Report()
    pages = warcindex.index_warcs(tmp_path, report)
    expected, expected_report = _with_warcio(tmp_path)
    assert report == expected_report
    assert {url: [(p.date, p.path, p.offset, p.charset) for p in stored] for url, stored in pages.items()} == {
        url: [(p.date, p.path, p.offset, p.charset) for p in stored] for url, stored in expected.items()}
    for stored in pages.values():
        for page in stored:
            assert _outcome(warcindex.read_page, page) == _outcome(warcindex.read_with_warcio, page)


def test_the_crawls_own_files_are_read_without_warcio(tmp_path):
    (tmp_path / "a.warc.gz").write_bytes(_warc())
    pages = warcindex.index_warcs(tmp_path, reextract.Report())
    assert pages and all(page.length for stored in pages.values() for page in stored)  # the fast reader's
    assert warcindex.read_page(pages["http://127.0.0.1/gzip"][0])[2] == BODY
    with open(tmp_path / "a.warc.gz", "rb") as fh:  # and a file warcio itself reads as before
        assert sum(1 for record in ArchiveIterator(fh) if record.rec_type == "response") == len(RESPONSES)


def test_a_file_changed_since_it_was_indexed_is_read_with_warcio(tmp_path):
    path = tmp_path / "a.warc.gz"
    path.write_bytes(_warc())
    page = warcindex.index_warcs(tmp_path, reextract.Report())["http://127.0.0.1/plain"][0]
    moved = warcindex.StoredPage(page.date, page.path, page.offset, page.length + 1)  # no longer one gzip member
    assert warcindex.read_page(moved) == warcindex.read_with_warcio(page)


def test_either_reader_finds_the_charset_noted_for_each_page(tmp_path):
    (tmp_path / "a.warc.gz").write_bytes(_warc())  # the fast reader's
    (tmp_path / "b.warc").write_bytes(gzip.decompress(_warc()))  # warcio's
    pages = warcindex.index_warcs(tmp_path, reextract.Report())
    charsets = {(url.rsplit("/", 1)[1], page.path.name, page.charset)
                for url, stored in pages.items() for page in stored}
    noted = {name: charset for name, charset in NOTES.items() if charset != "no-such-charset"}
    assert charsets == {(name, file, noted.get(name)) for name, _, _ in RESPONSES if name != "cut-short"
                        for file in ("a.warc.gz", "b.warc")}
    unchecked = warcindex.index_warcs(tmp_path, reextract.Report(), crawl_charsets=False)
    assert {page.charset for stored in unchecked.values() for page in stored} == {None}


def test_a_note_belongs_to_the_record_it_names_not_to_its_url_and_second(tmp_path):
    # Two captures of one URL in the same second (a block page fetched
    # again): the note names the second, and only that one is decoded by it.
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    url = "http://127.0.0.1/twice"
    captures = []
    for _ in range(2):
        captures.append(writer.create_warc_record(
            url, "response", payload=io.BytesIO(BODY),
            http_headers=StatusAndHeaders("200 OK", [("Content-Length", str(len(BODY)))], protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": "2024-01-01T00:00:00Z"}))
        writer.write_record(captures[-1])
    writer.write_record(_note(writer, url, captures[1], "cp1256"))
    (tmp_path / "a.warc.gz").write_bytes(out.getvalue())
    stored = warcindex.index_warcs(tmp_path, reextract.Report())[url]
    assert [page.charset for page in stored] == [None, "cp1256"]


# --- the index kept beside the files (.index) ------------------------------------------


def _pages(pages: dict) -> dict:
    return {url: [(p.date, p.path, p.offset, p.length, p.record_id, p.charset) for p in stored]
            for url, stored in pages.items()}


def _part(folder: Path, name: str) -> Path:
    return folder / warcindex.INDEX_FOLDER / f"{name}.json"


@pytest.mark.parametrize("name", sorted(FOLDERS))
def test_the_kept_index_gives_what_reading_the_files_gives(tmp_path, name, monkeypatch):
    for filename, data in FOLDERS[name]().items():
        (tmp_path / filename).write_bytes(data)
    first_report, second_report = reextract.Report(), reextract.Report()
    first = warcindex.index_warcs(tmp_path, first_report)
    # Kept for every file read to its end; not for one whose reading ended in an error.
    whole = {filename for filename in FOLDERS[name]() if warcindex.index_file(tmp_path / filename).complete}
    kept = tmp_path / warcindex.INDEX_FOLDER
    assert (sorted(p.name for p in kept.iterdir()) if kept.exists() else []) == sorted(
        f"{filename}.json" for filename in whole)
    read_again = []
    real_index_file = warcindex.index_file

    def index_file(path):
        read_again.append(path.name)
        return real_index_file(path)

    monkeypatch.setattr(warcindex, "index_file", index_file)
    assert _pages(warcindex.index_warcs(tmp_path, second_report)) == _pages(first)
    assert second_report == first_report
    assert sorted(read_again) == sorted(set(FOLDERS[name]()) - whole)  # the others came from their parts


def test_the_kept_part_is_what_the_next_run_reads(tmp_path):
    (tmp_path / "a.warc.gz").write_bytes(_warc())
    warcindex.index_warcs(tmp_path, reextract.Report())
    part = json.loads(_part(tmp_path, "a.warc.gz").read_text())
    part["problems"] = ["read from the kept part"]
    _part(tmp_path, "a.warc.gz").write_text(json.dumps(part))
    report = reextract.Report()
    warcindex.index_warcs(tmp_path, report)
    assert report.unreadable == ["read from the kept part"]


def test_a_file_that_grew_is_read_again(tmp_path):
    path = tmp_path / "a.warc.gz"
    path.write_bytes(_warc(RESPONSES[:2]))
    assert sorted(warcindex.index_warcs(tmp_path, reextract.Report())) == [
        "http://127.0.0.1/gzip", "http://127.0.0.1/plain"]
    with open(path, "ab") as fh:  # the crawl appends to the file it writes
        fh.write(_warc(RESPONSES[2:3]))
    assert sorted(warcindex.index_warcs(tmp_path, reextract.Report())) == [
        "http://127.0.0.1/deflate", "http://127.0.0.1/gzip", "http://127.0.0.1/plain"]


def test_a_file_rewritten_at_the_same_size_and_time_is_read_again(tmp_path):
    # A copy or a rewrite that keeps the size and sets the modification
    # time back: its change time still tells.
    path = tmp_path / "a.warc"
    data = gzip.decompress(_warc())
    path.write_bytes(data)
    before = path.stat()
    assert "http://127.0.0.1/odd-spaces" in warcindex.index_warcs(tmp_path, reextract.Report())
    path.write_bytes(data.replace(b"http://127.0.0.1/odd-spaces", b"http://127.0.0.1/odd-SPACES"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    pages = warcindex.index_warcs(tmp_path, reextract.Report())
    assert "http://127.0.0.1/odd-SPACES" in pages and "http://127.0.0.1/odd-spaces" not in pages


@pytest.mark.parametrize("damage", [b"", b"{not json", b"[]", b'{"version": 1}', b"\xff\xfe",
                                    b'{"version": 1, "file": null, "found": [[1, 2]], "problems": [], "notes": {}}'])
def test_a_damaged_part_is_rebuilt_from_the_file(tmp_path, damage):
    (tmp_path / "a.warc.gz").write_bytes(_warc())
    expected = _pages(warcindex.index_warcs(tmp_path, reextract.Report()))
    kept = json.loads(_part(tmp_path, "a.warc.gz").read_text())
    if b'"file": null' in damage:  # the right file, a wrong shape inside
        damage = damage.replace(b"null", json.dumps(kept["file"]).encode())
    _part(tmp_path, "a.warc.gz").write_bytes(damage)
    assert _pages(warcindex.index_warcs(tmp_path, reextract.Report())) == expected
    assert json.loads(_part(tmp_path, "a.warc.gz").read_text()) == kept  # and kept whole again


def test_a_part_with_a_wrong_type_inside_is_rebuilt(tmp_path):
    (tmp_path / "a.warc.gz").write_bytes(_warc())
    expected = _pages(warcindex.index_warcs(tmp_path, reextract.Report()))
    part = json.loads(_part(tmp_path, "a.warc.gz").read_text())
    part["found"][0][2] = "12"  # an offset that is not a number
    _part(tmp_path, "a.warc.gz").write_text(json.dumps(part))
    assert _pages(warcindex.index_warcs(tmp_path, reextract.Report())) == expected


def test_a_folder_that_cannot_keep_the_index_is_read_in_full_and_says_so_once(tmp_path, caplog):
    (tmp_path / "a.warc.gz").write_bytes(_warc())
    (tmp_path / "b.warc.gz").write_bytes(_warc(RESPONSES[:1]))
    (tmp_path / warcindex.INDEX_FOLDER).write_text("a file where the folder would be")
    with caplog.at_level(logging.WARNING, logger="newscrawl.warcindex"):
        pages = warcindex.index_warcs(tmp_path, reextract.Report())
    assert len(pages) == len(RESPONSES) - 1  # every page, the cut-short one aside
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        f"the WARC index cannot be kept in {tmp_path / warcindex.INDEX_FOLDER}"]
    assert (tmp_path / warcindex.INDEX_FOLDER).read_text() == "a file where the folder would be"


def test_the_parts_of_files_no_longer_there_are_dropped(tmp_path):
    (tmp_path / "a.warc.gz").write_bytes(_warc())
    (tmp_path / "b.warc.gz").write_bytes(_warc(RESPONSES[:1]))
    warcindex.index_warcs(tmp_path, reextract.Report())
    (tmp_path / "a.warc.gz").unlink()
    # What a killed run left half written: dropped once an hour old, not before (another run's, maybe).
    old, new = (tmp_path / warcindex.INDEX_FOLDER / f".b.warc.gz.json.{n}.tmp" for n in ("old", "new"))
    old.write_text("{")
    new.write_text("{")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    warcindex.index_warcs(tmp_path, reextract.Report())
    assert sorted(p.name for p in (tmp_path / warcindex.INDEX_FOLDER).iterdir()) == [new.name, "b.warc.gz.json"]


@pytest.mark.parametrize("entry", [
    ["http://127.0.0.1/plain", "2024-01-01T00:00:00Z", -1, 0, None],  # an offset before the file
    ["http://127.0.0.1/plain", "2024-01-01T00:00:00Z", 0, 0, ["a", "list"]],  # a record ID of another type
    [["a", "list"], "2024-01-01T00:00:00Z", 0, 0, None],  # a URL of another type
    ["http://127.0.0.1/plain", "2024-01-01T00:00:00Z", 1.5, 0, None],
    ["http://127.0.0.1/plain", "2024-01-01T00:00:00Z", True, 0, None],
])
def test_a_part_with_a_value_the_index_never_holds_is_rebuilt(tmp_path, entry):
    (tmp_path / "a.warc.gz").write_bytes(_warc())
    expected = _pages(warcindex.index_warcs(tmp_path, reextract.Report()))
    part = json.loads(_part(tmp_path, "a.warc.gz").read_text())
    part["found"][0] = entry
    _part(tmp_path, "a.warc.gz").write_text(json.dumps(part))
    assert _pages(warcindex.index_warcs(tmp_path, reextract.Report())) == expected


def test_a_part_naming_a_charset_python_does_not_decode_with_is_rebuilt(tmp_path):
    (tmp_path / "a.warc.gz").write_bytes(_warc())
    expected = _pages(warcindex.index_warcs(tmp_path, reextract.Report()))
    part = json.loads(_part(tmp_path, "a.warc.gz").read_text())
    part["notes"] = {record: "no-such-codec" for record in part["notes"]}
    _part(tmp_path, "a.warc.gz").write_text(json.dumps(part))
    assert _pages(warcindex.index_warcs(tmp_path, reextract.Report())) == expected


@pytest.mark.parametrize("filename", ["a.warc.gz", "a.warc"])  # the fast reader's, warcio's
def test_a_part_pointing_at_another_record_never_gives_that_record_as_this_page(tmp_path, filename):
    data = _warc()
    (tmp_path / filename).write_bytes(data if filename.endswith(".gz") else gzip.decompress(data))
    warcindex.index_warcs(tmp_path, reextract.Report())
    part = json.loads(_part(tmp_path, filename).read_text())
    (first, second) = part["found"][:2]
    first[2:4], second[2:4] = second[2:4], first[2:4]  # their places swapped, the file as it was
    _part(tmp_path, filename).write_text(json.dumps(part))
    page = warcindex.index_warcs(tmp_path, reextract.Report())[first[0]][0]
    with pytest.raises(warcindex.StaleIndex, match=rf"{filename} at {page.offset} holds record .* as indexed; "
                                                   "its kept index is dropped: run the command again"):
        warcindex.read_page(page)
    # and the next run reads the file again, and finds each page where it is
    pages = warcindex.index_warcs(tmp_path, reextract.Report())
    assert warcindex.read_page(pages[first[0]][0]) == warcindex.read_with_warcio(pages[first[0]][0])


def test_only_the_index_s_own_files_are_tidied_and_nothing_through_a_link(tmp_path):
    (tmp_path / "a.warc.gz").write_bytes(_warc())
    warcindex.index_warcs(tmp_path, reextract.Report())
    foreign = tmp_path / warcindex.INDEX_FOLDER / "notes.json"
    foreign.write_text("{}")  # not a part: kept
    warcindex.index_warcs(tmp_path, reextract.Report())
    assert foreign.exists()
    # A .index that links elsewhere (another folder's index, say): read and
    # written, but nothing in it is deleted.
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "gone.warc.gz.json").write_text("{}")
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "a.warc.gz").write_bytes(_warc())
    (linked / warcindex.INDEX_FOLDER).symlink_to(other)
    warcindex.index_warcs(linked, reextract.Report())
    assert sorted(p.name for p in other.iterdir()) == ["a.warc.gz.json", "gone.warc.gz.json"]


def test_a_file_the_disk_failed_to_read_is_read_again_next_time(tmp_path):
    # /proc/self/mem cannot be read at offset 0 (EIO): a read that fails as a
    # disk does, on a real file, without a failing disk.
    (tmp_path / "a.warc").write_bytes(gzip.decompress(_warc()))
    (tmp_path / "b.warc").symlink_to("/proc/self/mem")
    report = reextract.Report()
    pages = warcindex.index_warcs(tmp_path, report)
    assert len(pages) == len(RESPONSES) - 1 and report.warc_files == 2
    assert [problem for problem in report.unreadable if problem.startswith("b.warc")] == [
        "b.warc: [Errno 5] Input/output error"]
    assert sorted(p.name for p in (tmp_path / warcindex.INDEX_FOLDER).iterdir()) == ["a.warc.json"]  # b not kept


# --- the index the crawl keeps as it writes -------------------------------------

def _as_read(part: warcindex.FileIndex) -> tuple:
    return ([(url, (p.date, p.path, p.offset, p.length, p.record_id)) for url, p in part.found],
            part.problems, part.notes)


@pytest.mark.crawl
def test_a_crawl_keeps_each_files_index_as_reading_the_file_would_find_it(tmp_path, monkeypatch):
    from newscrawl.samplesite import SampleSite, generate_site
    from tests.conftest import run_crawl

    db = tmp_path / "news.db"
    with SampleSite(generate_site(30)) as site:
        # Small files: the crawl closes several on the way, and the last at its end.
        result = run_crawl(site.base_url, db, settings={"WARC_MAX_SIZE": 60_000})
    assert result.returncode == 0, result.stderr[-3000:]
    folder = tmp_path / "warc"
    files = sorted(folder.glob("*.warc.gz"))
    assert len(files) >= 3
    cache = warcindex._IndexCache(folder)
    noted = 0
    for path in files:
        kept = cache.read(path, warcindex._identity(path))
        assert kept is not None, f"no index kept for {path.name}"
        assert _as_read(kept) == _as_read(warcindex.index_file(path)), path.name
        noted += len(kept.notes)
    assert noted  # the model site's mislabelled pages: charset notes, in the kept parts too
    # The first index after the crawl reads none of the files.
    monkeypatch.setattr(warcindex, "index_file", lambda path: pytest.fail(f"{path.name} was read again"))
    pages = warcindex.index_warcs(folder, reextract.Report())
    assert len(pages) >= 30 and any(p.charset for stored in pages.values() for p in stored)


def _page_job(n: int):
    from newscrawl.warc import Page

    url = f"http://127.0.0.1/Web/News/2015/3/{n}.html"
    return Page(url, "GET", [], b"", url, 200, [("Content-Type", "text/html; charset=utf-8")], BODY,
                "2015-03-24T10:00:00Z", f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>")


def test_a_file_a_write_failed_in_keeps_no_index_and_the_next_file_does(tmp_path):
    from newscrawl.warc import WarcWriter, write_job

    writer = WarcWriter(tmp_path, max_size=10**9)
    assert write_job(writer, _page_job(1)) is None
    real_write_record = writer.writer.write_record
    calls = []

    def failing(record):  # the disk fills in the middle of the second page's records
        calls.append(record)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_write_record(record)

    writer.writer.write_record = failing
    assert "No space left" in write_job(writer, _page_job(2))
    assert write_job(writer, _page_job(3)) is None  # a new file
    writer.close()
    first, second = sorted(tmp_path.glob("*.warc.gz"))
    assert not _part(tmp_path, first.name).exists()  # read in full when next indexed
    kept = warcindex._IndexCache(tmp_path).read(second, warcindex._identity(second))
    assert kept is not None and _as_read(kept) == _as_read(warcindex.index_file(second))
    assert [url for url, _ in kept.found] == ["http://127.0.0.1/Web/News/2015/3/3.html"]
