"""The drain stores in batches: what the workers pushed goes into the archive
a transaction at a time (real redis-server, the real `newscrawl drain`)."""

from __future__ import annotations

import json

import pytest
import redis

from tests.conftest import rows, run_cli
from tests.test_distributed import RedisServer

pytestmark = pytest.mark.crawl


def item(article_id: int, **fields) -> dict:
    return {"site": "elaph", "article_id": str(article_id), "url": f"https://elaph.com/Web/News/2020/1/{article_id}.html",
            "title": f"عنوان {article_id}", "subtitle": "", "body": [f"نص الخبر {article_id}"],
            "comments": [{"comment_id": f"{article_id}{n}", "title": "", "author": "قارئ", "text": f"تعليق {n}"}
                         for n in range(3)], **fields}


def test_the_drain_stores_many_items_per_transaction_and_sets_aside_only_the_bad_one(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    try:
        client = redis.Redis.from_url(server.url)
        pushed = [json.dumps(item(n), ensure_ascii=False) for n in range(1, 251)]
        pushed.insert(100, json.dumps(item(999, comments=["not a comment"])))  # store_article raises on it
        client.rpush("newscrawl:items", *pushed)
        result = run_cli("drain", "--db", str(tmp_path / "news.db"), "--redis", server.url, "--idle", "0.5")
        assert result.returncode == 0, result.stderr
        # 251 items, 100 a transaction (STORE_BATCH_ARTICLES): three transactions, not 251.
        assert "drained 250 items in 3 transactions: 250 new" in result.stdout
        assert "1 not storable" in result.stdout
        (failed,) = [json.loads(x) for x in client.lrange("newscrawl:items:failed", 0, -1)]
        assert json.loads(failed["item"])["article_id"] == "999" and "AttributeError" in failed["error"]
        assert client.llen("newscrawl:items") == 0 and client.llen("newscrawl:items:processing") == 0
        db = tmp_path / "news.db"
        assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == 250
        assert rows(db, "SELECT count(*) AS n FROM comments")[0]["n"] == 750
        # What the workers read of the archive was published for every stored article.
        assert client.hlen("newscrawl:state:elaph") == 250
        # Nothing doubles when the same items come again (a worker re-sent them).
        client.rpush("newscrawl:items", *pushed[:10])
        again = run_cli("drain", "--db", str(db), "--redis", server.url, "--idle", "0.5")
        assert "drained 10 items in 1 transactions: 10 unchanged" in again.stdout
        assert rows(db, "SELECT count(*) AS n FROM comments")[0]["n"] == 750
    finally:
        server.stop()
