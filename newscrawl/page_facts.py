"""What an article page states about itself, read before anything is guessed.

A page says a lot about itself in markup made for machines: JSON-LD
(`NewsArticle`, `Article`, `@graph`s of them), OpenGraph and `article:*`
meta tags, schema.org microdata (`itemprop`), RDFa (`property="dc:date"`),
`<time datetime>`, hAtom, and the byline markups of the common CMS themes
(`[itemprop=author]`, `[rel=author]`, `.author`, `.byline`, `.writeBy`,
`.post-author`, `.jeg_meta_author`, `.post-meta-author`, `<address>`, a
link to `/author/<name>/`). `read_facts` collects all of it from the parsed
page; `headline`, `published_candidates`, `date_near_headline`,
`byline_candidates` and `lead_paragraph` turn the facts into field values,
each with the name of where it came from, so that the extraction notes can
say so. `is_caption` and `block_of_text` tell the extractor where a line of
extracted text sits on the page.

Rules, each one a site-independent convention:

* The headline is the `<h1>` that the page's own `<title>`/`og:title` (or
  JSON-LD `headline`) repeats: those add the site's name around it
  ("... - اليوم السابع", "المدينة نيوز - ..."), the `<h1>` does not. Logo
  `<h1>`s ("CNN") are shorter than the headline they sit beside, so the
  longest qualifying `<h1>` wins. Without one, the title's segments (split
  at ` - `, `|`, `–`, `:`) that name the site are cut off.
* The site's names: `og:site_name`, `application-name`, JSON-LD `publisher`
  / `Organization` / `WebSite` names, microdata `publisher`, and the
  segments `<title>` adds around the headline. They are never an author,
  nor is a dateline credit to them ("(أبوظبي - البيان)").
* Dates in order of trust: JSON-LD `datePublished`, `article:published_time`,
  microdata, RDFa and hAtom publication dates, a `<time datetime>` after the
  headline, other date metas; then (the extractor's) the date written under
  the headline. The page's own UTC offset is the first non-UTC offset any
  of its machine dates carry: naive dates of the page are read in it.
* Bylines after the headline come first; bylines, dates and times inside
  comments, related-article boxes, sidebars and widgets are someone else's.
* The lead: many templates set the summary paragraph apart from the body
  container, where text extractors miss it; the page's description (JSON-LD,
  `og:description`, `<meta name=description>`) names it, and the element on
  the page that starts with the description's words is the lead.

Plain functions over lxml elements. This runs on every page of a generic
crawl: the elements are found by a few XPaths evaluated in C, and reading
the facts of a page costs 1-7 ms (Trafilatura's extraction, 25-150 ms).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta, timezone

from lxml import etree

from newscrawl.dates import is_date_only, parse_date
from newscrawl.search.arabic import normalize
from newscrawl.text import one_line

__all__ = [
    "PageFacts", "read_facts", "headline", "strip_site_name", "published_candidates", "byline_candidates",
    "clean_byline", "is_publisher", "plausible_author", "lead_paragraph", "block_of_text", "is_caption",
    "date_near_headline", "stated_offset", "offset_in_text", "fold", "outside_article", "shown_in_article",
    "BYLINE_LEAD",
]


@dataclass
class PageFacts:
    """Raw statements of one page; values are one-line strings, as published."""

    h1s: list[str] = field(default_factory=list)
    titles: list[tuple[str, str]] = field(default_factory=list)  # (source, text): og:title, <title>, json-ld...
    site_names: list[str] = field(default_factory=list)
    dates: list[tuple[str, str]] = field(default_factory=list)  # (source, raw) publication dates, best first
    offset: timedelta | None = None  # the page's own UTC offset, from its aware machine dates
    offset_from: str = ""
    authors: list[tuple[str, str]] = field(default_factory=list)  # (source, name), best first
    descriptions: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    headline_element: etree._Element | None = None  # the <h1> a title repeats: the headline, if any
    # Where the article's header is: the headline <h1>, else the first <h1>
    # that is not the site's name. Dates and bylines after it are the article's.
    anchor: etree._Element | None = None


# --- JSON-LD --------------------------------------------------------------------

_ARTICLE_TYPES = re.compile(r"(Article|BlogPosting|Report|LiveBlogPosting)$")
_ORGANIZATION_TYPES = re.compile(r"(Organization|WebSite|NewsMediaOrganization|Corporation)$")


def json_ld_objects(root) -> list[dict]:
    """Every JSON-LD object of the page: top-level objects, lists of them and
    `@graph` members. A script that is not valid JSON is skipped: sites ship
    broken ones, and the rest of the page still says what it says."""
    found: list[dict] = []
    for script in root.getroottree().getroot().iter("script"):
        # As XPath's translate() lowers only A-Z: no other character lowers into "application/ld+json".
        if (script.get("type") or "").lower() != "application/ld+json":
            continue
        text = (script.text or "").strip()
        text = re.sub(r"^\s*(<!--|<!\[CDATA\[)|(-->|\]\]>)\s*$", "", text)
        try:
            data = json.loads(text, strict=False)  # strict=False: raw newlines inside strings are common
        except (ValueError, RecursionError):  # not JSON, or nested past what the parser takes
            continue
        found.extend(_flatten(data))
    return found


def _flatten(data, depth: int = 0) -> list[dict]:
    if depth > 3:
        return []
    if isinstance(data, list):
        return [obj for item in data for obj in _flatten(item, depth + 1)]
    if not isinstance(data, dict):
        return []
    return [data, *_flatten(data.get("@graph"), depth + 1)]


def _types(obj: dict) -> list[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return [v.rsplit("/", 1)[-1] for v in values if isinstance(v, str)]


def is_article(obj: dict) -> bool:
    return any(_ARTICLE_TYPES.search(t) for t in _types(obj))


def _ld_text(value) -> str:
    """A JSON-LD text value: entities decoded (sites escape twice: "&quot;"), one line."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), "")
    return one_line(html.unescape(value)) if isinstance(value, str) else ""


