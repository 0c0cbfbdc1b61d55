"""Real article pages, crawled for real: every page of shared/real-pages/
served on 127.0.0.1 at a path of its site's pattern and read by one
`scrapy crawl generic`, then each page checked field by field against what a
person read off it (README there): the headline, where the body starts and
ends, page chrome kept out of it, the publication day or instant, the
byline, the comment count.

One crawl serves every page; each page is one test case (as Fundus tests
its parsers), and a failing case lists every field that is wrong, not just
the first.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from newscrawl.samplesite.captured import CapturedSite
from tests.conftest import crawl_stats, rows, run_crawl, shared_pages

pytestmark = pytest.mark.crawl

PAGES = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in shared_pages("real-pages")}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("real-pages")
    folder = shared_pages("real-pages")[0].parent
    pages = {gold["serve_at"]: folder / f"{name}.html" for name, gold in PAGES.items()}
    with CapturedSite(pages) as site:
        urls = {name: site.url(gold["serve_at"]) for name, gold in PAGES.items()}
        result = run_crawl(site.base_url, tmp / "news.db", spider="generic", args={"urls": ",".join(urls.values())},
                           timeout=600)
    assert result.returncode == 0, crawl_stats(result)
    return {"db": tmp / "news.db", "urls": urls, "result": result}


def field_errors(article: dict, expected: dict) -> list[str]:
    """Every field of the stored `article` that is not what the page shows."""
    errors = []
    if article["title"] not in expected["title"]:
        errors.append(f"title {article['title']!r} is none of {expected['title']}")
    body = article["body"].split("\n")
    if expected["body_first_line_contains"] not in body[0]:
        errors.append(f"first body line {body[0][:120]!r} lacks {expected['body_first_line_contains']!r}")
    if expected["body_last_line_contains"] not in body[-1]:
        errors.append(f"last body line {body[-1][:120]!r} lacks {expected['body_last_line_contains']!r}")
    errors += [f"page chrome {text!r} is in the body" for text in expected["not_in_body"] if text in article["body"]]
    if not same_publication(article["published"], expected["published"]):
        errors.append(f"published {article['published']!r}, the page shows {expected['published']!r}")
    if expected["author"] is not None and expected["author"] not in (article["author"] or ""):
        errors.append(f"author {article['author']!r}, the page shows {expected['author']!r}")
    if article["comment_count"] != expected["comments"]:
        errors.append(f"{article['comment_count']} comments stored, the page shows {expected['comments']}")
    return errors


def same_publication(stored: str | None, expected: str) -> bool:
    """A `YYYY-MM-DD` is the day as the page shows it, so the stored value's
    own day (in the offset it was stored with); a full instant is compared
    as an instant, whatever the offsets."""
    if not stored:
        return False
    if len(expected) == 10:
        return stored[:10] == expected
    return datetime.fromisoformat(stored) == datetime.fromisoformat(expected)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_real_page_is_stored_as_its_reader_sees_it(crawled, name):
    found = rows(crawled["db"], "SELECT * FROM articles WHERE url = ?", [crawled["urls"][name]])
    assert len(found) == 1, f"{len(found)} articles stored for {crawled['urls'][name]}"
    errors = field_errors(found[0], PAGES[name]["expected"])
    assert not errors, f"{name}: " + "; ".join(errors) + f"\nextraction notes: {found[0]['extraction']}"
