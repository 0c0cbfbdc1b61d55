"""Re-run extraction over the WARC files, offline: `newscrawl reextract`.

The spider's own parse methods read the stored pages (nothing about a site
is written twice): each article page's latest WARC response is handed to
`parse_article`, a request for the next comments page is answered from the
WARC record of that URL, and the finished items go through the same
normalize/validate steps and `store_articles` as a crawl: changed text is
updated with the old kept, new comments added, nothing doubled.

Using the machine: the main process indexes the WARC files (URL -> where
its records are: newscrawl/warcindex.py, which keeps each file's part
beside it for the next run), then hands the articles, in id order
and in chunks of CHUNK_ARTICLES, to `jobs` extraction processes (Workers:
forked by the command before it opens the archive, so they start with
everything imported; each with its own spider). Each chunk carries the records of every URL of
its articles (comments pages, the AMP copy), wherever they are in the WARC
files, so a worker answers a thread's requests by itself. The main process
is the one writer: it stores the chunks in id order as they come back, so
the archive and the report are the same for any number of jobs. With one
job (or one chunk of work) the same functions run in the main process.

What cannot be re-extracted is never dropped in silence: a page whose
extraction raised is named (the run exits 1), and a worker that dies
stops the run with one line; what was stored before stays stored, each
article in its own transaction.
"""

from __future__ import annotations

import gc
import logging
import marshal
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from pathlib import Path

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.project import get_project_settings
from twisted.python.failure import Failure

from newscrawl.archive import store_articles
from newscrawl.fetch_policy import FetchPolicy
from newscrawl.items import ArticleItem
from newscrawl.middlewares import CharsetMiddleware
from newscrawl.warcindex import StoredPage, index_warcs, read_page
from pipelines.normalize import NormalizeWhitespacePipeline
from pipelines.validate import ValidatePipeline

logger = logging.getLogger(__name__)

# Articles per piece of work handed to a worker: enough that handing it over
# costs little beside extracting it, few enough that the work stays even.
CHUNK_ARTICLES = 25
# Chunks handed out and not yet stored, per worker: the workers never wait
# for work, and memory stays bounded when the writer is the slower side.
CHUNKS_AHEAD = 3


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
    # Article pages whose extraction raised: named, not stored, and the run exits 1.
    failed: list[str] = field(default_factory=list)
    jobs: int = 1
    seconds: float = 0.0  # wall clock of the run
    extract_cpu: float = 0.0  # CPU seconds spent extracting (all processes)
    store_cpu: float = 0.0  # CPU seconds the writer spent storing

    def add(self, part: Report) -> None:
        """Count in what one chunk's extraction saw."""
        self.pages += part.pages
        self.dropped.update(part.dropped)
        self.incomplete += part.incomplete
        self.unreadable += part.unreadable
        self.failed += part.failed
        self.extract_cpu += part.extract_cpu


class ReextractFailed(Exception):
    """The run could not go on (a worker died); what was stored stays stored."""


# One article to re-extract: its id, the URL and record of its latest article
# page, and the records of every URL of that article (its comments pages).
Work = tuple[str, str, StoredPage, dict[str, list[StoredPage]]]
_ITEM_FIELDS = tuple(f.name for f in fields(ArticleItem))


def _as_dict(item: ArticleItem) -> dict:
    """The item as store_articles takes it. Not dataclasses.asdict: that
    deep-copies every comment of the thread, for nothing."""
    return {name: getattr(item, name) for name in _ITEM_FIELDS}


class _Stats(MemoryStatsCollector):
    """Scrapy's stats without its shim for a deprecated argument: Scrapy
    2.13+ looks up every attribute of a stats collector through
    __getattribute__ and wraps its methods to warn when a `spider` is
    passed (none is, here). Re-extraction counts a dozen things a page, and
    the shim was 3 % of its CPU."""

    __getattribute__ = object.__getattribute__


