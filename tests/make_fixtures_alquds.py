"""Write tests/fixtures/alquds/: stored pages of the Al-Quds model (old and
newer WordPress theme) next to the JSON a correct extraction gives. The
expected values come from the model's fields, not from the extractor.

Run it only when the model's markup changes on purpose, and read the diff:
    .venv/bin/python tests/make_fixtures_alquds.py
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newscrawl.samplesite.alquds import COMMENTS_PER_PAGE, RENDERER, generate_alquds  # noqa: E402

HERE = Path(__file__).parent / "fixtures" / "alquds"
BASE = "http://www.alquds.co.uk"  # [V] the URL form of the 2016 page


def expected(article, page, per_page):
    shown = article.comments[(page - 1) * per_page : page * per_page]
    pages = max(1, -(-len(article.comments) // per_page))
    return {
        "title": article.title,
        "subtitle": article.subtitle,
        "body": article.body,
        "published": article.published.isoformat(timespec="seconds"),
        "author": article.author,
        "section": article.section,
        "canonical": f"{BASE}/?p={article.article_id}",
        "comments": [
            {
                "comment_id": str(c.comment_id),
                "title": "",
                "author": c.author,
                "text": c.text,
                "posted_at": c.posted_at.isoformat(timespec="seconds"),
                "parent": None,  # the model's threads are flat
                "depth": 0,
            }
            for c in shown
        ],
        "next_url": f"{BASE}/?p={article.article_id}&cpage={page + 1}#comments" if page < pages else None,
    }


def main():
    model = generate_alquds()
    crawlable = model.crawlable()
    old_2016 = max((a for a in crawlable if a.published.year == 2016), key=lambda a: len(a.comments))
    long_thread = next(a for a in crawlable if len(a.comments) > COMMENTS_PER_PAGE)
    picks = [
        ("old_theme_2016", old_2016, 1, COMMENTS_PER_PAGE),
        # The old theme's comment page links: the same post cut into pages of 5.
        ("old_theme_comments_page_2", max((a for a in crawlable if a.theme == "old"), key=lambda a: len(a.comments)), 2, 5),
        ("new_theme_thread_page_1", long_thread, 1, COMMENTS_PER_PAGE),
        ("new_theme_thread_page_3", long_thread, 3, COMMENTS_PER_PAGE),
        ("new_theme_no_comments", next(a for a in crawlable if a.theme == "new" and not a.comments), 1, COMMENTS_PER_PAGE),
    ]
    HERE.mkdir(parents=True, exist_ok=True)
    for name, article, page, per_page in picks:
        headers, body = RENDERER.article_response(article, BASE, page, per_page)
        data = {
            "url": f"{BASE}/?p={article.article_id}" + (f"&cpage={page}" if page > 1 else ""),
            "content_type": headers["Content-Type"],
            "layout": f"Al-Quds model, {article.theme} WordPress theme ({article.published.year})",
            "theme": article.theme,
            **expected(article, page, per_page),
        }
        (HERE / f"{name}.html").write_bytes(body)
        (HERE / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{name}: ?p={article.article_id} page {page} ({article.theme} theme)")


if __name__ == "__main__":
    main()
