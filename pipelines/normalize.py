"""Normalize white space in every text field, per the dump layout's rule.

Text stays as published otherwise: no spelling repair, no Arabic folding
(that lives in the search index only).
"""

from __future__ import annotations

from itemadapter import ItemAdapter

from newscrawl.items import ArticleItem
from newscrawl.text import clean_lines, one_line

TEXT_FIELDS = ("title", "subtitle", "author", "section")
COMMENT_FIELDS = ("title", "author", "text")


class NormalizeWhitespacePipeline:
    def process_item(self, item: ArticleItem | dict) -> ArticleItem | dict:
        adapter = ItemAdapter(item)
        for name in TEXT_FIELDS:
            if name in adapter:
                adapter[name] = one_line(adapter.get(name))
        adapter["body"] = clean_lines(adapter.get("body"))
        for comment in adapter.get("comments") or ():
            for name in COMMENT_FIELDS:
                comment[name] = one_line(comment.get(name))
        return item