class Extractor:
    """The extraction side, one per process: the spider's parse methods over
    the stored pages, then normalize and validate, as in a crawl."""

    def __init__(self, spidercls, db_path, since: str | None = None):
        os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
        settings = get_project_settings()
        settings.set("ARCHIVE_DB", str(db_path), priority="cmdline")
        self.crawler = Crawler(spidercls, settings)
        self.crawler.stats = _Stats(self.crawler)
        self.spider = spidercls.from_crawler(self.crawler, since=since)
        self.charset = CharsetMiddleware(self.crawler.stats)
        self.normalize = NormalizeWhitespacePipeline()
        self.validate = ValidatePipeline(self.crawler.stats)

    def close(self) -> None:
        self.spider.archive_state.close()

    def extract(self, work: list[Work], policy: FetchPolicy, shared: dict | None = None) -> tuple[list[dict], Report]:
        """The articles of `work`, ready to store, and what was seen on the way.
        `shared`: records of URLs that name no article, for every article."""
        started = time.process_time()
        # The crawl fetched these pages from base_url's host (a local copy, in
        # tests): links on that host are the site's. Not every host of the WARC.
        self.spider.fetch_policy = policy
        part = Report()
        articles: list[dict] = []
        stats = self.crawler.stats
        for article_id, url, page, own in work:
            request = Request(url, meta={"article_id": article_id, "source": "warc", "page_kind": "article",
                                         "captured": page.date})
            try:
                response = self._response(request, page, part)
            except Exception as exc:  # an encoding warcio cannot undo, say: one page, not the run
                part.unreadable.append(f"{page.path.name}: {url}: {type(exc).__name__}: {exc}")
                continue
            errors = stats.get_value("extract/errors", 0)
            pages = own if not shared else {**shared, **own}
            try:
                for item in self._drive(self.spider.parse_article(response), pages, page.date, part):
                    article = self._checked(item, part)
                    if article is not None:
                        articles.append(article)
            except Exception as exc:  # noqa: BLE001 - a bug meets a page: named, and the run fails
                part.failed.append(f"{url}: {type(exc).__name__}: {exc}")
                logger.debug("re-extraction of %s failed", url, exc_info=exc)
                continue
            if stats.get_value("extract/errors", 0) > errors:  # the spider caught it and said why
                part.failed.append(f"{url}: extraction failed (see the note above)")
        part.extract_cpu = time.process_time() - started
        return articles, part

    def _response(self, request: Request, page: StoredPage, part: Report):
        status, headers, body = read_page(page)
        part.pages += 1
        if page.charset:
            # Decoded as the crawl decoded it: the check ran then, on these bytes.
            return HtmlResponse(request.url, status=int(status), headers=headers, body=body, request=request,
                                encoding=page.charset)
        response = HtmlResponse(request.url, status=int(status), headers=headers, body=body, request=request)
        return self.charset.process_response(request, response)

    def _drive(self, outputs, pages, since_date: str, part: Report):
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
                response = self._response(out, stored[0], part)
            except Exception as exc:  # missing or unreadable: the thread is incomplete, as in a crawl
                failure = Failure(exc if isinstance(exc, IgnoreRequest) else IgnoreRequest(f"{out.url}: {exc}"))
                failure.request = out
                queue.extend(out.errback(failure) or ())
                continue
            queue.extend(out.callback(response, **out.cb_kwargs) or ())

    def _checked(self, item: ArticleItem, part: Report) -> dict | None:
        try:
            item = self.validate.process_item(self.normalize.process_item(item))
        except DropItem as exc:
            part.dropped[str(exc).split(": ", 1)[-1][:60]] += 1
            return None
        if not item.comments_complete:
            part.incomplete += 1
        return _as_dict(item)


def store(db, articles: list[dict], report: Report) -> None:
    """The writer's side, in the main process only: one chunk's articles in
    one transaction (store_articles), counted in the report. An article the
    archive refuses alone is named, and the run exits 1; the others are stored."""
    for article, result in zip(articles, store_articles(db, articles), strict=True):
        if isinstance(result, Exception):
            report.failed.append(f"{article.get('url')}: not stored ({type(result).__name__}: {result})")
            continue
        report.articles[result.status] += 1
        report.changed_fields.update(result.changed_fields)
        report.comments_new += result.comments_new


