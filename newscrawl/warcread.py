"""Reading the crawl's own WARC files fast, and exactly as warcio reads them.

`newscrawl reextract` reads every record of the WARC files once to index
them, and every page's record again to extract it. warcio parses each
record line by line in Python through three layers of buffered readers:
that was a fifth of the re-extraction's CPU. The files the crawl writes
(newscrawl/warc.py) have one plain form: gzip per record, WARC/1.0 headers
of one line each, HTTP headers ending in CRLF CRLF, each record followed by
CRLF CRLF. Such a record is read here in one piece: the gzip member is
inflated by zlib (as warcio does), its headers are split as warcio splits
them, and the body is decoded by warcio's own readers when the server
compressed or chunked it.

Anything outside that form (a file cut short by a killed crawl, a record of
another tool, a header continued on a second line, an uncompressed file)
raises `Irregular`, and the caller reads the whole file with warcio
instead: what warcio would say about an odd file is what the run says.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from typing import NamedTuple

from warcio.bufferedreaders import BufferedReader, ChunkedDataReader

# Compressed bytes read at a time while looking for the end of a gzip member.
_CHUNK = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b"
_WARC_VERSIONS = (b"WARC/1.0\r\n", b"WARC/1.1\r\n")
_HTTP_VERSIONS = ("HTTP/1.0", "HTTP/1.1")  # what warcio accepts before a status, upper-cased
# warcio's list of request methods (ArcWarcRecordLoader.HTTP_VERBS).
_HTTP_VERBS = ("GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "OPTIONS", "CONNECT", "PATCH")
# Record types warcio reads without HTTP headers: no surprise in them can change what it reads.
_PLAIN_TYPES = frozenset(("warcinfo", "metadata", "resource", "conversion", "continuation"))


class Irregular(Exception):
    """A file or record not in the plain form the crawl writes: read it with warcio."""


class Record(NamedTuple):
    rec_type: str | None
    uri: str | None
    date: str | None
    status: str | None  # the HTTP status code of a response, as text ("200")
    headers: list[tuple[str, str]]  # its HTTP headers, in order
    payload: bytes  # the HTTP body as stored (still compressed when the server compressed it)
    record_id: str | None = None  # WARC-Record-ID
    concurrent_to: str | None = None  # WARC-Concurrent-To: the record it was written with (a note names its page)


def gzip_members(fh) -> Iterator[tuple[int, int, bytes]]:
    """(offset, compressed length, inflated bytes) of each gzip member of
    the open file `fh`, from its start. Raises Irregular at anything that is
    not a whole gzip member (the rest of a file cut short, plain data)."""
    offset = 0
    pending = b""
    while True:
        if len(pending) < 2:
            pending += fh.read(_CHUNK)
            if not pending:
                return
        if not pending.startswith(_GZIP_MAGIC):
            raise Irregular("not a gzip member")
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # as warcio's gzip_decompressor
        parts = []
        length = 0
        try:
            while True:
                parts.append(inflater.decompress(pending))
                if inflater.eof:
                    length += len(pending) - len(inflater.unused_data)
                    pending = inflater.unused_data
                    break
                length += len(pending)
                pending = fh.read(_CHUNK)
                if not pending:
                    raise Irregular("a gzip member cut short")
        except zlib.error as exc:
            raise Irregular(str(exc)) from None
        yield offset, length, b"".join(parts)
        offset += length


def read_member(path, offset: int, length: int) -> bytes:
    """The inflated gzip member of `length` bytes at `offset` in the file at `path`."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        inflated = inflater.decompress(data)
    except zlib.error as exc:
        raise Irregular(str(exc)) from None
    if not inflater.eof or inflater.unused_data:
        raise Irregular("not one whole gzip member")  # the file changed since it was indexed
    return inflated


