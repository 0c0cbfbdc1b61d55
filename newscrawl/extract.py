"""Turn an article page into fields, driven by a site profile.

Nothing here knows a site: selectors come from the profile
(newscrawl/sites/<site>.py). The body is read block by block in page order:
every block element and every <br> starts a new line, and the blocks the
profile lists as "not body" (related-article boxes, ads, scripts, figures
with their captions) are skipped. When the profile finds no body at all,
Trafilatura extracts it, and the extraction notes say so.
"""

from __future__ import annotations

import copy
import functools
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector
from parsel.csstranslator import HTMLTranslator

from newscrawl.dates import parse_date, to_iso
from newscrawl.sites.base import SiteProfile
from newscrawl.text import clean_lines, one_line

logger = logging.getLogger(__name__)

# Elements whose start and end break a line of text.
BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd details dialog div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre "
    "section summary table tbody thead tfoot tr td th ul".split()
)
# Elements that never hold text a reader sees.
INVISIBLE_TAGS = frozenset(("script", "style", "noscript", "template", "head", "title"))


@dataclass
class PageComments:
    comments: list[dict] = field(default_factory=list)
    next_url: str | None = None
    block_found: bool = False
    problems: list[str] = field(default_factory=list)


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


def text_lines(element, excluded=frozenset()) -> list[str]:
    """Lines of visible text under `element`, one per block or <br>-separated run.

    `excluded` is a set of lxml elements to skip entirely (their tail text,
    which belongs to the parent, is kept).
    """
    lines: list[str] = []
    current: list[str] = []

    def flush():
        if current:
            lines.append("".join(current))
            current.clear()

    def walk(el):
        tag = el.tag if isinstance(el.tag, str) else None
        if tag is None or el in excluded or tag in INVISIBLE_TAGS:
            # Comments, processing instructions, excluded or invisible blocks.
            if tag in BLOCK_TAGS:
                flush()
            return
        tag = tag.lower()
        if tag == "br":
            flush()
            return
        block = tag in BLOCK_TAGS
        if block:
            flush()
        if el.text:
            current.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                current.append(child.tail)
        if block:
            flush()

    walk(element)
    flush()
    return clean_lines(lines)


def element_text(element) -> str:
    """The visible text of one element as a single line (blocks and <br> become spaces)."""
    return " ".join(text_lines(element))


@functools.lru_cache(maxsize=1024)
def _compiled(css: str) -> etree.XPath:
    """A profile selector compiled once. Parsel would translate and build an
    XPath evaluator on every call; a comment thread makes dozens of calls per
    page, and that was most of the extraction time."""
    return etree.XPath(_TRANSLATOR.css_to_xpath(css), smart_strings=False)


_TRANSLATOR = HTMLTranslator()


def select(node, css: str) -> list:
    """Elements (or attribute / text strings, for ::attr() and ::text) that
    `css` matches under the lxml element `node`, as parsel's .css() would."""
    simple = _simple(css)
    # Walked here: a named tag (lxml picks those out in C), or any element of
    # a small subtree (a comment). A whole page without a tag name is XPath's.
    if simple is None or not (simple[0] or node.getparent() is not None and len(node) < 50):
        return _compiled(css)(node)
    tag, classes, attribute = simple
    found = []
    for element in node.iter(tag) if tag else node.iter():
        if not isinstance(element.tag, str):
            continue  # an HTML comment or processing instruction
        if classes and not classes <= set((element.get("class") or "").split()):
            continue
        if attribute is None:
            found.append(element)
        else:
            value = element.get(attribute)
            if value is not None:
                found.append(value)
    return found


_SIMPLE = re.compile(r"([a-z][a-z0-9]*)?((?:\.[A-Za-z_][\w-]*)*)(?:::attr\(([A-Za-z_][\w:-]*)\))?")