def ld_names(value, by_id: dict[str, dict], depth: int = 0) -> list[str]:
    """Names in an `author`/`publisher` value: a string, an object with
    `name` (or only an `@id` pointing into the graph), or a list of those
    (nested a few deep at most: a hostile page nests them past the stack)."""
    if isinstance(value, list):
        return [name for item in value for name in ld_names(item, by_id, depth + 1)] if depth < 5 else []
    if isinstance(value, str):
        return [_ld_text(value)] if _ld_text(value) else []
    if isinstance(value, dict):
        if "name" not in value and isinstance(value.get("@id"), str) and value["@id"] in by_id:
            value = by_id[value["@id"]]
        name = _ld_text(value.get("name"))
        return [name] if name else []
    return []


# --- meta tags, microdata, RDFa ----------------------------------------------------

def meta_tags(root) -> dict[str, list[str]]:
    """`<meta>` contents by property / name / itemprop, lower-cased key, in page order."""
    tags: dict[str, list[str]] = {}
    for meta in _METAS(root):
        content = one_line(html.unescape(meta.get("content") or ""))
        if not content:
            continue
        for attribute in ("property", "name", "itemprop"):
            key = (meta.get(attribute) or "").strip().lower()
            if key:
                for part in key.split():  # RDFa allows several: property="rnews:name schema:name"
                    tags.setdefault(part, []).append(content)
    return tags


_METAS = etree.XPath("//meta[@content]")
_H1S = etree.XPath("//h1")
_TITLE = etree.XPath("string(//head/title | //title)")
_PUBLISHER_NAMES = etree.XPath("//*[@itemprop='publisher']//*[@itemprop='name']")
# Class or id tokens of the blocks beside an article: its comments, related
# articles, sidebars, widgets, share bars. Matched at the start of a token
# ("comment-list", "related-posts"), so a layout wrapper such as
# "content-sidebar-wrap" around the article is not one of them.
_NOT_ARTICLE = re.compile(r"^(?:comment|respond|related|sidebar|widget|most-?read|popular|share|social)",
                          re.IGNORECASE)


