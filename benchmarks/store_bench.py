"""Store speed and archive size, beside what sqlite-utils alone does with the same rows.

The 2,001-article model site of `make bench` (the same generator and comment
counts), its articles handed over as a crawl hands them to the store, into a
fresh file each round. Side by side, interleaved, medians of --repeats:

- (a) newscrawl's store: `store_articles` in batches (as the crawl's writer
  calls it), dedupe, versions, the exact and the Arabic-aware search index;
- (b) plain sqlite-utils `insert_all` of the same rows, no index (the floor);
- (c) sqlite-utils `insert_all` + `enable_fts` (one exact-form index, the
  sqlite-utils way);
- (d) newscrawl's store one article per transaction (what batching saves).

Size: database bytes per article against the raw text bytes (UTF-8 of every
title, subtitle, body, comment title, author and text) after a checkpoint.

Then, on the archive (a) made, the offline commands a user waits for, each
a real CLI run (process start included): `newscrawl import` of the 2,001
articles' dumps into an empty archive, `newscrawl reindex`, and `newscrawl
export` to JSON Lines beside `sqlite-utils query --nl` of the articles
table (the alternative, without comments nested).

Writes the key "store" of benchmarks/results.json. `make bench` runs it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlite_utils  # noqa: E402
from common import RESULTS, machine, save_result  # noqa: E402

from newscrawl.archive import open_archive, store_article, store_articles  # noqa: E402
from newscrawl.samplesite import generate_site  # noqa: E402
from newscrawl.seedformat import dump_article  # noqa: E402

BENCH_COMMENT_COUNTS = (0, 3, 8, 12, 15, 18, 20, 21, 38)  # as crawl_bench.py
BATCH = 100  # the crawl writer's default STORE_BATCH_ARTICLES


def items_of(model) -> list[dict]:
    """The model's articles as the crawl's pipelines hand them to the store (dates to the second, as
    the pages give them in their datetime attributes)."""
    items = []
    for a in model.crawlable():
        items.append({
            "site": "elaph", "article_id": str(a.article_id), "url": f"https://elaph.com{a.path}",
            "section": a.section, "title": a.title, "subtitle": a.subtitle, "body": list(a.body),
            "published": a.published.isoformat(timespec="seconds"), "author": a.author or None,
            "extraction": {"title": "profile", "body": "profile"}, "comments_complete": True, "comment_pages": 1,
            "comments_shown": len(a.comments),
            "comments": [{"comment_id": str(c.comment_id) if c.comment_id else None, "title": c.title,
                          "author": c.author, "text": c.text, "posted_at": c.posted_at.isoformat(timespec="seconds"),
                          "likes": c.likes, "parent": None, "depth": 0} for c in a.comments],
        })
    return items


def raw_text_bytes(items: list[dict]) -> int:
    size = 0
    for a in items:
        size += sum(len((a.get(k) or "").encode()) for k in ("title", "subtitle"))
        size += len("\n".join(a["body"]).encode())
        size += sum(len((c.get(k) or "").encode()) for c in a["comments"] for k in ("title", "author", "text"))
    return size


def run_ours(items, path: Path, batch: int) -> float:
    db = open_archive(path)
    t = time.perf_counter()
    if batch > 1:
        for start in range(0, len(items), batch):
            store_articles(db, items[start:start + batch])
    else:
        for item in items:
            store_article(db, item)
    seconds = time.perf_counter() - t
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return seconds


def _plain_rows(items):
    articles = ({k: v for k, v in a.items() if k not in ("comments", "extraction")} | {"body": "\n".join(a["body"])}
                for a in items)
    comments = ({**c, "site": a["site"], "article_id": a["article_id"]} for a in items for c in a["comments"])
    return articles, comments


def run_plain(items, path: Path, fts: bool) -> float:
    db = sqlite_utils.Database(path)
    db.enable_wal()
    t = time.perf_counter()
    articles, comments = _plain_rows(items)
    db["articles"].insert_all(articles, pk=("site", "article_id"), alter=True)
    db["comments"].insert_all(comments, alter=True)
    if fts:
        db["articles"].enable_fts(["title", "subtitle", "body"], create_triggers=True)
        db["comments"].enable_fts(["title", "author", "text"], create_triggers=True)
    seconds = time.perf_counter() - t
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return seconds


BIN = Path(sys.executable).parent


def timed_command(*cmd: str) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t


def offline_commands(items, work: Path, repeats: int) -> dict:
    """Import, reindex and export, each a real CLI run, medians of interleaved rounds."""
    dumps = work / "dumps"
    dumps.mkdir()
    for a in items:
        (dumps / f"{a['article_id']}.txt").write_text(dump_article(a).text, encoding="utf-8")
    files = sorted(str(p) for p in dumps.glob("*.txt"))
    source = work / "source.db"
    run_ours(items, source, BATCH)
    times: dict[str, list[float]] = {"import": [], "reindex": [], "export_jsonl": [], "sqlite_utils_query_nl": []}
    for n in range(repeats):
        target = work / f"import{n}.db"
        times["import"].append(timed_command(str(BIN / "newscrawl"), "import", "--db", str(target), "--site", "elaph",
                                             *files))
        times["reindex"].append(timed_command(str(BIN / "newscrawl"), "reindex", "--db", str(source)))
        times["export_jsonl"].append(timed_command(str(BIN / "newscrawl"), "export", "--db", str(source), "--out",
                                                   str(work / f"export{n}.jsonl")))
        times["sqlite_utils_query_nl"].append(timed_command(
            str(BIN / "sqlite-utils"), "query", str(source), "select * from articles", "--nl"))
    rows = len(items) + sum(len(a["comments"]) for a in items)
    median = {k: statistics.median(v) for k, v in times.items()}
    return {
        "seconds_median": {k: round(v, 3) for k, v in median.items()},
        "import_files_per_second": round(len(files) / median["import"]),
        "reindex_rows_per_second": round(rows / median["reindex"]),
        "export_articles_per_second": round(len(items) / median["export_jsonl"]),
        "sqlite_utils_query_articles_per_second": round(len(items) / median["sqlite_utils_query_nl"]),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="generated articles (default 2000, as make bench)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds; medians reported (default 3)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (default benchmarks/results.json)")
    args = parser.parse_args(argv)

    items = items_of(generate_site(args.articles, comment_counts=BENCH_COMMENT_COUNTS))
    rows = len(items) + sum(len(a["comments"]) for a in items)
    raw = raw_text_bytes(items)
    times: dict[str, list[float]] = {"ours": [], "plain": [], "plain_fts": [], "ours_unbatched": []}
    sizes: dict[str, list[int]] = {k: [] for k in times}
    with tempfile.TemporaryDirectory(prefix="newscrawl-store-bench-") as work:
        for n in range(args.repeats):
            for name, run in (("ours", lambda p: run_ours(items, p, BATCH)),
                              ("plain", lambda p: run_plain(items, p, fts=False)),
                              ("plain_fts", lambda p: run_plain(items, p, fts=True)),
                              ("ours_unbatched", lambda p: run_ours(items, p, 1))):
                path = Path(work) / f"{name}{n}.db"
                times[name].append(run(path))
                sizes[name].append(path.stat().st_size)
                print(f"  round {n + 1} {name:15} {times[name][-1]:.2f} s", flush=True)
        print("  import, reindex, export ...", flush=True)
        offline = offline_commands(items, Path(work), args.repeats)
    rate = {k: round(rows / statistics.median(v)) for k, v in times.items()}
    per_article = {k: round(statistics.median(v) / len(items)) for k, v in sizes.items()}
    result = {
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "articles": len(items), "comments": rows - len(items), "rows": rows, "repeats": args.repeats,
        "batch_articles": BATCH,
        "rows_per_second": rate,
        "seconds_median": {k: round(statistics.median(v), 3) for k, v in times.items()},
        "ours_vs_plain": round(rate["ours"] / rate["plain"], 3),
        "ours_vs_plain_fts": round(rate["ours"] / rate["plain_fts"], 3),
        "batched_vs_unbatched": round(rate["ours"] / rate["ours_unbatched"], 2),
        "offline_commands": offline,
        "raw_text_bytes_per_article": round(raw / len(items)),
        "db_bytes_per_article": per_article,
        "db_vs_raw_text": {k: round(v * len(items) / raw, 2) for k, v in per_article.items()},
        "targets": {
            "store_at_least_15000_rows_per_second": rate["ours"] >= 15000,
            "store_at_least_25_percent_of_plain": rate["ours"] >= 0.25 * rate["plain"],
            "archive_at_most_2_5_times_raw_text": per_article["ours"] * len(items) <= 2.5 * raw,
        },
    }
    save_result("store", result, args.out)
    print()
    print(f"| store, {len(items):,} articles | rows/s | vs plain | bytes per article | vs raw text |")
    print("|---|---:|---:|---:|---:|")
    labels = {"ours": f"newscrawl, {BATCH} articles per transaction",
              "ours_unbatched": "newscrawl, one per transaction",
              "plain_fts": "sqlite-utils insert_all + enable_fts", "plain": "sqlite-utils insert_all, no index"}
    for key, label in labels.items():
        print(f"| {label} | {rate[key]:,} | {rate[key] / rate['plain']:.0%} | {per_article[key]:,} | "
              f"{result['db_vs_raw_text'][key]:.2f}x |")
    o = offline
    print(f"\n| offline command, {len(items):,} articles | seconds | rate |\n|---|---:|---:|\n"
          f"| `newscrawl import` of their dumps, empty archive | {o['seconds_median']['import']:.2f} | "
          f"{o['import_files_per_second']:,} files/s |\n"
          f"| `newscrawl reindex` | {o['seconds_median']['reindex']:.2f} | {o['reindex_rows_per_second']:,} rows/s |\n"
          f"| `newscrawl export` (JSON Lines, comments nested) | {o['seconds_median']['export_jsonl']:.2f} | "
          f"{o['export_articles_per_second']:,} articles/s |\n"
          f"| `sqlite-utils query --nl` of the articles table | {o['seconds_median']['sqlite_utils_query_nl']:.2f} | "
          f"{o['sqlite_utils_query_articles_per_second']:,} articles/s |")
    print(f"\nraw text {result['raw_text_bytes_per_article']:,} B per article; "
          f"targets: {json.dumps(result['targets'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
