"""Turn an article page into fields, driven by a site profile.

Nothing here knows a site: selectors come from the profile
(newscrawl/sites/<site>.py). The body is read block by block in page order:
every block element and every <br> starts a new line, and the blocks the
profile lists as "not body" (related-article boxes, ads, scripts, figures
with their captions) are skipped. When the profile finds no body at all,
Trafilatura extracts it, and the extraction notes say so. A profile without
body selectors (the generic one) is read by newscrawl/generic_article.py.

Comments: the profile's block and items, or its items without a block;
when they read nothing, the generic detector (newscrawl/comment_detector.py).
Whether the page shows a thread the profile missed is judged here too
(newscrawl/comment_signals.py), for the run's health.
"""

from __future__ import annotations

import copy
import functools
import logging
import re
from dataclasses import dataclass, field
from datetime import date

from lxml import etree
from parsel import Selector

from newscrawl.comment_detector import detect_comments
from newscrawl.comment_signals import comment_signals
from newscrawl.dates import iso_date, parse_date
from newscrawl.generic_article import read_generic, stated_fallbacks

# The text primitives, here as before for the modules and tests that import them from extract.
from newscrawl.html_text import (  # noqa: F401
    BLOCK_TAGS,
    INVISIBLE_TAGS,
    class_tokens,
    element_text,
    join_url,
    select,
    simple_css,
    take,
    text_lines,
)
from newscrawl.sites.base import Layout, SiteProfile
from newscrawl.text import ARABIC_DIGITS, clean_lines, one_line

logger = logging.getLogger(__name__)

@dataclass
class PageComments:
    comments: list[dict] = field(default_factory=list)
    # Links to the thread's other pages, the likeliest next first.
    next_urls: list[str] = field(default_factory=list)
    block_found: bool = False
    problems: list[str] = field(default_factory=list)
    # How the comments were read: "profile" (its block and items), "profile
    # items" (its items, with no block around them), "detector" (the generic
    # detector, newscrawl/comment_detector.py), or "none".
    method: str = "none"
    detected: object = None  # the detector's DetectedThread, when it ran and found a thread
    shown: int | None = None  # the count the page prints about its thread (article pages)
    signals: list[str] = field(default_factory=list)  # what else shows a thread (newscrawl/comment_signals.py)
    elements: list = field(default_factory=list, repr=False)  # the profile's comment elements (lxml), page order
    # Set when the page shows a thread that the profile's selectors did not
    # read: the comments field failing, for the health check.
    failure: str | None = None

    @property
    def next_url(self) -> str | None:
        return self.next_urls[0] if self.next_urls else None


@dataclass
class ExtractedArticle:
    title: str = ""
    subtitle: str = ""
    body: list[str] = field(default_factory=list)
    published: str | None = None
    author: str = ""
    section: str = ""
    canonical: str | None = None
    tags: list[str] = field(default_factory=list)
    comments: PageComments = field(default_factory=PageComments)
    # Which selector or method produced each field, and what was missing.
    notes: dict = field(default_factory=dict)


def page_selector(html: str, url: str) -> Selector:
    """A Selector over the page, parsed as parsel does (huge pages allowed, NUL
    bytes dropped) but into plain lxml elements: lxml.html's element classes
    cost a lookup per element touched, and nothing here uses their methods."""
    body = html.strip().replace("\x00", "").encode("utf-8") or b"<html/>"
    root = etree.fromstring(body, parser=_PARSER, base_url=url)
    if any(e.type_name == "ERR_RESOURCE_LIMIT" and "depth" in e.message for e in _PARSER.error_log):
        # libxml2 stops reading at 2048 open elements (256 without huge_tree)
        # and drops the rest of the page without an error. Browsers flatten
        # such trees instead; read the page again with the deepest tags
        # dropped, so their text lands in the element above them.
        logger.warning("%s: elements nested deeper than %d; the deepest tags are ignored, their text kept",
                       url, MAX_DEPTH)
        root = etree.fromstring(cap_depth(body, MAX_DEPTH), parser=_PARSER, base_url=url)
    if root is None:
        root = etree.fromstring(b"<html/>", parser=_PARSER)
    return Selector(root=root, type="html")