@functools.lru_cache(maxsize=1024)
def _simple(css: str):
    """(tag, classes, attribute) for the selectors most profiles use
    (`li.comment`, `.comment-author`, `time.comment-date::attr(datetime)`),
    matched by walking the subtree: a comment's few elements are walked
    faster than an XPath evaluator is set up. None for anything else."""
    match = _SIMPLE.fullmatch(css.strip())
    if not match or not (match.group(1) or match.group(2) or match.group(3)):
        return None
    classes = frozenset(c for c in match.group(2).split(".") if c)
    return match.group(1), classes, match.group(3)


def page_selector(html: str, url: str) -> Selector:
    """A Selector over the page, parsed as parsel does (huge pages allowed, NUL
    bytes dropped) but into plain lxml elements: lxml.html's element classes
    cost a lookup per element touched, and nothing here uses their methods."""
    body = html.strip().replace("\x00", "").encode("utf-8") or b"<html/>"
    root = etree.fromstring(body, parser=_PARSER, base_url=url)
    if root is None:
        root = etree.fromstring(b"<html/>", parser=_PARSER)
    return Selector(root=root, type="html")


_PARSER = etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)


def _values(node, css: str):
    """Every non-empty value `css` yields: attribute values or element texts.
    A U+FEFF (a byte-order mark that leaked into the text) is not text."""
    for found in select(node, css):
        value = one_line((found if isinstance(found, str) else element_text(found)).strip("\ufeff"))
        if value:
            yield value


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
    text = (text or "").translate(_DIGITS)
    match = _SIGNED_NUMBER.search(text)
    if not match:
        return None
    return int(match.group().replace("\u2212", "-").replace(" ", ""))


_DIGITS = str.maketrans({**{chr(0x0660 + d): str(d) for d in range(10)}, **{chr(0x06F0 + d): str(d) for d in range(10)}})


def _excluded_elements(container, selectors: tuple[str, ...]) -> set:
    if not selectors:
        return set()
    return set(select(container, ", ".join(selectors)))


def extract_body(sel: Selector, profile: SiteProfile) -> tuple[list[str], int | None]:
    """Lines of every element the first fruitful body selector matches (a
    container, or each paragraph: `div.article-content p`), in page order."""
    # The comments block is never body text, even when sloppy markup (an
    # unclosed <div>) puts it inside the body container.
    root = sel.root
    not_body = (*profile.body_exclude, *filter(None, [profile.comments.block]))
    excluded = _excluded_elements(root, not_body)
    for index, css in enumerate(profile.body):
        matches = select(root, css)
        roots = set(matches)
        lines = []
        for match in matches:
            ancestors = set(match.iterancestors())
            if ancestors & roots or match in excluded or ancestors & excluded:
                continue  # inside another match (already read) or inside a block that is not body
            lines += text_lines(match, excluded)
        if lines:
            return lines, index
    return [], None


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
    found = select(node, css)
    if not found:
        return ""
    first = found[0]
    return first if isinstance(first, str) else etree.tostring(first, encoding="unicode", with_tail=False)


def _element_part(css: str) -> str:
    """`a.next::attr(href)` -> `a.next`: the element a value selector reads."""
    return css.split("::", 1)[0]


def _parse_posted(value: str, profile: SiteProfile) -> str | None:
    return to_iso(parse_date(value, tz=profile.timezone)) if value else None


def _holding_replies(items: list, roots: set, block) -> set:
    """The comment items with other comment items (replies) inside them."""
    holding = set()
    for item in items:
        for ancestor in item.iterancestors():
            if ancestor in roots:
                holding.add(ancestor)  # the block itself may be a comment (schema.org markup)
            if ancestor is block:
                break
    return holding


def _without_replies(item, roots: set):
    """The comment element `item` without the replies nested in it (WordPress
    threads): they are comments of their own, and their author, date or text
    must not fill in for this one's."""
    if not any(node in roots for node in item.iterdescendants()):
        return item
    clone = copy.deepcopy(item)
    nested = [copy_node for node, copy_node in zip(item.iterdescendants(), clone.iterdescendants())
              if node in roots]
    for node in nested:
        parent = node.getparent()
        if parent is not None:
            parent.remove(node)
    return clone


