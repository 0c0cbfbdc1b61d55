"""Search at archive scale: `make bench-search`.

Builds a synthetic archive (default 100,000 articles and 1,000,000 comments)
of Arabic text with a Zipf-like word distribution, clitics, suffixes, harakat
and hamza variants, through the archive's own store (store_articles, both
full-text indexes as the store writes them), then measures:

- store time and rows per second, database size;
- latency of 50 varied queries through the code path of `newscrawl search`:
  articles only and comments only (newscrawl.search.engine.search), and
  both ranked together (search_archive, what `newscrawl search` runs by
  default), taking turns, each query REPEATS times; p50/p95/max over the
  per-query medians, and the share of the time spent cutting snippets;
- the unified search with a --since filter.

The build takes about 15 minutes on 2 cores. With --reuse (or
SEARCH_BENCH_REUSE=1) an archive kept at --db (SEARCH_BENCH_DB) is timed
again without a rebuild when it was built with the same sizes and the
schema the archive code makes now (a fingerprint of sqlite_master is kept
beside it); otherwise it is rebuilt. Keep it outside the repository:

    SEARCH_BENCH_DB=/tmp/bench-search.db SEARCH_BENCH_REUSE=1 make bench-search

Results go to benchmarks/results.json (key "search" only) and are printed
as the table docs/benchmarks.md shows. Usage:

    .venv/bin/python benchmarks/search_bench.py [--articles N] [--comments N] [--db PATH] [--keep]
        [--reuse] [--build-only] [--candidates N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from common import save_result  # noqa: E402

from newscrawl.archive import open_archive, store_articles  # noqa: E402
from newscrawl.samplesite.model import REFERENCE_SEED as SEED  # noqa: E402
from newscrawl.search import engine  # noqa: E402
from newscrawl.search.engine import search, search_archive  # noqa: E402

REPEATS = 5
BATCH = 100  # articles per store transaction, as the crawl's and the import's default
# Issue 13: at 100,000 articles / 1,000,000 comments, for each kind of search.
TARGET_P50_MS = 5
TARGET_P95_MS = 25
PREFIXES = ("", "", "", "ال", "ال", "و", "وال", "ب", "بال", "ل", "لل", "ف")
SUFFIXES = ("", "", "", "", "ة", "ات", "ون", "ين", "ها", "ه", "ي", "ان")
HARAKAT = ("َ", "ُ", "ِ", "ّ", "ْ")

QUERIES = [
    # single common words (long posting lists)
    "العراق", "سوريا", "الحكومة", "الرئيس", "دمشق", "بغداد", "الإرهاب", "وزير", "الجيش", "الشعب",
    # reader spellings: no hamza, ه for ة, ي for ى, no harakat
    "ابراهيم", "الارهاب", "المدرسه", "مستشفي", "الامن", "اسرائيل", "القاهره", "الاسد",
    # rarer words
    "الدبلوماسية", "الطائفية", "المفاوضات", "الانتخابات", "اللاجئين", "النفط", "الصحافة",
    # two and three words
    "العراق سوريا", "الجعفري دمشق", "الحكومة الجيش الشعب", "وزير الخارجية", "الأمن القومي",
    # phrases
    '"خندق واحد"', '"وزير الخارجية"', '"الرئيس السوري"', '"مؤتمر صحافي"',
    # prefixes
    "كتب*", "الانتخاب*", "سوري*", "اقتص*",
    # boolean
    "داعش OR الدولة", "العراق NOT ايران", "(سوريا OR لبنان) الحكومة", "الجيش OR الشرطة OR الأمن",
    # Latin and digits in Arabic text
    "2015", "٢٠١٥", "UN", "Iraq",
    # many terms, and a word nobody wrote
    "الحكومة العراقية تؤكد دعم الجيش", "كلمةغيرموجودة", '"العراق الشقيق"', "الشرق الأوسط",
]


def vocabulary(rng: random.Random, size: int = 30000) -> tuple[list[str], list[float]]:
    """A Zipf vocabulary: the reference article's words ranked by how often it
    uses them (function words first), the words the queries look for spread
    over ranks 40 to 3,000, then derived forms (clitics, suffixes); weight 1/rank."""
    from collections import Counter

    counts = Counter(w.strip('.,،:؛"()!؟?') for w in SEED.read_text(encoding="utf-8").split())
    words = [w for w, _ in counts.most_common() if w]
    extra = ["إبراهيم", "الإرهاب", "المدرسة", "مستشفى", "إسرائيل", "القاهرة", "الأمن", "الخارجية", "القومي",
             "الدبلوماسية", "الطائفية", "المفاوضات", "الانتخابات", "اللاجئين", "النفط", "الصحافة", "الشرطة",
             "لبنان", "الشرق", "الأوسط", "الاقتصاد", "اقتصادية", "كتب", "الكتاب", "داعش", "الدولة", "الحكومة",
             "الرئيس", "الجيش", "الشعب", "العراقية", "تؤكد", "دعم", "مؤتمر", "صحافي", "الشقيق", "إيران"]
    for n, word in enumerate(extra):
        if word not in words:
            words.insert(min(len(words), 40 + n * 80), word)
    stems = [w.removeprefix("ال") for w in words]
    while len(words) < size:
        stem = rng.choice(stems)
        words.append(rng.choice(PREFIXES) + stem + rng.choice(SUFFIXES))
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    return words, weights


class TextMaker:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.words, weights = vocabulary(self.rng)
        total, acc = sum(weights), 0.0
        self.cum = []
        for w in weights:
            acc += w / total
            self.cum.append(acc)

    def text(self, n: int) -> str:
        words = self.rng.choices(self.words, cum_weights=self.cum, k=n)
        if self.rng.random() < 0.3:  # harakat on a word now and then
            i = self.rng.randrange(n)
            words[i] = "".join(ch + (self.rng.choice(HARAKAT) if self.rng.random() < 0.3 else "") for ch in words[i])
        if self.rng.random() < 0.05:
            words.append(self.rng.choice(("2015", "٢٠١٥", "UN", "Iraq", "Security Council")))
        return " ".join(words)


def schema_fingerprint(db) -> str:
    """What the archive's schema code made: every table, index and trigger as
    SQL, and the schema version. A kept benchmark archive is reused only while
    this is what a fresh archive gets now."""
    rows = db.execute("SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name").fetchall()
    version = db.execute("PRAGMA user_version").fetchone()[0]
    return hashlib.sha256(json.dumps([version, rows], ensure_ascii=False).encode()).hexdigest()[:16]


def current_schema() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        db = open_archive(Path(tmp) / "schema.db")
        try:
            return schema_fingerprint(db)
        finally:
            db.close()


def build(db_path: Path, n_articles: int, n_comments: int, seed: int = 1) -> dict:
    """The archive, written as an import writes one: newscrawl.archive.
    store_articles, BATCH articles (with their comments) per transaction, so
    the rows, both full-text indexes and whatever else the store keeps are
    what the archive's code makes of them (the normalized index contentless
    or not). Then each index is merged into one b-tree ('optimize'), as
    `newscrawl reindex` leaves it."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    db = open_archive(db_path)
    maker = TextMaker(seed)
    started = time.monotonic()
    now = "2026-11-29T00:00:00+00:00"
    per_article = max(1, n_comments // max(1, n_articles))
    comment_id = 0
    batch = []
    for i in range(n_articles):
        article_id = str(100000 + i)
        published = f"{2005 + i * 20 // n_articles}-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00+03:00"
        body = "\n".join(maker.text(maker.rng.randint(25, 60)) for _ in range(maker.rng.randint(4, 10)))
        article = {
            "site": "elaph", "article_id": article_id, "url": f"https://elaph.com/Web/News/2015/1/{article_id}.html",
            "section": "News", "title": maker.text(8), "subtitle": maker.text(14), "body": body,
            "published": published, "author": "إيلاف", "source": "import", "comments": [],
        }
        for _ in range(per_article if comment_id < n_comments else 0):
            comment_id += 1
            article["comments"].append({
                "comment_id": str(comment_id), "title": maker.text(2), "author": maker.text(2),
                "text": maker.text(maker.rng.randint(8, 45)), "posted_at": published,
            })
        batch.append(article)
        if len(batch) >= BATCH or i == n_articles - 1:
            failed = [r for r in store_articles(db, batch, now=now) if isinstance(r, Exception)]
            if failed:
                raise RuntimeError(f"the store refused {len(failed)} synthetic articles: {failed[0]!r}")
            batch = []
            if (i + 1) % 2000 == 0 or i == n_articles - 1:
                print(f"  stored {i + 1:,} articles, {comment_id:,} comments", file=sys.stderr, end="\r")
    store_seconds = time.monotonic() - started
    print(file=sys.stderr)
    for table in ("articles_search", "comments_search", "articles_fts", "comments_fts"):
        db.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    schema = schema_fingerprint(db)
    db.close()
    return {
        "articles": n_articles,
        "comments": comment_id,
        "seed": seed,
        "store_seconds": round(store_seconds, 1),
        "store_rows_per_second": round((n_articles + comment_id) / store_seconds),
        "db_bytes": db_path.stat().st_size,
        "schema": schema,
        "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def build_info_path(db_path: Path) -> Path:
    return Path(str(db_path) + ".build.json")


def kept_build(db_path: Path, n_articles: int, n_comments: int) -> dict | None:
    """What a kept archive at `db_path` was built with, if it can stand for a
    fresh build now: same sizes, same schema as the archive code makes today."""
    info_path = build_info_path(db_path)
    if not db_path.exists() or not info_path.exists():
        return None
    info = json.loads(info_path.read_text())
    if (info.get("articles"), info.get("comments")) != (n_articles, n_comments):
        print(f"kept archive has {info.get('articles')} articles / {info.get('comments')} comments: rebuilding",
              file=sys.stderr)
        return None
    if info.get("schema") != current_schema():
        print("the archive schema changed since the kept archive was built: rebuilding", file=sys.stderr)
        return None
    return info


class SnippetClock:
    """Time spent cutting snippets (engine._best_snippet) while it is installed."""

    def __init__(self):
        self.seconds = 0.0
        self.original = engine._best_snippet

    def __enter__(self):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        engine._best_snippet = timed
        return self

    def __exit__(self, *exc):
        engine._best_snippet = self.original


def percentiles(medians: dict[str, float]) -> dict:
    ordered = sorted(medians.values())
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[max(0, int(round(0.95 * len(ordered))) - 1)], 2),
        "max_ms": round(ordered[-1], 2),
    }


