"""`make demo`: the main job, end to end, on the bundled local Elaph-model site.

1. generate the model site and serve it on 127.0.0.1 (a free port);
2. run the real `scrapy crawl elaph` against it into archive/demo.db;
3. run it a second time, as cron would: an unchanged site costs no article fetches;
4. write seed-format dumps to archive/dumps/ and check them against the pages;
5. print where everything is and how to look at it.

Politeness is relaxed (no delay, no AutoThrottle) only because the site is
local; the defaults for the real site are in newscrawl/settings.py.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from newscrawl import archive
from newscrawl.samplesite import SampleSite, generate_site
from newscrawl.seedformat import dump_article

REPO = Path(__file__).resolve().parents[1]
DB = REPO / "archive" / "demo.db"
DUMPS = REPO / "archive" / "dumps"
LOG = REPO / "archive" / "demo-crawl.log"
LOCAL_ONLY = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_AFTER_MAX=5"]


def crawl(base_url: str, log) -> float:
    started = time.monotonic()
    command = [sys.executable, "-m", "scrapy", "crawl", "elaph", "-a", f"base_url={base_url}",
               "-s", f"ARCHIVE_DB={DB}", *LOCAL_ONLY]
    result = subprocess.run(command, cwd=REPO, stdout=log, stderr=log)
    if result.returncode != 0:
        sys.exit(f"demo: scrapy crawl failed (exit {result.returncode}); see {LOG}")
    return time.monotonic() - started


def main() -> None:
    for path in DB.parent.glob("demo.db*"):
        path.unlink()
    model = generate_site(60)
    DB.parent.mkdir(exist_ok=True)
    with SampleSite(model) as site, LOG.open("w") as log:
        print(f"model site: {len(model.articles)} articles at {site.base_url}/ (robots.txt -> sitemaps -> pages)")
        seconds = crawl(site.base_url, log)
        pages = len(site.hits())
        first_articles = len(site.article_hits())
        site.clear_log()
        seconds2 = crawl(site.base_url, log)
        second_articles = len(site.article_hits())
        second_pages = len(site.hits())

    db = archive.open_archive(DB, create=False)
    written, same = 0, 0
    expected = {str(a.article_id): a.expected_dump() for a in model.crawlable()}
    for article in archive.iter_articles(db):
        text = dump_article(article).text
        path = DUMPS / article["site"] / f"{article['article_id']}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        written += 1
        same += text == expected.get(article["article_id"])
    stats = archive.archive_stats(db)["sites"]["elaph"]
    runs = list(db.query("SELECT id, status, finish_reason FROM crawl_runs ORDER BY id"))
    db.close()

    print(f"crawl 1: {pages} requests ({first_articles} article pages) in {seconds:.1f} s")
    print(f"crawl 2: {second_pages} requests ({second_articles} article pages) in {seconds2:.1f} s: "
          "unchanged site, nothing refetched")
    print(f"archive: {stats['articles']} articles, {stats['comments']} comments, "
          f"published {stats['first_published'][:10]} .. {stats['last_published'][:10]}  -> {DB.relative_to(REPO)}")
    print("runs:    " + ", ".join(f"#{r['id']} {r['status']}" for r in runs) + " (table crawl_runs)")
    print(f"dumps:   {written} files in {DUMPS.relative_to(REPO)}/elaph/ ; "
          f"{same} of {len(expected)} identical to what the pages show")
    print(f"log:     {LOG.relative_to(REPO)}")
    print()
    print("Look at it:")
    print(f"  .venv/bin/newscrawl stats --db {DB.relative_to(REPO)}")
    print(f"  cat {DUMPS.relative_to(REPO)}/elaph/994567.txt            # the reference article, as crawled")
    print(f"  .venv/bin/sqlite-utils tables {DB.relative_to(REPO)} --counts")
    print(f"  .venv/bin/newscrawl search --db {DB.relative_to(REPO)} ابراهيم   # Arabic-aware search (finds إبراهيم)")
    print("  .venv/bin/newscrawl export --db archive/demo.db --out archive/demo.jsonl"
          "   # take it away (also csv, parquet)")
    print("  make serve                                    # browse it in Datasette: http://127.0.0.1:8001/demo")
    print("                                                # search: /-/search/demo  at a glance: /-/overview/demo")
    if same != len(expected) or written != len(expected):
        sys.exit("demo: some dumps differ from their pages; see above")


if __name__ == "__main__":
    main()
