"""Peak memory of `scrapy crawl elaph` reading a very large sitemap.

    .venv/bin/python benchmarks/sitemap_memory.py                 # 10k and 1M URLs, about 15 minutes
    .venv/bin/python benchmarks/sitemap_memory.py --urls 10000 100000
    .venv/bin/python benchmarks/sitemap_memory.py --repo /tmp/old --label eager  # another checkout

A local server on 127.0.0.1 serves robots.txt and the site's sitemaps from
memory, in two layouts: one gzipped urlset holding every URL (beyond the
sitemap protocol's 50,000, so DOWNLOAD_MAXSIZE is raised to let it in), and
an index of gzipped urlsets of 50,000 URLs each, as a large site serves
them. robots.txt disallows the article paths, so every article request is
refused by RobotsTxtMiddleware without touching the network: the run
exercises discovery (parse, queue, schedule, settle) for every URL at a
few thousand URLs a second, not the downloads.

The figure is the peak resident set (ru_maxrss) of the crawl process, read
by a wrapper process for which the crawl is the only child; the
archive-writer process (STORE_IN_PROCESS) is a separate, small one. What
stays per URL in any layout is the run's own per-article bookkeeping (the
ids asked for and settled, about 100 bytes each); the requests themselves
(about 2 KB each) are scheduled a batch at a time (newscrawl/backlog.py).
Results go to benchmarks/results.json (key "sitemap_memory").
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results.json"
PER_SITEMAP = 50_000  # the sitemap protocol's limit
# Runs the crawl as its only child and prints its peak RSS (KiB on Linux).
WRAPPER = ("import resource, subprocess, sys; log = open(sys.argv[1], 'w'); "
           "r = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=log); "
           "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def urlset(first: int, count: int) -> bytes:
    lines = [b'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n']
    for n in range(first, first + count):
        lines.append(b"<url><loc>BASE/Web/News/2015/3/%d.html</loc><lastmod>2015-03-24T10:00:00+03:00</lastmod></url>\n"
                     % (1_000_000 + n))
    lines.append(b"</urlset>\n")
    return b"".join(lines)


def build(urls: int, layout: str) -> dict[str, bytes]:
    """The sitemap files, with BASE in place of the server's address."""
    if layout == "single":
        return {"/sitemap.xml.gz": gzip.compress(urlset(0, urls), compresslevel=6, mtime=0)}
    files = {}
    names = []
    for part, first in enumerate(range(0, urls, PER_SITEMAP)):
        name = f"/sitemaps/part-{part}.xml.gz"
        files[name] = gzip.compress(urlset(first, min(PER_SITEMAP, urls - first)), compresslevel=6, mtime=0)
        names.append(name)
    index = "".join(f"<sitemap><loc>BASE{n}</loc></sitemap>\n" for n in names)
    files["/sitemap.xml.gz"] = gzip.compress(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{index}</sitemapindex>\n".encode(), mtime=0)
    return files


class Server:
    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.requests = 0
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.http.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.http.server_address[1]}"
        # The address is known only now: gzip members are rebuilt with it.
        self.files = {path: gzip.compress(gzip.decompress(body).replace(b"BASE", self.base.encode()), mtime=0)
                      for path, body in files.items()}

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                server.requests += 1
                if self.path == "/robots.txt":
                    robots = f"User-agent: *\nDisallow: /Web/\nSitemap: {server.base}/sitemap.xml.gz\n"
                    status, kind, body = 200, "text/plain", robots.encode()
                elif self.path in server.files:
                    status, kind, body = 200, "application/x-gzip", server.files[self.path]
                else:
                    status, kind, body = 404, "text/html", b"not found"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self):
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.http.shutdown()
        self.http.server_close()


def crawl(repo: Path, base: str, tmp: Path) -> dict:
    db = tmp / "news.db"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "elaph", "-a", f"base_url={base}", "-a", "refresh_days=0",
           "-s", f"ARCHIVE_DB={db}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
           "-s", "DOWNLOAD_MAXSIZE=400000000", "-s", "DOWNLOAD_WARNSIZE=0", "-s", "LOG_LEVEL=WARNING",
           "-s", "WARC_ENABLED=False", "-s", "HEALTH_ENABLED=False", "-s", "PROGRESS_INTERVAL=0"]
    started = time.monotonic()
    log = tmp / "crawl.log"
    out = subprocess.run([sys.executable, "-c", WRAPPER, str(log), *cmd], cwd=repo, capture_output=True, text=True,
                         check=True)
    returncode, kib = map(int, out.stdout.split())
    if returncode:
        print(log.read_text()[-3000:], file=sys.stderr)
    return {"seconds": round(time.monotonic() - started, 1), "exit": returncode, "peak_rss_mb": round(kib / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--layouts", nargs="+", default=["single", "index"], choices=["single", "index"])
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout whose spider runs (default: this one)")
    parser.add_argument("--label", default="lazy", help="key of these runs under sitemap_memory in results.json")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    runs = []
    for layout in args.layouts:
        for urls in args.urls:
            files = build(urls, layout)
            with Server(files) as server, tempfile.TemporaryDirectory() as tmp:
                result = crawl(args.repo, server.base, Path(tmp))
                result.update(layout=layout, urls=urls, requests_served=server.requests,
                              gzip_mb=round(sum(len(b) for b in server.files.values()) / 1e6, 1))
            runs.append(result)
            print(json.dumps(result), flush=True)
    if args.no_save:
        return
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.setdefault("sitemap_memory", {})[args.label] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "repo": str(args.repo), "runs": runs,
    }
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
