"""The golden fixtures, tests/fixtures/<site>/<name>.html next to <name>.json
(written by tests/make_fixtures.py), and how a crawl decodes a stored page."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from newscrawl.middlewares import CharsetMiddleware

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_pages(site: str | None = None) -> list[Path]:
    """The JSON of every stored page, of one site or of all, in a stable order."""
    return sorted((FIXTURES / site).glob("*.json") if site else FIXTURES.glob("*/*.json"))


def fixture_sites() -> list[str]:
    """The sites that have a folder of fixtures."""
    return sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


@cache
def _charset_middleware() -> CharsetMiddleware:
    return CharsetMiddleware.from_crawler(get_crawler())  # a real crawler's stats collector


def decode_like_the_crawler(url: str, body: bytes, content_type: str) -> str:
    """Decode a stored page the way a crawl does: Scrapy's charset rules,
    then the project's CharsetMiddleware."""
    response = HtmlResponse(url, body=body, headers={"Content-Type": content_type}, request=Request(url))
    return _charset_middleware().process_response(response.request, response).text


def read_fixture(json_path: Path) -> tuple[dict, str]:
    """A fixture's expected extraction and its page, decoded as a crawl decodes it."""
    expected = json.loads(json_path.read_text(encoding="utf-8"))
    body = json_path.with_suffix(".html").read_bytes()
    return expected, decode_like_the_crawler(expected["url"], body, expected["content_type"])