class Reextractor:
    def __init__(self, spidercls, db_path, db, warc_folder: Path, since: str | None = None, jobs: int = 1,
                 workers: Workers | None = None):
        """`workers`: extraction processes started before `db` was opened
        (Workers, for `jobs` of them), used when a run needs more than one;
        without them, a run that does starts its own."""
        self.spidercls = spidercls
        self.workers = workers
        self.db_path = db_path
        self.since = since
        self.db = db
        self.folder = warc_folder
        self.jobs = max(1, jobs)
        self.report = Report(jobs=self.jobs)

    def run(self, indexed: tuple[dict, Report] | None = None) -> Report:
        """Re-extract every article of the site. `indexed`: what index_warcs
        returned for the folder, when another site's run read it already."""
        started = time.monotonic()
        if indexed is None:
            pages = index_warcs(self.folder, self.report)
        else:
            pages, seen = indexed
            self.report.warc_files, self.report.unreadable = seen.warc_files, list(seen.unreadable)
        profile = self.spidercls.profile
        latest: dict[str, tuple[str, StoredPage]] = {}
        own: dict[str, dict[str, list[StoredPage]]] = defaultdict(dict)  # article id -> its URLs' records
        shared: dict[str, list[StoredPage]] = {}  # records of URLs that name no article
        for url, stored in pages.items():
            article_id = profile.article_id(url)
            if article_id is None:
                shared[url] = stored
                continue
            own[article_id][url] = stored
            if "cpage=" not in url and (article_id not in latest or stored[-1].date > latest[article_id][1].date):
                latest[article_id] = (url, stored[-1])
        policy = FetchPolicy.for_urls(url for url, _ in latest.values())
        work = [(article_id, url, page, own[article_id]) for article_id, (url, page) in sorted(latest.items())]
        chunks = [work[i:i + CHUNK_ARTICLES] for i in range(0, len(work), CHUNK_ARTICLES)]
        jobs = min(self.jobs, len(chunks))  # no more workers than chunks of work
        self.report.jobs = max(jobs, 1)
        if not chunks:
            pass  # no article of this site in the WARC files
        elif jobs == 1:
            self._run_here(chunks, policy, shared)
        else:
            self._run_in_workers(jobs, chunks, policy, shared)
        self.report.seconds = time.monotonic() - started
        return self.report

    def _store(self, articles: list[dict]) -> None:
        started = time.process_time()
        store(self.db, articles, self.report)
        self.report.store_cpu += time.process_time() - started

    def _run_here(self, chunks, policy, shared) -> None:
        extractor = Extractor(self.spidercls, self.db_path, self.since)
        try:
            for chunk in chunks:
                articles, part = extractor.extract(chunk, policy, shared)
                self.report.add(part)
                self._store(articles)
        finally:
            extractor.close()

    def _run_in_workers(self, jobs: int, chunks, policy, shared) -> None:
        if self.workers is not None:  # started by the caller, before the archive was opened
            self._hand_out(self.workers, jobs, chunks, policy, shared)
            return
        with Workers(jobs, {self.spidercls.name: self.spidercls}, self.db_path, self.since) as workers:
            self._hand_out(workers, jobs, chunks, policy, shared)

    def _hand_out(self, workers: Workers, jobs: int, chunks, policy, shared) -> None:
        site = self.spidercls.name
        done: dict[int, tuple] = {}
        submitted = stored = 0
        while stored < len(chunks):
            while submitted < len(chunks) and submitted - stored < jobs * CHUNKS_AHEAD:
                workers.submit(submitted, (site, chunks[submitted], policy, shared or None))
                submitted += 1
            while stored not in done:
                n, result = workers.result(left=len(chunks) - stored, stored=sum(self.report.articles.values()))
                done[n] = result
            packed, part, notes = done.pop(stored)
            articles = _unpacked(packed)
            for name, level, message in notes:  # said by the worker: said here, in order
                logging.getLogger(name).log(level, "%s", message)
            self.report.add(part)
            self._store(articles)
            stored += 1


# --- the worker processes ------------------------------------------------------------


