"""The generic path: an article read without a site's selectors.

A profile without body selectors (the generic one) has none for title,
date or author either: what the page states about itself is read instead
(newscrawl/page_facts.py: JSON-LD, meta tags, <time>, the <h1> its titles
repeat, bylines), and Trafilatura's guesses only where it states nothing.
Trafilatura's text keeps some page chrome around the article; the rules
below cut it by the shape of a line, never by a site's markup. Site
profiles use `stated_fallbacks` when their own selectors find no title or
date.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from typing import TYPE_CHECKING

from newscrawl import page_facts
from newscrawl.dates import is_date_only, iso_date
from newscrawl.search.arabic import normalize
from newscrawl.text import clean_lines, one_line

if TYPE_CHECKING:
    from newscrawl.extract import ExtractedArticle
    from newscrawl.sites.base import SiteProfile

def read_generic(html: str, url: str, root, out: ExtractedArticle, notes: dict) -> None:
    """Title, body, date, author and section of `out` from the page `root` (parsed `html`)."""
    import trafilatura  # imported late: it is slow to import

    document = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                           include_tables=False, favor_recall=True)
    facts = page_facts.read_facts(root)
    guessed = {name: one_line(getattr(document, name, None) or "") if document else ""
               for name in ("title", "author", "date", "sitename")}
    if guessed["sitename"]:
        facts.site_names.append(guessed["sitename"])
    if not out.title:
        _generic_title(out, notes, facts, guessed["title"])
    lines = clean_lines(((document.text if document else "") or "").split("\n"))
    lead = page_facts.lead_paragraph(root, facts, lines)
    body = _trim_body(lines, root, out.title, facts)
    if lead:
        body.lines.insert(0, lead)  # the summary paragraph the template sets apart from the body container
        notes["lead"] = "description"
    out.body = body.lines
    notes["body"] = "trafilatura-primary" if out.body else "none"
    if body.cut:
        notes["body_cut"] = body.cut
    if not out.published:
        _generic_published(out, notes, facts, body.date_line, guessed["date"])
    if not out.author:
        _generic_author(out, notes, root, facts, body.byline, guessed["author"])
    if not out.section and facts.sections:
        out.section = facts.sections[0]


def stated_fallbacks(root, out: ExtractedArticle, notes: dict, profile: SiteProfile) -> None:
    """A site profile's last fallback for the title and the date: what the
    page states about itself (JSON-LD, og:title and the <h1> it repeats,
    article:published_time, microdata, <time datetime>) when the profile's
    selectors found none; naive dates in the site's zone. The field still
    counts as the profile's failure (notes["fallback"]): a template change
    must show in the run's health even when the page rescued the value."""
    if out.title and out.published:
        return
    facts = page_facts.read_facts(root)
    if not out.title:
        out.title, source = page_facts.headline(facts)
        if out.title:
            notes["title"] = f"page facts: {source}"
            notes.setdefault("fallback", []).append("title")
    if not out.published:
        for raw, source in page_facts.published_candidates(facts):
            value = iso_date(raw, tz=profile.timezone)
            if value:
                out.published = value
                notes["published"] = f"page facts: {source}"
                notes.setdefault("fallback", []).append("published")
                return


def _generic_title(out: ExtractedArticle, notes: dict, facts: page_facts.PageFacts, guessed: str) -> None:
    title, source = page_facts.headline(facts)
    if not title and guessed:
        title, source = page_facts.strip_site_name(guessed, facts.site_names), "trafilatura"
    out.title = title
    if source:
        notes["title"] = source


def _generic_published(out: ExtractedArticle, notes: dict, facts: page_facts.PageFacts, date_line: str,
                       guessed: str) -> None:
    """The first date the page states that can be read, in order of trust:
    machine dates, the date under the headline, the body's date line, then
    Trafilatura's guess."""
    candidates = page_facts.published_candidates(facts)
    candidates += [(text, source) for text, source in ((page_facts.date_near_headline(facts), "date-text"),
                                                       (date_line, "date-line"), (guessed, "trafilatura")) if text]
    unreadable = []
    for raw, source in candidates:
        value, zone = _page_date(raw, facts)
        if value:
            out.published = value
            notes["published"] = source
            if zone:
                notes["timezone"] = zone
            if value[11:19] == "00:00:00" and "00:00" not in raw:
                notes["published_precision"] = "day"  # the page shows a day: midnight stands for it, not a time
            return
        unreadable.append(f"{raw[:60]!r} ({source})")
    if unreadable:  # a date the page states but we cannot read is a gap in dates.py: say so
        notes.setdefault("problems", []).append(f"unreadable dates {', '.join(unreadable)}")