def extract_comments(sel: Selector, profile: SiteProfile, base_url: str) -> PageComments:
    """The comments shown on one page (article page or a comments page)."""
    rules = profile.comments
    result = PageComments()
    page = sel.root
    blocks = select(page, rules.block) if rules.block else []
    if not blocks:
        return result
    result.block_found = True
    block = blocks[0]
    id_pattern = re.compile(rules.site_id_pattern)
    items = select(block, rules.item)
    roots = set(items)
    holding_replies = _holding_replies(items, roots, block)
    for item in items:
        if item in holding_replies:
            item = _without_replies(item, roots)
        raw_id = _first_string(item, rules.site_id)
        id_match = id_pattern.search(raw_id)
        text = " ".join(element_text(t) for t in select(item, rules.text))
        title, _ = _first_value(item, rules.title)
        author, _ = _first_value(item, rules.author)
        posted, _ = _first_value(item, rules.posted_at)
        comment = {
            "comment_id": id_match.group(1) if id_match else None,
            "title": title,
            "author": author,
            "text": one_line(text),
            "posted_at": _parse_posted(posted, profile),
        }
        if rules.likes:
            comment["likes"] = parse_count(_first_value(item, rules.likes)[0])
        result.comments.append(comment)
    if not result.comments:
        # A block with something in it but no comment we could read is a
        # template change, not an article without comments: say so.
        not_comments = tuple(css for css in (rules.header, _element_part(rules.next_page or "")) if css)
        if text_lines(block, _excluded_elements(block, not_comments)):
            result.problems.append("comments block found but no comment could be read")
    # WordPress puts the comment page links beside the list, not in it.
    href = (_first_string(block, rules.next_page) or _first_string(page, rules.next_page)) if rules.next_page else None
    if href and href.strip():
        result.next_url = urljoin(base_url, href.strip())
    return result


def _by_trafilatura(html: str, url: str, out: ExtractedArticle, notes: dict) -> None:
    import trafilatura  # imported late: it is slow to import and rarely needed

    document = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                           include_tables=False, favor_recall=True)
    lines = clean_lines((document.text or "").split("\n")) if document else []
    for name in ("title", "author"):
        value = one_line(getattr(document, name, None) or "") if document else ""
        if not getattr(out, name) and value:
            setattr(out, name, value)
            notes.setdefault("trafilatura", []).append(name)
    if lines and lines[0] == out.title:
        lines = lines[1:]  # Trafilatura's text starts with the headline it also reports as title
    out.body = lines
    notes["body"] = "trafilatura-primary" if lines else "none"
    if document and document.date and not out.published:
        out.published = to_iso(parse_date(document.date, tz="UTC"))
        notes.setdefault("trafilatura", []).append("published")


def extract_article(html: str, url: str, profile: SiteProfile) -> ExtractedArticle:
    """All fields of one article page. Never raises on bad HTML; missing
    fields are empty and listed in ``notes["missing"]``."""
    sel = page_selector(html, url)
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

    out.tags = _all_values(sel.root, profile.tags)
    if profile.body:
        out.body, index = extract_body(sel, profile)
        notes["body"] = "profile"
        if not out.body:
            out.body = trafilatura_body(html, url)
            notes["body"] = "trafilatura" if out.body else "none"
    else:
        # A profile without body selectors (the generic spider): Trafilatura
        # is the method, for the body and for whatever the selectors missed.
        _by_trafilatura(html, url, out, notes)

    out.comments = extract_comments(sel, profile, url)
    if out.comments.problems:
        notes.setdefault("problems", []).extend(out.comments.problems)

    for name in ("title", "published"):
        if not getattr(out, name):
            notes["missing"].append(name)
    if notes["body"] not in ("profile", "trafilatura-primary"):
        notes["missing"].append("body")
    if not notes["selectors"]:
        del notes["selectors"]
    out.notes = notes
    return out
