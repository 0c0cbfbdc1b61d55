"""Re-run extraction over the WARC files, offline: `newscrawl reextract`.

The spider's own parse methods read the stored pages (nothing about a site
is written twice): each article page's latest WARC response is handed to
`parse_article`, a request for the next comments page is answered from the
WARC record of that URL, and the finished items go through the same
normalize/validate steps and `store_article` as a crawl: changed text is
updated with the old kept, new comments added, nothing doubled.
"""

from __future__ import annotations

import logging
import os
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.project import get_project_settings
from twisted.python.failure import Failure
from warcio.archiveiterator import ArchiveIterator

from newscrawl.archive import store_article
from newscrawl.fetch_policy import FetchPolicy
from newscrawl.items import ArticleItem
from newscrawl.middlewares import CharsetMiddleware
from pipelines.normalize import NormalizeWhitespacePipeline
from pipelines.validate import ValidatePipeline

logger = logging.getLogger(__name__)

# Headers that described the bytes on the wire; warcio hands us the decoded body.
_WIRE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


@dataclass
class StoredPage:
    date: str
    path: Path
    offset: int


@dataclass
class Report:
    warc_files: int = 0
    pages: int = 0
    articles: Counter = field(default_factory=Counter)  # new / updated / unchanged
    changed_fields: Counter = field(default_factory=Counter)
    comments_new: int = 0
    dropped: Counter = field(default_factory=Counter)
    incomplete: int = 0
    unreadable: list[str] = field(default_factory=list)


def index_warcs(folder: Path, report: Report) -> dict[str, list[StoredPage]]:
    """URL -> its stored 200 responses, oldest first."""
    pages: dict[str, list[StoredPage]] = defaultdict(list)
    for path in sorted(folder.glob("*.warc.gz")) + sorted(folder.glob("*.warc")):
        report.warc_files += 1
        with open(path, "rb") as fh:
            records = ArchiveIterator(fh)
            try:
                for record in records:
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
                        report.unreadable.append(f"{path.name}: the record of {url} is cut short; not used")
                        continue
                    pages[url].append(StoredPage(date, path, offset))
            except Exception as exc:  # a file cut short by a killed crawl: keep what is readable
                report.unreadable.append(f"{path.name}: {exc}")
    for stored in pages.values():
        stored.sort(key=lambda p: p.date)
    return pages


def _read(page: StoredPage):
    with open(page.path, "rb") as fh:
        fh.seek(page.offset)
        record = next(iter(ArchiveIterator(fh)))
        headers = [(k, v) for k, v in record.http_headers.headers if k.lower() not in _WIRE_HEADERS]
        return record.http_headers.get_statuscode(), headers, record.content_stream().read()


class Reextractor:
    def __init__(self, spidercls, db_path, db, warc_folder: Path, since: str | None = None):
        os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
        settings = get_project_settings()
        settings.set("ARCHIVE_DB", str(db_path), priority="cmdline")
        self.crawler = Crawler(spidercls, settings)
        self.crawler.stats = MemoryStatsCollector(self.crawler)
        self.spider = spidercls.from_crawler(self.crawler, since=since)
        self.charset = CharsetMiddleware(self.crawler.stats)
        self.normalize = NormalizeWhitespacePipeline()
        self.validate = ValidatePipeline(self.crawler.stats)
        self.db = db
        self.folder = warc_folder
        self.report = Report()

    def _response(self, request: Request, page: StoredPage):
        status, headers, body = _read(page)
        response = HtmlResponse(request.url, status=int(status), headers=headers, body=body, request=request)
        self.report.pages += 1
        return self.charset.process_response(request, response)

    def run(self) -> Report:
        pages = index_warcs(self.folder, self.report)
        profile = self.spider.profile
        latest: dict[str, tuple[str, StoredPage]] = {}
        for url, stored in pages.items():
            article_id = profile.article_id(url)
            if article_id and "cpage=" not in url and (article_id not in latest or stored[-1].date > latest[article_id][1].date):
                latest[article_id] = (url, stored[-1])
        # The crawl fetched these pages from base_url's host (a local copy, in
        # tests): links on that host are the site's. Not every host of the WARC.
        self.spider.fetch_policy = FetchPolicy.for_urls(url for url, _ in latest.values())
        for article_id, (url, page) in sorted(latest.items()):
            request = Request(url, meta={"article_id": article_id, "source": "warc", "page_kind": "article",
                                         "captured": page.date})
            try:
                response = self._response(request, page)
            except Exception as exc:  # an encoding warcio cannot undo, say: one page, not the run
                self.report.unreadable.append(f"{page.path.name}: {url}: {type(exc).__name__}: {exc}")
                continue
            for item in self._drive(self.spider.parse_article(response), pages, page.date):
                self._store(item)
        self.spider.archive_state.close()
        return self.report

    def _drive(self, outputs, pages, since_date: str):
        """Run the spider's callbacks, answering its requests from the WARC."""
        queue = list(outputs or ())
        while queue:
            out = queue.pop(0)
            if isinstance(out, ArticleItem):
                yield out
                continue
            stored = [p for p in pages.get(out.url, ()) if p.date >= since_date] or pages.get(out.url, [])
            try:
                if not stored:
                    raise IgnoreRequest(f"{out.url} is not in the WARC files")
                response = self._response(out, stored[0])
            except Exception as exc:  # missing or unreadable: the thread is incomplete, as in a crawl
                failure = Failure(exc if isinstance(exc, IgnoreRequest) else IgnoreRequest(f"{out.url}: {exc}"))
                failure.request = out
                queue.extend(out.errback(failure) or ())
                continue
            queue.extend(out.callback(response, **out.cb_kwargs) or ())

    def _store(self, item: ArticleItem) -> None:
        try:
            item = self.validate.process_item(self.normalize.process_item(item))
        except DropItem as exc:
            self.report.dropped[str(exc).split(": ", 1)[-1][:60]] += 1
            return
        if not item.comments_complete:
            self.report.incomplete += 1
        result = store_article(self.db, asdict(item))
        self.report.articles[result.status] += 1
        self.report.changed_fields.update(result.changed_fields)
        self.report.comments_new += result.comments_new
