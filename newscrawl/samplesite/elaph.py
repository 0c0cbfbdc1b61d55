"""The Elaph model (shared/spec/elaph-site-model.md): URLs and routing; the
HTML is in render.py."""

import re
from urllib.parse import parse_qs

from newscrawl.samplesite import render
from newscrawl.samplesite.base import SiteRenderer

ARTICLE_PATH = re.compile(r"^/(?:amp/)?web/[^/]+/\d{4}/\d{1,2}/(\d+)\.html?$", re.IGNORECASE)


class ElaphRenderer(SiteRenderer):
    name = "elaph"
    disallow = ("/Web/Private/", "/search")

    def article_path(self, article) -> str:
        section = "Private" if article.disallowed else article.section
        return f"/Web/{section}/{article.published.year}/{article.published.month}/{article.article_id}{article.ext}"

    def route(self, path, query) -> tuple[int, int] | None:
        match = ARTICLE_PATH.match(path)
        if not match:
            return None
        try:
            page = int(parse_qs(query).get("cpage", ["1"])[0])
        except ValueError:
            page = 1
        return int(match.group(1)), page

    def gone(self, path) -> bool:
        return path.startswith("/Web/Gone/")  # a section the site no longer serves

    def article_response(self, article, base_url, page, per_page) -> tuple[dict, bytes]:
        return render.article_response(article, base_url, page, per_page)


RENDERER = ElaphRenderer()
