"""Write tests/fixtures/hespress/: stored pages of the Hespress model next to
the JSON a correct extraction gives (golden tests in tests/test_site_hespress.py).

The expected JSON comes from the model's fields, never from the extractor.
Run it only when the model's markup changes on purpose, and read the diff:
    .venv/bin/python tests/make_fixtures_hespress.py
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newscrawl.samplesite.hespress import RENDERER, generate_hespress  # noqa: E402

HERE = Path(__file__).parent / "fixtures" / "hespress"
BASE = "https://www.hespress.com"


def expected(article):
    return {
        "title": article.title,
        "subtitle": article.subtitle,
        "body": article.body,
        "published": article.published.isoformat(timespec="seconds"),
        "author": article.author,
        "section": article.section,
        "tags": article.tags,
        "comments": [
            {
                "comment_id": str(c.comment_id),
                "title": c.title,
                "author": c.author,
                "text": c.text,
                "posted_at": c.posted_at.isoformat(timespec="seconds"),
                "parent": None,  # the model's threads are flat
                "depth": 0,
                "likes": c.likes,
            }
            for c in article.comments
        ],
        "next_url": None,
    }


def pick(model):
    with_everything = max(
        (a for a in model.articles if a.tags),
        key=lambda a: (any(c.likes < 0 for c in a.comments), any(not c.author for c in a.comments), len(a.comments)),
    )
    return {
        "comments_likes_tags": with_everything,
        "no_comments_no_tags": next(a for a in model.articles if not a.comments and not a.tags),
        "br_and_figure": next(a for a in model.articles if a.style % 12 == 9 and a.comments),
        "figure_and_ad": next(a for a in model.articles if a.style % 6 == 0 and a.comments and a.published.year >= 2018),
    }


def main():
    model = generate_hespress()
    HERE.mkdir(parents=True, exist_ok=True)
    for name, article in pick(model).items():
        headers, body = RENDERER.article_response(article, BASE, 1, model.comments_per_page)
        data = {
            "url": BASE + article.path,
            "content_type": headers["Content-Type"],
            "layout": "Hespress model template (newscrawl/samplesite/hespress.py), 2020-2025",
            **expected(article),
        }
        (HERE / f"{name}.html").write_bytes(body)
        (HERE / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{name}: {article.article_id}, {len(article.comments)} comments, {len(article.tags)} tags")


if __name__ == "__main__":
    main()