def parse_record(data: bytes) -> Record:
    """One record (an inflated gzip member), as warcio reads it; Irregular
    if warcio might read it otherwise."""
    if not data.startswith(_WARC_VERSIONS):
        raise Irregular("not a WARC/1.0 record")
    end = data.find(b"\r\n\r\n")
    if end < 0:
        raise Irregular("WARC headers without an end")
    warc = _header_map(_header_lines(data[10:end]))
    length = warc.get("content-length")
    if length is None or not (length.isascii() and length.isdigit()):
        raise Irregular("no WARC Content-Length")
    start, stop = end + 4, end + 4 + int(length)
    if len(data) != stop + 4 or not data.endswith(b"\r\n\r\n"):
        raise Irregular("a block that is not followed by the end of its record")
    rec_type, uri, date = warc.get("warc-type"), warc.get("warc-target-uri"), warc.get("warc-date")
    ids = {"record_id": warc.get("warc-record-id"), "concurrent_to": warc.get("warc-concurrent-to")}
    if uri is not None and (" " in uri or (uri.startswith("<") and uri.endswith(">"))):
        raise Irregular("a target URI that warcio rewrites")
    if rec_type is None or rec_type in _PLAIN_TYPES:
        return Record(rec_type, uri, date, None, [], data[start:stop], **ids)
    if rec_type not in ("request", "response") or stop == start or not (uri or "").startswith(("http:", "https:")):
        raise Irregular(f"a {rec_type} record read otherwise")
    if rec_type == "request":
        _check_request_line(data[start:stop])
        return Record(rec_type, uri, date, None, [], b"", **ids)
    head = data.find(b"\r\n\r\n", start, stop)
    if head < 0:
        raise Irregular("HTTP headers without an end")
    first, headers = _status_and_headers(data[start:head])
    if not first.upper().startswith(_HTTP_VERSIONS):
        raise Irregular("a status line warcio refuses")
    status = first[8:].strip().split(" ", 1)[0]  # warcio's get_statuscode() of what split_prefix left
    return Record(rec_type, uri, date, status, headers, data[head + 4:stop], **ids)


def _check_request_line(block: bytes) -> None:
    """A request's headers are never used: only what would make warcio raise matters, its request line."""
    first = block.split(b"\n", 1)[0]
    try:
        line = first.decode("utf-8").rstrip()  # as warcio decodes it: upper() may differ otherwise
    except UnicodeDecodeError:
        line = first.decode("latin-1").rstrip()
    if not line.upper().startswith(_HTTP_VERBS):
        raise Irregular("a request line warcio refuses")


def _status_and_headers(raw: bytes) -> tuple[str, list[tuple[str, str]]]:
    """The first line and the (name, value) header lines after it."""
    first, _, rest = raw.partition(b"\r\n")
    if b"\n" in first or b"\r" in first:
        raise Irregular("a status line not ended by CRLF")
    try:
        first_line = first.decode("utf-8").rstrip()
    except UnicodeDecodeError:
        raise Irregular("a status line that is not UTF-8") from None
    return first_line, (_header_lines(rest) if rest else [])


def _header_lines(raw: bytes) -> list[tuple[str, str]]:
    """(name, value) of each header line, as warcio's StatusAndHeadersParser
    splits them: the name up to the first colon, without the blanks before
    it; the value without blanks around it."""
    try:
        text = raw.decode("utf-8")  # warcio: UTF-8 first, then ISO-8859-1, line by line
    except UnicodeDecodeError:
        raise Irregular("a header that is not UTF-8") from None
    lines = text.split("\r\n")
    if (text.count("\n") != len(lines) - 1 or text.count("\r") != len(lines) - 1
            or "\r\n " in text or "\r\n\t" in text):
        raise Irregular("a header line not ended by CRLF, or continued")  # warcio would split or join otherwise
    out = []
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon:
            raise Irregular("a header line without a colon")  # (or a blank one, where warcio would end)
        out.append((name.rstrip(" \t"), value.strip()))
    return out


def _header_map(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Lower-cased name -> value of its first line, as warcio's get_header() finds it."""
    found: dict[str, str] = {}
    for name, value in headers:
        found.setdefault(name.lower(), value)
    return found


def content(record: Record) -> bytes:
    """The body as warcio's content_stream() gives it: the transfer and
    content encodings it knows undone, by its own readers."""
    headers = _header_map(record.headers)
    encoding = headers.get("content-encoding")
    if encoding:
        encoding = encoding.lower()
        if encoding not in BufferedReader.get_supported_decompressors():
            encoding = None
    if headers.get("transfer-encoding") == "chunked":
        return ChunkedDataReader(io.BytesIO(record.payload), decomp_type=encoding).read()
    if encoding:
        return BufferedReader(io.BytesIO(record.payload), decomp_type=encoding).read()
    return record.payload