def _element_value(element, attributes: tuple[str, ...] = ("content", "datetime", "title")) -> str:
    """The value an element states: its content/datetime attribute (an
    <abbr title> for hAtom dates), else its text."""
    for attribute in attributes:
        value = element.get(attribute)
        if value and value.strip():
            return one_line(value)
    return one_line(element.xpath("string()"))


def outside_article(element) -> bool:
    """True inside comments, related-article boxes, sidebars, widgets and
    footers: their dates and names are someone else's."""
    in_article = element.xpath("boolean(ancestor-or-self::article)")
    for node in (element, *element.iterancestors()):
        if node.tag in ("body", "html"):
            break  # body classes describe the layout ("has-sidebar"), not a block
        if node.tag in ("aside", "nav") or (node.tag == "footer" and not in_article):
            return True  # an <article>'s own <footer> is where HTML puts its author
        tokens = f"{node.get('class') or ''} {node.get('id') or ''}".split()
        if any(_NOT_ARTICLE.match(token) for token in tokens):
            return True
    return False


# --- one pass over the elements ----------------------------------------------------

@dataclass
class _Marked:
    """The elements that state a byline or a date, with their page order (an
    XPath per markup cost more than this one walk, on every page)."""

    position: dict = field(default_factory=dict)  # <h1> -> its place in page order
    bylines: list = field(default_factory=list)  # (place, element)
    dates: list = field(default_factory=list)  # (place, element, source)
    times: list = field(default_factory=list)  # (place, <time datetime>)


_DATE_PROPS = frozenset(("datePublished", "dateCreated"))
_RDFA_DATES = frozenset(("dc:date", "dc:created", "dcterms:created", "schema:datePublished"))


# Elements that may state a byline or a date, in page order: found in C by
# attribute tests loose enough for every markup below (a class *containing*
# "author"); the exact tests run in Python on these few.
_CANDIDATES = etree.XPath(  # a union of attribute steps: libxml2 runs it faster than one predicate on every element
    "//@class[contains(., 'author') or contains(., 'byline') or contains(., 'writeBy') or contains(., 'published')]/.."
    " | //@itemprop/.. | //@rel/.. | //@property/.. | //h1 | //time[@datetime] | //address"
    " | //a[contains(@href, '/author/')]"
)


def _scan(root) -> _Marked:
    marked = _Marked()
    for place, element in enumerate(_CANDIDATES(root)):
        tag, get = element.tag, element.get
        if tag == "h1":
            marked.position[element] = place
        elif tag == "time" and (get("datetime") or "").strip():
            marked.times.append((place, element))
        if _is_byline(element, tag):
            marked.bylines.append((place, element))
        if tag != "meta":  # <meta> dates are read with the other metas
            source = _date_markup(element, tag)
            if source:
                marked.dates.append((place, element, source))
    return marked


def _is_byline(element, tag: str) -> bool:
    get = element.get
    if "author" in (get("itemprop") or "").split() or "author" in (get("rel") or "").split():
        return True
    classes = get("class")
    if classes and not BYLINE_CLASSES.isdisjoint(classes.split()):
        return True
    return tag == "address" or (tag == "a" and "/author/" in (get("href") or ""))


def _date_markup(element, tag: str) -> str:
    """"itemprop", "rdfa" or "hatom" for an element marked as the publication date."""
    get = element.get
    if not _DATE_PROPS.isdisjoint((get("itemprop") or "").split()):
        return "itemprop"
    if not _RDFA_DATES.isdisjoint((get("property") or "").split()):
        return "rdfa"
    if tag == "abbr" and get("title") and "published" in (get("class") or "").split():
        return "hatom"
    return ""


# --- reading the facts -----------------------------------------------------------

