"""Drop a second copy of an article within one run.

The same article can be reached under two sections, as .htm and .html, or
through its AMP copy; the spider already asks for each article id once, and
this is the guard behind it. Across runs, the store merges by article id.
"""

from __future__ import annotations

from itemadapter import ItemAdapter

from newscrawl.exceptions import DuplicateArticle
from newscrawl.items import ArticleItem


class DedupePipeline:
    def __init__(self, stats):
        self.stats = stats
        self.seen: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler) -> DedupePipeline:
        return cls(crawler.stats)

    def process_item(self, item: ArticleItem | dict) -> ArticleItem | dict:
        adapter = ItemAdapter(item)
        key = (adapter["site"], str(adapter["article_id"]))
        if key in self.seen:
            self.stats.inc_value("dedupe/duplicate_in_run")
            raise DuplicateArticle(f"{key[0]} article {key[1]} already stored in this run ({adapter.get('url')})")
        self.seen.add(key)
        return item
