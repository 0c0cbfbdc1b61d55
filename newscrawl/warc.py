"""The raw pages, kept as WARC: every article and comments page fetched is
written with its request, as the Internet Archive's and Common Crawl's
crawlers do, so extraction can be re-run on the past without fetching it again
(`newscrawl reextract`).

Files: WARC_DIR (default: a `warc` folder beside ARCHIVE_DB), gzip per record,
a new file when one passes WARC_MAX_SIZE bytes. The body is stored as it came
off the wire (still compressed when the server compressed it), with its
headers, so standard tools (`warcio index`, pywb) read it as any other WARC.
"""

from __future__ import annotations

import contextlib
import io
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newscrawl.middlewares import CHARSET_META

logger = logging.getLogger(__name__)

# Hop-by-hop framing that no longer describes the body once Scrapy has it.
_FRAMING = {"transfer-encoding", "content-length"}
# The field of a metadata record that says which charset the crawl read a
# response with (CharsetNote). Other tools' metadata records hold other fields.
CHARSET_FIELD = "newscrawl-charset"
# request.meta key: (WARC-Record-ID, WARC-Date) of the response record
# written for this request, which its charset note names.
_WARC_RECORD = "warc_record"


def warc_dir(settings) -> Path:
    configured = settings.get("WARC_DIR")
    if configured:
        return Path(configured)
    return Path(settings.get("ARCHIVE_DB")).parent / "warc"


class WarcWriter:
    """Appends records to rotating WARC files in one folder.

    Each file's part of the index (newscrawl/warcindex.py: where its pages
    are) is kept as the file is written and saved when it is closed, so the
    first `newscrawl reextract` after a crawl need not read the files back.
    A file that a write failed in, or that was never closed (a killed
    crawl), gets none: it is read in full when it is next indexed."""

    def __init__(self, folder: Path, max_size: int, prefix: str = "newscrawl"):
        self.folder = folder
        self.max_size = max_size
        self.prefix = prefix
        self.file = None
        self.writer = None
        self.serial = 0
        self.started = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        self.index = None  # the open file's part of the index, None once a write in it failed
        self.index_keeper = None

    def _open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.serial += 1
        name = f"{self.prefix}-{self.started}-{os.getpid()}-{self.serial:05d}.warc.gz"
        self.file = open(self.folder / name, "ab")  # noqa: SIM115 - open across writes; close() closes it
        self.index = ([], {}) if self.file.tell() == 0 else None  # (its 200 responses, its charset notes)
        self.writer = WARCWriter(self.file, gzip=True)
        info = self.writer.create_warcinfo_record(
            name, {"software": "newscrawl (Scrapy)", "hostname": socket.gethostname(), "format": "WARC/1.0"}
        )
        self.writer.write_record(info)

    def write(self, build) -> list[tuple[int, int]]:
        """Write the records `build(warcio_writer)` makes, in a file with room
        for them; where each went: its gzip member's (offset, length)."""
        if self.file is None or self.file.tell() >= self.max_size:
            self.close()
            self._open()
        spans = []
        try:
            for record in build(self.writer):
                start = self.file.tell()
                self.writer.write_record(record)  # one gzip member a record
                spans.append((start, self.file.tell() - start))
            self.file.flush()  # a killed crawl loses at most the record being written
        except BaseException:
            self.index = None  # what is in the file now is not known record by record
            raise
        return spans

    def indexed(self, job: Page | CharsetNote, spans: list[tuple[int, int]]) -> None:
        """Add what `job` wrote to the open file's part of the index, as
        reading the file back would find it: a 200 response under its URL;
        a charset note under the record it names."""
        if self.index is None:
            return
        found, notes = self.index
        if isinstance(job, CharsetNote):
            from newscrawl.warcindex import take_note  # that module reads what this one writes

            take_note(notes, job.record_id, _note_payload(job))
        elif job.status == 200:
            offset, length = spans[1]  # the response, after its request
            found.append((job.response_url, (job.date, offset, length, job.record_id)))

    def close(self) -> None:
        file, self.file = self.file, None
        if file is not None:
            try:
                file.close()  # flushes: on a full disk this fails again
            except OSError as exc:
                self.index = None
                logger.error("WARC file %s not closed cleanly: %s", getattr(file, "name", "?"), exc)
            if self.index is not None:
                from newscrawl.warcindex import IndexKeeper

                self.index_keeper = self.index_keeper or IndexKeeper(self.folder)
                self.index_keeper.keep(Path(file.name), *self.index)
            self.index = None


