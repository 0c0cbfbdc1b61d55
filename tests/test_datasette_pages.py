"""The plugin's pages through Datasette's own client (in-process, real
Datasette and real archive file): permissions per table, and paths that
need encoding. The browser tests (tests/test_browser.py) cover how they look."""

from __future__ import annotations

import asyncio
import re

from datasette.app import Datasette

from newscrawl.archive import open_archive, store_article
from newscrawl.datasette_pages import page_path


def archive(tmp_path):
    path = tmp_path / "أخبار.db"  # a database name that needs encoding too
    db = open_archive(path)
    store_article(db, {"site": "example.org", "article_id": "a/b c", "title": "عنوان", "subtitle": "",
                       "body": ["نص"], "url": "https://example.org/a/b%20c",
                       "comments": [{"comment_id": "1", "title": "", "author": "سالم", "text": "تعليق سري"}]})
    db.close()
    return path


def get(ds, path):
    async def fetch():
        await ds.invoke_startup()
        return await ds.client.get(path)
    return asyncio.run(fetch())


def test_the_thread_and_search_pages_honour_each_tables_permission(tmp_path):
    path = archive(tmp_path)
    name = path.stem
    # Articles published, comments kept for the database's admin.
    metadata = {"databases": {name: {"allow": {"id": "admin"}, "tables": {"articles": {"allow": True}}}}}
    ds = Datasette([str(path)], metadata=metadata)
    assert get(ds, ds.urls.table(name, "comments", format="json")).status_code == 403
    links = re.findall(r'href="(/-/thread/[^"#]+)', get(ds, ds.urls.table(name, "articles")).text)
    assert links, "the article id links to its thread"
    thread = get(ds, links[0])
    assert thread.status_code == 403 and "تعليق سري" not in thread.text
    found = get(ds, f"{page_path('search', name)}?q=سري&kind=comments")
    assert found.status_code == 403 and "تعليق سري" not in found.text


def test_links_survive_ids_and_names_that_need_encoding(tmp_path):
    path = archive(tmp_path)
    ds = Datasette([str(path)])
    page = get(ds, ds.urls.table(path.stem, "articles"))
    (link,) = set(re.findall(r'href="(/-/thread/[^"#]+)', page.text))
    thread = get(ds, link)
    assert thread.status_code == 200 and "تعليق سري" in thread.text
    overview = get(ds, page_path("overview", path.stem))
    assert overview.status_code == 200 and "Articles per month" in overview.text
