"""Crawl and extraction benchmarks, side by side with the alternative.

    make bench                                  # this, then store_bench.py and reextract_bench.py
    .venv/bin/python benchmarks/crawl_bench.py --articles 300 --repeats 1   # a quick look

One run, one machine, one generated Elaph-model site (2,000 articles, about
15 comments each, served on 127.0.0.1 from memory):

  crawl      (a) a bare Scrapy spider downloading the same pages (the ceiling),
             (b) the full `scrapy crawl elaph` (extraction, validation, WARC,
                 SQLite with the search index) with politeness switched off,
             (c) the same as two workers over Redis, with one `newscrawl drain`;
             pages/s, CPU seconds per page, peak memory, memory as the crawl goes on.
  extract    the project's extractor against trafilatura.extract(include_comments=True)
             on the same pages: median ms per page, and comments recovered as
             records with title, author and text.
(The store, import, reindex, export and archive size: benchmarks/store_bench.py;
re-extraction: benchmarks/reextract_bench.py. `make bench` runs all three.)

Crawl figures are medians over --repeats runs (interleaved, so a slow spell
of the machine hits every scenario alike); extraction times are, per page,
the best of --repeats runs, then the median over pages. The machine is
noisy, so the ratios (full / bare, ours / trafilatura) are the figures to read. Results go
to benchmarks/results.json (key "crawl"; the search benchmark keeps its own
key) and a Markdown table is printed for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from common import RESULTS, compile_project, machine, save_result  # noqa: E402  (re-exported for reextract_bench)

from newscrawl.extract import extract_article  # noqa: E402
from newscrawl.lock import child_pids  # noqa: E402
from newscrawl.samplesite import SampleSite, generate_site  # noqa: E402
from newscrawl.samplesite.render import render_article  # noqa: E402
from newscrawl.sites import get_profile  # noqa: E402
from newscrawl.text import one_line  # noqa: E402

# About 15 comments an article (mean 15.0); 21 and 38 span two comment pages.
BENCH_COMMENT_COUNTS = (0, 3, 8, 12, 15, 18, 20, 21, 38)
# Politeness off, same concurrency for every crawler measured. CONCURRENT_ITEMS
# is the project's default (Scrapy's 100 costs CPU on every page); the bare
# spider gets it too, so that the ceiling is not handicapped.
UNPOLITE = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False",
            "CONCURRENT_REQUESTS": "16", "CONCURRENT_REQUESTS_PER_DOMAIN": "16", "CONCURRENT_ITEMS": "8"}


class MemorySite(SampleSite):
    """The model site with every answer rendered once and kept: the server's
    own work stays small and the same for every crawler measured."""

    def __init__(self, model):
        super().__init__(model)
        self.conditional = False
        self.cache: dict[str, tuple] = {}

    def respond(self, method, raw_path, headers_in):
        answer = self.cache.get(raw_path)
        if answer is None:
            answer = super().respond(method, raw_path, headers_in)
            if answer[0] == 200:  # a flaky page's 503 must not stick
                self.cache[raw_path] = answer
        return answer


# --- measuring one process ------------------------------------------------------


class Watched:
    """A child process, its CPU and peak memory (wait4), and its memory
    sampled against the number of pages the site has served."""

    def __init__(self, cmd, *, cwd, log: Path, site: SampleSite):
        self.log = log
        # The child holds its own copy of the descriptor: ours closes at once.
        with open(log, "w") as stderr:
            self.proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr)
        self.site = site
        self.samples: list[tuple[int, float]] = []  # (pages served so far, RSS MB)
        self.hwm_kb: dict[int, int] = {}  # pid -> peak RSS seen
        self.rusage = None
        self.returncode = None
        self.ended = None
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self):
        # Peak memory from VmHWM, per process (the crawl and its writer):
        # wait4's ru_maxrss would count the harness's own memory, copied at
        # fork before the exec.
        while self.rusage is None:
            for pid in [self.proc.pid, *child_pids(self.proc.pid)]:
                status = _status(pid)
                if "VmHWM" in status:
                    self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), status["VmHWM"])
                if pid == self.proc.pid and "VmRSS" in status:
                    self.samples.append((len(self.site.log), status["VmRSS"] / 1024))
            time.sleep(0.2)

    def wait(self, timeout: float = 3600):
        deadline = time.monotonic() + timeout
        while True:
            pid, status, rusage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                self.proc.kill()
                raise SystemExit(f"{self.proc.args[:4]} did not finish in {timeout:.0f} s; log: {self.log}")
            time.sleep(0.02)
        self.ended = time.monotonic()
        self.rusage = rusage
        self.returncode = self.proc.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def alive(self) -> bool:
        # Not Popen.poll(): it would reap the process, and wait4 needs to.
        try:
            state = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        return state != "Z"

    @property
    def cpu(self) -> float:
        return self.rusage.ru_utime + self.rusage.ru_stime

    @property
    def peak_mb(self) -> float:
        """Peak RSS of the process itself."""
        return self.hwm_kb.get(self.proc.pid, 0) / 1024

    @property
    def peak_mb_family(self) -> float:
        """Peak RSS of the process and its children (the archive writer), summed."""
        return sum(self.hwm_kb.values()) / 1024


def _status(pid: int) -> dict:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in lines) if k in ("VmRSS", "VmHWM")}


def memory_curve(samples: list[tuple[int, float]], pages: int) -> dict:
    """RSS when a quarter, half, three quarters and all of the pages were
    served: flat memory means the last figures do not keep climbing."""
    curve = {}
    for share in (0.25, 0.5, 0.75, 1.0):
        seen = [rss for served, rss in samples if served >= share * pages * 0.98]
        curve[f"{int(share * 100)}%"] = round(seen[0], 1) if seen else None
    return curve


def scrapy_cmd(*args: str, settings: dict) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", *args]
    for name, value in settings.items():
        cmd += ["-s", f"{name}={value}"]
    return cmd


# --- the crawl scenarios ----------------------------------------------------------


def run_full(site: MemorySite, work: Path, n: int) -> dict:
    db = work / f"full{n}.db"
    settings = {**UNPOLITE, "ARCHIVE_DB": db, "WARC_DIR": work / f"warc{n}", "LOG_LEVEL": "INFO"}
    site.clear_log()
    start = time.monotonic()
    crawl = Watched(scrapy_cmd("crawl", "elaph", "-a", f"base_url={site.base_url}", settings=settings),
                    cwd=REPO, log=work / f"full{n}.log", site=site)
    code = crawl.wait()
    if code not in (0, 1):  # 1: finished, with the model site's deliberate 404s among the errors
        raise SystemExit(f"full crawl exited {code}; see {crawl.log}")
    wall = crawl.ended - start
    pages = len(site.log)
    warc = sum(f.stat().st_size for f in (work / f"warc{n}").glob("*.warc.gz"))
    return {"pages": pages, "seconds": wall, "cpu": crawl.cpu, "peak_mb": crawl.peak_mb,
            "peak_mb_all": crawl.peak_mb_family,
            "memory": memory_curve(crawl.samples, pages), "db": db, "warc_bytes": warc,
            "urls": [site.base_url + hit.path for hit in site.log if hit.status == 200]}


def run_bare(site: MemorySite, work: Path, urls: list[str], n: int) -> dict:
    urls_file = work / "urls.txt"
    urls_file.write_text("\n".join(urls) + "\n", encoding="utf-8")
    outside = work / "outside"  # no scrapy.cfg here: bare Scrapy defaults
    outside.mkdir(exist_ok=True)
    settings = {**UNPOLITE, "LOG_LEVEL": "INFO", "TELNETCONSOLE_ENABLED": "False"}
    site.clear_log()
    start = time.monotonic()
    crawl = Watched(scrapy_cmd("runspider", str(REPO / "benchmarks" / "bare_spider.py"), "-a",
                               f"urls_file={urls_file}", settings=settings),
                    cwd=outside, log=work / f"bare{n}.log", site=site)
    if crawl.wait() != 0:
        raise SystemExit(f"bare spider failed; see {crawl.log}")
    pages = len(site.log)
    return {"pages": pages, "seconds": crawl.ended - start, "cpu": crawl.cpu, "peak_mb": crawl.peak_mb,
            "memory": memory_curve(crawl.samples, pages)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, work: Path):
        import redis

        self.port = free_port()
        self._log = open(work / "redis.log", "w")  # noqa: SIM115  (open while redis-server runs; closed by stop())
        self.proc = subprocess.Popen(
            [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(work)], stdout=self._log)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis.from_url(self.url)
        for _ in range(200):
            try:
                self.client.ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise SystemExit("redis-server did not start")

    def used_memory(self) -> int:
        return int(self.client.info("memory")["used_memory"])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self._log.close()


def run_distributed(site: MemorySite, work: Path, redis_server: RedisServer, n: int, expected_articles: int) -> dict:
    db = work / f"dist{n}.db"
    grace, idle = 1.0, 2.0
    settings = {**UNPOLITE, "ARCHIVE_DB": work / "unused.db", "WARC_DIR": work / f"dwarc{n}", "LOG_LEVEL": "INFO",
                "REDIS_URL": redis_server.url, "REDIS_RUN": f"bench{n}", "REDIS_IDLE_GRACE": grace,
                "REDIS_HEARTBEAT": 1}
    redis_server.client.flushdb()  # each repeat starts from an empty archive, so from an empty Redis
    baseline = redis_server.used_memory()
    peak = {"redis": baseline, "items": 0}
    stop = threading.Event()

    prefix = f"newscrawl:bench{n}:elaph"
    frontier = {"requests": 0, "bytes": 0}
    backlog = {"items": 0, "bytes": 0}

    def memory_usage(key) -> int:
        return int(redis_server.client.memory_usage(key, samples=0) or 0)

    def watch_redis():
        client = redis_server.client
        while not stop.is_set():
            peak["redis"] = max(peak["redis"], redis_server.used_memory())
            queued = client.zcard(f"{prefix}:requests")
            if queued > frontier["requests"]:
                # What one queued article costs the frontier: its request, its
                # fingerprint and its claim (the run's list of articles asked).
                frontier.update(requests=queued, bytes=sum(memory_usage(f"{prefix}:{k}") for k in
                                                           ("requests", "dupefilter", "articles", "alternates")))
            items = client.llen("newscrawl:items")
            if items > backlog["items"]:
                backlog.update(items=items, bytes=memory_usage("newscrawl:items"))
            peak["items"] = max(peak["items"], items)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch_redis, daemon=True)
    site.clear_log()
    start = time.monotonic()
    watcher.start()
    workers = [Watched(scrapy_cmd("crawl", "elaph", "-a", f"base_url={site.base_url}", settings=settings),
                       cwd=REPO, log=work / f"worker{n}-{i}.log", site=site) for i in range(2)]
    # The drain starts with the first item: its --idle clock must not run
    # while the workers are still starting up.
    while not redis_server.client.llen("newscrawl:items") and all(w.rusage is None and w.alive() for w in workers):
        time.sleep(0.05)
    drain = Watched([str(Path(sys.executable).with_name("newscrawl")), "drain", "--db", str(db),
                     "--redis", redis_server.url, "--idle", str(idle)], cwd=REPO, log=work / f"drain{n}.log", site=site)
    codes = [w.wait() for w in workers]
    if any(code not in (0, 1) for code in codes):
        raise SystemExit(f"a worker exited {codes}; see {work}/worker{n}-*.log")
    if drain.wait() != 0:
        raise SystemExit(f"drain failed; see {drain.log}")
    stop.set()
    watcher.join()
    # Each process waits a little before ending (the workers for the frontier
    # to stay empty, the drain for the queue to stay empty): not crawling time.
    wall = max(max(w.ended for w in workers) - grace, drain.ended - idle) - start
    stored = sqlite3.connect(db).execute("SELECT count(*) FROM articles").fetchone()[0]
    if stored != expected_articles:
        raise SystemExit(f"distributed run stored {stored} articles, the full crawl {expected_articles}")
    pages = len(site.log)
    return {"pages": pages, "seconds": wall, "cpu": sum(p.cpu for p in [*workers, drain]),
            "peak_mb": max(p.peak_mb for p in [*workers, drain]),
            "peak_mb_all": sum(p.peak_mb_family for p in [*workers, drain]),
            "memory": memory_curve(workers[0].samples, pages),
            "redis_peak_bytes": peak["redis"] - baseline, "redis_peak_items": peak["items"],
            "redis_bytes_per_queued_request": frontier["bytes"] / max(frontier["requests"], 1),
            "redis_bytes_per_undrained_item": backlog["bytes"] / max(backlog["items"], 1)}


def summarize_runs(runs: list[dict]) -> dict:
    """Medians over repeats of one scenario."""
    def median(key):
        return statistics.median(r[key] for r in runs)

    pages = median("pages")
    seconds = median("seconds")
    out = {"pages": int(pages), "seconds": round(seconds, 2), "pages_per_second": round(median_rate(runs), 1),
           "cpu_seconds_per_page": round(statistics.median(r["cpu"] / r["pages"] for r in runs), 5),
           "peak_memory_mb": round(median("peak_mb"), 1), "memory_mb_as_pages_are_served": runs[-1]["memory"],
           "runs": len(runs), "pages_per_second_each_run": [round(r["pages"] / r["seconds"], 1) for r in runs]}
    for key in ("peak_mb_all", "redis_peak_bytes", "redis_peak_items", "warc_bytes",
                "redis_bytes_per_queued_request", "redis_bytes_per_undrained_item"):
        if key in runs[0]:
            out[key] = round(median(key), 1)
    return out


def median_rate(runs):
    return statistics.median(r["pages"] / r["seconds"] for r in runs)


# --- extraction -------------------------------------------------------------------------


def bench_extraction(model, repeats: int) -> dict:
    import trafilatura

    profile = get_profile("elaph")
    base = "https://elaph.com"
    pages = []
    for article in model.crawlable():
        html = render_article(article, base, 1, model.comments_per_page)
        first_page = article.comments[: model.comments_per_page]
        pages.append((html, base + article.path, first_page))
    for html, url, _ in pages[:50]:  # warm-up: imports, caches
        extract_article(html, url, profile)
        trafilatura.extract(html, url=url, include_comments=True)

    def timed(fn):
        # Each page's best of `repeats` runs, then the median over pages: a
        # noisy neighbour slows single runs, never the page's own work.
        best = [float("inf")] * len(pages)
        for _ in range(repeats):
            for i, (html, url, _) in enumerate(pages):
                t = time.perf_counter()
                fn(html, url)
                best[i] = min(best[i], (time.perf_counter() - t) * 1000)
        return best

    ours_ms = timed(lambda html, url: extract_article(html, url, profile))
    theirs_ms = timed(lambda html, url: trafilatura.extract(html, url=url, include_comments=True))

    shown = ours_records = theirs_records = theirs_texts = 0
    for html, url, comments in pages:
        shown += len(comments)
        ours = extract_article(html, url, profile).comments.comments
        ours_records += attributed_records(ours, comments)
        flat = trafilatura.extract(html, url=url, include_comments=True) or ""
        theirs_texts += sum(1 for c in comments if one_line(c.text) in one_line(flat))
        xml = trafilatura.extract(html, url=url, include_comments=True, output_format="xml") or ""
        theirs_records += trafilatura_records(xml, comments)
    return {
        "pages": len(pages),
        "ours_median_ms": round(statistics.median(ours_ms), 3),
        "ours_p95_ms": round(statistics.quantiles(ours_ms, n=20)[-1], 3),
        "trafilatura_median_ms": round(statistics.median(theirs_ms), 3),
        "trafilatura_p95_ms": round(statistics.quantiles(theirs_ms, n=20)[-1], 3),
        "comments_shown": shown,
        "ours_comment_records": ours_records,
        "trafilatura_comment_records": theirs_records,
        "trafilatura_comment_texts_somewhere_in_output": theirs_texts,
    }


def _fields(comment) -> tuple[str, str, str]:
    if isinstance(comment, dict):
        return one_line(comment["title"]), one_line(comment["author"]), one_line(comment["text"])
    return one_line(comment.title), one_line(comment.author), one_line(comment.text)


def attributed_records(records: list[dict], shown) -> int:
    """Records equal, field for field, to a comment the page shows."""
    wanted = [_fields(c) for c in shown]
    found = 0
    for record in records:
        fields = _fields(record)
        if fields in wanted:
            wanted.remove(fields)
            found += 1
    return found


def trafilatura_records(xml: str, shown) -> int:
    """Comments for which one element of Trafilatura's <comments> (not the
    block as a whole) holds the title, the author and the text together:
    generous, since it only asks that they sit in the same element."""
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return 0
    block = root.find(".//comments")
    if block is None:
        return 0
    elements = [one_line(" ".join(e.itertext())) for e in block.iter() if e is not block]
    found = 0
    for comment in shown:
        title, author, text = _fields(comment)
        if any(text and text in e and author in e and title in e for e in elements):
            found += 1
    return found


# --- store ----------------------------------------------------------------------------------


# --- report ------------------------------------------------------------------------------------


def table(result: dict) -> str:
    c, e = result["crawl"], result["extraction"]
    bare = c["bare"]
    lines = ["| crawl (same pages, politeness off) | pages | pages/s | vs bare | CPU s/page | peak memory |",
             "|---|---:|---:|---:|---:|---:|"]
    names = {"bare": "(a) bare Scrapy download", "full": "(b) full `scrapy crawl elaph`",
             "distributed": "(c) full, two workers over Redis + drain"}
    for key, label in names.items():
        if key not in c:
            continue
        row = c[key]
        memory = f"{row['peak_memory_mb']:.0f} MB"
        if "peak_mb_all" in row:
            memory += f" (all processes {row['peak_mb_all']:.0f} MB)"
        lines.append(f"| {label} | {row['pages']} | {row['pages_per_second']:.1f} | "
                     f"{row['pages_per_second'] / bare['pages_per_second']:.0%} | "
                     f"{row['cpu_seconds_per_page'] * 1000:.2f} ms | {memory} |")
    lines += ["", "| extraction, per article page | median | p95 | comments as records (title, author, text) |",
              "|---|---:|---:|---:|",
              f"| newscrawl (profile selectors) | {e['ours_median_ms']:.2f} ms | {e['ours_p95_ms']:.2f} ms | "
              f"{e['ours_comment_records']} of {e['comments_shown']} |",
              f"| `trafilatura.extract(include_comments=True)` | {e['trafilatura_median_ms']:.2f} ms | "
              f"{e['trafilatura_p95_ms']:.2f} ms | {e['trafilatura_comment_records']} of {e['comments_shown']} "
              f"(texts anywhere in its output: {e['trafilatura_comment_texts_somewhere_in_output']}) |"]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="generated articles (default 2000)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs of each scenario; medians are reported (default 3)")
    parser.add_argument("--no-redis", action="store_true", help="skip (c), the two workers over Redis")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (default benchmarks/results.json)")
    args = parser.parse_args(argv)
    compile_project()

    model = generate_site(args.articles, comment_counts=BENCH_COMMENT_COUNTS)
    crawlable = model.crawlable()
    print(f"model site: {len(crawlable)} articles, {sum(len(a.comments) for a in crawlable)} comments "
          f"({statistics.mean(len(a.comments) for a in crawlable):.1f} per article)", flush=True)
    use_redis = not args.no_redis and shutil.which("redis-server")
    if not args.no_redis and not use_redis:
        print("redis-server not found: (c) skipped (apt-get install redis-server)", flush=True)

    # Extraction first, in a process that holds nothing else yet.
    print("extraction ...", flush=True)
    extraction = bench_extraction(model, args.repeats)
    print(f"  newscrawl {extraction['ours_median_ms']:.2f} ms, "
          f"trafilatura {extraction['trafilatura_median_ms']:.2f} ms median per page", flush=True)

    work = Path(tempfile.mkdtemp(prefix="newscrawl-bench-"))
    runs: dict[str, list] = {"bare": [], "full": [], "distributed": []}
    redis_server = RedisServer(work) if use_redis else None
    try:
        with MemorySite(model) as site:
            # Untimed: the server renders and keeps every page the crawl asks
            # for, and its flaky articles give their one 503 (with a
            # Retry-After, which the crawl honours). Otherwise the first timed
            # full crawl alone would pay for both, and no bare run would.
            warm = run_full(site, work, "warm")
            print(f"  warm-up     {warm['pages']} pages in {warm['seconds']:.1f} s (not timed: the server renders "
                  "and keeps every page)", flush=True)
            for n in range(args.repeats):
                # Interleaved, so that a slow spell of the machine hits every scenario alike.
                full = run_full(site, work, n)
                runs["full"].append(full)
                print(f"  full        {full['pages']} pages in {full['seconds']:.1f} s", flush=True)
                bare = run_bare(site, work, full["urls"], n)
                runs["bare"].append(bare)
                print(f"  bare        {bare['pages']} pages in {bare['seconds']:.1f} s", flush=True)
                if redis_server:
                    expected = sqlite3.connect(full["db"]).execute("SELECT count(*) FROM articles").fetchone()[0]
                    dist = run_distributed(site, work, redis_server, n, expected)
                    runs["distributed"].append(dist)
                    print(f"  distributed {dist['pages']} pages in {dist['seconds']:.1f} s", flush=True)
        crawl = {key: summarize_runs(value) for key, value in runs.items() if value}
        full_db = Path(runs["full"][-1]["db"])
        conn = sqlite3.connect(full_db)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        db_bytes = full_db.stat().st_size
    finally:
        if redis_server:
            redis_server.stop()
        if os.environ.get("BENCH_KEEP"):
            print(f"work files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    full, bare = crawl["full"], crawl["bare"]
    # The target holds in every round, not only in the median one.
    each_round = [round((f["pages"] / f["seconds"]) / (b["pages"] / b["seconds"]), 3)
                  for f, b in zip(runs["full"], runs["bare"], strict=True)]
    result = {
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "site": {"articles": len(crawlable), "comments": sum(len(a.comments) for a in crawlable),
                 "served_from": "127.0.0.1, pages rendered once and kept in memory"},
        "concurrency": UNPOLITE,
        "crawl": crawl,
        "extraction": extraction,
        "per_article": per_article(crawl, db_bytes, len(crawlable)),
        "targets": {
            "full_at_least_half_of_bare": full["pages_per_second"] >= 0.5 * bare["pages_per_second"],
            "full_vs_bare": round(full["pages_per_second"] / bare["pages_per_second"], 3),
            "full_vs_bare_each_round": each_round,
            "full_at_least_half_of_bare_every_round": all(r >= 0.5 for r in each_round),
            "extraction_median_at_most_2_ms": extraction["ours_median_ms"] <= 2.0,
            "memory_flat": memory_flat(full["memory_mb_as_pages_are_served"]),
        },
    }
    save_result("crawl", result, args.out)
    print()
    print(table(result))
    print()
    print("targets:", json.dumps(result["targets"]))
    print(f"written to {args.out}")
    return 0


def per_article(crawl: dict, db_bytes: int, articles: int) -> dict:
    """The per-article figures the README's "Scale on paper" multiplies out."""
    full = crawl["full"]
    out = {
        "pages": round(full["pages"] / articles, 3),
        "db_bytes": round(db_bytes / articles),  # the crawled archive, runs and sitemaps included
        "warc_bytes": round(full.get("warc_bytes", 0) / articles),
        "crawl_cpu_seconds": round(full["cpu_seconds_per_page"] * full["pages"] / articles, 4),
    }
    if "distributed" in crawl:
        dist = crawl["distributed"]
        out["redis_peak_bytes"] = round(dist["redis_peak_bytes"] / articles)
        out["redis_bytes_per_queued_request"] = round(dist["redis_bytes_per_queued_request"])
        out["redis_bytes_per_undrained_item"] = round(dist["redis_bytes_per_undrained_item"])
    return out


def memory_flat(curve: dict) -> bool:
    """Flat: from half the pages to all of them, RSS grows by under 10 %."""
    half, end = curve.get("50%"), curve.get("100%")
    return bool(half and end and end <= half * 1.10)


if __name__ == "__main__":
    sys.exit(main())