_PARSER = etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
# Depth kept when a page nests deeper than the parser reads: well below
# libxml2's 2048, since cap_depth counts elements HTML closes implicitly (<p>, <li>) as open.
MAX_DEPTH = 1000
_TAG = re.compile(rb"""<!--.*?(?:-->|\Z)|<(/?)([A-Za-z][A-Za-z0-9:-]*)(?:"[^"]*"|'[^']*'|[^'">])*?(/?)>""", re.DOTALL)
_VOID_TAGS = frozenset(b"area base basefont br col embed frame hr img input isindex keygen link meta param source "
                       b"track wbr".split())
_RAW_TEXT_TAGS = frozenset(b"script style textarea title xmp iframe noembed noframes noscript".split())


def cap_depth(body: bytes, limit: int) -> bytes:
    """`body` without the start tags that open more than `limit` elements
    deep, nor their end tags. A tokenizer, not a parser: implicitly closed
    elements count as open, so it may drop more tags than needed; text is never dropped."""
    out: list[bytes] = []
    stack: list[tuple[bytes, bool]] = []  # open elements: (name, kept)
    open_names: dict[bytes, int] = {}
    kept = copied = pos = 0
    while (match := _TAG.search(body, pos)) is not None:
        pos = match.end()
        closing, name, self_closing = match.groups()
        if name is None:
            continue  # an HTML comment
        name = name.lower()
        drop = False
        if closing:
            if not open_names.get(name):
                continue  # a stray end tag: the parser ignores it
            while True:  # closes it and whatever is still open inside it
                top, top_kept = stack.pop()
                open_names[top] -= 1
                kept -= top_kept
                if top == name:
                    drop = not top_kept
                    break
        elif name in _RAW_TEXT_TAGS:
            end = re.compile(rb"</" + re.escape(name) + rb"\s*>", re.IGNORECASE).search(body, pos)
            pos = end.end() if end else len(body)  # its text may hold anything that looks like a tag
            continue
        elif not self_closing and name not in _VOID_TAGS:
            drop = kept >= limit
            stack.append((name, not drop))
            open_names[name] = open_names.get(name, 0) + 1
            kept += not drop
        if drop:
            out.append(body[copied:match.start()])
            copied = match.end()
    out.append(body[copied:])
    return b"".join(out)


def _values(node, css: str):
    """Every non-empty value `css` yields: attribute values or element texts.
    A U+FEFF (a byte-order mark that leaked into the text) is not text."""
    return _values_of(select(node, css))


def _values_of(matches: list):
    for found in matches:
        value = _value(found)
        if value:
            yield value


def _value(found) -> str:
    """An attribute value or an element's text, on one line, without a U+FEFF at either end."""
    if isinstance(found, str):
        return one_line(found.strip("\ufeff"))
    text = element_text(found)  # on one line already
    stripped = text.strip("\ufeff")
    return text if len(stripped) == len(text) else one_line(stripped)


def _first_value(node, selectors: tuple[str, ...]) -> tuple[str, int | None]:
    """Value of the first selector that yields non-empty text, and its index."""
    for index, css in enumerate(selectors):
        for value in _values(node, css):
            return value, index
    return "", None


def _all_values(node, selectors: tuple[str, ...]) -> list[str]:
    seen = {}
    for css in selectors:
        for value in _values(node, css):
            seen.setdefault(value, None)
    return list(seen)


_SIGNED_NUMBER = re.compile(r"[-\u2212+]?\s*\d+")


