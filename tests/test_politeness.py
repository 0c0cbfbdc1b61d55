"""The defaults a user gets on the real site: polite and honest."""

from itertools import pairwise

import pytest
from scrapy.utils.project import get_project_settings

from tests.conftest import run_crawl


def test_default_settings_are_polite_and_honest(monkeypatch):
    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "newscrawl.settings")
    settings = get_project_settings()
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert settings.getfloat("DOWNLOAD_DELAY") >= 1.0 and settings.getfloat("DOWNLOAD_DELAY_JITTER") == 0
    assert 429 in settings.getlist("RETRY_HTTP_CODES") and 503 in settings.getlist("RETRY_HTTP_CODES")
    agent = settings.get("USER_AGENT")
    assert agent.startswith("newscrawl/") and "+https://" in agent and "Mozilla" not in agent
    assert settings.get("ARCHIVE_DB") == "archive/news.db"
    assert not settings.getbool("TELNETCONSOLE_ENABLED") and not settings.getbool("REMOTE_CONTROL_ENABLED")


@pytest.mark.crawl
@pytest.mark.timing  # gaps between arrivals: alone on the machine
def test_default_crawl_is_one_request_at_a_time_at_least_a_second_apart(site, model, tmp_path):
    paths = ",".join(a.path for a in model.crawlable() if not a.comments and not a.flaky)
    result = run_crawl(site.base_url, tmp_path / "news.db", args={"urls": paths, "max_articles": 4}, fast=False)
    assert result.returncode == 0, result.stderr[-3000:]
    times = sorted(h.time for h in site.hits())
    assert len(times) >= 5  # robots.txt and four articles
    gaps = [b - a for a, b in pairwise(times)]
    assert min(gaps) >= 0.95, gaps