class WarcMiddleware:
    """Downloader middleware, placed next to the downloader so it sees the
    response exactly as received (before decompression and charset repair).

    Records are written in the order pages arrive, away from the crawl's
    thread: by a writer process of their own in a crawl (WarcProcess), or by
    one background thread when the middleware is given a WarcWriter.
    Building, hashing and compressing a page's request and response costs
    0.7 ms of CPU; in a thread it took the crawl process's GIL and core from
    parsing (15 % of the crawl process's CPU, benchmarks/crawl_bench.py). The crawl's end waits
    for the writer; a killed crawl loses at most the few records still
    queued, never an item."""

    def __init__(self, writer: WarcWriter | WarcProcess, stats):
        self.writer = writer
        self.stats = stats
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warc-writer")
        if isinstance(writer, WarcProcess):
            writer.on_written = self._written

    @classmethod
    def from_crawler(cls, crawler) -> WarcMiddleware:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED"):
            raise NotConfigured("WARC_ENABLED is off")
        writer = WarcProcess(warc_dir(settings), settings.getint("WARC_MAX_SIZE"))
        middleware = cls(writer, crawler.stats)
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        crawler.signals.connect(middleware.note_charset, signal=signals.response_received)
        return middleware

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.writer.close()

    def process_response(self, request, response) -> Response:
        request.meta.pop(CHARSET_META, None)  # a retried or redirected request's copy of the last page's
        if request.meta.get("page_kind") in ("article", "comments") and response.status != 304:
            date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            record_id = f"<urn:uuid:{uuid.uuid4()}>"  # named here (warcio's form), for the page's charset note
            request.meta[_WARC_RECORD] = (record_id, date)
            self._send(_page(request, response, date, record_id))
        else:
            request.meta.pop(_WARC_RECORD, None)
        return response

    def note_charset(self, response, request, spider=None) -> None:
        """The charset the check read a page with (signals.response_received:
        after the downloader middlewares), written beside the page's record,
        so that `newscrawl reextract` decodes it as the crawl did without
        checking it again. Only for a 200 response written to the WARC."""
        written = request.meta.get(_WARC_RECORD)
        charset = request.meta.get(CHARSET_META)
        if getattr(self.writer, "dead", False):
            return  # its page was not written either, and that is said once, for the page
        if written and charset and response.status == 200:
            record_id, date = written
            self._send(CharsetNote(response.url, date, charset, record_id))

    def _send(self, job: Page | CharsetNote) -> None:
        if isinstance(self.writer, WarcProcess):
            self.writer.send(job)
        else:
            self.pool.submit(self._write, job)

    def _write(self, job: Page | CharsetNote) -> None:
        self._written(job.url, write_job(self.writer, job), _records_of(job))

    def _written(self, url: str, error: str | None, records: int = 2) -> None:
        if error is None:
            self.stats.inc_value("warc/records", records)
        else:  # a full disk must not lose the crawl's items, nor stop the copies
            self.stats.inc_value("warc/errors")
            logger.error("WARC write failed for %s: %s", url, error)


