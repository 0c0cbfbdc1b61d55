"""Store articles and their comments in the SQLite archive (setting ARCHIVE_DB)."""

import logging

from itemadapter import ItemAdapter

from newscrawl.archive import open_archive, store_article

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, db_path, stats):
        self.db_path = db_path
        self.stats = stats
        self.db = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("ARCHIVE_DB"), crawler.stats)

    def open_spider(self):
        self.db = open_archive(self.db_path)

    def close_spider(self):
        if self.db is not None:
            self.db.close()
            self.db = None

    def process_item(self, item):
        article = ItemAdapter(item).asdict()
        result = store_article(self.db, article)
        self.stats.inc_value(f"archive/articles_{result.status}")
        self.stats.inc_value("archive/comments_new", result.comments_new)
        if result.comments_updated:
            self.stats.inc_value("archive/comments_updated", result.comments_updated)
        logger.debug(
            "stored %s/%s: %s, %d new comments (%d in archive)",
            article["site"], article["article_id"], result.status, result.comments_new, result.comments_total,
        )
        return item
