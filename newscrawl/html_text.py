"""Text and elements out of an lxml tree: the primitives that extraction
(newscrawl/extract.py), the comment detector and the comment signals share.

- `text_lines`: the visible text under an element, a line per block or <br>;
- `element_text`: the same as one line;
- `select`: a CSS selector (with ::text / ::attr()) on a plain lxml element,
  compiled once and cached.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urljoin, urlsplit

from lxml import etree
from parsel.csstranslator import HTMLTranslator

from newscrawl.text import clean_lines, one_line

# Elements whose start and end break a line of text.
BLOCK_TAGS = frozenset((
    "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "td", "th",
    "ul",
))
# Elements that never hold text a reader sees.
INVISIBLE_TAGS = frozenset(("script", "style", "noscript", "template", "head", "title"))


def text_lines(element, excluded=frozenset()) -> list[str]:
    """Lines of visible text under `element`, one per block or <br>-separated run.

    `excluded` is a set of lxml elements to skip entirely (their tail text,
    which belongs to the parent, is kept).

    Walked with an explicit stack, not recursion: a page may nest elements
    thousands deep (broken or hostile markup), far past Python's recursion
    limit, and lxml parses such pages (huge_tree) without complaint.
    """
    if not len(element):
        return _leaf_lines(element, excluded)
    lines: list[str] = []
    current: list[str] = []

    def flush():
        if current:
            lines.append("".join(current))
            current.clear()

    # The stack holds, in reverse page order, elements still to read, the
    # tails that follow them (str) and _BLOCK_END where a block closes.
    stack: list = [element]
    while stack:
        item = stack.pop()
        if item is _BLOCK_END:
            flush()
            continue
        if isinstance(item, str):
            current.append(item)
            continue
        tag = item.tag if isinstance(item.tag, str) else None
        if tag is None or item in excluded or tag in INVISIBLE_TAGS:
            # Comments, processing instructions, excluded or invisible blocks.
            if tag in BLOCK_TAGS:
                flush()
            continue
        tag = tag.lower()
        if tag == "br":
            flush()
            continue
        block = tag in BLOCK_TAGS
        if block:
            flush()
            stack.append(_BLOCK_END)
        if item.text:
            current.append(item.text)
        _push_children(item, stack)
    flush()
    return clean_lines(lines)


def _push_children(item, stack: list) -> None:
    """`item`'s children and their tails onto the walk's stack, the first child on top."""
    for child in reversed(item):
        if child.tail:
            stack.append(child.tail)
        stack.append(child)


_BLOCK_END = object()  # text_lines' marker: the block element being read ends here


def _leaf_lines(element, excluded) -> list[str]:
    """text_lines of an element without children (most comment fields): its
    own text is its one line. The same rules as the walk, without setting it up."""
    tag = element.tag if isinstance(element, etree._Element) else None
    if isinstance(element, str):
        line = one_line(element)
    elif not isinstance(tag, str) or tag in INVISIBLE_TAGS or element in excluded or tag.lower() == "br":
        return []
    else:
        line = one_line(element.text)
    return [line] if line else []


def element_text(element) -> str:
    """The visible text of one element as a single line (blocks and <br> become spaces).

    What " ".join(text_lines(element)) gives, in one walk without the lines:
    joining the lines with spaces and collapsing white space is collapsing
    the text with a space wherever a line would break (every comment's text
    and author is read this way)."""
    if isinstance(element, str):
        return one_line(element)
    if not len(element):
        return _leaf_line(element)
    pieces: list[str] = []
    stack: list = [element]  # as in text_lines: elements still to read and their tails, in reverse page order
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            pieces.append(item)
            continue
        tag = item.tag
        if not isinstance(tag, str) or tag in INVISIBLE_TAGS:
            continue  # (no block tag is invisible: nothing to break)
        tag = tag.lower()
        if tag == "br":
            pieces.append(" ")
            continue
        if tag in BLOCK_TAGS:
            pieces.append(" ")
            stack.append(" ")
        if item.text:
            pieces.append(item.text)
        for child in reversed(item):
            if child.tail:
                stack.append(child.tail)
            stack.append(child)
    return one_line("".join(pieces))


def _leaf_line(element) -> str:
    """The one line of an element without children, as text_lines reads it."""
    tag = element.tag if isinstance(element, etree._Element) else None
    if not isinstance(tag, str) or tag in INVISIBLE_TAGS or tag.lower() == "br":
        return ""
    return one_line(element.text)


@functools.lru_cache(maxsize=1024)
def _compiled(css: str) -> etree.XPath:
    """A profile selector compiled once. Parsel would translate and build an
    XPath evaluator on every call; a comment thread makes dozens of calls per
    page, and that was most of the extraction time."""
    return etree.XPath(class_test_on_attributes(_TRANSLATOR.css_to_xpath(css)), smart_strings=False)


_TRANSLATOR = HTMLTranslator()

# cssselect's test for one class on any element, as a step of its own.
_ANY_WITH_CLASS = re.compile(r"\*\[@class and contains\(@class, '([^']*)'\) and "
                             r"contains\(concat\(' ', normalize-space\(@class\), ' '\), ' \1 '\)\](?!\[)")


def class_test_on_attributes(xpath: str) -> str:
    """`xpath` with each `*[class test]` step (a class selector without a
    tag: ".article-author") asked of the class attributes instead, and the
    element taken as their parent: the same elements, in the same order,
    in half the time (libxml2 then tests only the elements that have a
    class, not every element of the page)."""
    return _ANY_WITH_CLASS.sub(
        r"*/@class[contains(., '\1') and contains(concat(' ', normalize-space(.), ' '), ' \1 ')]/..", xpath)


_XML_SPACE = str.maketrans("\t\n\r", "   ")


def join_url(base: str, href: str) -> str | None:
    """`href` resolved against `base`, or None when no URL parser can read
    them ("http://[" opens an IPv6 address it never closes; urljoin raises).
    A page may hold anything in a link: one such link must not stop the
    reading of the page it is on."""
    try:
        joined = urljoin(base, href)
        urlsplit(joined)
    except ValueError:
        return None
    return joined


def class_tokens(value: str) -> frozenset[str]:
    """The tokens of a class attribute as CSS selectors (through XPath's
    normalize-space) see them: split on XML white space only, not on NBSP or
    form feed. Every walk that tells classes apart uses this, so a selector
    matches the same elements walked or compiled to XPath. Remembered: a
    page repeats a few class attributes on hundreds of elements (every
    comment's "comment-author"), and looking one up costs a fifth of
    splitting it (not a long one: what a hostile page holds is not kept)."""
    return _class_tokens(value) if len(value) <= 200 else _tokens(value)


def _tokens(value: str) -> frozenset[str]:
    return frozenset(value.translate(_XML_SPACE).split(" "))


_class_tokens = functools.lru_cache(maxsize=4096)(_tokens)


def select(node, css: str) -> list:
    """Elements (or attribute / text strings, for ::attr() and ::text) that
    `css` matches under the lxml element `node`, as parsel's .css() would."""
    simple = simple_css(css)
    # Walked here: a named tag (lxml picks those out in C), or any element of
    # a small subtree (a comment). A whole page without a tag name is XPath's.
    if simple is None or not (simple[0] or node.getparent() is not None and len(node) < 50):
        return _compiled(css)(node)
    tag, classes, attribute = simple
    one = min(classes) if classes else None  # a token of the attribute is in it: most elements fail here
    found = []
    for element in node.iter(tag) if tag else node.iter():
        if not isinstance(element.tag, str):
            continue  # an HTML comment or processing instruction
        if classes:
            value = element.get("class")
            if not value or one not in value or not classes <= class_tokens(value):
                continue
        take(element, attribute, found)
    return found


def take(element, attribute: str | None, found: list) -> None:
    """Add a matched element to `found`, or its `attribute` (a `::attr()`
    selector) when it has one: what every simple-selector walk keeps."""
    if attribute is None:
        found.append(element)
    else:
        value = element.get(attribute)
        if value is not None:
            found.append(value)


_SIMPLE = re.compile(r"([a-z][a-z0-9]*)?((?:\.[A-Za-z_][\w-]*)*)(?:::attr\(([A-Za-z_][\w:-]*)\))?")


@functools.lru_cache(maxsize=1024)
def simple_css(css: str) -> tuple | None:
    """(tag, classes, attribute) for the selectors most profiles use
    (`li.comment`, `.comment-author`, `time.comment-date::attr(datetime)`),
    matched by walking the subtree: a comment's few elements are walked
    faster than an XPath evaluator is set up. None for anything else."""
    match = _SIMPLE.fullmatch(css.strip())
    if not match or not (match.group(1) or match.group(2) or match.group(3)):
        return None
    classes = frozenset(c for c in match.group(2).split(".") if c)
    return match.group(1), classes, match.group(3)