def _page_date(raw: str, facts: page_facts.PageFacts) -> tuple[str | None, str]:
    """`raw` as ISO 8601, and the zone a naive `raw` was read in ("" when it
    states its own offset). Never silently UTC: the zone used is said."""
    if page_facts.stated_offset(raw) is not None:
        return iso_date(raw), ""
    offset, why = page_facts.offset_in_text(raw), "written beside the date"
    if offset is None and facts.offset is not None:
        offset, why = facts.offset, f"the page's other dates ({facts.offset_from})"
    if offset is None:
        offset, why = timedelta(0), "assumed: the page states no zone"
    value = iso_date(raw, tz=timezone(offset))
    return value, f"{_offset_name(offset)} ({why})" if value else ""


def _offset_name(offset: timedelta) -> str:
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _generic_author(out: ExtractedArticle, notes: dict, root, facts: page_facts.PageFacts, byline: str,
                    guessed: str) -> None:
    """The first plausible writer's name: JSON-LD, byline markup, a byline
    line atop the body, <meta name=author>, then Trafilatura's guess. The
    site's own name is never an author."""
    stated = page_facts.byline_candidates(facts)
    candidates = [c for c in stated if c[1] != "meta"]
    candidates += [(byline, "body-byline")] if byline else []
    candidates += [c for c in stated if c[1] == "meta"]
    candidates += [(page_facts.clean_byline(guessed), "trafilatura")] if guessed else []
    for name, source in candidates:
        if source == "trafilatura" and not page_facts.shown_in_article(root, name):
            continue  # a guess the page shows nowhere but in a comment (or not at all)
        if page_facts.plausible_author(name, facts, out.title):
            out.author = name
            notes["author"] = source
            return


@dataclass
class _TrimmedBody:
    lines: list[str]
    date_line: str = ""  # a date line cut from the top: the article's date when nothing better says it
    byline: str = ""  # the name in a byline cut from the top
    cut: dict = field(default_factory=dict)  # {"head": [kinds], "tail": [kinds]} for the notes


def _trim_body(lines: list[str], root, title: str, facts: page_facts.PageFacts) -> _TrimmedBody:
    """The body without the lines around the article that are not its text:
    at the top a repeated headline, a date line, a byline, a dateline credit,
    an image caption; at the bottom a list of other articles, copyright,
    navigation, comment policy and prompts, tags."""
    headlines = {page_facts.fold(t) for t in (title, *facts.h1s, *(text for _, text in facts.titles)) if t}
    body = _TrimmedBody(lines=[])
    head, tail, rest = [], [], list(lines)
    # The top: lines of these kinds go, others stay. A short line that is
    # none of them (a subtitle) may sit above the byline, so the scan goes
    # on past it, but it stops at the first real paragraph.
    while len(rest) > 1 and len(head) < 6 and not _passed_a_paragraph(body.lines):
        kind = _head_line_kind(rest[0], root, headlines, facts.site_names)
        line = rest.pop(0)
        if kind is None:
            body.lines.append(line)
            continue
        head.append(kind)
        if kind == "date" and not body.date_line:
            body.date_line = line
        elif kind == "byline" and not body.byline:
            body.byline = page_facts.clean_byline(line)
    body.lines += rest
    related = _related_block(body.lines)
    if related:
        del body.lines[related:]
        tail.append("related")
    while len(body.lines) > 1 and len(tail) < 8:
        kind = _tail_line_kind(body.lines[-1])
        if kind is None:
            break
        body.lines.pop()
        tail.append(kind)
    body.cut = {name: kinds for name, kinds in (("head", head), ("tail", tail)) if kinds}
    return body


def _passed_a_paragraph(kept: list[str]) -> bool:
    """Two lines kept, or one of paragraph length: the article's text has begun."""
    return len(kept) >= 2 or any(len(line.split()) > 30 for line in kept)


def _head_line_kind(line: str, root, headlines: set[str], site_names: list[str]) -> str | None:
    folded = page_facts.fold(line)
    if folded in headlines or any(_near(folded, h) for h in headlines):
        return "headline"
    if is_date_only(line):
        return "date"
    if _is_byline_line(line):
        return "byline"
    if _is_credit_line(line, site_names):
        return "credit"
    if page_facts.is_caption(root, line):
        return "caption"
    return None


_SOURCE_LABEL = re.compile(r"^(?:المصدر|مصدر|source)\s*:", re.IGNORECASE)
_PARENTHESIZED_DATELINE = re.compile(r"\(\s*[^()]{2,40}\s[-–]\s[^()]{2,40}\)")


def _is_credit_line(line: str, site_names: list[str]) -> bool:
    """A dateline credit on a line of its own: "(أبوظبي - البيان)",
    "القاهرة - <the site>", "المصدر: وكالات". Inside a sentence it stays."""
    if len(line.split()) > 6:
        return False
    return bool(_SOURCE_LABEL.match(normalize(line)) or page_facts.is_publisher(line, site_names)
                or _PARENTHESIZED_DATELINE.fullmatch(line))


