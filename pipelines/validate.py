"""Drop what must not reach the archive, with a logged reason and a stat.

An article needs a title and a body. Text that reads like mojibake (Arabic
decoded with the wrong charset) is refused: storing it would lose the
article's real text behind garbage that looks like data.
"""

from __future__ import annotations

from functools import lru_cache

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from newscrawl.items import ArticleItem
from newscrawl.text import looks_like_mojibake

_SHORT = 80  # characters: comment titles and authors, which repeat ("تعليق", a regular's name)


@lru_cache(maxsize=100_000)
def _short_looks_like_mojibake(text: str) -> bool:
    return looks_like_mojibake(text)


class ValidatePipeline:
    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler) -> ValidatePipeline:
        return cls(crawler.stats)

    def _drop(self, adapter, reason: str, key: str):
        self.stats.inc_value(f"validate/dropped/{key}")
        raise DropItem(f"{adapter.get('site')} article {adapter.get('article_id')} ({adapter.get('url')}): {reason}")

    def process_item(self, item: ArticleItem | dict) -> ArticleItem | dict:
        adapter = ItemAdapter(item)
        if not adapter.get("title"):
            self._drop(adapter, "no title found", "no_title")
        if not adapter.get("body"):
            self._drop(adapter, "no body found (profile and Trafilatura both empty)", "no_body")
        texts = [adapter.get("title"), adapter.get("subtitle"), *adapter.get("body")]
        texts += [c.get(k) for c in adapter.get("comments") or () for k in ("title", "author", "text")]
        for text in texts:
            if text and (_short_looks_like_mojibake(text) if len(text) <= _SHORT else looks_like_mojibake(text)):
                self._drop(adapter, f"text looks mis-decoded (mojibake): {text[:40]!r}", "mojibake")
        self.stats.inc_value("validate/passed")
        return item
