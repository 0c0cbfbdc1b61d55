"""`index_text` (what the search index stores for a text) against the rules as first written, on the benchmark corpus.

    .venv/bin/python benchmarks/index_text_bench.py            # 2,001 model articles with their comments
    .venv/bin/python benchmarks/index_text_bench.py --articles 200 --no-save

Every title, subtitle, body and comment field of the Elaph model site of
`make bench` (2,001 articles, about 80,000 texts, 7 MB) goes through
newscrawl.search.arabic.index_text and through `reference_index_text`,
the straightforward form of the same rules (NFKC, harakat removed, one
str.translate fold, lower case, light10 stems) that the project used
before. Outputs must be identical, text for text; times are the medians of
5 interleaved passes. Results go to benchmarks/results.json ("index_text").
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from common import save_result  # noqa: E402

from newscrawl.samplesite import generate_site  # noqa: E402
from newscrawl.search import arabic  # noqa: E402

RESULTS = REPO / "benchmarks" / "results.json"
_FOLD = str.maketrans({
    "آ": "ا", "أ": "ا", "إ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ی": "ي", "ک": "ك",
    **{chr(0x0660 + d): str(d) for d in range(10)}, **{chr(0x06F0 + d): str(d) for d in range(10)},
})


def reference_normalize(text: str) -> str:
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = arabic._MARKS.sub("", text)
    return text.translate(_FOLD).lower()


def reference_index_text(text: str) -> str:
    terms = " ".join([arabic.light_stem(t) for t in arabic._TOKEN.findall(reference_normalize(text))])
    return " ".join(arabic.tokenizer_form(terms).split())  # what unicode61 did, before the index's tokenizer


def corpus(articles: int) -> list[str]:
    texts = []
    for article in generate_site(articles).articles:
        texts += [article.title, article.subtitle, "\n".join(article.body)]
        for comment in article.comments:
            texts += [comment.title, comment.author, comment.text]
    return texts


def timed(function, texts) -> float:
    started = time.perf_counter()
    for text in texts:
        function(text)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2001)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    texts = corpus(args.articles)
    differ = [t for t in texts if arabic.index_text(t) != reference_index_text(t)]
    if differ:
        sys.exit(f"index_text differs from the reference on {len(differ)} texts, e.g. {differ[0][:80]!r}")
    times = {"index_text": [], "reference": []}
    for _ in range(args.runs):  # interleaved: the machine's noise hits both alike
        times["reference"].append(timed(reference_index_text, texts))
        times["index_text"].append(timed(arabic.index_text, texts))
    medians = {name: statistics.median(values) for name, values in times.items()}
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "texts": len(texts), "characters": sum(map(len, texts)), "identical": True,
        "seconds_median": {k: round(v, 3) for k, v in medians.items()},
        "speedup": round(medians["reference"] / medians["index_text"], 2),
    }
    print(json.dumps(result, ensure_ascii=False))
    if not args.no_save:
        save_result("index_text", result)


if __name__ == "__main__":
    main()
