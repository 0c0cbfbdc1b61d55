"""The run's claims and its sitemap ledger (newscrawl/sitemap_ledger.py), on their own: no crawl."""

from __future__ import annotations

import sqlite3

from scrapy.exceptions import DropItem

from newscrawl.distributed import RedisArticleClaims
from newscrawl.exceptions import DuplicateArticle
from newscrawl.items import ArticleItem
from newscrawl.redis_state import RedisState
from newscrawl.sitemap_ledger import ArticleClaims, Claims, SitemapLedger, SitemapsRead
from newscrawl.state import SqliteState


class Stats:
    def __init__(self):
        self.values: dict = {}

    def set_value(self, key, value) -> None:
        self.values[key] = value


class Store:
    """Where done sitemaps go (SitemapsRead); `fail` makes the write raise as a full disk does."""

    def __init__(self, fail: bool = False):
        self.marked: list[tuple] = []
        self.fail = fail

    def sitemap_lastmod(self, site, url):
        return None

    def mark_sitemap_done(self, site, url, lastmod) -> None:
        if self.fail:
            raise sqlite3.OperationalError("database or disk is full")
        self.marked.append((site, url, lastmod))


def article(article_id: str) -> ArticleItem:
    return ArticleItem(site="elaph", article_id=article_id, url=f"https://elaph.com/Web/News/2020/1/{article_id}.html")


def test_the_local_and_the_redis_claims_have_one_interface_and_so_have_both_archive_states():
    assert isinstance(ArticleClaims(), Claims) and issubclass(RedisArticleClaims, Claims)
    assert issubclass(SqliteState, SitemapsRead) and issubclass(RedisState, SitemapsRead)
    assert not issubclass(Store, Claims)


def test_claims_ask_for_each_article_once_and_keep_its_other_urls_in_order():
    claims = ArticleClaims()
    assert not claims.asked("7") and claims.claim("7", "https://elaph.com/a/7.html")
    assert claims.asked("7") and not claims.claim("7", "https://elaph.com/b/7.html")
    claims.add_alternate("7", "https://elaph.com/b/7.html")
    claims.add_alternate("7", "https://elaph.com/b/7.html")  # once only
    claims.add_alternate("7", "https://elaph.com/c/7.htm")
    assert claims.next_alternate("7") == "https://elaph.com/b/7.html"
    assert claims.next_alternate("7") == "https://elaph.com/c/7.htm"
    assert claims.next_alternate("7") is None and claims.next_alternate("8") is None


def test_claims_keep_ids_with_a_leading_zero_apart():
    claims = ArticleClaims()
    assert claims.claim("123", "u") and claims.claim("0123", "v") and claims.claim("0", "w")
    assert claims.asked("0123") and claims.asked("123") and not claims.asked("00")
    assert claims.claim("story-٣", "x") and claims.asked("story-٣")  # not ASCII digits: kept as a string


def test_a_sitemap_is_done_once_every_article_it_lists_is_settled():
    claims = ArticleClaims()
    ledger = SitemapLedger(asked=claims.asked)
    ledger.opened("s1", "2020-01-31T00:00:00+00:00")
    for article_id in ("1", "2"):
        claims.claim(article_id, f"u{article_id}")
        ledger.requested(article_id)
        ledger.expect("s1", article_id)
    ledger.read_to_end("s1")
    ledger.settle("1")
    assert ledger.done() == []
    ledger.settle("2")
    assert ledger.done() == [("s1", "2020-01-31T00:00:00+00:00")]


def test_an_article_settled_before_its_sitemap_is_read_does_not_keep_it_open():
    claims = ArticleClaims()
    ledger = SitemapLedger(asked=claims.asked)
    claims.claim("1", "u1")
    ledger.requested("1")
    ledger.settle("1")  # a refresh fetch stored it
    ledger.opened("s1", None)
    ledger.expect("s1", "1")
    ledger.read_to_end("s1")
    assert ledger.done() == [("s1", None)] and ledger.outstanding == set()


def test_without_asked_the_ledger_keeps_its_own_record():
    ledger = SitemapLedger()
    ledger.requested("1")
    ledger.settle("1")
    ledger.opened("s1", None)
    ledger.expect("s1", "1")  # settled already this run
    ledger.expect("s1", "2")  # never asked for: pending
    ledger.read_to_end("s1")
    assert ledger.done() == []
    ledger.settle("2")
    assert ledger.done() == [("s1", None)]


def test_sitemaps_left_open_read_in_part_or_with_articles_left_out_are_not_done():
    ledger = SitemapLedger()
    for url in ("empty", "unread", "left_out", "broken"):
        ledger.opened(url, None)
    ledger.read_to_end("empty")
    ledger.read_to_end("left_out", left_out=True)  # since: some not fetched on purpose
    ledger.read_to_end("broken")
    ledger.unreadable("broken")
    assert ledger.done() == [("empty", None)]


def test_stored_and_duplicate_articles_settle_other_drops_do_not():
    ledger = SitemapLedger()
    ledger.opened("s1", None)
    for article_id in ("1", "2", "3"):
        ledger.requested(article_id)
        ledger.expect("s1", article_id)
    ledger.read_to_end("s1")
    ledger.item_stored(article("1"), response=None, spider=None)
    ledger.item_dropped(article("2"), response=None, exception=DuplicateArticle("stored under its first URL"))
    ledger.item_dropped(article("3"), response=None, exception=DropItem("no title"))
    ledger.item_stored({"not": "an article"})
    assert ledger.pending["s1"] == {"3"} and ledger.outstanding == {"3"}


def test_record_done_marks_the_sitemaps_read_in_full_and_counts_them():
    ledger = SitemapLedger()
    for url in ("s1", "s2"):
        ledger.opened(url, f"{url}-lastmod")
        ledger.read_to_end(url)
    store, stats = Store(), Stats()
    ledger.record_done(store, "elaph", stats)
    assert store.marked == [("elaph", "s1", "s1-lastmod"), ("elaph", "s2", "s2-lastmod")]
    assert stats.values == {"discovery/sitemaps_completed": 2}


def test_an_archive_that_refuses_the_marks_costs_requests_next_run_not_an_error(caplog):
    ledger = SitemapLedger()
    ledger.opened("s1", None)
    ledger.read_to_end("s1")
    stats = Stats()
    ledger.record_done(Store(fail=True), "elaph", stats)
    assert stats.values == {"discovery/sitemaps_completed": 1}
    assert "sitemaps read in full could not be marked so (OperationalError: database or disk is full)" in caplog.text
