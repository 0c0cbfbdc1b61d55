"""Every site profile on its golden fixtures (Fundus style: one test, every
publisher).

Each page in tests/fixtures/<site>/ is read with the profile of that name, as
a crawl decodes it, and compared with its JSON: the fields every page has,
and those the JSON carries for its site (section, canonical, tags, the layout
that must read it). The JSON's "source" says where the page comes from;
every stored page is generated from our own model site ("model"), shown in
the test's id. Real pages ("captured") live only in ../shared/real-pages/ and
are tested in test_real_pages.py; the repository stores none.

Regenerate the fixtures with tests/make_fixtures.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newscrawl.extract import extract_article
from newscrawl.sites import PROFILES, get_profile
from newscrawl.text import looks_like_mojibake
from tests.fixture_pages import FIXTURES, fixture_pages, fixture_sites, read_fixture

BOM = "\ufeff"
# Fields a JSON carries for sites whose pages show them.
SHOWN_FIELDS = ("section", "canonical", "tags")
# How a profile with selectors reads its pages, unless the JSON says otherwise
# (the generic profile: Trafilatura's body, the detector's comments, no block).
READ_BY = {"body": "profile"}


def page_id(json_path: Path) -> str:
    """<source>:<site>/<name>, e.g. model:elaph/reference_2015."""
    source = json.loads(json_path.read_text(encoding="utf-8")).get("source", "source-unsaid")
    return f"{source}:{json_path.parent.name}/{json_path.stem}"


@pytest.mark.parametrize("page", fixture_pages(), ids=page_id)
def test_profile_reads_its_page_as_the_json_says(page):
    expected, html = read_fixture(page)
    assert expected.get("source") == "model", (
        "every stored page is one of our model's; a captured page belongs in ../shared/real-pages/, not in the repo")
    profile = get_profile(page.parent.name)
    got = extract_article(html, expected["url"], profile)

    assert got.title == expected["title"]
    assert got.subtitle == expected["subtitle"]
    assert got.body == expected["body"]
    assert got.published == expected["published"]
    assert got.author == expected["author"]
    for name in SHOWN_FIELDS:
        if name in expected:
            assert getattr(got, name) == expected[name], name
    assert got.comments.comments == expected["comments"]
    assert got.comments.next_url == expected["next_url"]
    assert got.comments.block_found == expected.get("comments_block", True)

    read_by = {**READ_BY, **expected.get("read_by", {})}
    assert {step: got.notes.get(step) for step in read_by} == read_by
    assert not got.notes["missing"] and not got.notes.get("problems")
    assert got.notes.get("selectors", {}) == {}  # every field read by its first selector
    if profile.layouts:
        # Read by the layout of the model's theme, picked by the article's date.
        layout = expected["read_with_layout"]
        assert got.notes["layout"].startswith(layout + ", ") and "(by published " in got.notes["layout"]

    for text in [got.title, got.subtitle, *got.body, got.author]:
        assert not looks_like_mojibake(text) and BOM not in text


@pytest.mark.parametrize("site", sorted(PROFILES))
def test_every_profile_has_fixtures(site):
    pages = fixture_pages(site)
    assert pages, f"the {site!r} profile has no fixture: add its model to tests/make_fixtures.py and run it"
    html = {p.stem for p in (FIXTURES / site).glob("*.html")}
    assert html == {p.stem for p in pages}, "every page needs its JSON and every JSON its page"


def test_every_fixture_folder_is_a_profile():
    assert set(fixture_sites()) <= set(PROFILES)