def read_facts(root) -> PageFacts:
    """Everything the page states about itself (see the module docstring)."""
    facts = PageFacts()
    objects = json_ld_objects(root)
    by_id = {obj["@id"]: obj for obj in objects if isinstance(obj.get("@id"), str)}
    articles = [obj for obj in objects if is_article(obj)]
    meta = meta_tags(root)
    marked = _scan(root)

    facts.h1s = [text for text in (one_line(h.xpath("string()")) for h in _H1S(root)) if text]
    for obj in articles:
        for key in ("headline", "name"):
            if _ld_text(obj.get(key)):
                facts.titles.append(("json-ld", _ld_text(obj.get(key))))
                break
    for key, source in (("og:title", "og:title"), ("twitter:title", "twitter:title")):
        facts.titles += [(source, value) for value in meta.get(key, [])[:1]]
    page_title = one_line(_TITLE(root))
    if page_title:
        facts.titles.append(("title", page_title))

    facts.site_names = _site_names(root, objects, articles, meta, by_id)
    facts.descriptions = _descriptions(articles, meta)
    facts.sections = [s for obj in articles for s in _as_list(obj.get("articleSection"))]
    facts.headline_element = _headline_h1(root, facts)
    facts.anchor = facts.headline_element if facts.headline_element is not None else _first_h1(root, facts)
    facts.site_names += title_site_names(facts)

    facts.dates = _dates(marked, objects, articles, meta, facts.anchor)
    facts.offset, facts.offset_from = _page_offset(facts.dates, articles, meta)
    facts.authors = [("json-ld", name) for obj in articles for name in ld_names(obj.get("author"), by_id)]
    facts.authors += _markup_bylines(marked, facts.anchor)
    facts.authors += [("meta", value) for value in meta.get("author", [])[:1]]
    return facts