def time_queries(db_path: Path, candidates: int = engine.CANDIDATES) -> dict:
    """Each query through the three ways `newscrawl search` and the API search:
    articles only, comments only, and both ranked together (search_archive,
    what `newscrawl search` runs by default). The kinds take turns on every
    repeat, so a busy moment of the machine falls on all of them."""
    db = open_archive(db_path, create=False)
    kinds = {
        "articles": lambda q: search(db, q, comments=False, limit=20, candidates=candidates),
        "comments": lambda q: search(db, q, comments=True, limit=20, candidates=candidates),
        "unified": lambda q: search_archive(db, q, limit=20, candidates=candidates),
    }
    for run in kinds.values():  # warm the page cache and the stemmer's memo once
        for query in QUERIES:
            run(query)
    times = {kind: {q: [] for q in QUERIES} for kind in kinds}
    cpu = {kind: {q: [] for q in QUERIES} for kind in kinds}  # this process's CPU: what a busy machine inflates less
    hits = {kind: {} for kind in kinds}
    snippet_seconds = dict.fromkeys(kinds, 0.0)
    for _ in range(REPEATS):
        for query in QUERIES:
            for kind, run in kinds.items():
                with SnippetClock() as clock:
                    started, cpu_started = time.perf_counter(), time.process_time()
                    found = run(query)
                    elapsed, cpu_elapsed = time.perf_counter() - started, time.process_time() - cpu_started
                times[kind][query].append(elapsed * 1000)
                cpu[kind][query].append(cpu_elapsed * 1000)
                snippet_seconds[kind] += clock.seconds
                hits[kind][query] = len(found)
    results = {}
    for kind in kinds:
        medians = {q: statistics.median(t) for q, t in times[kind].items()}
        total = sum(sum(t) for t in times[kind].values()) / 1000
        median_query = sorted(medians, key=medians.get)[len(medians) // 2]
        cpu_percentiles = percentiles({q: statistics.median(t) for q, t in cpu[kind].items()})
        results[kind] = {
            **percentiles(medians),
            "cpu_p50_ms": cpu_percentiles["p50_ms"],
            "cpu_p95_ms": cpu_percentiles["p95_ms"],
            "snippet_share": round(snippet_seconds[kind] / total, 3),
            "median_query": median_query,
            "slowest": sorted(medians, key=medians.get, reverse=True)[:5],
            "per_query_ms": {q: round(t, 2) for q, t in medians.items()},
            "hits": hits[kind],
        }
    # Filters are applied while walking the matches (see engine.CANDIDATES): measured apart.
    filtered = {}
    for query in QUERIES[:10]:
        elapsed = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            search_archive(db, query, since="2020-01-01", limit=20, candidates=candidates)
            elapsed.append((time.perf_counter() - started) * 1000)
        filtered[query] = statistics.median(elapsed)
    results["unified_since_filter"] = {"queries": len(filtered), **percentiles(filtered)}
    db.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--comments", type=int, default=1_000_000)
    default_db = os.environ.get("SEARCH_BENCH_DB") or str(HERE.parent / "archive" / "bench-search.db")
    parser.add_argument("--db", default=default_db,
                        help="where the synthetic archive goes (env SEARCH_BENCH_DB; best outside the repo)")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic archive afterwards")
    parser.add_argument("--reuse", action="store_true", default=bool(os.environ.get("SEARCH_BENCH_REUSE")),
                        help="time the queries on the archive kept at --db when it was built with these sizes and "
                             "the schema the archive code makes now; build (and keep) it otherwise "
                             "(env SEARCH_BENCH_REUSE=1)")
    parser.add_argument("--candidates", type=int, default=engine.CANDIDATES,
                        help="matches ranked per query (engine.CANDIDATES unless told: to measure the trade-off)")
    parser.add_argument("--build-only", action="store_true", help="build and keep the archive, time nothing")
    args = parser.parse_args()
    db_path = Path(args.db)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    out = HERE / "results.json"
    built = kept_build(db_path, args.articles, args.comments) if args.reuse else None
    reused = built is not None
    if reused:
        print(f"reusing the archive kept at {db_path} (built {built['built']}, schema {built['schema']})",
              file=sys.stderr)
    else:
        print(f"building {args.articles:,} articles and {args.comments:,} comments in {db_path} ...", file=sys.stderr)
        build_info_path(db_path).unlink(missing_ok=True)
        built = build(db_path, args.articles, args.comments)
        build_info_path(db_path).write_text(json.dumps(built, indent=1) + "\n")
    if args.reuse or args.build_only:
        args.keep = True
    if args.build_only:
        return 0
    timing = time_queries(db_path, args.candidates)
    result = {
        **built,
        "reused_build": reused,
        "db_megabytes": round(built["db_bytes"] / 1e6, 1),
        "queries": len(QUERIES),
        "candidates": args.candidates,
        "repeats": REPEATS,
        "latency": timing,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
                   f"SQLite {__import__('sqlite3').sqlite_version}",
        "measured": time.strftime("%Y-%m-%d %H:%M %Z"),
        "load_average": [round(x, 1) for x in os.getloadavg()],  # others' work on the same cores inflates wall time
    }
    save_result("search", result, out)
    rows = "\n".join(
        f"| {label} | {timing[kind]['p50_ms']} ms | {timing[kind]['p95_ms']} ms | {timing[kind]['max_ms']} ms "
        f"| {timing[kind]['cpu_p50_ms']} / {timing[kind]['cpu_p95_ms']} ms | {timing[kind]['snippet_share']:.0%} |"
        for kind, label in (("articles", "articles"), ("comments", "comments"), ("unified", "articles + comments")))
    since = timing["unified_since_filter"]
    print(f"""
{built['articles']:,} articles, {built['comments']:,} comments: {result['db_megabytes']} MB, \
stored in {built['store_seconds']} s ({built['store_rows_per_second']:,} rows/s)\
{" (archive reused from " + built["built"] + ", same schema)" if reused else ""}; candidates {result['candidates']:,}

| search | p50 | p95 | max | CPU p50 / p95 | time in snippets |
|---|---|---|---|---|---|
{rows}

articles + comments with --since: p50 {since['p50_ms']} ms, p95 {since['p95_ms']} ms, max {since['max_ms']} ms \
over {since['queries']} queries
""")
    print(f"wrote {out.relative_to(HERE.parent)} (key 'search'); "
          f"slowest unified queries: {timing['unified']['slowest']}")
    if not args.keep:
        build_info_path(db_path).unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
    missed = [kind for kind in ("articles", "comments", "unified")
              if timing[kind]["p50_ms"] > TARGET_P50_MS or timing[kind]["p95_ms"] > TARGET_P95_MS]
    print(f"target p50 <= {TARGET_P50_MS} ms and p95 <= {TARGET_P95_MS} ms:",
          "met" if not missed else f"NOT met for {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
