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

import io
import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

# Hop-by-hop framing that no longer describes the body once Scrapy has it.
_FRAMING = {b"transfer-encoding", b"content-length"}


def warc_dir(settings) -> Path:
    configured = settings.get("WARC_DIR")
    if configured:
        return Path(configured)
    return Path(settings.get("ARCHIVE_DB")).parent / "warc"


class WarcWriter:
    """Appends records to rotating WARC files in one folder."""

    def __init__(self, folder: Path, max_size: int, prefix: str = "newscrawl"):
        self.folder = folder
        self.max_size = max_size
        self.prefix = prefix
        self.file = None
        self.writer = None
        self.serial = 0
        self.started = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")

    def _open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.serial += 1
        name = f"{self.prefix}-{self.started}-{os.getpid()}-{self.serial:05d}.warc.gz"
        self.file = open(self.folder / name, "ab")
        self.writer = WARCWriter(self.file, gzip=True)
        info = self.writer.create_warcinfo_record(
            name, {"software": "newscrawl (Scrapy)", "hostname": socket.gethostname(), "format": "WARC/1.0"}
        )
        self.writer.write_record(info)

    def write(self, build) -> None:
        """Write the records `build(warcio_writer)` makes, in a file with room for them."""
        if self.file is None or self.file.tell() >= self.max_size:
            self.close()
            self._open()
        for record in build(self.writer):
            self.writer.write_record(record)
        self.file.flush()  # a killed crawl loses at most the record being written

    def close(self) -> None:
        file, self.file = self.file, None
        if file is not None:
            try:
                file.close()  # flushes: on a full disk this fails again
            except OSError as exc:
                logger.error("WARC file %s not closed cleanly: %s", getattr(file, "name", "?"), exc)


class WarcMiddleware:
    """Downloader middleware, placed next to the downloader so it sees the
    response exactly as received (before decompression and charset repair).

    Records are written by one background thread, in the order pages arrive:
    compressing and hashing a page (zlib and hashlib let go of the GIL) then
    overlaps with parsing the next one. The crawl's end waits for the thread;
    a killed crawl loses at most the few records still queued, never an item."""

    def __init__(self, writer: WarcWriter, stats):
        self.writer = writer
        self.stats = stats
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warc-writer")

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED", True):
            raise NotConfigured("WARC_ENABLED is off")
        writer = WarcWriter(warc_dir(settings), settings.getint("WARC_MAX_SIZE", 1_000_000_000))
        middleware = cls(writer, crawler.stats)
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.writer.close()

    def process_response(self, request, response):
        if request.meta.get("page_kind") in ("article", "comments") and response.status != 304:
            date = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.pool.submit(self._write, request, response, date)
        return response

    def _write(self, request, response, date) -> None:
        try:
            self.writer.write(lambda writer: self._records(writer, request, response, date))
            self.stats.inc_value("warc/records", 2)
        except Exception as exc:  # a full disk must not lose the crawl's items, nor stop the copies
            self.stats.inc_value("warc/errors")
            logger.error("WARC write failed for %s: %s", request.url, exc)
            self.writer.close()  # a half-written record ends this file; the next write opens another

    @staticmethod
    def _records(writer, request, response, date):
        parts = urlsplit(request.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        request_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in request.headers.items() for v in vs]
        request_headers.insert(0, ("Host", parts.netloc))
        req = writer.create_warc_record(
            request.url, "request", payload=io.BytesIO(request.body or b""),
            http_headers=StatusAndHeaders(f"{request.method} {target} HTTP/1.1", request_headers, is_http_request=True),
            warc_headers_dict={"WARC-Date": date},
        )
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, vs in response.headers.items() if k.lower() not in _FRAMING for v in vs
        ]
        headers.append(("Content-Length", str(len(response.body))))
        reason = _REASONS.get(response.status, "")
        resp = writer.create_warc_record(
            response.url, "response", payload=io.BytesIO(response.body),
            http_headers=StatusAndHeaders(f"{response.status} {reason}".strip(), headers, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": req.rec_headers.get_header("WARC-Record-ID")},
        )
        return [req, resp]


_REASONS = {200: "OK", 404: "Not Found", 410: "Gone", 403: "Forbidden", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}