def _as_list(value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [_ld_text(v) for v in values if _ld_text(v)]


def _site_names(root, objects, articles, meta, by_id) -> list[str]:
    names = [*meta.get("og:site_name", []), *meta.get("application-name", [])]
    for obj in articles:
        names += ld_names(obj.get("publisher"), by_id)
    for obj in objects:
        if any(_ORGANIZATION_TYPES.search(t) for t in _types(obj)):
            names += [n for n in (_ld_text(obj.get("name")), _ld_text(obj.get("alternateName"))) if n]
    names += [_element_value(e) for e in _PUBLISHER_NAMES(root)]
    return list(dict.fromkeys(n for n in names if n))


def _descriptions(articles, meta) -> list[str]:
    found = [_ld_text(obj.get("description")) for obj in articles]
    for key in ("og:description", "description", "twitter:description"):
        found += meta.get(key, [])[:1]
    return list(dict.fromkeys(d for d in found if d))


# --- headline and site name ------------------------------------------------------

# A separator between a headline and the site's name: " - ", " | ", " – ", ": ".
_SEPARATOR = re.compile(r"\s*[|–—]\s*|\s+-+\s*|\s*-+\s+|\s*:\s+|\s+:-?\s*")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_LETTERS = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Matching form: search folding (alef, yeh, teh marbuta, harakat, digits, case) and only letters and digits."""
    return "".join(_LETTERS.findall(normalize(text or "")))


def _segments(text: str) -> list[str]:
    return [part for part in _SEPARATOR.split(text) if part.strip()]


def _headline_h1(root, facts: PageFacts):
    """The <h1> that a title of the page repeats: longest first, since a logo
    <h1> ("CNN", the site name) is also inside "<headline> - CNN"."""
    titles = [fold(text) for _, text in facts.titles]
    best = None
    for element in _H1S(root):
        text = one_line(element.xpath("string()"))
        folded = fold(text)
        if not folded or is_publisher(text, facts.site_names):
            continue
        if any(folded in title and _covers_title(folded, title) for title in titles) and (
                best is None or len(folded) > len(fold(best.xpath("string()")))):
            best = element
    return best


def _first_h1(root, facts: PageFacts):
    return next((h for h in _H1S(root) if one_line(h.xpath("string()"))
                 and not is_publisher(one_line(h.xpath("string()")), facts.site_names)), None)


def _covers_title(h1: str, title: str) -> bool:
    """The h1 is the title's main part, not one word of it (a section name)."""
    return len(h1) * 2 >= len(title) or len(h1) >= 25


def title_site_names(facts: PageFacts) -> list[str]:
    """The segments a page's titles add around its headline: the site's name,
    sometimes its sections ("<h1> - عبر الإمارات - البيان"). The headline is
    the <h1> a title repeats, or a title that another one repeats with more
    around it; a segment that opens one title and closes another
    ("المدينة نيوز - <h>" and "<h> - المدينة نيوز") is a name too."""
    titles = [text for _, text in facts.titles]
    cores = [one_line(facts.headline_element.xpath("string()"))] if facts.headline_element is not None else titles
    names = []
    for text in titles:
        for core in cores:
            folded_core, folded_text = fold(core), fold(text)
            if folded_core and folded_core in folded_text and folded_core != folded_text:
                names += [s for s in _segments(text) if fold(s) and fold(s) not in folded_core]
    for first in titles:
        for second in titles:
            names += _swapped_end(_segments(first), _segments(second))
    return list(dict.fromkeys(one_line(n) for n in names))


def _swapped_end(a: list[str], b: list[str]) -> list[str]:
    """The segment that opens `a` and closes `b`. When the two titles are the
    same two parts swapped, the shorter part is the name, the other the headline."""
    if len(a) < 2 or len(b) < 2 or fold(a[0]) != fold(b[-1]) or fold(a[0]) == fold(b[0]):
        return []
    if fold(a[-1]) == fold(b[0]) and len(fold(a[-1])) < len(fold(a[0])):
        return []  # a[-1] is the name: found when the titles are taken the other way round
    return [a[0]]


def strip_site_name(text: str, site_names: list[str]) -> str:
    """`text` without the site's name on either side of a separator. A Latin
    segment at an end of an Arabic title ("- Sputnik Arabic") is a name too."""
    text = one_line(text)
    while True:
        parts = list(_split_ends(text))
        if not parts:
            return text
        for rest, segment in parts:
            if _names_site(segment, site_names) or (_ARABIC.search(rest) and _is_latin_name(segment)):
                text = rest
                break
        else:
            return text


def _split_ends(text: str):
    """(rest, end segment) for the first and the last separator of `text`."""
    matches = list(_SEPARATOR.finditer(text))
    if not matches:
        return
    first, last = matches[0], matches[-1]
    if first.start() > 0:
        yield one_line(text[first.end():]), text[:first.start()]
    if last.end() < len(text):
        yield one_line(text[:last.start()]), text[last.end():]


def _names_site(segment: str, site_names: list[str]) -> bool:
    folded = fold(segment)
    return bool(folded) and any(folded == fold(n) or (len(folded) >= 3 and folded in fold(n))
                                or (len(fold(n)) >= 3 and fold(n) in folded and len(folded) <= len(fold(n)) + 4)
                                for n in site_names)


def _is_latin_name(segment: str) -> bool:
    return not _ARABIC.search(segment) and bool(re.search("[A-Za-z]", segment)) and len(segment.split()) <= 4


def headline(facts: PageFacts) -> tuple[str, str]:
    """(headline, source): the <h1> a title repeats, else the first title
    the page states (JSON-LD, og:title, twitter:title, <title>) without the
    site's name, else the first <h1>."""
    if facts.headline_element is not None:
        return one_line(facts.headline_element.xpath("string()")), "h1"
    for source, text in facts.titles:
        stripped = strip_site_name(text, facts.site_names)
        if stripped and not is_publisher(stripped, facts.site_names):
            return stripped, source
    for text in facts.h1s:
        if not is_publisher(text, facts.site_names):
            return text, "h1"
    return "", ""


# --- authors -----------------------------------------------------------------------

# The common byline markups: schema.org microdata (itemprop=author), HTML's
# rel=author, the class names of the usual CMS themes, an <address> (HTML's
# element for an article's author's contact) and a link to an author's page
# (WordPress: /author/<name>/). As CSS: [itemprop~=author], [rel~=author],
# .byline, .writeBy, .post-author, .jeg_meta_author, .post-meta-author,
# .author, address, a[href*="/author/"].
BYLINE_CLASSES = frozenset(("byline", "writeBy", "post-author", "jeg_meta_author", "post-meta-author", "author"))
_ITEM_NAME = etree.XPath(".//*[@itemprop='name']")

# Words that introduce a byline: "كتب", "كتبت", "بقلم", "حوار:", "By".
BYLINE_WORDS = ("كتب", "كتبت", "كتبه", "بقلم", "حوار", "إعداد", "اعداد", "تقرير", "تحرير", "الكاتب", "الكاتبة",
                "المحرر", "by", "written by", "author", "von", "par")
BYLINE_LEAD = re.compile(
    r"^\s*(?:" + "|".join(sorted(map(re.escape, BYLINE_WORDS), key=len, reverse=True))
    + r")(?![^\W\d_])\s*[:：\-–]?\s*",
    re.IGNORECASE,
)


def _markup_bylines(marked: _Marked, anchor) -> list[tuple[str, str]]:
    """Names in byline markup outside comments and sidebars: those after the
    headline first (a byline sits under it), then the rest in page order."""
    start = marked.position.get(anchor, -1)
    after = [e for position, e in marked.bylines if position > start]
    before = [e for position, e in marked.bylines if position <= start]
    found = []
    for element in after + before:
        if outside_article(element):
            continue
        names = _ITEM_NAME(element)
        value = _element_value(names[0]) if names else _element_value(element, ("content",))
        if value:
            found.append(("byline", value))
    return found


_WORD_START = re.compile(r"(?<!\S)\S")


def clean_byline(text: str) -> str:
    """A byline as a name: the lead words ("كتبت", "بقلم الكاتب:", "By") and
    a date after the name ("أحمد سالم | 3 مايو 2020", "X 3 مايو 2020") go;
    the name stays as written."""
    text = one_line(text)
    for _ in range(2):  # "بقلم الكاتب: ..." has two
        text = BYLINE_LEAD.sub("", text, count=1)
    for start in _WORD_START.finditer(text):
        if start.start() and is_date_only(text[start.start():]):
            text = text[:start.start()]
            break
    return one_line(text).strip(" :-–|•·,،")


def is_publisher(name: str, site_names: list[str]) -> bool:
    """The site's own name (or a dateline credit to it, "(أبوظبي - البيان)"),
    which a page puts where an author goes when the article has none."""
    folded = fold(name)
    if not folded:
        return False
    for site in site_names:
        site_folded = fold(site)
        if not site_folded:
            continue
        if folded == site_folded or (len(folded) >= 3 and folded in site_folded):
            return True
        if site_folded in folded:
            # What is left once the site's name is taken out: one word (a
            # place) is a credit line, two or more may be a person's name.
            rest = normalize(name).replace(normalize(site), " ")
            if len(_LETTERS.findall(rest)) <= 1:
                return True
    return False


def plausible_author(name: str, facts: PageFacts, title: str = "") -> bool:
    """A name a reader would take for the writer's: short, no address or
    file name, no date, not the site's name, not the headline."""
    words = name.split()
    if not 1 <= len(words) <= 8 or len(name) > 80:
        return False
    if re.search(r"\bhttps?\b|www\.|@|\b(?:png|jpe?g|gif|svg|webp)\b", name, re.IGNORECASE):
        return False
    if sum(ch.isdigit() for ch in name) > 2 or is_date_only(name):
        return False
    if title and fold(name) == fold(title):
        return False
    return not is_publisher(name, facts.site_names)


def shown_in_article(root, name: str) -> bool:
    """True when `name` is written on the page outside comments and sidebars:
    a guessed author (Trafilatura's) that only a comment shows is a commenter."""
    element = block_of_text(root, name)
    return element is not None and not outside_article(element)


def byline_candidates(facts: PageFacts) -> list[tuple[str, str]]:
    """(name, source) of the authors the page states, cleaned, best first."""
    return [(clean_byline(name), source) for source, name in facts.authors if clean_byline(name)]


# --- dates -------------------------------------------------------------------------

_META_DATES = ("article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
               "publish-date", "publish_date", "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.created",
               "date", "sailthru.date", "parsely-pub-date", "article.published")


def _dates(marked: _Marked, objects, articles, meta, anchor) -> list[tuple[str, str]]:
    """(source, raw) of the publication dates the page states, in order of trust."""
    dates = [("json-ld", _ld_text(obj.get(key))) for key in ("datePublished", "dateCreated") for obj in articles]
    dates += [("meta", value) for value in meta.get("article:published_time", [])[:1]]
    dates += [("meta", value) for value in meta.get("datepublished", [])[:1]]  # <meta itemprop|name=datePublished>
    dates += [(source, _element_value(e)) for _, e, source in marked.dates if not outside_article(e)]
    dates += [("time", value) for value in _article_times(marked, anchor)[:1]]
    dates += [("meta", value) for key in _META_DATES[1:] for value in meta.get(key, [])[:1]]
    # A page typed WebPage rather than Article still dates itself.
    dates += [("json-ld", _ld_text(obj.get("datePublished"))) for obj in objects
              if obj not in articles and any(t.endswith("Page") for t in _types(obj))]
    return [(source, value) for source, value in dates if value]


def _article_times(marked: _Marked, anchor) -> list[str]:
    """<time datetime> values of the article: after its headline (a header's
    date widget comes before it), outside comments and sidebars."""
    start = marked.position.get(anchor, -1)
    return [one_line(t.get("datetime")) for position, t in marked.times
            if position > start and not outside_article(t)]


def _page_offset(dates, articles, meta) -> tuple[timedelta | None, str]:
    """The page's own UTC offset: the first non-UTC one among its machine
    dates (a CMS that writes "Z" everywhere still says nothing about the
    zone its visible times are in), else UTC when that is all it states."""
    values = [(s, v) for s, v in dates]
    values += [("json-ld", _ld_text(obj.get("dateModified"))) for obj in articles]
    values += [("meta", value) for key in ("article:modified_time", "og:updated_time", "datemodified")
               for value in meta.get(key, [])]
    utc_source = ""
    for source, value in values:
        offset = stated_offset(value) if value else None
        if offset is None:
            continue
        if offset:
            return offset, source
        utc_source = utc_source or source
    return (timedelta(0), utc_source) if utc_source else (None, "")


_FAR_ZONE_A = timezone(timedelta(hours=-11))
_FAR_ZONE_B = timezone(timedelta(hours=13))


def stated_offset(value: str) -> timedelta | None:
    """The UTC offset a date value writes itself ("+04:00", "Z", "18:02 GMT+3"),
    or None for a naive date (or no date). A date read as the same instant
    whatever zone naive dates are put in states its own offset."""
    first = parse_date(value, _FAR_ZONE_A)
    if first is None or first != parse_date(value, _FAR_ZONE_B):
        return None
    return first.utcoffset()


_GMT_OFFSET = re.compile(r"(?:GMT|UTC)\s*([+\-\u2212])\s*(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)


def offset_in_text(value: str) -> timedelta | None:
    """An offset written beside a date that has no time of its own
    ("الأربعاء، 28 آب 2013، آخر تحديث 14:00 (GMT+0400)": the day is shown in GMT+4)."""
    match = _GMT_OFFSET.search(value or "")
    if not match:
        return None
    size = timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))
    if size > timedelta(hours=14):
        return None
    return size if match.group(1) == "+" else -size


