"""Comment threads on real pages: the structural detector, the old selector
reader and Trafilatura, scored against the gold that a person read off each page.

    .venv/bin/python benchmarks/comment_threads_bench.py              # 5 timed runs per page
    .venv/bin/python benchmarks/comment_threads_bench.py --repeats 9

Pages: ../shared/real-pages/comments/<name>.html + <name>.json (NEWSCRAWL_SHARED
overrides the shared folder); they are read in place, never copied. For each page:

  count      comments the reader returns. Exact when it equals the gold
             `comments_total` or `reader_comments_excluding_pingbacks` (a page
             with inline pingbacks may count them or leave them out).
  samples    gold samples found with author AND text in ONE record: the record's
             author equals the sample's author, and its text contains the sample's
             text fragment (white space collapsed on both sides, nothing else changed).
  replies    gold sample replies found (as above) whose record's `parent` is a
             record by the gold `parent_author`. The old reader has no parent field,
             so it links none.
  negative   the negative control (nachtkritik: a sidebar of other articles'
             comments, the thread itself loaded by JavaScript) must give nothing.

Trafilatura (bare_extraction(html, include_comments=True, with_metadata=True))
returns the comments as one text, a line per paragraph, with no records. To be
fair to it, a sample counts for it when the author and the text fragment appear
in the same line of that text (the strict rule, the nearest to "one record"); it
rarely keeps authors, so the table also gives "text only": the fragment found in
any line. It has no count and no parents.

The old reader is `extract_comments` with the generic profile's selectors as
they were before the detector replaced them (commit OLD_READER_COMMIT, loaded
with `git show`; the working tree's generic profile now hands comments to the
detector itself, so calling it would measure the detector twice).

Timing: the detector on the parsed page (parsing not included; it is the
crawler's own), median of --repeats runs per page; the same for the old reader
and Trafilatura (which parses for itself). "No comments" times the detector on
the captured Arabic article pages in ../shared/real-pages/ (none has reader
comments; any thread it found there would be a false positive and is listed).

Results go to benchmarks/results.json under the key "comment_threads" (other
keys are left as they are), and a Markdown table is printed.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import types
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import lxml  # noqa: E402
import trafilatura  # noqa: E402
from common import save_result  # noqa: E402

from newscrawl.comment_detector import detect_comments  # noqa: E402
from newscrawl.extract import page_selector  # noqa: E402

SHARED = Path(os.environ.get("NEWSCRAWL_SHARED", REPO.parent / "shared"))
THREADS = SHARED / "real-pages" / "comments"
ARTICLES = SHARED / "real-pages"
RESULTS = REPO / "benchmarks" / "results.json"
# The last commit whose generic profile read comments with its own selectors.
OLD_READER_COMMIT = "13e7eaf"


def norm(text: str | None) -> str:
    return " ".join((text or "").split())


def median_ms(function, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2), result


def old_reader():
    """(extract module, generic profile) as of OLD_READER_COMMIT, or None
    without git or that commit."""
    modules = {}
    for name, path in (("_old_extract", "newscrawl/extract.py"), ("_old_generic", "newscrawl/sites/generic.py")):
        try:
            source = subprocess.run(["git", "-C", str(REPO), "show", f"{OLD_READER_COMMIT}:{path}"],
                                    capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
        module = types.ModuleType(name)
        module.__file__ = path
        sys.modules[name] = module
        exec(compile(source, f"{OLD_READER_COMMIT}:{path}", "exec"), module.__dict__)  # noqa: S102 - our own history
        modules[name] = module
    return modules["_old_extract"], modules["_old_generic"].PROFILE


def score_records(records: list[dict], gold: dict) -> dict:
    """Samples with author and text in one record, and sample replies whose
    parent record is by the gold parent author."""
    found = replies = 0
    for sample in gold["samples"]:
        hits = [i for i, record in enumerate(records)
                if norm(record.get("author")) == norm(sample["author"])
                and norm(sample["text_fragment"]) in norm(record.get("text"))]
        found += bool(hits)
        if sample["is_reply"] and any(
                records[i].get("parent") is not None
                and norm(records[records[i]["parent"]].get("author")) == norm(sample["parent_author"])
                for i in hits):
            replies += 1
    return {"samples": found, "replies": replies}


def exact(count: int, gold: dict) -> bool:
    return count in {gold["comments_total"], gold.get("reader_comments_excluding_pingbacks", gold["comments_total"])}


def score_trafilatura(text: str, gold: dict) -> dict:
    lines = [norm(line) for line in (text or "").split("\n") if line.strip()]
    strict = sum(any(norm(s["author"]) in line and norm(s["text_fragment"]) in line for line in lines)
                 for s in gold["samples"])
    text_only = sum(any(norm(s["text_fragment"]) in line for line in lines) for s in gold["samples"])
    return {"samples": strict, "samples_text_only": text_only}


def bench_page(gold_path: Path, repeats: int, old) -> dict:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    html = gold_path.with_suffix(".html").read_text(encoding="utf-8", errors="replace")
    url = f"https://example.org/article/{gold_path.stem}"
    root = page_selector(html, url).root
    detect_comments(root, url)  # warm the caches a long crawl has warm
    ms, thread = median_ms(lambda: detect_comments(root, url), repeats)
    comments = thread.comments if thread else []
    row = {
        "page": gold_path.stem,
        "size_kb": round(len(html.encode("utf-8")) / 1024),
        "negative_control": bool(gold.get("negative_control")),
        "gold": {"total": gold["comments_total"],
                 "excluding_pingbacks": gold.get("reader_comments_excluding_pingbacks", gold["comments_total"]),
                 "samples": len(gold["samples"]), "sample_replies": sum(s["is_reply"] for s in gold["samples"])},
        "detector": {"count": len(comments), "exact": exact(len(comments), gold), "ms": ms,
                     "pingbacks": thread.pingbacks if thread else 0, **score_records(comments, gold),
                     "items_css": thread.items_css if thread else None},
    }
    if old is not None:
        extract, profile = old
        selector = extract.page_selector(html, url)
        old_ms, read = median_ms(lambda: extract.extract_comments(selector, profile, url), repeats)
        row["old_reader"] = {"count": len(read.comments), "exact": exact(len(read.comments), gold), "ms": old_ms,
                             **score_records(read.comments, gold)}
    traf_ms, document = median_ms(lambda: trafilatura.bare_extraction(
        html, url=url, include_comments=True, with_metadata=True), max(1, min(repeats, 3)))
    row["trafilatura"] = {"ms": traf_ms, **score_trafilatura(getattr(document, "comments", "") or "", gold)}
    return row


def bench_no_comments(repeats: int) -> dict:
    """The detector on real Arabic article pages without reader comments."""
    pages = {}
    false_positives = []
    for html_path in sorted(ARTICLES.glob("*.html")):
        html = html_path.read_text(encoding="utf-8", errors="replace")
        url = f"https://example.org/article/{html_path.stem}"
        root = page_selector(html, url).root
        detect_comments(root, url)
        ms, thread = median_ms(functools.partial(detect_comments, root, url), repeats)
        pages[html_path.stem] = {"size_kb": round(len(html.encode("utf-8")) / 1024), "ms": ms}
        if thread and thread.comments:
            false_positives.append({"page": html_path.stem, "comments": len(thread.comments)})
    times = [page["ms"] for page in pages.values()]
    return {"pages": pages, "median_ms": round(statistics.median(times), 2) if times else None,
            "max_ms": max(times) if times else None, "false_positives": false_positives}


def totals(rows: list[dict], reader: str) -> dict:
    present = [row for row in rows if reader in row]
    if not present:
        return {}
    out = {"samples": sum(row[reader]["samples"] for row in present),
           "median_ms": round(statistics.median(row[reader]["ms"] for row in present), 2)}
    if reader == "trafilatura":
        out["samples_text_only"] = sum(row[reader]["samples_text_only"] for row in present)
        return out
    out["exact_counts"] = sum(row[reader]["exact"] for row in present)
    out["replies_linked"] = sum(row[reader]["replies"] for row in present)
    out["negative_control_clean"] = all(row[reader]["count"] == 0 for row in present if row["negative_control"])
    return out


def table(result: dict) -> str:
    rows = result["per_page"]
    has_old = any("old_reader" in row for row in rows)
    head = "| page | KB | gold | detector count | samples | replies | ms |"
    rule = "|---|---:|---:|---:|---:|---:|---:|"
    if has_old:
        head += " old reader count | samples |"
        rule += "---:|---:|"
    head += " Trafilatura samples (text only) | ms |"
    rule += "---:|---:|"
    lines = [head, rule]
    for row in rows:
        gold, det = row["gold"], row["detector"]
        gold_count = str(gold["total"]) if gold["total"] == gold["excluding_pingbacks"] else \
            f"{gold['total']} / {gold['excluding_pingbacks']}"
        mark = "" if det["exact"] else " ✗"
        line = (f"| {row['page']} | {row['size_kb']} | {gold_count} | {det['count']}{mark} | "
                f"{det['samples']}/{gold['samples']} | {det['replies']}/{gold['sample_replies']} | {det['ms']} |")
        if has_old:
            old = row.get("old_reader", {})
            line += f" {old.get('count', '–')}{'' if old.get('exact', True) else ' ✗'} | {old.get('samples', '–')} |"
        traf = row["trafilatura"]
        line += f" {traf['samples']} ({traf['samples_text_only']}) | {traf['ms']} |"
        lines.append(line)
    t = result["totals"]
    n, samples, replies = len(rows), t["gold_samples"], t["gold_sample_replies"]
    det = t["detector"]
    line = (f"| **all {n}** | | | **{det['exact_counts']}/{n} exact** | **{det['samples']}/{samples}** | "
            f"**{det['replies_linked']}/{replies}** | {det['median_ms']} |")
    if has_old:
        old = t["old_reader"]
        line += f" {old['exact_counts']}/{n} exact | {old['samples']}/{samples} |"
    traf = t["trafilatura"]
    line += f" {traf['samples']}/{samples} ({traf['samples_text_only']}) | {traf['median_ms']} |"
    lines.append(line)
    none = result["no_comments"]
    if none["pages"]:
        lines.append("")
        lines.append(f"Detector on {len(none['pages'])} Arabic article pages without comments: median "
                     f"{none['median_ms']} ms, max {none['max_ms']} ms; false threads: {len(none['false_positives'])}.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    gold_paths = sorted(THREADS.glob("*.json"))
    if not gold_paths:
        sys.exit(f"no captured threads in {THREADS} (set NEWSCRAWL_SHARED)")
    old = old_reader()
    rows = [bench_page(path, args.repeats, old) for path in gold_paths]
    result = {
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "python": platform.python_version(), "lxml": lxml.__version__,
                    "trafilatura": trafilatura.__version__},
        "repeats": args.repeats,
        "rules": {
            "count": "exact when equal to comments_total or reader_comments_excluding_pingbacks",
            "samples": "author equal and text_fragment contained, in one record (white space collapsed)",
            "replies": "sample reply whose record's parent record is by parent_author",
            "trafilatura": "author and text_fragment in the same line of its comments text (text only: fragment "
                           "in any line); no count, no parents",
            "old_reader": f"extract_comments with the generic profile's selectors at commit {OLD_READER_COMMIT}",
            "timing": "median of repeats per page, page already parsed (Trafilatura parses itself)",
        },
        "per_page": rows,
        "no_comments": bench_no_comments(args.repeats),
    }
    result["totals"] = {
        "gold_samples": sum(row["gold"]["samples"] for row in rows),
        "gold_sample_replies": sum(row["gold"]["sample_replies"] for row in rows),
        "detector": totals(rows, "detector"),
        "old_reader": totals(rows, "old_reader"),
        "trafilatura": totals(rows, "trafilatura"),
    }
    save_result("comment_threads", result, args.out)
    print(table(result))


if __name__ == "__main__":
    main()