class Page(NamedTuple):
    """What the WARC keeps of one fetch: plain strings and bytes, so that it
    can be handed to the writer process as it is."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    response_url: str
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes
    date: str
    record_id: str  # the response record's WARC-Record-ID


class CharsetNote(NamedTuple):
    """The charset the crawl decoded a stored response with, as settled by
    newscrawl.middlewares.CharsetMiddleware: written as a metadata record
    (WARC-Target-URI and WARC-Date those of the response record, and
    WARC-Concurrent-To its record ID)."""

    url: str
    date: str
    charset: str
    record_id: str


def _records_of(job: Page | CharsetNote) -> int:
    return 2 if isinstance(job, Page) else 1


def _page(request, response, date: str, record_id: str) -> Page:
    return Page(
        request.url, request.method,
        [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in request.headers.items() for v in vs],
        request.body or b"", response.url, response.status,
        [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items() for v in vs],
        response.body, date, record_id,
    )


def write_job(writer: WarcWriter, job: Page | CharsetNote) -> str | None:
    """Write a page's request and response records, or a charset note's
    metadata record; the error, if writing failed."""
    def build(warcio_writer):
        return _records(warcio_writer, job) if isinstance(job, Page) else [_note_record(warcio_writer, job)]

    try:
        spans = writer.write(build)
    except Exception as exc:  # noqa: BLE001 - reported to the crawl, which counts and logs it
        writer.close()  # a half-written record ends this file; the next write opens another
        return str(exc)
    writer.indexed(job, spans)
    return None


def _records(writer, page: Page):
    parts = urlsplit(page.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    request_headers = [("Host", parts.netloc), *page.request_headers]
    req = writer.create_warc_record(
        page.url, "request", payload=io.BytesIO(page.request_body),
        http_headers=StatusAndHeaders(f"{page.method} {target} HTTP/1.1", request_headers, is_http_request=True),
        warc_headers_dict={"WARC-Date": page.date},
    )
    headers = [(k, v) for k, v in page.response_headers if k.lower() not in _FRAMING]
    headers.append(("Content-Length", str(len(page.body))))
    reason = _REASONS.get(page.status, "")
    resp = writer.create_warc_record(
        page.response_url, "response", payload=io.BytesIO(page.body),
        http_headers=StatusAndHeaders(f"{page.status} {reason}".strip(), headers, protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Date": page.date, "WARC-Record-ID": page.record_id,
                           "WARC-Concurrent-To": req.rec_headers.get_header("WARC-Record-ID")},
    )
    return [req, resp]


def _note_payload(note: CharsetNote) -> bytes:
    return f"{CHARSET_FIELD}: {note.charset}\r\n".encode("ascii")


def _note_record(writer, note: CharsetNote):
    return writer.create_warc_record(
        note.url, "metadata", payload=io.BytesIO(_note_payload(note)),
        warc_content_type="application/warc-fields",
        warc_headers_dict={"WARC-Date": note.date, "WARC-Concurrent-To": note.record_id},
    )


class WarcProcess:
    """A WarcWriter in a process of its own, fed over a pipe.

    The crawl's thread only pickles the page (its bytes, a copy) and queues
    it; a feeder thread sends it (the pipe's write lets go of the GIL). Each
    page's outcome comes back on a second pipe, read by the reactor, so
    warc/records and warc/errors count as before. The process ignores
    SIGINT and SIGTERM (the crawl stops gracefully and then closes it) and
    ends by itself when the crawl is killed (its pipe ends)."""

    def __init__(self, folder: Path, max_size: int):
        context = multiprocessing.get_context("spawn")  # the crawl process runs a reactor and threads
        jobs, self._jobs = context.Pipe(duplex=False)
        self._results, results = context.Pipe(duplex=False)
        self.process = context.Process(target=_serve, args=(str(folder), max_size, jobs, results),
                                       name="warc-writer", daemon=True)
        self.process.start()
        jobs.close()
        results.close()
        self.dead = False  # the process ended before the crawl closed it
        self.closed = False
        self.on_written: Callable[[str, str | None, int], None] = lambda url, error, records: None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._feeder = threading.Thread(target=self._feed, name="warc-feeder", daemon=True)
        self._feeder.start()
        self._reader = _ResultReader(self)
        from twisted.internet import reactor

        self._reactor = reactor
        reactor.addReader(self._reader)

    def send(self, job: Page | CharsetNote) -> None:
        if self.dead:
            self.on_written(job.url, "the WARC writer process has died", _records_of(job))
            return
        self._queue.put(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))

    def _feed(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                break
            try:
                self._jobs.send_bytes(job)
            except OSError:  # the process died: the reader reports it
                break
        self._jobs.close()

    def read_results(self) -> None:
        """Take every outcome the writer has sent so far (the reactor calls this)."""
        try:
            while self._results.poll():
                self._outcome(self._results.recv_bytes())
        except (EOFError, OSError):
            self._ended()

    def _outcome(self, message: bytes) -> None:
        url, error, records = pickle.loads(message)
        self.on_written(url, error, records)

    def _ended(self) -> None:
        self._reactor.removeReader(self._reader)
        if not self.closed and not self.dead:
            self.dead = True
            logger.error("the WARC writer process died; the pages fetched from now on are not kept as WARC")

    def close(self) -> None:
        """Wait until every page sent is written (or failed), then end the process."""
        if self.closed:
            return
        self.closed = True
        self._queue.put(None)
        self._feeder.join()
        self._reactor.removeReader(self._reader)
        try:
            while True:
                self._outcome(self._results.recv_bytes())
        except (EOFError, OSError):
            pass
        self._results.close()
        self.process.join()


class _ResultReader:
    """The writer's outcome pipe as a Twisted read descriptor."""

    def __init__(self, owner: WarcProcess):
        self.owner = owner

    def fileno(self) -> int:
        return self.owner._results.fileno()

    def doRead(self) -> None:
        self.owner.read_results()

    def connectionLost(self, reason) -> None:
        pass

    def logPrefix(self) -> str:
        return "warc-writer"


def _serve(folder: str, max_size: int, jobs, results) -> None:
    """The writer process: write each page (or charset note) it is sent, say how it went, until its pipe ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    writer = WarcWriter(Path(folder), max_size)
    try:
        while True:
            try:
                job: Page | CharsetNote = pickle.loads(jobs.recv_bytes())
            except EOFError:
                break  # the crawl closed the pipe, or was killed
            error = write_job(writer, job)
            with contextlib.suppress(OSError):  # the crawl was killed: keep writing what it sent
                results.send_bytes(pickle.dumps((job.url, error, _records_of(job))))
    finally:
        writer.close()
        results.close()


_REASONS = {200: "OK", 404: "Not Found", 410: "Gone", 403: "Forbidden", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}