def parse_count(text: str) -> int | None:
    """A shown count (likes) as an int: Arabic-Indic digits, a minus sign or U+2212."""
    text = (text or "").translate(ARABIC_DIGITS)
    match = _SIGNED_NUMBER.search(text)
    if not match:
        return None
    return int(match.group().replace("\u2212", "-").replace(" ", ""))




def _excluded_elements(container, selectors: tuple[str, ...]) -> set:
    if not selectors:
        return set()
    by_tag = _tags_and_classes(selectors)
    if by_tag is None:
        return set(select(container, ", ".join(selectors)))
    # Every selector names a tag (`script`, `div.ad`): lxml picks those
    # elements out in one walk, in C, where XPath walked the page once per
    # selector of the union; the classes are tested as XPath tests them.
    return {element for element in container.iter(*by_tag) if _selected(element, by_tag)}


def _selected(element, by_tag: dict[str, list[frozenset] | None]) -> bool:
    """Whether one of the selectors _tags_and_classes read into `by_tag` selects `element`."""
    tag = element.tag
    if tag not in by_tag:
        return False
    wanted = by_tag[tag]
    if wanted is None:
        return True  # the tag alone is excluded
    value = element.get("class")
    # A class token is a substring of the attribute: most elements fail that test, cheaply.
    return bool(value) and any(all(c in value for c in classes) and classes <= class_tokens(value)
                               for classes in wanted)


@functools.lru_cache(maxsize=64)
def _tags_and_classes(selectors: tuple[str, ...]) -> dict[str, list[frozenset] | None] | None:
    """tag -> the class sets that select it (None: the tag alone does),
    when every selector is a tag with classes or none; else None."""
    by_tag: dict[str, list[frozenset] | None] = {}
    for css in selectors:
        simple = simple_css(css)
        if simple is None or not simple[0] or simple[2] is not None:
            return None
        tag, classes = simple[0], simple[1]
        if not classes or by_tag.get(tag, []) is None:
            by_tag[tag] = None
        else:
            by_tag.setdefault(tag, []).append(classes)
    return by_tag


def extract_body(sel: Selector, profile: SiteProfile) -> tuple[list[str], int | None]:
    """Lines of every element the first fruitful body selector matches (a
    container, or each paragraph: `div.article-content p`), in page order."""
    # The comments block is never body text, even when sloppy markup (an
    # unclosed <div>) puts it inside the body container.
    root = sel.root
    not_body = (*profile.body_exclude, *filter(None, [profile.comments and profile.comments.block]))
    by_tag = _tags_and_classes(not_body) if not_body else {}
    # Selectors of tags (the usual): what they exclude is looked for in the
    # body's matches and their ancestors only, not in the whole page (its
    # comment thread, menus and boxes are most of its elements).
    page_excluded = _excluded_elements(root, not_body) if by_tag is None else None
    for index, css in enumerate(profile.body):
        matches = select(root, css)
        roots = set(matches)
        lines = []
        above: dict = {}  # ancestor -> whether it is excluded, asked once for all the matches below it
        for match in matches:
            ancestors = list(match.iterancestors())
            if roots.intersection(ancestors):
                continue  # inside another match: already read
            if page_excluded is not None:
                if match in page_excluded or page_excluded.intersection(ancestors):
                    continue  # inside a block that is not body
                lines += text_lines(match, page_excluded)
                continue
            if _selected(match, by_tag) or any(_selected_above(a, by_tag, above) for a in ancestors):
                continue
            lines += text_lines(match, _excluded_elements(match, not_body))
        if lines:
            return lines, index
    return [], None


def _selected_above(element, by_tag: dict, known: dict) -> bool:
    if element not in known:
        known[element] = _selected(element, by_tag)
    return known[element]


def trafilatura_body(html: str, url: str | None = None) -> list[str]:
    """Body lines by Trafilatura: the fallback when the profile finds no body."""
    import trafilatura  # imported late: it is slow to import and rarely needed

    text = trafilatura.extract(
        html, url=url, include_comments=False, include_tables=False, favor_recall=True
    )
    return clean_lines((text or "").split("\n"))