# "اقرأ أيضاً", "مواضيع ذات صلة", "قد يهمك": the heading of a list of other
# articles, in search folding.
_RELATED_HEADING = re.compile(
    r"^(?:(?:اقرا|طالع|شاهد)\s+(?:ايضا|المزيد)|(?:مواضيع|اخبار|مقالات|روابط)\s+(?:ذات صله|متعلقه|مشابهه)"
    r"|قد يهمك|اخترنا لك|الاكثر قراءه|read (?:also|more)|related (?:articles|posts|stories))", re.IGNORECASE)


def _related_block(lines: list[str]) -> int | None:
    """Where a list of other articles starts among the last lines: its
    heading, followed by nothing longer than a headline."""
    for index in range(max(1, len(lines) - 12, (len(lines) + 1) // 2), len(lines)):  # the second half only
        line = lines[index]
        if (len(line.split()) <= 15 and _RELATED_HEADING.match(normalize(line))
                and all(len(after.split()) <= 25 for after in lines[index + 1:])):
            return index
    return None


def _near(a: str, b: str) -> bool:
    """Near-equal folded texts (a headline re-typed with one word changed)."""
    if not a or not b or abs(len(a) - len(b)) > max(len(a), len(b)) // 10:
        return False
    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.9


def _is_byline_line(line: str) -> bool:
    """A short line that opens with a byline word: "كتبت أسماء نصار", "حوار: آسيا العتروس", "By ..."."""
    match = page_facts.BYLINE_LEAD.match(line)
    if not match:
        return False
    name = line[match.end():].split()
    return 1 <= len(name) <= 5 and not re.search(r"[.!?؟]$", line)


_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|copyright|all rights reserved|جميع الحقوق محفوظه|حقوق (?:النشر|الطبع)",
                        re.IGNORECASE)
# The comments section as a reader is addressed about it ("التعليقات",
# "تعليقك"), not "التعليق على" (to comment on), which news text says.
_COMMENT_WORD = re.compile(r"التعليقات|تعليقات|تعليقك|تعليقكم|comments|your comment", re.IGNORECASE)
_POLICY_WORD = re.compile(r"ارشادات|سياسه|شروط|معايير|قواعد|مراجعه|guideline|policy|rules|moderat", re.IGNORECASE)
# "الآراء الواردة أدناه لا تعبر عن رأي موقع ...": what is published (views,
# comments, articles) is not the site's opinion. A quoted "لا تعبر عن رأي
# الحكومة" has neither the published matter nor the site.
_DISCLAIMER = re.compile(
    r"(?:الاراء|التعليقات|المقالات|المقال|ما ينشر|المنشور).{0,40}(?:لا|ولا)\s+(?:تعبر|يعبر|تمثل|يمثل)"
    r"\s+(?:بالضروره\s+)?(?:عن\s+)?(?:راي|وجهه).{0,30}"
    r"(?:موقع|الموقع|الصحيفه|الجريده|القناه|الشبكه|اداره|التحرير)")
_PROMPT = re.compile(r"^(?:اضف|اكتب|اترك|شارك|شاركنا|ادل)\s+(?:ب)?(?:تعليق|تعليقك|رايك|برايك)"
                     r"|^(?:leave|add|post|write)\s+a\s+(?:comment|reply)", re.IGNORECASE)
_TAGS = re.compile(r"^(?:الكلمات المفتاحيه|كلمات مفتاحيه|الكلمات الداله|الوسوم|وسوم|tags)\s*:", re.IGNORECASE)


def _tail_line_kind(line: str) -> str | None:
    folded = normalize(line)  # search folding: one alef, ه for ة, so the patterns are written once
    words = len(line.split())
    if _COPYRIGHT.search(folded) and words <= 30:
        return "copyright"
    parts = [p for p in re.split(r"\s*[|•·]\s*", line) if p.strip()]
    if len(parts) >= 3 and all(len(p.split()) <= 4 for p in parts):
        return "navigation"
    if _COMMENT_WORD.search(folded) and _POLICY_WORD.search(folded) or _DISCLAIMER.search(folded):
        return "comment-policy"
    if words <= 10 and (_PROMPT.search(folded) or _TAGS.search(folded)):
        return "prompt"
    if is_date_only(line):
        return "date"
    if not _WORD.search(line):
        return "punctuation"  # "." or "***" left over from the page's layout
    related = _RELATED_ITEM.match(line)
    if related and is_date_only(related.group(1)):
        return "related"  # "- <another article's title> - <its date>": a list of other articles
    return None


_WORD = re.compile(r"[^\W_]")
_RELATED_ITEM = re.compile(r"^[-•]\s.+\s[-–|]\s+([^-–|]+)$")
