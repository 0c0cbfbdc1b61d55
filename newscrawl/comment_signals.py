"""What a page says about its own comment thread, apart from the comments.

A thread the extraction rules cannot read must not pass for an article
without comments. Pages give themselves away: they print a count ("12
تعليقات", "التعليقات (12)", "Comments (3)", "51 Kommentare"), carry
JSON-LD ``commentCount`` or ``sioc:num_replies``, or show WordPress reply
links. `comment_signals` collects them; the spider compares the count with
what was read, and treats "signals but no comments" as the comments field
failing (newscrawl/health.py).

The count is looked for only where a thread's heading or link would be: in
headings, in elements named for comments (class or id), and in links to the
comment section; never in the body text, where "12 تعليقاً" may be a number
in a sentence. A count of 0 is a count (the page says it has none).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import etree

from newscrawl.html_text import class_tokens, element_text, join_url, text_lines
from newscrawl.page_facts import is_article, json_ld_objects
from newscrawl.text import ARABIC_DIGITS

_N = r"(\d{1,6})"
# A count next to a word for "comments": before it ("12 تعليقات", "20 thoughts on")
# or after it ("التعليقات (12)", "Comments: 3"). Up to two words between.
# (Not a bare "ردود": "5 ردود فعل" are five reactions, in a headline.)
_WORDS = (r"تعليق(?:ات|ا|اً|ًا)?|التعليقات|عدد الردود|عدد التعليقات"
          r"|comments?|responses?|thoughts?|kommentare?|leser-kommentare|gedanken|commentaires?|réactions?")
_COUNT_BEFORE = re.compile(rf"(?<![\d.,]){_N}\s*(?:[^\W\d_]+\s+){{0,2}}?(?:{_WORDS})\b", re.IGNORECASE)
_COUNT_AFTER = re.compile(rf"(?:{_WORDS})\s*[(:\[]?\s*{_N}\s*[)\]]?\s*$", re.IGNORECASE)
# Elements that may hold the thread's count: named for comments, or linking to them.
_NAMED = ("comment", "respond", "responses", "repl", "discuss", "reaction", "تعليق")  # not "respon": img-responsive
_MAX_COUNT_TEXT = 80  # a heading or a link, not a paragraph
_MAX_HEADING = 300
_ANY_DIGIT = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]")
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
# Where a count is printed: headings, links, and the small inline or block
# elements themes put it in. (Not every tag: a page has thousands of divs.)
_COUNT_TAGS = (*_HEADINGS, "a", "span", "div", "p", "strong", "b", "em", "small", "li", "header", "button")
_BOXES = frozenset(("div", "p", "li", "header"))
_MAX_CHILDREN = 4  # "<h3><span>12</span> تعليقات</h3>" has one or two
_SIOC = "sioc:num_replies"
# The attributes asked, not every element for one: the same elements, in page order, five times faster.
_MICRODATA = etree.XPath('//@itemprop[. = "commentCount"]/..')


@dataclass
class CommentSignals:
    shown: int | None = None  # the count the page prints about its thread
    sources: list[str] = field(default_factory=list)  # where signals were seen: json-ld, sioc, text, reply-links

    @property
    def any(self) -> bool:
        """The page shows it has comments (a count above 0, or reply links)."""
        return bool(self.shown) or "reply-links" in self.sources


def comment_signals(root, comments=(), url: str = "") -> CommentSignals:
    """Every sign on the page at `url` that it has a comment thread, and the
    count it prints. `comments`: the top-level comment elements already read,
    whose insides (authors, dates, titles) are no place for the thread's count."""
    found = CommentSignals()
    inside = set()
    for comment in comments:
        inside.update(comment.iter())  # in C: a thread is most of a page's elements
    for source, count in (("json-ld", _json_ld_count(root)), ("sioc", _sioc_count(root)),
                          ("microdata", _microdata_count(root)),
                          ("text", _printed_count(root, inside, lambda: _own_paths(root, url)))):
        if count is not None:
            found.sources.append(source)
            if found.shown is None:
                found.shown = count
    if _has_reply_links(root):
        found.sources.append("reply-links")
    return found


def _has_reply_links(root) -> bool:
    """Whether the page has a WordPress reply link: an <a> of class
    comment-reply-link (a class token, as normalize-space splits them), or
    linking with replytocom=. Its few links, looked at in Python, cost a
    fraction of an XPath query over every element."""
    for link in root.getroottree().getroot().iter("a"):
        href = link.get("href")
        if href is not None and "replytocom=" in href:
            return True
        classes = link.get("class")
        if classes and "comment-reply-link" in class_tokens(classes):
            return True
    return False


def parse_shown_count(text: str) -> int | None:
    """The count in a heading or link such as "12 تعليقات" or "Comments (3)", else None."""
    text = " ".join(text.translate(ARABIC_DIGITS).split())
    if not text or len(text) > _MAX_HEADING:
        return None
    if len(text) > _MAX_COUNT_TEXT:
        # A long heading holds the article's title after the count
        # ("11 responses to “…”"): the count must open it.
        match = _COUNT_BEFORE.match(text)
    else:
        match = _COUNT_BEFORE.search(text)
        if match and _ANY_DIGIT.search(text, 0, match.start()):
            match = None  # "12 مارس 2024 التعليقات": a year before the word, not a count
        match = match or _COUNT_AFTER.search(text)
    return int(match.group(1)) if match else None