def _first_string(node, css: str) -> str:
    """What parsel's .css(css).get() gives: the first match as a string
    (an element as its markup)."""
    return _string_of(select(node, css))


def _string_of(found: list) -> str:
    if not found:
        return ""
    first = found[0]
    return first if isinstance(first, str) else etree.tostring(first, encoding="unicode", with_tail=False)


def _element_part(css: str) -> str:
    """`a.next::attr(href)` -> `a.next`: the element a value selector reads."""
    return css.split("::", 1)[0]


def _parse_posted(value: str, profile: SiteProfile) -> str | None:
    return iso_date(value, tz=profile.timezone) if value else None


def _reply_structure(items: list, roots: set) -> tuple[list[int | None], list[int]]:
    """For each item, the index of the item it is nested in (its parent) and
    its depth: WordPress, and most threads, nest a reply inside its parent."""
    index = {item: n for n, item in enumerate(items)}
    parents, depths = [], []
    for item in items:
        enclosing = [index[a] for a in item.iterancestors() if a in roots]
        parents.append(enclosing[0] if enclosing else None)
        depths.append(len(enclosing))
    return parents, depths


def _without_replies(item, roots: set):
    """The comment element `item` without the replies nested in it (WordPress
    threads): they are comments of their own, and their author, date or text
    must not fill in for this one's."""
    if not any(node in roots for node in item.iterdescendants()):
        return item
    clone = copy.deepcopy(item)
    nested = [copy_node for node, copy_node in zip(item.iterdescendants(), clone.iterdescendants(), strict=True)
              if node in roots]
    for node in nested:
        parent = node.getparent()
        if parent is not None:
            parent.remove(node)
    return clone


@functools.lru_cache(maxsize=64)
def _item_selectors(rules) -> tuple[str, ...]:
    """Every selector a comment item is read with, each once."""
    return tuple(dict.fromkeys((rules.site_id, rules.text, *rules.title, *rules.author, *rules.posted_at,
                                *rules.likes)))


def select_many(node, selectors: tuple[str, ...]) -> dict[str, list]:
    """What `select(node, css)` gives for each of `selectors`, in one walk of
    the subtree where `select` would walk it: a comment is read with half a
    dozen selectors, and walking its elements once costs a fraction of a
    walk per selector."""
    by_xpath, by_tag, untagged = _walk_plan(selectors, node.getparent() is not None and len(node) < 50)
    found: dict[str, list] = {css: [] for css in selectors}
    for css in by_xpath:
        found[css] = select(node, css)  # as select() would: by XPath
    if by_tag or untagged:
        _walk_for(node, by_tag, untagged, found)
    return found


@functools.lru_cache(maxsize=256)
def _walk_plan(selectors: tuple[str, ...], walkable: bool) -> tuple[tuple, dict[str, tuple], tuple]:
    """How select_many reads `selectors`, worked out once per profile: the
    ones left to XPath, and the walked ones as (css, classes, one of the
    classes, attribute), by the tag they name (each tag's with the untagged
    ones after them) and untagged."""
    by_xpath, by_tag, untagged = [], {}, []
    for css in dict.fromkeys(selectors):
        simple = simple_css(css)
        if simple is None or not (simple[0] or walkable):
            by_xpath.append(css)
            continue
        tag, classes, attribute = simple
        # Any one of the classes: a token of the class attribute is in it as a
        # substring, so most elements are told apart without splitting it.
        walked = (css, classes, next(iter(classes)) if classes else None, attribute)
        (by_tag.setdefault(tag, []) if tag else untagged).append(walked)
    return tuple(by_xpath), {tag: (*named, *untagged) for tag, named in by_tag.items()}, tuple(untagged)