def published_candidates(facts: PageFacts) -> list[tuple[str, str]]:
    """(raw date, source) of what the page states, best first."""
    return [(raw, source) for source, raw in facts.dates]


_FOLLOWING = etree.XPath("following::*[position() <= 40]")


def date_near_headline(facts: PageFacts) -> str:
    """The date written under the headline ("الأربعاء، 28 آب/اغسطس 2013"):
    the first short element after the <h1> that holds a date and nothing else."""
    if facts.anchor is None:
        return ""
    for element in _FOLLOWING(facts.anchor):
        if element.tag in ("script", "style") or outside_article(element):
            continue
        text = one_line(element.xpath("string()"))
        if text and len(text) <= 150 and is_date_only(text):
            return text
    return ""


# --- body: lead paragraph, captions ----------------------------------------------

_TEXT_WITH = etree.XPath("//body//text()[contains(normalize-space(.), $needle)]")
_BLOCKS = frozenset(("p", "div", "section", "article", "header", "li", "td", "blockquote", "figcaption", "figure",
                     "h2", "h3", "h4", "h5", "h6", "dd"))
_INVISIBLE = frozenset(("script", "style", "noscript", "template", "title", "head"))


def block_of_text(root, text: str) -> etree._Element | None:
    """The block element (p, div, figcaption...) whose text holds the start of
    `text` (a line of extracted body), or None. The first six words are
    looked for in one text node, then the first three (inline markup such as
    a bold dateline splits a line's text), and the block must hold all six."""
    words = text.split()
    start = fold(" ".join(words[:6]))
    for size in (6, 3):
        if size == 3 and len(words) <= 3:
            break
        for node in _TEXT_WITH(root, needle=" ".join(words[:size])):
            element = _block_around(node)
            if element is not None and start in fold(element.xpath("string()")):
                return element
    return None