class Workers:
    """`jobs` extraction processes taking chunks from one task queue, each
    answering on a pipe of its own: a worker that dies closes its pipe, and
    the main process hears it at once. `spiders`: the spider class of each
    site they may be given (a task names its site); each worker makes a
    site's Extractor when its first chunk comes.

    Forked (`start_method` "fork", the command's way): a worker starts with
    everything imported, instead of importing Scrapy, the spider and the CLI
    again (0.75 s of CPU each, spawned). Only safe before the writer's
    state exists: `newscrawl reextract` starts them before it takes the
    archive's lock and opens it (SQLite: no open connection may cross a
    fork), while it has one thread; nothing of the archive is copied into
    them. Spawned otherwise (a Reextractor given no workers, its archive
    open): they inherit nothing."""

    def __init__(self, jobs: int, spiders: dict[str, type], db_path, since: str | None = None, *,
                 start_method: str = "spawn"):
        if start_method == "fork" and threading.active_count() > 1:
            raise RuntimeError("reextract workers are forked while this process has one thread")
        context = multiprocessing.get_context(start_method)
        if start_method == "fork":
            # What is in memory now lives as long as the command: set apart
            # from the collector, whose walks would otherwise touch (and so
            # copy into each worker) every page of it.
            gc.freeze()
        self.tasks = context.Queue()
        self.processes = []
        self.pipes = {}  # the main process's end of each worker's pipe -> the worker
        # Ctrl-C reaches every process of the terminal's group: the workers
        # are started with SIGINT blocked (they inherit it, from their first
        # instruction on), so only this process hears it, and stops them.
        # Blocked here too meanwhile: a Ctrl-C now waits, it is not lost.
        unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            for n in range(jobs):
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(target=_worker_main, args=(spiders, db_path, since, self.tasks, writer),
                                          name=f"reextract-worker-{n + 1}", daemon=True)
                self.processes.append(process)
                self.pipes[reader] = process
                process.start()
                writer.close()  # the worker's end: only the worker holds it, so its death is an end of file here
        finally:
            try:
                signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)  # a Ctrl-C that came meanwhile: now
            except BaseException:
                self.__exit__(KeyboardInterrupt, None, None)
                raise

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            for _ in self.processes:
                self.tasks.put(None)  # no more work: each ends when it sees one
            for process in self.processes:
                process.join(timeout=30)
        for process in self.processes:  # an error or Ctrl-C: they stop now
            if process.pid is not None and process.is_alive():
                process.terminate()
        for process in self.processes:
            if process.pid is not None:
                process.join(timeout=10)
        for reader in self.pipes:
            reader.close()
        self.tasks.close()

    def submit(self, n: int, task: tuple) -> None:
        self.tasks.put((n, task))

    def result(self, *, left: int, stored: int) -> tuple[int, tuple]:
        """The next chunk's result to arrive, whichever it is."""
        reader = multiprocessing.connection.wait(list(self.pipes))[0]
        try:
            n, payload = pickle.loads(reader.recv_bytes())
        except (EOFError, OSError):
            process = self.pipes[reader]
            process.join(timeout=5)
            code = process.exitcode
            how = (f"was killed by signal {-code} ({signal.Signals(-code).name})" if code is not None and code < 0
                   else f"ended (status {code})")
            raise ReextractFailed(
                f"re-extraction worker {process.name} (pid {process.pid}) {how}; {stored} articles were stored "
                f"before it, {left} chunks of up to {CHUNK_ARTICLES} articles were not re-extracted "
                "(the archive is intact: run the command again)") from None
        if n is None:  # the worker could not start, or could not extract a chunk
            raise ReextractFailed(f"a re-extraction worker failed: {payload}")
        return n, payload


def _packed(articles: list[dict]) -> bytes | list[dict]:
    """A chunk's articles as they cross to the main process: marshal,
    where they are plain values (they are: text, numbers, lists and dicts),
    reads back in three quarters of pickle's time, and the main process,
    which also stores, is the busier side. Anything else is pickled as it is."""
    try:
        return marshal.dumps(articles)
    except ValueError:  # a value of another type (a str subclass, an object): pickle keeps it
        return articles


def _unpacked(packed: bytes | list[dict]) -> list[dict]:
    return marshal.loads(packed) if isinstance(packed, bytes) else packed


class _Notes(logging.Handler):
    """What the worker's spider logs, kept to be said by the main process."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


def _exit_with(parent: int) -> None:
    """A worker whose main process is gone (SIGKILL) has no one to answer: it ends."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def _worker_main(spiders: dict[str, type], db_path, since: str | None, tasks, answers) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the main process, which stops the workers
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # ignored now, not held: nothing left pending
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    # Logging as a process of its own has it (a forked one inherits the
    # command's): what the spider says is kept, as made, for the main
    # process to say, which escapes it once, as it does its own notes.
    logging.setLogRecordFactory(logging.LogRecord)
    for handler in list(logging.root.handlers):
        logging.root.removeHandler(handler)
    notes = _Notes()
    logging.root.addHandler(notes)
    logging.root.setLevel(logging.WARNING)

    def failed(exc: Exception):
        answers.send_bytes(pickle.dumps((None, f"{type(exc).__name__}: {exc}")))
        return SystemExit(1)

    extractors: dict[str, Extractor] = {}
    while (task := tasks.get()) is not None:
        n, (site, work, policy, shared) = task
        if site not in extractors:
            try:
                extractors[site] = Extractor(spiders[site], db_path, since)
            except Exception as exc:  # noqa: BLE001 - said by the main process, which stops the run
                raise failed(exc) from None
        notes.records = []
        try:
            articles, part = extractors[site].extract(work, policy, shared)
            answer = pickle.dumps((n, (_packed(articles), part, notes.records)), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - not one page's error (those are in the report): the run stops
            raise failed(exc) from None
        answers.send_bytes(answer)
    for extractor in extractors.values():
        extractor.close()
