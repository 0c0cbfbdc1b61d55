"""Write tests/fixtures/<site>/: pages of our model sites next to the JSON a
correct extraction gives (Fundus-style golden tests, run by tests/test_profiles.py).

The expected JSON comes from the model's fields, never from the extractor.
Every page written here is a model page ("source": "model"); captured real
pages live only in ../shared/real-pages/ and are never written into the repo.

Run it only when a model's markup changes on purpose, and read the diff:
    .venv/bin/python tests/make_fixtures.py              # every site
    .venv/bin/python tests/make_fixtures.py --site alquds
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newscrawl.samplesite import generate_site  # noqa: E402
from newscrawl.samplesite.alquds import COMMENTS_PER_PAGE, generate_alquds  # noqa: E402
from newscrawl.samplesite.base import renderer_for  # noqa: E402
from newscrawl.samplesite.hespress import generate_hespress  # noqa: E402
from newscrawl.samplesite.model import REFERENCE_ID, ModelArticle, SiteModel  # noqa: E402
from newscrawl.samplesite.wordpress import generate_wordpress  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Pick:
    """One stored page: a model article's comment page `page`, its thread cut
    into pages of `per_page` (None: every comment on the article page)."""

    name: str
    article: ModelArticle
    page: int = 1
    per_page: int | None = 20


@dataclass(frozen=True)
class ModelSite:
    """How one site's model is turned into fixtures: its pages, URLs and the
    fields its pages show beyond the ones every site has."""

    renderer: str  # the model's markup (newscrawl/samplesite/<renderer>.py)
    base_url: str
    generate: Callable[[], SiteModel]
    picks: Callable[[SiteModel], list[Pick]]
    layout: Callable[[ModelArticle], str]  # the template, in words, for the reader of the JSON
    page_url: Callable[[str, ModelArticle, int], str]  # (base, article, page): the URL the page is served at
    # The next comment page's link as the page shows it, when not its page_url.
    next_link: Callable[[str, ModelArticle, int], str] | None = None
    shown_fields: tuple[str, ...] = ()  # of "section", "canonical" (given by `canonical`), "tags"
    canonical: Callable[[str, ModelArticle], str] | None = None  # (base, article)
    replies: Callable[[Pick, int], int | None] = lambda pick, index: None  # parent's index on the page
    # What the JSON says besides the extracted fields: the model's theme, and
    # how the profile must read the page where that is not how a profile with
    # selectors does (see READ_BY in tests/test_profiles.py).
    extra: Callable[[ModelArticle], dict] = lambda article: {}


def expected(site: ModelSite, pick: Pick) -> dict:
    """What a correct extraction of the page gives, from the model's fields."""
    article, page, per_page = pick.article, pick.page, pick.per_page
    shown = article.comments[(page - 1) * per_page : page * per_page] if per_page else article.comments
    fields = {
        "section": article.section,
        "canonical": site.canonical(site.base_url, article) if site.canonical else None,
        "tags": article.tags,
    }
    data = {
        "title": article.title,
        "subtitle": article.subtitle,
        "body": article.body,
        "published": article.published.isoformat(timespec="seconds"),
        "author": article.author,
        **{name: fields[name] for name in site.shown_fields},
        "comments": [comment(c, site.replies(pick, i)) for i, c in enumerate(shown)],
    }
    pages = max(1, -(-len(article.comments) // per_page)) if per_page else 1
    data["next_url"] = (site.next_link or site.page_url)(site.base_url, article, page + 1) if page < pages else None
    return data


def comment(c, parent: int | None) -> dict:
    likes = {} if c.likes is None else {"likes": c.likes}  # only where the site shows them
    return {
        "comment_id": str(c.comment_id) if c.comment_id else None,
        "title": c.title,
        "author": c.author,
        "text": c.text,
        "posted_at": c.posted_at.isoformat(timespec="seconds"),
        **likes,
        "parent": parent,
        "depth": 0 if parent is None else 1,
    }


# --- the sites -------------------------------------------------------------------


def elaph_picks(model: SiteModel) -> list[Pick]:
    articles, crawlable = model.articles, model.crawlable()
    return [
        Pick("reference_2015", model.by_id(REFERENCE_ID)),
        Pick("windows1256_declared", next(a for a in articles if a.encoding == "cp1256")),
        Pick("windows1256_undeclared", next(a for a in articles if a.encoding == "cp1256-undeclared")),
        Pick("windows1256_mislabelled", next(a for a in articles if a.encoding == "cp1256-mislabelled")),
        Pick("utf8_declared_windows1256", next(a for a in articles if a.encoding == "utf-8-mislabelled")),
        Pick("sloppy_markup", next(a for a in articles if a.broken_html)),
        Pick("no_subtitle_no_comments", next(a for a in crawlable if not a.subtitle and not a.comments)),
        Pick("br_in_body", next(a for a in crawlable
                                if a.style % 3 == 2 and a.encoding == "utf-8" and len(a.body) > 6)),
        Pick("comments_page_2", next(a for a in crawlable if len(a.comments) > 40), 2),
    ]


def hespress_picks(model: SiteModel) -> list[Pick]:
    with_everything = max(
        (a for a in model.articles if a.tags),
        key=lambda a: (any(c.likes < 0 for c in a.comments), any(not c.author for c in a.comments), len(a.comments)),
    )
    return [  # every comment is on the article page: no comment pages
        Pick("comments_likes_tags", with_everything, per_page=None),
        Pick("no_comments_no_tags", next(a for a in model.articles if not a.comments and not a.tags), per_page=None),
        Pick("br_and_figure", next(a for a in model.articles if a.style % 12 == 9 and a.comments), per_page=None),
        Pick("figure_and_ad", next(a for a in model.articles
                                   if a.style % 6 == 0 and a.comments and a.published.year >= 2018), per_page=None),
    ]


def alquds_picks(model: SiteModel) -> list[Pick]:
    crawlable = model.crawlable()
    long_thread = next(a for a in crawlable if len(a.comments) > COMMENTS_PER_PAGE)
    return [
        Pick("old_theme_2016", max((a for a in crawlable if a.published.year == 2016), key=lambda a: len(a.comments)),
             1, COMMENTS_PER_PAGE),
        # The old theme's comment page links: the same post cut into pages of 5.
        Pick("old_theme_comments_page_2",
             max((a for a in crawlable if a.theme == "old"), key=lambda a: len(a.comments)), 2, 5),
        Pick("new_theme_thread_page_1", long_thread, 1, COMMENTS_PER_PAGE),
        Pick("new_theme_thread_page_3", long_thread, 3, COMMENTS_PER_PAGE),
        Pick("new_theme_no_comments", next(a for a in crawlable if a.theme == "new" and not a.comments),
             1, COMMENTS_PER_PAGE),
    ]


def alquds_url(base: str, article: ModelArticle, page: int) -> str:
    return f"{base}/?p={article.article_id}" + (f"&cpage={page}" if page > 1 else "")


# The profile's layout that must read each theme of the model (newscrawl/sites/alquds.py).
ALQUDS_LAYOUT_OF_THEME = {"old": "old theme (hAtom)", "new": "core-style theme"}


def wordpress_picks(model: SiteModel) -> list[Pick]:
    list_markup = [a for a in model.articles if a.style % 2 == 0]  # odd styles show schema.org microdata
    return [
        Pick("wordpress_nested_replies", next(a for a in list_markup if 6 < len(a.comments) <= 20)),
        Pick("wordpress_microdata_page_2", next(a for a in model.articles if a.style % 2 == 1 and len(a.comments) > 40),
             2),
    ]


def wordpress_reply_parent(pick: Pick, index: int) -> int | None:
    """The WordPress model nests every third comment of a page in the one
    before it (newscrawl/samplesite/wordpress.py), in its list markup only."""
    if pick.article.style % 2 == 1 or index == 0 or index % 3:
        return None
    return index - 1


# Keyed by the profile that reads the pages, which is also their folder.
SITES = {
    "elaph": ModelSite(
        renderer="elaph", base_url="https://elaph.com",
        generate=lambda: generate_site(40), picks=elaph_picks,
        layout=lambda article: "Elaph model template (shared/spec/elaph-site-model.md), 2010-2025",
        page_url=lambda base, article, page: f"{base}{article.path}" + (f"?cpage={page}" if page > 1 else ""),
    ),
    "hespress": ModelSite(
        renderer="hespress", base_url="https://www.hespress.com",
        generate=generate_hespress, picks=hespress_picks,
        layout=lambda article: "Hespress model template (newscrawl/samplesite/hespress.py), 2020-2025",
        page_url=lambda base, article, page: base + article.path,
        shown_fields=("section", "canonical", "tags"),
        canonical=lambda base, article: base + article.path,
    ),
    "alquds": ModelSite(
        renderer="alquds",
        base_url="http://www.alquds.co.uk",  # [V] the URL form of the 2016 page
        generate=generate_alquds, picks=alquds_picks,
        layout=lambda article: f"Al-Quds model, {article.theme} WordPress theme ({article.published.year})",
        page_url=alquds_url,
        next_link=lambda base, article, page: alquds_url(base, article, page) + "#comments",
        shown_fields=("section", "canonical"),
        canonical=lambda base, article: f"{base}/?p={article.article_id}",
        extra=lambda article: {"theme": article.theme, "read_with_layout": ALQUDS_LAYOUT_OF_THEME[article.theme]},
    ),
    # The generic profile's model: a WordPress blog it has no selectors for.
    "generic": ModelSite(
        renderer="wordpress", base_url="https://blog.example.org",
        generate=lambda: generate_wordpress(10), picks=wordpress_picks,
        layout=lambda article: "WordPress model theme (newscrawl/samplesite/wordpress.py), read by Trafilatura "
                               "and the comment detector",
        page_url=lambda base, article, page: f"{base}{article.path}" + (f"comment-page-{page}/" if page > 1 else ""),
        shown_fields=("section", "canonical"),
        canonical=lambda base, article: base + article.path,
        replies=wordpress_reply_parent,
        extra=lambda article: {"read_by": {"body": "trafilatura-primary", "comments": "detector"},
                               "comments_block": False},
    ),
}


def write_site(name: str) -> None:
    site = SITES[name]
    model = site.generate()
    renderer = renderer_for(site.renderer)
    folder = FIXTURES / name
    folder.mkdir(parents=True, exist_ok=True)
    for pick in site.picks(model):
        headers, body = renderer.article_response(pick.article, site.base_url, pick.page,
                                                     pick.per_page or model.comments_per_page)
        data = {
            "source": "model",
            "url": site.page_url(site.base_url, pick.article, pick.page),
            "content_type": headers["Content-Type"],
            "layout": site.layout(pick.article),
            **site.extra(pick.article),
            **expected(site, pick),
        }
        (folder / f"{pick.name}.html").write_bytes(body)
        text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
        (folder / f"{pick.name}.json").write_text(text, encoding="utf-8")
        print(f"{name}/{pick.name}: {pick.article.path} page {pick.page}, {len(pick.article.comments)} comments")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", choices=sorted(SITES), help="regenerate one site's fixtures (default: every site)")
    args = parser.parse_args(argv)
    for name in [args.site] if args.site else sorted(SITES):
        write_site(name)


if __name__ == "__main__":
    main()