def _block_around(node):
    """The nearest block element holding the text node `node`, unless it is invisible (a script)."""
    element = node.getparent()
    if element is not None and node.is_tail:
        element = element.getparent()
    if element is None or any(a.tag in _INVISIBLE for a in (element, *element.iterancestors())):
        return None
    while element is not None and element.tag not in _BLOCKS:
        element = element.getparent()
    return element


def lead_paragraph(root, facts: PageFacts, body_lines: list[str]) -> str:
    """The lead (summary) paragraph when the body lacks it: the page element
    that starts as the page's description does. "" when the body already
    starts with it or the page shows no such element."""
    body = fold(" ".join(body_lines))
    for description in facts.descriptions:
        words = description.split()
        if len(words) < 8:
            continue  # "| Lebanon News": not a summary of anything
        if fold(" ".join(words[:6])) in body:
            return ""  # the body already has it
        element = block_of_text(root, " ".join(words[:6]))
        if element is None or outside_article(element) or not _after(facts.anchor, element):
            continue  # not shown, or in a sidebar, or a tagline above the headline
        lead = one_line(element.xpath("string()"))
        if fold(lead).startswith(fold(" ".join(words[:6]))) and len(lead) <= 3 * len(description) + 200:
            return lead
    return ""


def _after(anchor, element) -> bool:
    """`element` comes after the headline <h1> `anchor` (True when there is none)."""
    return anchor is None or anchor in _PRECEDING_H1S(element) or anchor in element.iterancestors()


_PRECEDING_H1S = etree.XPath("preceding::h1")
_IMAGE = etree.XPath(".//img | .//picture | .//video")


def is_caption(root, line: str) -> bool:
    """A line that is an image's caption: in a <figure>/<figcaption>, an
    element marked as a caption, or the text of a small block that holds
    an image and hardly anything else."""
    if len(line.split()) > 25:
        return False
    element = block_of_text(root, line)
    if element is None:
        return False
    for depth, node in enumerate((element, *element.iterancestors())):
        if depth > 3 or node.tag in _PAGE_PARTS:
            break
        marks = f"{node.get('class') or ''} {node.get('id') or ''}".lower()
        if node.tag in ("figure", "figcaption") or "caption" in marks:
            return True
        if _IMAGE(node):
            # The image's own box: this line and hardly any other text. (A <p>
            # with an inline image and its text is a paragraph.)
            return node.tag != "p" and len(one_line(node.xpath("string()"))) <= len(line) + 10
    return False


_PAGE_PARTS = frozenset(("body", "html", "article", "main"))
