"""`newscrawl doctor`: what a profile matches on one page, on real pages and the model sites."""

from __future__ import annotations

import json

import pytest

from newscrawl.samplesite import SampleSite, generate_site
from newscrawl.samplesite.model import REFERENCE_ID
from tests.conftest import crawl_stats, run_cli, run_crawl, shared_pages

REAL = shared_pages("real-pages")
THREADS = shared_pages("real-pages/comments")


@pytest.mark.parametrize("gold", REAL + THREADS, ids=lambda p: p.stem)
def test_doctor_reads_every_real_page(gold):
    page = gold.with_suffix(".html")
    result = run_cli("doctor", "--site", "generic", str(page), "--url", f"http://127.0.0.1/{page.stem}/")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    for field in ("title", "body", "published", "comments"):
        assert f"\n{field}\n" in out
    expected = json.loads(gold.read_text(encoding="utf-8"))
    if expected.get("samples"):
        # The detector's finding, as selectors to paste into a profile.
        assert "detector: " in out and "items: " in out and 'item="' in out


def test_doctor_shows_each_selector_of_the_profile_on_a_local_page():
    model = generate_site(10)
    ref = model.by_id(REFERENCE_ID)
    with SampleSite(model) as site:
        result = run_cli("doctor", "--site", "elaph", site.base_url + ref.path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "h1.article-title\n        1 match: " in out and "<- used" in out
    assert "read by: profile, " in out and "the page shows: " in out


def test_doctor_reads_a_page_from_the_crawls_warc(tmp_path):
    model = generate_site(10)
    ref = model.by_id(REFERENCE_ID)
    with SampleSite(model) as site:
        result = run_crawl(site.base_url, tmp_path / "news.db", args={"urls": ref.path})
        assert result.returncode == 0, crawl_stats(result)
        url = site.base_url + ref.path
    result = run_cli("doctor", "--site", "elaph", "--warc", str(tmp_path / "warc"), "--url", url)
    assert result.returncode == 0, result.stderr
    assert f"page {url} with the elaph profile" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--site", "elaph", "https://elaph.com/Web/News/2015/3/993653.html"], "doctor reads pages on this machine only"),
    (["--site", "elaph", "/no/such/page.html"], "no file at /no/such/page.html"),
    (["--site", "nosuchsite", "x.html"], "unknown site 'nosuchsite'"),
    (["--site", "elaph", "--warc", "."], "--warc needs --url"),
])
def test_doctor_errors_are_one_line(args, message):
    result = run_cli("doctor", *args)
    assert result.returncode != 0 and message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1