def _walk_for(node, by_tag: dict[str, tuple], untagged: tuple, found: dict[str, list]) -> None:
    """One walk of `node`'s elements, each added to the matches of the walked selectors it satisfies."""
    for element in node.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue  # an HTML comment or processing instruction
        wanted = by_tag.get(tag, untagged)
        class_value = classes = None
        for css, wanted_classes, one_class, attribute in wanted:
            if wanted_classes:
                if class_value is None:
                    class_value = element.get("class") or ""
                if one_class not in class_value:
                    continue
                if classes is None:
                    classes = class_tokens(class_value)
                if not wanted_classes <= classes:
                    continue
            take(element, attribute, found[css])


def _first_found(found: dict[str, list], selectors: tuple[str, ...]) -> str:
    """`_first_value` over matches already made (select_many)."""
    for css in selectors:
        for match in found[css]:
            value = _value(match)
            if value:
                return value
    return ""


def _read_item(item, rules, id_pattern: re.Pattern, profile: SiteProfile) -> dict:
    found = select_many(item, _item_selectors(rules))
    raw_id = _string_of(found[rules.site_id])
    id_match = id_pattern.search(raw_id)
    texts = found[rules.text]
    # One element (the usual): its text is on one line already.
    text = element_text(texts[0]) if len(texts) == 1 else one_line(" ".join(element_text(t) for t in texts))
    comment = {
        "comment_id": id_match.group(1) if id_match else None,
        "title": _first_found(found, rules.title),
        "author": _first_found(found, rules.author),
        "text": text,
        "posted_at": _parse_posted(_first_found(found, rules.posted_at), profile),
    }
    if rules.likes:
        comment["likes"] = parse_count(_first_found(found, rules.likes))
    return comment


def _profile_scope(page, rules) -> tuple[object | None, list]:
    """The element to read the profile's comment items in, and the items.

    The block that holds items wins over the first block in page order (a
    heading with id="comments" before the list). No block at all: the items
    are looked for in the whole page, since a thread does not depend on a
    wrapper that the real template may not have."""
    blocks = select(page, rules.block) if rules.block else []
    for block in blocks:
        items = select(block, rules.item)
        if items:
            return block, items
    items = select(page, rules.item) if rules.item else []
    if items:
        return None, items  # a block that holds none of them (a heading named "comments") is not the thread's
    return (blocks[0] if blocks else None), []


def _profile_comments(page, profile: SiteProfile, base_url: str, result: PageComments) -> None:
    rules = profile.comments
    block, items = _profile_scope(page, rules)
    result.block_found = block is not None
    id_pattern = re.compile(rules.site_id_pattern)
    roots = set(items)
    parents, depths = _reply_structure(items, roots)
    holding_replies = {items[p] for p in parents if p is not None}
    for item, parent, depth in zip(items, parents, depths, strict=True):
        readable = _without_replies(item, roots) if item in holding_replies else item
        comment = _read_item(readable, rules, id_pattern, profile)
        result.comments.append({**comment, "parent": parent, "depth": depth})
    if result.comments:
        result.method = "profile" if block is not None else "profile items"
        result.elements = items
    elif block is not None:
        # A block with something in it but no comment we could read is a
        # template change, not an article without comments: say so.
        not_comments = tuple(css for css in (rules.header, _element_part(rules.next_page or "")) if css)
        if text_lines(block, _excluded_elements(block, not_comments)):
            result.problems.append("comments block found but no comment could be read")
    href = _next_page_link(block, items, rules.next_page)
    if href:
        # A link no parser can read is kept as written: the fetch policy
        # refuses it, and the thread is read up to it, as for one off the site.
        result.next_urls.append(join_url(base_url, href) or href)


def _next_page_link(block, items: list, next_page: str) -> str | None:
    """The link to the thread's next page: in the block, or beside the list
    of items (where WordPress puts it); never anywhere on the page, where the
    same classes lead to the next article (WordPress's post navigation)."""
    if not next_page:
        return None
    scopes = [block] if block is not None else []
    listing = items[0].getparent() if items else None
    if listing is not None and listing.getparent() is not None:
        scopes.append(listing.getparent())
    for scope in scopes:
        href = _first_string(scope, next_page).strip()
        if href:
            return href
    return None


