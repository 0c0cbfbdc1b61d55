"""Search at archive scale: `make bench-search`.

Builds a synthetic archive (default 100,000 articles and 1,000,000 comments)
of Arabic text with a Zipf-like word distribution, clitics, suffixes, harakat
and hamza variants, then measures:

- load time (rows written; the exact-form FTS triggers fire on insert),
- index build time (`newscrawl reindex`: both search indexes from scratch),
- database size,
- latency of 50 varied queries, articles and comments, through
  newscrawl.search.engine.search (the code path of `newscrawl search`),
  each run REPEATS times; p50/p95 over the per-query medians.

Results go to benchmarks/results.json (key "search") and are printed as the
table the README shows. Usage:

    .venv/bin/python benchmarks/search_bench.py [--articles N] [--comments N] [--db PATH] [--keep]
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

from newscrawl.archive import open_archive  # noqa: E402
from newscrawl.samplesite.model import REFERENCE_SEED as SEED  # noqa: E402
from newscrawl.search.engine import search  # noqa: E402
from newscrawl.search.index import reindex  # noqa: E402

REPEATS = 5
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
    """The archive, written as another tool writes one: rows into `articles`
    and `comments` (the exact-form index follows by its triggers), then
    `newscrawl reindex` (newscrawl.search.index.reindex) builds the search
    indexes, so the tables are whatever the archive's schema code makes them
    (contentless or not)."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    db = open_archive(db_path)
    maker = TextMaker(seed)
    started = time.monotonic()
    now = "2026-11-29T00:00:00+00:00"
    per_article = max(1, n_comments // max(1, n_articles))
    comment_id = 0
    batch_a, batch_c = [], []
    for i in range(n_articles):
        row_id = i + 1
        article_id = str(100000 + i)
        published = f"{2005 + i * 20 // n_articles}-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00+03:00"
        body = "\n".join(maker.text(maker.rng.randint(25, 60)) for _ in range(maker.rng.randint(4, 10)))
        batch_a.append((
            row_id, "elaph", article_id, f"https://elaph.com/Web/News/2015/1/{article_id}.html", "News",
            maker.text(8), maker.text(14), body, published, "إيلاف", per_article, now, now, now, f"h{i}",
        ))
        for position in range(per_article if comment_id < n_comments else 0):
            comment_id += 1
            batch_c.append((
                "elaph", article_id, row_id, str(comment_id), str(comment_id), position, maker.text(2),
                maker.text(2), maker.text(maker.rng.randint(8, 45)), published, f"f{comment_id}", now, now,
            ))
        if len(batch_c) >= 20000 or i == n_articles - 1:
            with db.atomic():
                db.conn.executemany(
                    "INSERT INTO articles (id, site, article_id, url, section, title, subtitle, body, published, "
                    "author, comment_count, first_seen, last_seen, last_changed, content_hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch_a)
                db.conn.executemany(
                    "INSERT INTO comments (site, article_id, article_row, comment_key, comment_id, position, title, "
                    "author, text, posted_at, fingerprint, first_seen, last_seen) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    batch_c)
            batch_a, batch_c = [], []
            print(f"  loaded {i + 1:,} articles, {comment_id:,} comments", file=sys.stderr, end="\r")
    load_seconds = time.monotonic() - started
    print(file=sys.stderr)
    counts = reindex(db)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("INSERT INTO articles_search (articles_search) VALUES ('optimize')")
    db.execute("INSERT INTO comments_search (comments_search) VALUES ('optimize')")
    schema = schema_fingerprint(db)
    db.close()
    return {
        "articles": n_articles,
        "comments": comment_id,
        "seed": seed,
        "load_seconds": round(load_seconds, 1),
        "index_build_seconds": counts["seconds"],
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


def time_queries(db_path: Path) -> dict:
    db = open_archive(db_path, create=False)
    results = {}
    for comments in (False, True):
        kind = "comments" if comments else "articles"
        medians, hits = {}, {}
        for query in QUERIES:
            times = []
            for _ in range(REPEATS):
                started = time.perf_counter()
                found = search(db, query, comments=comments, limit=20)
                times.append((time.perf_counter() - started) * 1000)
            medians[query] = statistics.median(times)
            hits[query] = len(found)
        ordered = sorted(medians.values())
        results[kind] = {
            "p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[max(0, int(round(0.95 * len(ordered))) - 1)], 2),
            "max_ms": round(ordered[-1], 2),
            "slowest": sorted(medians, key=medians.get, reverse=True)[:5],
            "per_query_ms": {q: round(t, 2) for q, t in medians.items()},
            "hits": hits,
        }
    # Filters are applied while walking the matches (see engine.CANDIDATES): measured apart.
    filtered = {}
    for query in QUERIES[:10]:
        times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            search(db, query, since="2020-01-01", limit=20)
            times.append((time.perf_counter() - started) * 1000)
        filtered[query] = statistics.median(times)
    ordered = sorted(filtered.values())
    results["articles_since_filter"] = {
        "queries": len(ordered),
        "p50_ms": round(statistics.median(ordered), 2),
        "max_ms": round(ordered[-1], 2),
    }
    db.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--db", default=os.environ.get("SEARCH_BENCH_DB") or str(HERE.parent / "archive" / "bench-search.db"),
                        help="where the synthetic archive goes (env SEARCH_BENCH_DB; best outside the repo)")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic archive afterwards")
    parser.add_argument("--reuse", action="store_true", default=bool(os.environ.get("SEARCH_BENCH_REUSE")),
                        help="time the queries on the archive kept at --db when it was built with these sizes and "
                             "the schema the archive code makes now; build (and keep) it otherwise "
                             "(env SEARCH_BENCH_REUSE=1)")
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
    timing = time_queries(db_path)
    result = {
        **built,
        "reused_build": reused,
        "db_megabytes": round(built["db_bytes"] / 1e6, 1),
        "queries": len(QUERIES),
        "repeats": REPEATS,
        "latency": timing,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
                   f"SQLite {__import__('sqlite3').sqlite_version}",
        "measured": time.strftime("%Y-%m-%d"),
    }
    data = json.loads(out.read_text()) if out.exists() else {}
    data["search"] = result
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    a, c = timing["articles"], timing["comments"]
    print(f"""
| archive | index build | database | query p50 | query p95 | slowest |
|---|---|---|---|---|---|
| {built['articles']:,} articles | {built['index_build_seconds']} s (load {built['load_seconds']} s) | {result['db_megabytes']} MB | {a['p50_ms']} ms | {a['p95_ms']} ms | {a['max_ms']} ms |
| {built['comments']:,} comments | (same run) | | {c['p50_ms']} ms | {c['p95_ms']} ms | {c['max_ms']} ms |

articles with a --since filter: p50 {timing['articles_since_filter']['p50_ms']} ms, max {timing['articles_since_filter']['max_ms']} ms over {timing['articles_since_filter']['queries']} queries
""")
    print(f"wrote {out.relative_to(HERE.parent)} (key 'search'); slowest article queries: {a['slowest']}")
    if not args.keep:
        build_info_path(db_path).unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
    target_ok = a["p95_ms"] < 50 and c["p95_ms"] < 50
    print("target p95 < 50 ms:", "met" if target_ok else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
