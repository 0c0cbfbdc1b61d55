"""Peak memory of `newscrawl export` as the archive grows, beside loading it whole.

    .venv/bin/python benchmarks/export_memory.py                    # 10,000 and 100,000 articles, a few minutes
    .venv/bin/python benchmarks/export_memory.py --articles 10000 --no-save

A synthetic archive of N articles (2 KB of Arabic body each) with 5
comments each is written straight into a new archive's tables (the export
reads tables; the search index is not needed). Then, for each size, in
separate processes whose peak resident set (ru_maxrss) a wrapper reads:

- `newscrawl export --format jsonl` and `--format parquet` (nested), and
- the alternative a script would write: every article and comment read
  into memory (fetchall), then written as JSON Lines.

Flat memory means the export's peak barely moves from 10,000 to 100,000
articles while the alternative's grows with the archive. Results go to
benchmarks/results.json (key "export_memory").
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from common import save_result  # noqa: E402

WRAPPER = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
           "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
LOAD_ALL = """
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1]); conn.row_factory = sqlite3.Row
articles = [dict(r) for r in conn.execute("SELECT * FROM articles ORDER BY site, article_id")]
comments = {}
for c in conn.execute("SELECT * FROM comments ORDER BY site, article_id, position"):
    comments.setdefault((c["site"], c["article_id"]), []).append(dict(c))
with open(sys.argv[2], "w", encoding="utf-8") as fh:
    for a in articles:
        a["comments"] = comments.get((a["site"], a["article_id"]), [])
        fh.write(json.dumps(a, ensure_ascii=False) + "\\n")
"""
WORDS = ["العراق", "سوريا", "الحكومة", "الوزير", "قال", "إن", "في", "على", "من", "إلى", "الانتخابات", "المدينة",
         "الشعب", "الرئيس", "مصر", "لبنان", "المغرب", "الأردن", "الاقتصاد", "النفط", "الحرب", "السلام", "المجلس",
         "البرلمان"]


def build(path: Path, articles: int, comments: int = 5) -> None:
    from newscrawl.archive import open_archive

    db = open_archive(path)
    db.conn.execute("DROP TRIGGER IF EXISTS articles_fts_insert")  # the export reads tables, not indexes
    db.conn.execute("DROP TRIGGER IF EXISTS comments_fts_insert")
    rng = random.Random(7)
    now = "2026-12-01T00:00:00+00:00"
    with db.conn:
        for start in range(0, articles, 5000):
            a_rows, c_rows = [], []
            for n in range(start, min(articles, start + 5000)):
                body = "\n".join(" ".join(rng.choices(WORDS, k=40)) for _ in range(8))
                url = f"https://elaph.com/Web/News/2015/3/{1_000_000 + n}.html"
                a_rows.append((n + 1, "elaph", str(1_000_000 + n), url, "News",
                               " ".join(rng.choices(WORDS, k=8)), "", body,
                               "2015-03-24T10:00:00+03:00", comments, now, now, now, f"h{n}"))
                for k in range(comments):
                    c_rows.append(("elaph", str(1_000_000 + n), n + 1, f"c{n}-{k}", f"c{n}-{k}", k,
                                   " ".join(rng.choices(WORDS, k=20)), f"h{n}-{k}", now, now))
            db.conn.executemany(
                "INSERT INTO articles (id, site, article_id, url, section, title, subtitle, body, published, "
                "comment_count, first_seen, last_seen, last_changed, content_hash) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                a_rows)
            db.conn.executemany(
                "INSERT INTO comments (site, article_id, article_row, comment_key, comment_id, position, text, "
                "fingerprint, first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?,?,?)", c_rows)
    db.close()


def peak(cmd: list[str]) -> dict:
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True, check=True, cwd=REPO)
    code, kib = map(int, out.stdout.split())
    return {"exit": code, "peak_rss_mb": round(kib / 1024, 1), "seconds": round(time.monotonic() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    newscrawl = str(Path(sys.executable).with_name("newscrawl"))
    runs = []
    for size in args.articles:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "news.db"
            build(db, size)
            archive_mb = round(db.stat().st_size / 1e6, 1)
            for label, cmd in [
                ("export jsonl", [newscrawl, "export", "--db", str(db), "--out", f"{tmp}/a.jsonl"]),
                ("export parquet", [newscrawl, "export", "--db", str(db), "--format", "parquet",
                                    "--out", f"{tmp}/a.parquet"]),
                ("load all, then write", [sys.executable, "-c", LOAD_ALL, str(db), f"{tmp}/b.jsonl"]),
            ]:
                result = {"articles": size, "comments": size * 5, "archive_mb": archive_mb, "what": label,
                          **peak(cmd)}
                runs.append(result)
                print(json.dumps(result, ensure_ascii=False), flush=True)
    if args.no_save:
        return
    save_result("export_memory", {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}", "runs": runs,
    })


if __name__ == "__main__":
    main()