def extract_comments(sel: Selector, profile: SiteProfile, base_url: str) -> PageComments:
    """The comments shown on one page (article page or a comments page).

    The profile's selectors first (its block, or its items anywhere on the
    page); when they read nothing, the generic detector, so that a thread in
    markup the profile does not know is stored rather than lost. The caller
    tells a profile's failure from the detector's own use (the generic
    profile has no comment selectors) by `method`."""
    result = PageComments()
    page = sel.root
    if profile.comments is not None:
        _profile_comments(page, profile, base_url, result)
    if not result.comments:
        _detected_comments(page, profile, base_url, result)
    elif _poorly_read(result.comments):
        # The items matched, their parts did not (a theme's author or text
        # element renamed): the detector's reading, if it is whole, is kept
        # instead, and the caller counts the profile as failing.
        profile_read = list(result.comments)
        _detected_comments(page, profile, base_url, result, at_least=len(profile_read))
        without_text = sum(1 for c in profile_read if not c.get("text"))
        if result.method != "detector" and without_text * 2 > len(profile_read):
            # (A thread with no author at all may be a site of anonymous comments: not a problem by itself.)
            result.problems.append(f"no text in {without_text} of the profile's {len(profile_read)} comments")
    return result


def _poorly_read(comments: list[dict]) -> bool:
    """Most comments without text, or a thread of several without a single author."""
    without_text = sum(1 for c in comments if not c.get("text"))
    without_author = sum(1 for c in comments if not c.get("author"))
    return without_text * 2 > len(comments) or (len(comments) >= 3 and without_author == len(comments))


def _detected_comments(page, profile: SiteProfile, base_url: str, result: PageComments, at_least: int = 1) -> None:

    found = detect_comments(page, base_url, profile.timezone)
    if found is None or len(found.comments) < at_least:
        return
    if result.comments and _poorly_read(found.comments):
        return  # no better than the profile's reading
    result.method = "detector"
    result.detected = found
    result.comments = list(found.comments)
    result.next_urls = list(found.next_urls)




@functools.lru_cache(maxsize=64)
def _profile_for(profile: SiteProfile, layout: Layout) -> SiteProfile:
    return profile.with_layout(layout)


def _extract_by_layout(sel: Selector, html: str, url: str, profile: SiteProfile,
                       captured: date | None) -> ExtractedArticle:
    """Read the page with the layout its date falls in. A layout that finds
    no title or body where another does is the wrong one for this page (a
    period boundary set wrong, or an old page re-rendered): the other is
    used, and the notes say so."""
    day, source = _layout_day(sel.root, profile, captured)
    chosen = profile.layout_for(day)
    got = _extract(sel, html, url, _profile_for(profile, chosen))
    if _layout_misses(got):
        for other in profile.layouts:
            if other is chosen:
                continue
            tried = _extract(sel, html, url, _profile_for(profile, other))
            if _layout_misses(tried) < _layout_misses(got):
                tried.notes.setdefault("problems", []).append(
                    f"layout {other.name!r} read the page; its date {day} is in {chosen.name!r}'s period")
                chosen, got = other, tried
    got.notes["layout"] = f"{chosen.period} (by {source} {day})"
    return got


def _layout_misses(got: ExtractedArticle) -> int:
    """How much of the page a layout failed to read: the fields a template change loses."""
    missed = len(got.notes["missing"]) + len(got.notes.get("fallback", ())) + (got.notes.get("body") != "profile")
    return missed + (got.comments.failure is not None or bool(got.comments.problems))


def _layout_day(root, profile: SiteProfile, captured: date | None) -> tuple[date, str]:
    for css in profile.date_selectors():
        for value in _values(root, css):
            parsed = parse_date(value, tz=profile.timezone)
            if parsed is not None:
                return parsed.date(), "published"
    return captured or date.today(), "capture date"


