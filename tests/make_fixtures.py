"""Write tests/fixtures/elaph/: stored pages of the Elaph model next to the JSON
a correct extraction gives (Fundus-style golden tests).

Run it only when the model's markup changes on purpose, and read the diff:
    .venv/bin/python tests/make_fixtures.py
"""

import json
from pathlib import Path

from newscrawl.samplesite import generate_site
from newscrawl.samplesite.model import REFERENCE_ID
from newscrawl.samplesite.render import article_response

HERE = Path(__file__).parent / "fixtures" / "elaph"
BASE = "https://elaph.com"


def expected(article, page=1, per_page=20):
    shown = article.comments[(page - 1) * per_page : page * per_page]
    return {
        "title": article.title,
        "subtitle": article.subtitle,
        "body": article.body,
        "published": article.published.isoformat(timespec="seconds"),
        "author": article.author,
        "comments": [
            {
                "comment_id": str(c.comment_id) if c.comment_id else None,
                "title": c.title,
                "author": c.author,
                "text": c.text,
                "posted_at": c.posted_at.isoformat(timespec="seconds"),
                "parent": None,  # the model's threads are flat
                "depth": 0,
            }
            for c in shown
        ],
    }


def main():
    model = generate_site(40)
    pick = {
        "reference_2015": model.by_id(REFERENCE_ID),
        "windows1256_declared": next(a for a in model.articles if a.encoding == "cp1256"),
        "windows1256_undeclared": next(a for a in model.articles if a.encoding == "cp1256-undeclared"),
        "windows1256_mislabelled": next(a for a in model.articles if a.encoding == "cp1256-mislabelled"),
        "utf8_declared_windows1256": next(a for a in model.articles if a.encoding == "utf-8-mislabelled"),
        "sloppy_markup": next(a for a in model.articles if a.broken_html),
        "no_subtitle_no_comments": next(a for a in model.crawlable() if not a.subtitle and not a.comments),
        "br_in_body": next(a for a in model.crawlable() if a.style % 3 == 2 and a.encoding == "utf-8" and len(a.body) > 6),
    }
    threads = next(a for a in model.crawlable() if len(a.comments) > 40)
    HERE.mkdir(parents=True, exist_ok=True)
    for name, article in pick.items():
        write(name, article, 1)
    write("comments_page_2", threads, 2)


def write(name, article, page):
    headers, body = article_response(article, BASE, page)
    url = f"{BASE}{article.path}" + (f"?cpage={page}" if page > 1 else "")
    data = {
        "url": url,
        "content_type": headers["Content-Type"],
        "layout": "Elaph model template (shared/spec/elaph-site-model.md), 2010-2025",
        **expected(article, page),
    }
    pages = -(-len(article.comments) // 20)
    data["next_url"] = f"{BASE}{article.path}?cpage={page + 1}" if page < pages else None
    (HERE / f"{name}.html").write_bytes(body)
    (HERE / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{name}: {article.path} page {page}")


if __name__ == "__main__":
    main()
