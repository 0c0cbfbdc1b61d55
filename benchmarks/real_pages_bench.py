"""Real article pages: fields right per site, newscrawl beside Trafilatura.

    .venv/bin/python benchmarks/real_pages_bench.py            # the real crawl (what a user gets)
    .venv/bin/python benchmarks/real_pages_bench.py --method extract   # extract_article only, no crawl

Every page of shared/real-pages/ (NEWSCRAWL_SHARED points elsewhere) is
checked against what a person read off it (README there): the headline, the
first and last body lines, page chrome kept out of the body, the
publication day or instant, the byline (where the page shows one) and, for
newscrawl, the comment count.

newscrawl: by default one real `scrapy crawl generic -a urls=...` over all
pages served on 127.0.0.1 (newscrawl.samplesite.captured), fields read back
from the archive; `--method extract` calls `extract_article` with the
generic profile instead. Trafilatura: `bare_extraction(html, url=...,
with_metadata=True)` with its defaults, on the same bytes; its date (a day)
is read as newscrawl read it before page facts, in UTC, and compared the
same way. Trafilatura gives no comment count, so its "checked" leaves the
comments out; the newscrawl column "same fields" does too, for a like with
like comparison.

Results go to benchmarks/results.json under "real_pages" (other keys are
left as they are) and a Markdown table is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from common import save_result  # noqa: E402

from newscrawl.dates import parse_date, to_iso  # noqa: E402
from newscrawl.samplesite.captured import CapturedSite  # noqa: E402
from newscrawl.text import clean_lines  # noqa: E402

RESULTS = REPO / "benchmarks" / "results.json"
SHARED = Path(os.environ.get("NEWSCRAWL_SHARED", REPO.parent / "shared"))
FIELDS = ("title", "body_first", "body_last", "not_in_body", "published", "author", "comments")


def load_pages(folder: Path) -> dict[str, dict]:
    pages = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))}
    if not pages:
        raise SystemExit(f"no captured pages in {folder} (set NEWSCRAWL_SHARED to the shared/ folder)")
    return pages


# --- scoring ------------------------------------------------------------------------


def score(got: dict, expected: dict) -> dict[str, bool]:
    """Field -> right or wrong, for the fields this page checks. `got` has
    title, body (lines), published (ISO or None), author, and comments (None
    when the extractor does not count them)."""
    body = got["body"] or [""]
    checks = {
        "title": got["title"] in expected["title"],
        "body_first": expected["body_first_line_contains"] in body[0],
        "body_last": expected["body_last_line_contains"] in body[-1],
        "not_in_body": not any(text in "\n".join(body) for text in expected["not_in_body"]),
        "published": same_publication(got["published"], expected["published"]),
    }
    if expected["author"] is not None:
        checks["author"] = expected["author"] in (got["author"] or "")
    if got["comments"] is not None:
        checks["comments"] = got["comments"] == expected["comments"]
    return checks


def same_publication(stored: str | None, expected: str) -> bool:
    """The test's rule: a `YYYY-MM-DD` is the stored value's own day, a full instant an instant."""
    if not stored:
        return False
    if len(expected) == 10:
        return stored[:10] == expected
    return datetime.fromisoformat(stored) == datetime.fromisoformat(expected)


# --- newscrawl ----------------------------------------------------------------------


def newscrawl_by_crawl(folder: Path, pages: dict[str, dict]) -> tuple[dict[str, dict], float]:
    """One real `scrapy crawl generic` over every page; the stored fields."""
    with tempfile.TemporaryDirectory() as tmp, \
            CapturedSite({gold["serve_at"]: folder / f"{name}.html" for name, gold in pages.items()}) as site:
        db = Path(tmp) / "news.db"
        urls = {name: site.url(gold["serve_at"]) for name, gold in pages.items()}
        cmd = [sys.executable, "-m", "scrapy", "crawl", "generic", "-a", f"base_url={site.base_url}",
               "-a", "urls=" + ",".join(urls.values()), "-s", f"ARCHIVE_DB={db}",
               "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
        started = time.perf_counter()
        result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            raise SystemExit(f"crawl failed ({result.returncode}):\n{result.stderr[-4000:]}")
        conn = sqlite3.connect(db)
        conn.row_factory = sqlite3.Row
        stored = {row["url"]: dict(row) for row in conn.execute("SELECT * FROM articles")}
        conn.close()
    got = {}
    for name, url in urls.items():
        row = stored.get(url)
        got[name] = ({"title": row["title"], "body": row["body"].split("\n"), "published": row["published"],
                      "author": row["author"], "comments": row["comment_count"]} if row else _nothing())
    return got, seconds


def newscrawl_by_extract(folder: Path, pages: dict[str, dict]) -> tuple[dict[str, dict], float]:
    """`extract_article` with the generic profile, page by page (no crawl, no storage)."""
    from newscrawl.extract import extract_article
    from newscrawl.sites.generic import PROFILE

    got, started = {}, time.perf_counter()
    for name, gold in pages.items():
        html = (folder / f"{name}.html").read_text(encoding="utf-8")
        article = extract_article(html, "http://127.0.0.1" + gold["serve_at"], PROFILE)
        got[name] = {"title": article.title, "body": article.body, "published": article.published,
                     "author": article.author, "comments": len(article.comments.comments)}
    return got, time.perf_counter() - started


def _nothing() -> dict:
    return {"title": "", "body": [], "published": None, "author": "", "comments": None}


# --- Trafilatura --------------------------------------------------------------------


def trafilatura_fields(folder: Path, pages: dict[str, dict]) -> tuple[dict[str, dict], float]:
    import trafilatura

    got, started = {}, time.perf_counter()
    for name, gold in pages.items():
        html = (folder / f"{name}.html").read_text(encoding="utf-8")
        document = trafilatura.bare_extraction(html, url="http://127.0.0.1" + gold["serve_at"], with_metadata=True)
        if document is None:
            got[name] = _nothing()
            continue
        got[name] = {"title": document.title or "", "body": clean_lines((document.text or "").split("\n")),
                     "published": to_iso(parse_date(document.date, tz="UTC")) if document.date else None,
                     "author": document.author or "", "comments": None}
    return got, time.perf_counter() - started


# --- report -------------------------------------------------------------------------


def tally(pages: dict[str, dict], got: dict[str, dict], *, without_comments: bool = False) -> dict:
    per_site = {}
    for name, gold in pages.items():
        checks = score(got[name], gold["expected"])
        if without_comments:
            checks.pop("comments", None)
        per_site[name] = {"site": gold["site"], "right": sum(checks.values()), "checked": len(checks),
                          "wrong": sorted(field for field, ok in checks.items() if not ok)}
    right = sum(s["right"] for s in per_site.values())
    checked = sum(s["checked"] for s in per_site.values())
    return {"per_page": per_site, "right": right, "checked": checked}


def markdown(pages: dict[str, dict], ours: dict, ours_same: dict, theirs: dict) -> str:
    rows = ["| page (site) | newscrawl, all fields | newscrawl, same fields | Trafilatura | Trafilatura wrong on |",
            "|---|---|---|---|---|"]
    for name in pages:
        a, b, c = ours["per_page"][name], ours_same["per_page"][name], theirs["per_page"][name]
        rows.append(f"| {name} ({a['site']}) | {a['right']}/{a['checked']} | {b['right']}/{b['checked']} | "
                    f"{c['right']}/{c['checked']} | {', '.join(c['wrong']) or '-'} |")
    rows.append(f"| **all {len(pages)} pages** | **{ours['right']}/{ours['checked']}** | "
                f"**{ours_same['right']}/{ours_same['checked']}** | **{theirs['right']}/{theirs['checked']}** | |")
    return "\n".join(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--method", choices=("crawl", "extract"), default="crawl",
                        help="newscrawl by a real crawl (default) or by extract_article alone")
    parser.add_argument("--pages", type=Path, default=SHARED / "real-pages", help="folder of captured pages")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (default benchmarks/results.json)")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args(argv)

    import trafilatura

    pages = load_pages(args.pages)
    run = newscrawl_by_crawl if args.method == "crawl" else newscrawl_by_extract
    ours_got, ours_seconds = run(args.pages, pages)
    theirs_got, theirs_seconds = trafilatura_fields(args.pages, pages)
    ours = tally(pages, ours_got)
    ours_same = tally(pages, ours_got, without_comments=True)
    theirs = tally(pages, theirs_got)
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "newscrawl_method": ("scrapy crawl generic (one real crawl, pages served on 127.0.0.1)"
                             if args.method == "crawl" else "extract_article with the generic profile"),
        "trafilatura": f"{trafilatura.__version__}: bare_extraction(html, url=..., with_metadata=True)",
        "pages": len(pages),
        "fields": list(FIELDS),
        "newscrawl": ours,
        "newscrawl_same_fields_as_trafilatura": {k: ours_same[k] for k in ("right", "checked")},
        "trafilatura_fields": theirs,
        "seconds": {"newscrawl": round(ours_seconds, 2), "trafilatura": round(theirs_seconds, 2)},
    }
    if not args.no_write:
        save_result("real_pages", result, args.out)
    print(markdown(pages, ours, ours_same, theirs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