def _judge_comments(root, url: str, profile: SiteProfile, comments: PageComments, notes: dict) -> None:
    """Say how the thread was read, and whether the profile failed it: the
    page shows comments (a printed count, JSON-LD, reply links, or items the
    detector found) and the profile's own selectors read none."""

    # `elements` is empty when no comment was read by elements (none at all, or JSON-LD): nothing to pair.
    top_level = [e for e, c in zip(comments.elements, comments.comments, strict=False) if c.get("parent") is None]
    signals = comment_signals(root, top_level, url)
    comments.shown = signals.shown
    comments.signals = signals.sources  # a printed "0 comments" too: the thread is on this page
    notes["comments"] = comments.method
    if signals.shown is not None:
        notes["comments_shown"] = signals.shown
    problems = list(comments.problems)
    has_selectors = profile.comments is not None
    read = len(comments.comments)
    if has_selectors and comments.method == "detector":
        comments.failure = f"the {profile.name} profile read no comment; the generic detector read {read}"
    elif comments.method == "none" and signals.any:
        shown = f"{signals.shown} comments" if signals.shown else "comments"
        comments.failure = f"the page shows {shown} ({', '.join(signals.sources)}) and none could be read"
    if comments.failure:
        problems.append(comments.failure)
    if problems:
        notes.setdefault("problems", []).extend(problems)


def extract_article(html: str, url: str, profile: SiteProfile, captured: date | None = None) -> ExtractedArticle:
    """All fields of one article page. Never raises on bad HTML; missing
    fields are empty and listed in ``notes["missing"]``. A profile with
    layouts is read with the layout of the article's date (or of the day
    `captured`, today by default, when the page shows no date)."""
    sel = page_selector(html, url)
    if profile.layouts:
        return _extract_by_layout(sel, html, url, profile, captured)
    return _extract(sel, html, url, profile)


def _read_body(sel: Selector, html: str, url: str, profile: SiteProfile, out: ExtractedArticle, notes: dict) -> None:
    if profile.body:
        out.body, _ = extract_body(sel, profile)
        notes["body"] = "profile"
        if not out.body:
            out.body = trafilatura_body(html, url)
            notes["body"] = "trafilatura" if out.body else "none"
    else:
        # A profile without body selectors (the generic spider): Trafilatura
        # is the method, for the body and for whatever the selectors missed.
        read_generic(html, url, sel.root, out, notes)


def _extract(sel: Selector, html: str, url: str, profile: SiteProfile) -> ExtractedArticle:
    out = ExtractedArticle()
    notes: dict = {"selectors": {}, "missing": []}

    for name in ("title", "subtitle", "author", "section", "canonical"):
        value, index = _first_value(sel.root, getattr(profile, name))
        setattr(out, name, value)
        if index:
            notes["selectors"][name] = index  # a fallback selector was used
    if not out.section:
        out.section = profile.section_from_url(out.canonical or url)

    published_raw, index = _first_value(sel.root, profile.published)
    if index:
        notes["selectors"]["published"] = index
    out.published = _parse_posted(published_raw, profile)
    if published_raw and not out.published:
        notes.setdefault("problems", []).append(f"unreadable date {published_raw[:60]!r}")
    if profile.body:
        stated_fallbacks(sel.root, out, notes, profile)

    out.tags = _all_values(sel.root, profile.tags)
    _read_body(sel, html, url, profile, out, notes)

    out.comments = extract_comments(sel, profile, url)
    _judge_comments(sel.root, url, profile, out.comments, notes)

    for name in ("title", "published"):
        if not getattr(out, name):
            notes["missing"].append(name)
    if notes["body"] not in ("profile", "trafilatura-primary"):
        notes["missing"].append("body")
    if not notes["selectors"]:
        del notes["selectors"]
    out.notes = notes
    return out