def _printed_count(root, inside: set = frozenset(), page_paths=frozenset) -> int | None:
    """The first count in a heading or a comment-named element or link that
    reads as one phrase (a container of several buttons is not one count),
    and that is about this page: not in a sidebar, a related or most-commented
    box, and not a link to another page's comments. `page_paths`: a
    function giving the page's own paths, asked at most once."""
    paths = functools.cache(page_paths)
    for element in root.iter(_COUNT_TAGS):
        if element in inside or (element.tag not in _HEADINGS and not _names_comments(element)):
            continue
        if element.tag in _BOXES and len(element) > _MAX_CHILDREN:
            continue  # a container (a comment, the thread), not a heading-like box: cheap to tell
        text = _short_text(element, 3 * _MAX_HEADING)
        if not text or not _ANY_DIGIT.search(text) or parse_shown_count(text) is None:
            continue  # most candidates end here, cheaply
        if _about_another_page(element, paths):
            continue
        lines = text_lines(element)
        if len(lines) == 1:
            return parse_shown_count(lines[0])
    return None


# Boxes about other articles: their counts are theirs. ("last" or "top"
# alone are layout columns, not boxes: only with what they list.)
_OFF_PAGE = re.compile(r"related|sidebar|widget|popular|teaser|trending"
                       r"|(?:most|last|latest|recent|top|more)[-_]?(?:comment|read|view|post|news|article|stor)",
                       re.IGNORECASE)


def _about_another_page(element, page_paths) -> bool:
    """A count in an aside, nav or sidebar-like box, or on a link to another
    page (`page_paths()`: the page's own, as fetched and as its canonical
    link says; looked up only for a count on a link, the rarer case)."""
    link = element if element.tag == "a" else next(element.iterancestors("a"), None)
    if link is not None and (page_paths := page_paths()):
        joined = join_url(_base(element), link.get("href") or "")
        target = urlsplit(joined) if joined is not None else None  # None: no URL, no other page
        if target is not None and target.path and target.path.rstrip("/") not in page_paths:
            return True
    for node in (element, *element.iterancestors()):
        if node.tag in ("body", "html"):
            return False
        if node.tag in ("aside", "nav"):
            return True
        if any(_OFF_PAGE.search(token) for token in f"{node.get('class') or ''} {node.get('id') or ''}".split()):
            return True
    return False


def _own_paths(root, url: str) -> set[str]:
    """The page's own paths: as fetched, and as its canonical link names it."""
    paths = {urlsplit(url).path.rstrip("/")} if url else set()
    for link in root.getroottree().getroot().iter("link"):  # //link[@rel="canonical"]/@href, in page order
        href = link.get("href")
        if href is not None and link.get("rel") == "canonical" and (joined := join_url(url, href)):
            paths.add(urlsplit(joined).path.rstrip("/"))
    return paths


_BASE = etree.XPath("//base/@href")


def _base(element) -> str:
    """The URL relative links of the page resolve against (<base href>, else the page's)."""
    tree = element.getroottree()
    found = _BASE(tree)
    return found[0] if found else (tree.docinfo.URL or "")


def _short_text(element, limit: int) -> str | None:
    """The element's text, or None when it holds more than `limit` characters
    (read no further: a comment-named container may hold a whole thread)."""
    parts, total = [], 0
    for text in element.itertext():
        total += len(text)
        if total > limit:
            return None
        parts.append(text)
    return "".join(parts)


def _names_comments(element) -> bool:
    id_, classes = element.get("id"), element.get("class")
    if not id_ and not classes and element.tag != "a":
        return False  # most elements: nothing that could name comments
    names = f'{id_ or ""} {classes or ""}'
    if element.tag == "a":
        names += " " + element.get("href", "").rpartition("#")[2]
    names = names.lower()
    return any(word in names for word in _NAMED)  # substrings: a regex costs 10x here, on every element


def _json_ld_count(root) -> int | None:
    """The article's own commentCount (or schema.org's InteractionCounter of
    CommentAction), not another object's of the same @graph."""
    objects = json_ld_objects(root)
    articles = [o for o in objects if is_article(o)]
    for data in articles or objects:
        count = _find_key(data, "commentCount")
        if count is None:
            count = _interaction_count(data)
        if count is not None:
            return count
    return None


def _interaction_count(data: dict) -> int | None:
    statistics = data.get("interactionStatistic")
    for counter in statistics if isinstance(statistics, list) else [statistics]:
        if isinstance(counter, dict) and "CommentAction" in str(counter.get("interactionType")):
            return _as_count(counter.get("userInteractionCount"))
    return None


def _find_key(data, key: str, depth: int = 0) -> int | None:
    """The first count under `key` anywhere in a JSON-LD object (an Article's
    commentCount, or one nested in its interaction statistics)."""
    if depth > 20:
        return None
    if isinstance(data, dict):
        if key in data:
            return _as_count(data[key])
        children = data.values()
    elif isinstance(data, list):
        children = data
    else:
        return None
    for child in children:
        found = _find_key(child, key, depth + 1)
        if found is not None:
            return found
    return None


def _as_count(value) -> int | None:
    try:
        count = int(str(value).translate(ARABIC_DIGITS).strip())
    except ValueError:
        return None
    return count if count >= 0 else None


def _sioc_count(root) -> int | None:
    for meta in root.getroottree().getroot().iter("meta"):  # //meta[@property or @name = sioc]/@content
        value = meta.get("content")
        if value is None or _SIOC not in (meta.get("property"), meta.get("name")):
            continue
        count = _as_count(value)
        if count is not None:
            return count
    return None


def _microdata_count(root) -> int | None:
    for element in _MICRODATA(root):
        count = _as_count(element.get("content") or element_text(element))
        if count is not None:
            return count
    return None
