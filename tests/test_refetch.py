"""Does an article need fetching again (newscrawl/refetch.py), without Scrapy or a crawl.

The archive is a dict here: RefetchRules reads only article() and gone().
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from newscrawl.refetch import RefetchRules, instant, utc_lastmod
from tests.conftest import REPO

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)


class Archive:
    """What the archive holds, as newscrawl.state answers it."""

    def __init__(self, articles: dict | None = None, gone: dict | None = None):
        self.articles = articles or {}
        self.gone_at = gone or {}

    def article(self, site: str, article_id: str) -> dict | None:
        return self.articles.get((site, article_id))

    def gone(self, site: str, article_id: str) -> str | None:
        return self.gone_at.get((site, article_id))


def stored(**fields) -> dict:
    """An archived article whose thread was read in full, on one page, a year ago."""
    return {"comments_complete": 1, "url": "https://elaph.com/Web/News/2023/6/1.html", "comment_pages": 1,
            "sitemap_lastmod": "2023-06-15T00:00:00+00:00", "published": "2023-06-15T10:00:00+03:00",
            "http_etag": None, "http_last_modified": None, **fields}


def rules(archive: Archive, *, refresh_days: int = 7, since: datetime | None = None) -> RefetchRules:
    return RefetchRules(archive, refresh_days=refresh_days, since=since, now=lambda: NOW)


def test_the_module_needs_no_scrapy():
    code = "import sys, newscrawl.refetch; print(sorted(m for m in sys.modules if m.split('.')[0] == 'scrapy'))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_new_article_is_fetched_and_a_gone_one_only_once_its_entry_changes():
    archive = Archive(gone={("elaph", "9"): "2024-01-01T00:00:00+00:00", ("elaph", "10"): ""})
    check = rules(archive)
    assert check.needs_fetch("1", None, "elaph")
    assert not check.needs_fetch("9", None, "elaph")
    assert not check.needs_fetch("9", "2024-01-01T00:00:00+00:00", "elaph")
    assert check.needs_fetch("9", "2024-02-01T00:00:00+00:00", "elaph")
    assert not check.needs_fetch("10", None, "elaph") and check.needs_fetch("10", "2024-02-01T00:00:00+00:00", "elaph")


def test_an_unfinished_thread_or_an_article_known_only_from_a_dump_is_fetched():
    assert rules(Archive({("elaph", "1"): stored(comments_complete=0)})).needs_fetch("1", None, "elaph")
    assert rules(Archive({("elaph", "1"): stored(url=None)})).needs_fetch("1", None, "elaph")
    assert not rules(Archive({("elaph", "1"): stored()})).needs_fetch("1", None, "elaph")


def test_a_newer_sitemap_entry_is_fetched_an_older_or_equal_one_is_not():
    check = rules(Archive({("elaph", "1"): stored(), ("elaph", "2"): stored(sitemap_lastmod=None)}))
    assert check.needs_fetch("1", "2023-06-16T00:00:00+00:00", "elaph")
    assert not check.needs_fetch("1", "2023-06-15T00:00:00+00:00", "elaph")
    assert not check.needs_fetch("1", "2023-01-01T00:00:00+00:00", "elaph")
    assert check.needs_fetch("2", "2023-01-01T00:00:00+00:00", "elaph")  # never fetched from a sitemap entry
    assert not check.needs_fetch("2", None, "elaph")


def test_recent_articles_are_fetched_again_for_new_comments_unless_refresh_days_is_0():
    recent = stored(published=(NOW - timedelta(days=3)).isoformat())
    archive = Archive({("elaph", "1"): recent, ("elaph", "2"): stored(published=None),
                       ("elaph", "3"): stored(published="not a date")})
    assert rules(archive).needs_fetch("1", None, "elaph")
    assert not rules(archive, refresh_days=2).needs_fetch("1", None, "elaph")
    assert not rules(archive, refresh_days=0).needs_fetch("1", None, "elaph")
    assert not rules(archive).needs_fetch("2", None, "elaph") and not rules(archive).needs_fetch("3", None, "elaph")


def test_validators_only_for_a_whole_thread_on_one_page():
    tagged = {"http_etag": '"abc"', "http_last_modified": "Sat, 15 Jun 2024 10:00:00 GMT"}
    archive = Archive({("elaph", "1"): stored(**tagged), ("elaph", "2"): stored(comment_pages=2, **tagged),
                       ("elaph", "3"): stored(comments_complete=0, **tagged),
                       ("elaph", "4"): stored(comment_pages=None, **tagged), ("elaph", "5"): stored()})
    check = rules(archive)
    assert check.validators("elaph", "1") == {"If-None-Match": '"abc"',
                                              "If-Modified-Since": "Sat, 15 Jun 2024 10:00:00 GMT"}
    assert [check.validators("elaph", n) for n in ("2", "3", "4", "5", "6")] == [{}] * 5


def test_refresh_since_is_refresh_days_back_but_never_before_since():
    assert rules(Archive()).refresh_since() == "2024-06-08T12:00:00+00:00"
    assert rules(Archive(), since=datetime(2024, 6, 10, tzinfo=UTC)).refresh_since() == "2024-06-10T00:00:00+00:00"
    assert rules(Archive(), since=datetime(2024, 1, 1, tzinfo=UTC)).refresh_since() == "2024-06-08T12:00:00+00:00"
    assert rules(Archive(), refresh_days=0).refresh_since() is None


def test_since_leaves_out_older_articles_sitemaps_and_dated_urls():
    check = rules(Archive(), since=datetime(2024, 3, 10, tzinfo=UTC))
    assert check.published_before_since(datetime(2024, 3, 9, tzinfo=UTC))
    assert not check.published_before_since(datetime(2024, 3, 10, tzinfo=UTC))
    assert not check.published_before_since(None)  # undated: kept
    assert check.sitemap_before_since("2024-03-09T23:59:59+00:00")
    assert not check.sitemap_before_since("2024-03-10T00:00:00+00:00") and not check.sitemap_before_since(None)
    assert check.url_before_since("https://elaph.com/Web/News/2024/2/1.html")
    assert not check.url_before_since("https://elaph.com/Web/News/2024/3/1.html")  # its month: may be since
    assert not check.url_before_since("https://www.hespress.com/some-story-1.html")  # no date in it
    without = rules(Archive())
    assert not without.published_before_since(datetime(2000, 1, 1, tzinfo=UTC))
    assert not without.sitemap_before_since("2000-01-01T00:00:00+00:00")
    assert not without.url_before_since("https://elaph.com/Web/News/2000/1/1.html")


def test_lastmods_in_every_w3c_form_compare_as_utc():
    assert utc_lastmod("2015") == "2015-01-01T00:00:00+00:00"
    assert utc_lastmod("2015-03") == "2015-03-01T00:00:00+00:00"
    assert utc_lastmod("2015-03-24T18:02:00+03:00") == "2015-03-24T15:02:00+00:00"
    assert utc_lastmod("") is None and utc_lastmod(None) is None and utc_lastmod("yesterday-ish") is None
    assert instant("2015-03-24T18:02:00+03:00") == datetime(2015, 3, 24, 15, 2, tzinfo=UTC)
    assert instant(None) is None and instant("not a date") is None
