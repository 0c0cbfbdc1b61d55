"""Find a page's reader-comment thread by its structure, without a site profile.

A comment thread is a run of repeated items, each made of the same parts: who
wrote it, when, what they wrote, and a way to answer. Names help ("comment" in
a class or id) but are evidence, never the rule: the detector reads a thread
the way a reader sees it, in five steps.

1. Anchors. One pass over the page marks elements that look like a comment
   part: a date (`time`, `[datetime]`, `abbr[title]`, "date"/"time"/"meta"
   classes), an author (`.fn`, `.author`, `.username`, `cite`,
   `[itemprop=author]`, a name followed by "says:"/"sagt:"/"يقول:"), a reply
   link (`.comment-reply-link`, `?replytocom=`, `#respond`, "Reply"/"رد"), a
   comment name or a comment id (`comment-123`). Each anchor's kind is carried
   up to its ancestors, stopping where the kind is already known, so the cost
   is about one pass.
2. Groups. The children of one parent with the same tag form a group (in a
   `dl`, a `dt` with the `dd`s after it is one item). Groups whose members carry
   two or more kinds each are ranked by how much they carry; the best few are
   read. The members must be alike (a shared class, a shared id scheme such as
   `comment-#`, or no class at all): an article's header, text and footer are
   siblings too, each named for itself. The few groups whose members most
   often carry a reply link or a comment id are read as well: boxes of
   teasers, each with an author and a date, may carry more anchors than a
   thread of two comments.
3. Items. Each member, and each element of the same kind below it, is read
   into parts: author, date, title, reply link, vote and edit widgets, hidden
   elements, and the text: its text box (`.comment-content`, Drupal's
   `field--name-comment-body`, `[itemprop=text]`) when it has one that holds
   no author or date, else its visible lines once every part, and the small
   boxes around them ("X says:", a badge, the date link), are taken out.
   Elements are read deepest first, so a nested element of the same kind that
   is a comment itself is known before its ancestor is read and is cut out of
   it: a reply is never read twice, and an `li.comment` wrapping an
   `article.comment` is one comment (the `li` repeats; the `article` is a part
   of it). An item is a comment when it has text and an author or a date;
   "Pingback:"/trackback items are counted apart and left out.
4. Scores. A group scores by its comments' parts. It is refused when its items
   show nothing only comments have (a reply link, a comment id, a comment name
   on them or around them, "says:"), since a live blog looks the same; when
   most items are teasers linking by headline or picture to another page of
   the site; when most items link to other pages' comments
   (`/other-story#comment-5`, `#comments`, a reply link there) or, beside
   their text, to other articles, and those links lead to more than one page
   (a box of other articles' comments, whatever its name: a real thread's
   links all lead to its article, "#comment-5" on this page or the article
   under another form of its address); and when it, or its items, sit in a
   box named for other articles' comments ("latest comments",
   "most_commented", "akhir-ta3liqat") or in an aside, nav, sidebar or
   widget that is not itself the comments area. Page columns that each hold
   several comments of another group give way to that group. The best group
   over a threshold is the thread; without one the page has none (None).
5. Replies. The thread is walked in page order from the group's parent: the
   replies of an item are the items inside it (WordPress `ul.children`, SPIP's
   nested `ul`, custom nested `ul.comments`) or the items in a box that follows
   it as a sibling and is a list or named as a nesting (Drupal's
   `div.indented`). Each comment gets `parent`, the index of the comment it
   answers, and `depth`.

Dates are read from machine-readable attributes first (`datetime`, `content`,
Drupal's epoch `data-comment-timestamp`, `abbr[title]`), then from the shown
text; Latin month names ("1. November 2023 um 11:54 Uhr") are rewritten to
numbers for `newscrawl.dates`. Links to the thread's other pages ("Older
Comments", "التعليقات السابقة", `comment-page-2`, `?cpage=2`, a comment pager's
`.nav-previous`) are returned as absolute URLs on the page's own host, next
first. The walks are lxml's own (iterwalk, iter) or bounded loops, never
Python recursion: hostile or broken pages give None, never an exception.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from lxml import etree

from newscrawl.dates import parse_date, to_iso
from newscrawl.html_text import BLOCK_TAGS, INVISIBLE_TAGS, join_url, select
from newscrawl.text import ARABIC_DIGITS, one_line

logger = logging.getLogger(__name__)

__all__ = ["DetectedThread", "detect_comments"]


@dataclass
class DetectedThread:
    """A thread found on a page, with the selectors that find it again."""
    items_css: str  # matches the comments (replies too, pingbacks not), e.g. "ol.commentlist li.comment"
    block_css: str  # CSS path of the section holding them
    comments: list[dict]  # page order: comment_id, title, author, text, posted_at, parent, depth
    next_urls: list[str] = field(default_factory=list)  # the thread's other pages, absolute, next first
    pingbacks: int = 0  # pingback/trackback items left out
    parts: dict = field(default_factory=dict)  # how author, text, date were read ("b.fn", "div.comment-content")


# --- vocabulary ----------------------------------------------------------------
# Words readers see around comments, in the languages of the sites crawled and
# the themes they use (Arabic, English, French, German, Spanish, Italian, ...).

_SAYS = ("says", "said", "sagt", "schreibt", "meint", "dit", "écrit", "dice", "scrive", "zegt", "diz",
         "يقول", "تقول", "قال", "قالت", "كتب", "كتبت", "يكتب", "علق", "علّق", "يعلق")
_SAYS_TAIL = re.compile(r"\s*(?:" + "|".join(map(re.escape, _SAYS)) + r")\s*[:：]?\s*$", re.IGNORECASE)
_SAYS_ONLY = re.compile(r"^\s*(?:" + "|".join(map(re.escape, _SAYS)) + r")\s*[:：]?\s*$", re.IGNORECASE)
_SAYS_WORD = re.compile(r"(?:^|\s)(?:" + "|".join(map(re.escape, _SAYS)) + r")\s*[:：]", re.IGNORECASE)
_SAYS_LINE = re.compile(r"^(.{1,80}?)\s+(?:" + "|".join(map(re.escape, _SAYS)) + r")\s*[:：]", re.IGNORECASE)

_REPLY_WORDS = frozenset((
    "reply", "reply ↓", "antworten", "antwort", "répondre", "repondre", "responder", "responde", "rispondi",
    "beantwoorden", "reageren", "svara", "odpowiedz", "ответить", "yanıtla", "cevapla",
    "رد", "الرد", "ردّ", "رد على", "أضف رد", "اضف رد", "إضافة رد", "الرد على التعليق", "رد على التعليق", "أجب",
))

_BY = re.compile(
    r"(?:^|\s)(?:posted by|written by|geschrieben von|verfasst von|publié par|écrit par|by|von|par|door|"
    r"por|di|بواسطة|بقلم|كتبه|كتبته|كتب|أضافه|من)\s+(.+?)"
    r"(?:\s+(?:on|am|le|at|um|op|el|il|في|بتاريخ|يوم)\s|\s*[,|•·–—]\s*|\s*$)", re.IGNORECASE)

_BADGE_WORDS = frozenset(("autor", "author", "autorin", "admin", "administrator", "moderator", "redaktion",
                          "editor", "staff", "الكاتب", "المؤلف", "المحرر", "الإدارة", "مشرف"))

_PINGBACK = re.compile(r"^\s*(?:pingback|trackback)\s*:", re.IGNORECASE)

# Dates as they are printed. Strong: a year, a numeric day-month-year, an ISO
# date or a relative form ("3 hours ago", "منذ 3 ساعات"); a time alone is weak.
_STRONG_DATE = re.compile(
    r"(?<!\w)(?:19|20)\d\d(?!\d)|(?<!\d)\d{1,2}[./-]\d{1,2}[./-]\d{2,4}(?!\d)|"
    r"\b(?:ago|gestern|heute|yesterday|today|hier|aujourd'hui)\b|(?:vor|il y a|hace)\s+\d+|"
    r"(?:منذ|قبل)\s+\S+|(?:أمس|اليوم)", re.IGNORECASE)
_TIME = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?!\d)")
# What a printed date is made of besides its numbers: connectors, times of
# day, relative units, weekday names (the month names are added below).
_DATE_TALK = (  # noqa: SIM905 - a word list kept as text: 180 quoted words would read worse
    "at on um uhr am pm a.m. p.m. le à de del el il op th st nd rd h ago vor il y a hace "
    "yesterday today gestern heute hier aujourd'hui "
    "mon tue wed thu fri sat sun monday tuesday wednesday thursday friday saturday sunday "
    "mo di mi do fr sa so montag dienstag mittwoch donnerstag freitag samstag sonntag "
    "lun mar mer jeu ven sam dim lundi mardi mercredi jeudi vendredi samedi dimanche "
    "seconds second minutes minute mins min hours hour days day weeks week months month years year "
    "sekunden minuten stunden stunde tagen tag wochen monaten jahren "
    "secondes heures heure jours jour semaines mois ans "
    "في الساعة بتاريخ يوم منذ قبل ص م صباحا صباحاً مساء مساءً ظهرا ظهراً أمس اليوم الأحد الاثنين الإثنين الثلاثاء "
    "الأربعاء الخميس الجمعة السبت ثانية ثوان دقيقة دقيقتين دقائق ساعة ساعتين ساعات يومين أيام أسبوع أسبوعين أسابيع "
    "شهر شهرين أشهر شهور سنة سنتين سنوات عام أعوام").split()
# Month names of the Latin-script sites' dates ("July 11, 2011 at 6:33 pm",
# "1. November 2023 um 11:54 Uhr", "Le 11 septembre 2018"): newscrawl.dates
# reads the Arabic and numeric forms, so these are rewritten to numbers first.
_LATIN_MONTHS = {
    name: number for number, names in enumerate((
        "january jan januar janvier enero gennaio", "february feb februar février fevrier febrero febbraio",
        "march mar märz maerz mars marzo", "april apr avril abril aprile", "may mai mayo maggio",
        "june jun juni juin junio giugno", "july jul juli juillet julio luglio",
        "august aug août aout agosto", "september sep sept septembre septiembre settembre",
        "october oct okt oktober octobre octubre ottobre", "november nov novembre noviembre",
        "december dec dez dezember décembre decembre diciembre dicembre"), start=1)
    for name in names.split()}
_ARABIC_MONTHS = (  # noqa: SIM905 - a word list, as _DATE_TALK
    "يناير فبراير مارس أبريل ابريل إبريل مايو يونيو يونيه يوليو يوليه أغسطس سبتمبر أكتوبر اكتوبر "
    "نوفمبر ديسمبر كانون الثاني شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين الأول جانفي فيفري "
    "أفريل ماي جوان جويلية أوت شتنبر نونبر دجنبر يوليوز غشت").split()
_MONTH_NAME = r"(?P<month>" + "|".join(sorted(map(re.escape, _LATIN_MONTHS), key=len, reverse=True)) + r")\.?"
_DATE_WORDS_RE = re.compile(
    r"\d+|(?<!\w)(?:" + "|".join(sorted(map(re.escape, set(_DATE_TALK) | set(_LATIN_MONTHS) | set(
        _ARABIC_MONTHS)), key=len, reverse=True)) + r")(?!\w)")
_LATIN_WORD = re.compile(r"[A-Za-zÀ-ÿ]{3}")
_OFFSET = re.compile(r"\b(?:GMT|UTC)\b|\d[Zz]\b|[+-]\d\d:?\d\d\s*$")
_LATIN_DATE = re.compile(
    rf"(?:(?P<day>\d{{1,2}})\.?\s*(?:de\s+)?{_MONTH_NAME}\s*(?:de\s+)?,?\s*(?P<year>(?:19|20)\d\d)"
    rf"|{_MONTH_NAME.replace('month', 'month2')}\s+(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?,?\s*(?P<year2>(?:19|20)\d\d))"
    r"(?:\D{1,12}?(?P<hour>\d{1,2})[:.h](?P<minute>\d{2})\s*(?P<half>[ap]\.?m\.?)?)?", re.IGNORECASE)
_EASTERN_DIGIT = re.compile("[\u0660-\u0669\u06f0-\u06f9]")
_WORDLESS = re.compile("[\\s!-/:-@\\[-`{-~\u00a1-\u00bf\u2010-\u2027\u2030-\u205e\u2190-\u21ff"
                       "\u2200-\u22ff\u060c\u061b\u061f\u066a-\u066d\u06d4]*\\Z")
_HEADER_SEPARATOR = re.compile(r"\s+[|·•—–-]\s+|\s*[|·•]\s*")

# --- class names ---------------------------------------------------------------
# Classes are split into their words ("comment-author-name" -> comment, author,
# name) and matched word by word: substrings would take "bypostauthor" for an
# author and Drupal's "field--name-comment-body" for a name.

_WORD_SPLIT = re.compile(r"[-_\s]+")
_AUTHOR_NAME_WORDS = frozenset(("fn", "username", "nickname", "nick", "uname", "screenname"))
_AUTHOR_WORDS = frozenset(("author", "commenter", "poster", "user", "autor", "auteur", "nickname", "username"))
_NOT_AUTHOR_WORDS = frozenset(("avatar", "photo", "img", "image", "pic", "picture", "bio", "description",
                               "about", "link", "url", "email", "mail", "gravatar"))
_DATE_WORDS = frozenset(("date", "time", "timestamp", "datetime", "published", "posted", "ago", "when", "dated"))
_META_WORDS = frozenset(("meta", "metadata", "commentmetadata", "byline", "submitted", "info", "details", "header",
                         "head", "footer", "top"))
_TEXT_WORDS = frozenset(("content", "text", "body", "message", "texte", "entry", "msg"))
_TITLE_WORDS = frozenset(("title", "subject", "heading", "headline"))
_REPLY_CLASS_WORDS = frozenset(("reply", "respond", "repondre", "antworten", "answer"))
_VOTE_WORDS = frozenset(("like", "likes", "dislike", "dislikes", "vote", "votes", "voting", "rating", "ratings",
                         "rate", "thumb", "thumbs", "thumbsup", "karma", "score", "points", "reaction",
                         "reactions", "upvote", "downvote", "helpful", "report", "flag", "share", "sharing",
                         "social", "moderation", "awaiting", "edit", "delete", "quote"))
# Link texts that are widgets, not words of the comment.
_WIDGET_LINK_WORDS = frozenset(("permalink", "link", "#", "¶", "رابط", "الرابط", "رابط التعليق", "permalien",
                                "lien permanent", "direktlink", "edit", "delete", "report", "تعديل", "حذف", "إبلاغ",
                                "bearbeiten", "löschen", "melden", "modifier", "supprimer", "signaler"))
_HIDDEN_WORDS = frozenset(("hidden", "hide", "visually-hidden", "visuallyhidden", "sr-only", "screen-reader-text",
                           "element-invisible", "invisible", "d-none", "offscreen", "assistive-text", "is-hidden"))
_PINGBACK_WORDS = frozenset(("pingback", "trackback"))
_REPLIES_CONTAINER_WORDS = frozenset(("children", "child", "indented", "indent", "replies", "reply", "nested",
                                      "sub", "subcomments", "answers", "responses", "thread", "level"))
# ("ta3liqat", "taaliq": تعليقات as Arabic sites spell it in class names.)
_COMMENT_HINT = re.compile(r"comment|forum|discussion|reaction|respons|kommentar|commentaire|تعليق|"
                           r"(?<![a-z])(?:ta3l[ie][qk9]|ta3a?li[qk9]|taa?li[qk])", re.I)
# Whole class or id names of the boxes a page keeps beside its content. Whole
# names: a layout wrapper "content has-sidebar" holds the thread too.
_OFF_THREAD_NAMES = frozenset((
    "sidebar", "side-bar", "widget", "widgets", "widget-area", "aside", "secondary", "related", "related-posts",
    "recent", "recent-comments", "recentcomments", "latest", "latest-comments", "popular", "most-read", "mostread",
    "trending", "menu", "navbar", "navigation", "breadcrumb", "breadcrumbs", "teaser", "teasers", "newest"))
_OFF_THREAD_TAGS = frozenset(("aside", "nav"))
# Names of the boxes listing other articles or their comments, as
# substrings of a class or id: "widget_recent_comments", "last-comments",
# "most_commented", and the Arabic sites' transliterations as whole words:
# akhir/akher/a5er (آخر, last), ahdath/a7dath (أحدث, newest), akthar (أكثر, most).
_OTHER_ARTICLES = re.compile(r"recent|latest|newest|neueste|popular|trending|most[-_]?(?:read|commented|viewed)|"
                             r"last[-_]?(?:comments?|posts?|news|articles?)|"
                             r"(?<![a-z0-9])(?:akhir|akher|aakhir|a5er|a5ir|ahdath|a7dath|akthar|aktar)(?![a-z])|"
                             r"الأحدث|الأكثر|(?:آخر|أحدث)[-_ ]?(?:ال)?تعليقات")
_BADGE_CLASS_WORDS = frozenset(("says", "badge", "label", "role", "flair"))
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_NONE: tuple = (frozenset(), frozenset(), 0, 0.0)
# Roles a class attribute gives an element inside an item.
F_HIDDEN, F_DATE, F_META, F_REPLY, F_VOTE, F_TITLE, F_TEXT, F_BADGE, F_PINGBACK = (1 << n for n in range(9))
# Pages of the site an item may link to and still be a comment.
_NOT_TEASER_PATH = re.compile(r"comment|reply|respond|log-?in|log-?out|sign-?in|register|user|member|profile|author|"
                              r"account|konto|benutzer|utilisateur|membre|/tag/|/tags/", re.IGNORECASE)
_REPLY_TAGS = frozenset(("a", "span", "div", "p", "li", "ul", "small", "button"))
_TYPE_ATTRIBUTES = frozenset(("itemprop", "property", "itemtype", "typeof"))
_EPOCH_ATTRIBUTES = frozenset(("data-comment-timestamp", "data-timestamp", "data-time", "data-created"))
_TEXT_EVENTS = ("start", "end", "comment", "pi")
_ANCHOR_ATTRIBUTES = frozenset(("class", "id", "href", "datetime", "title")) | _TYPE_ATTRIBUTES
_FORM_TAGS = frozenset(("form", "textarea", "input", "select", "option", "button", "label", "fieldset", "legend"))
_SKIP_TAGS = INVISIBLE_TAGS | _FORM_TAGS | frozenset(("svg", "iframe", "object", "embed", "img", "picture", "video",
                                                     "audio", "canvas", "map"))
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_TEXT_BLOCKS = frozenset(("p", "blockquote", "pre"))
# The tags that make an element without attributes a part candidate (a text
# block, a heading, a date, a name); a bare br, a, span or div costs only
# this lookup.
_BARE_PART_TAGS = _TEXT_BLOCKS | _HEADINGS | frozenset(("time", "cite", "b", "strong"))
# A comment's id: "comment-12", "div-comment-12", SPIP's "forum12", "msg_12".
# Not "post-12": WordPress numbers every post so (a post list, a live blog's
# entries, the article itself). A bare "c12" only as the whole id (Django's
# comment anchors "#c12"), never as a suffix: "col-c2", "slide_c3" are layout.
_COMMENT_ID = re.compile(r"(?:(?:^|[-_#/])(?:comment|comm|cmt|reply|forum|msg|message|kommentar|commentaire)"
                         r"[-_]?|^c)(\d+)(?:_\d+)?$", re.IGNORECASE)

# Anchors: kinds of evidence, one bit each.
AUTHOR, DATE, REPLY, HINT, IDENT = 1, 2, 4, 8, 16
_BITS = [bin(n).count("1") for n in range(32)]
_TAG_KINDS = {"time": DATE, "cite": AUTHOR}
_FN = re.compile(r"(?:^|\s)fn(?:\s|$)")
_COUNT = etree.XPath("count(descendant::*)")
_MAX_ANCHORS = 20000
_MAX_CLIMB = 120
_TOP_GROUPS = 5
_MIN_SCORE = 6.5
# A comment, its replies cut out, is small: a member of more elements than
# this is a page column or a box of many things, not one comment.
_ITEM_BUDGET = 600
_BIG_MEMBER = 400
# Tags whose items nest in themselves even without a class (a bare nested ul > li).
_NESTABLE = frozenset(("li", "dt", "article"))

_PAGING_URL = re.compile(r"/comment-page-\d+|[?&](?:cpage|comments?[_-]?page)=\d+", re.IGNORECASE)
_NEXT_TEXT = re.compile(r"newer comments|next comments|more comments|neuere kommentare|nächste kommentare|"
                        r"commentaires suivants|commentaires plus récents|التعليقات التالية|التعليقات الأحدث|"
                        r"المزيد من التعليقات|تعليقات أحدث", re.IGNORECASE)
_PREVIOUS_TEXT = re.compile(r"older comments|previous comments|ältere kommentare|vorherige kommentare|"
                            r"commentaires précédents|commentaires plus anciens|التعليقات السابقة|التعليقات الأقدم|"
                            r"تعليقات أقدم", re.IGNORECASE)
_NEXT_WORDS = frozenset(("next", "nav-next", "newer", "older-newer", "suivant", "التالي"))
_PREVIOUS_WORDS = frozenset(("prev", "previous", "nav-previous", "older", "précédent", "السابق"))
_NEXT_ARROWS = frozenset(("»", "›", "→", ">", ">>", "next", "next »", "التالي", "التالي »", "« التالي", "←"))
_PREVIOUS_ARROWS = frozenset(("«", "‹", "<", "<<", "previous", "« previous", "السابق", "السابق »", "→ السابق"))
_ARROWS = _NEXT_ARROWS | _PREVIOUS_ARROWS
_PAGING_BOX_WORDS = frozenset(("navigation", "nav", "pagination", "pager", "paging", "pages", "page-numbers",
                               "nav-links", "paginate"))
_CSS_NAME = re.compile(r"-?[A-Za-z_][\w-]*")
_PAGE_NUMBER = re.compile(r"^\s*[\d\u0660-\u0669\u06f0-\u06f9]+\s*$")


def detect_comments(root, base_url: str, timezone: str = "UTC") -> DetectedThread | None:
    """The comment thread of the page whose lxml root is `root`; None when the
    page holds no comment thread. Never raises."""
    if root is None or not isinstance(getattr(root, "tag", None), str):
        return None
    try:
        return _Page(root, base_url, timezone).thread()
    except Exception:  # noqa: BLE001 - a page the detector cannot read is a page without a thread
        # Hostile markup is bounded above (budgets, no recursion); whatever
        # still fails is a bug to see in the log, never a failed crawl.
        logger.warning("comment detection failed on %s", base_url, exc_info=True)
        return None


# --- small element helpers -------------------------------------------------------

def _words(value: str | None) -> frozenset[str]:
    """The words of a class or id attribute: every token and every part of one."""
    if not value:
        return frozenset()
    lowered = value.lower()
    tokens = lowered.split()
    return frozenset(tokens).union(*(_WORD_SPLIT.split(token) for token in tokens))


def _class_kinds(classes: str) -> int:
    """The anchor kinds a class attribute shows (substrings: a cheap first look)."""
    value = classes.lower()
    kind = 0
    if "omment" in value:
        kind |= HINT
    if "author" in value or "user" in value or "says" in value or "nick" in value or (
            "fn" in value and _FN.search(value)):
        kind |= AUTHOR
    if "date" in value or "time" in value or "meta" in value:
        kind |= DATE
    if "reply" in value or "repondre" in value:
        kind |= REPLY
    return kind


def _class_roles(classes: str) -> tuple[frozenset, frozenset, int, float]:
    tokens = frozenset(classes.lower().split())
    words = _words(classes)
    flags = 0
    for flag, names in ((F_DATE, _DATE_WORDS), (F_META, _META_WORDS), (F_REPLY, _REPLY_CLASS_WORDS),
                        (F_VOTE, _VOTE_WORDS), (F_TITLE, _TITLE_WORDS), (F_TEXT, _TEXT_WORDS),
                        (F_BADGE, _BADGE_CLASS_WORDS), (F_PINGBACK, _PINGBACK_WORDS)):
        if not words.isdisjoint(names):
            flags |= flag
    if not tokens.isdisjoint(_HIDDEN_WORDS):
        flags |= F_HIDDEN  # whole class names only: Drupal's "field--label-hidden" is a visible field
    rank = 0.0
    if words and words.isdisjoint(_NOT_AUTHOR_WORDS):
        if not words.isdisjoint(_AUTHOR_NAME_WORDS) or ("name" in words and not words.isdisjoint(_AUTHOR_WORDS)) \
                or "name" in tokens:
            rank = 3.0
        elif not words.isdisjoint(_AUTHOR_WORDS):
            rank = 2.0
    return tokens, words, flags, rank


def _tokens(element) -> frozenset[str]:
    return frozenset((element.get("class") or "").split())


def _squash(text: str) -> str:
    return one_line(text).strip("\ufeff\u200f\u200e")


def _looks_like_date(text: str) -> bool:
    """A short line that is a date and nothing else ("März 7, 2018",
    "29.07.2020 // 12:56", "منذ 3 ساعات"): once its numbers, month and day
    names and date words are taken out, no word is left. "Since 2015." is
    text, not a date."""
    if len(text) > 60:
        return False
    text = _ascii_digits(text)
    if not (_STRONG_DATE.search(text) or _TIME.search(text)):
        return False
    rest = _DATE_WORDS_RE.sub(" ", text.lower())
    return sum(1 for char in rest if char.isalpha()) <= 2


def _has_strong_date(text: str) -> bool:
    return bool(_STRONG_DATE.search(_ascii_digits(text)))


def _ascii_digits(text: str) -> str:
    # str.translate with a table is slow; most text has no Arabic-Indic digit.
    return text.translate(ARABIC_DIGITS) if _EASTERN_DIGIT.search(text) else text


def _no_words(line: str) -> bool:
    """Punctuation, arrows and brackets only: what is left of "[antworten]" or "Reply ↓".
    (An emoji is a word here: a comment may be just "👍".)"""
    return bool(_WORDLESS.match(line))


def _is_reply_word(text: str) -> bool:
    return text.strip(" []()|↓→←»«:.-").lower() in _REPLY_WORDS


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _site(host: str | None) -> str:
    """A host as a site: "www.example.com" and "example.com" are one."""
    return (host or "").lower().removeprefix("www.")


def _path_key(path: str) -> str:
    """A URL path as a page: percent-decoded (an Arabic slug is linked both
    ways), without its trailing slash, case folded."""
    return unquote(path).rstrip("/").lower()


def _below(path: str, top: str) -> bool:
    """`path` is `top` or a page under it ("/story/2", "/story/amp" under "/story")."""
    return path == top or path.startswith(top + "/")


def _comment_anchor(fragment: str, query: str) -> bool:
    """A link target that is a comment or the comments of its page:
    "#comment-12", "#comments", "#respond", Django's "#c12", "?replytocom=12"."""
    if "replytocom" in query:
        return True
    if not fragment:
        return False
    fragment = unquote(fragment)
    return bool(_COMMENT_HINT.search(fragment) or _COMMENT_ID.search(fragment)) or "respond" in fragment.lower()


# --- lines of text -----------------------------------------------------------------

def _lines(roots: list, excluded: set, skip=frozenset()) -> list[str]:
    """Lines of visible text under `roots`, one per block or <br> run, leaving
    out `excluded` and `skip` elements and invisible ones. lxml's iterwalk
    does the walking (in C, and without recursion: a deeply nested page
    cannot exhaust the stack); a left-out element still ends a line if it is
    a block, and its tail is still read."""
    lines: list[str] = []
    current: list[str] = []
    for root in roots:
        _walk_lines(root, excluded, skip, lines, current)
        if current:
            lines.append("".join(current))
            current.clear()
    return [line for line in map(one_line, lines) if line]


def _walk_lines(root, excluded: set, skip, lines: list[str], current: list[str]) -> None:
    """The walk of `_lines` over one root: each line ended goes to `lines`,
    the line being read is in `current`."""
    walker = etree.iterwalk(root, events=_TEXT_EVENTS)
    for event, element in walker:
        if event == "start":
            tag = element.tag
            if tag in BLOCK_TAGS or tag == "br":
                if current:
                    lines.append("".join(current))
                    current.clear()
                if tag == "br":
                    continue
            if tag in _SKIP_TAGS or element in excluded or element in skip:
                walker.skip_subtree()
            elif element.text:
                current.append(element.text)
        elif event == "end":
            if element.tag in BLOCK_TAGS and current:
                lines.append("".join(current))
                current.clear()
            if element.tail and element is not root:
                current.append(element.tail)
        elif element.tail:
            current.append(element.tail)  # an HTML comment's tail is text


# --- one item ---------------------------------------------------------------------------

@dataclass
class _Item:
    """What one comment item holds, read off its parts."""
    elements: list
    author: str = ""
    # The elements the parts came from (or a word for how), as CSS at the end.
    author_css: object = ""
    text: str = ""
    text_css: object = ""
    title: str = ""
    date_value: str = ""
    date_text: object = ""  # the shown text, or the element showing it
    date_css: object = ""
    comment_id: str | None = None
    reply: bool = False
    hint: bool = False
    says: bool = False
    pingback: bool = False
    elsewhere: bool = False  # a teaser of another page of the site
    pages: set = field(default_factory=set)  # other pages of the site it links to (their comments, beside its text)
    dates: int = 0

    @property
    def is_comment(self) -> bool:
        return bool(self.text) and bool(self.author or self.date_value) and not self.pingback

    @property
    def score(self) -> float:
        if not self.is_comment:
            return 0.0
        score = 2.0 + 2.0 * bool(self.author) + 1.5 * bool(self.date_value) + 1.0 * self.reply
        score += 1.0 * bool(self.comment_id) + 1.0 * self.hint + 0.5 * self.says
        if self.dates > 2:
            score -= 2.0  # several dates of its own: a box of several things, not one comment
        return score

    @property
    def evidence(self) -> bool:
        """Something only a comment has: a reply link, a comment id or name, "says:"."""
        return self.reply or bool(self.comment_id) or self.hint or self.says


@dataclass
class _Found:
    """Part candidates met while walking one item. Dates are (rank, order,
    element, value), authors (rank, order, element)."""
    authors: list = field(default_factory=list)
    dates: list = field(default_factory=list)
    cites: list = field(default_factory=list)
    bolds: list = field(default_factory=list)
    replies: list = field(default_factory=list)
    votes: list = field(default_factory=list)
    headings: list = field(default_factory=list)
    titles: list = field(default_factory=list)
    title_boxes: set = field(default_factory=set)
    title_links: list = field(default_factory=list)
    links: list = field(default_factory=list)
    containers: list = field(default_factory=list)
    text_blocks: list = field(default_factory=list)
    hidden: set = field(default_factory=set)
    holders: set | None = None
    roots: set = field(default_factory=set)  # the item's own elements: where looking up stops


@dataclass
class _Kind:
    """What makes an element one of a group's items: its tag, and a class
    most members share or the id scheme they follow ("comment-#")."""
    tag: str
    core: frozenset
    id_scheme: str | None

    def matches(self, element) -> bool:
        if element.tag != self.tag:
            return False
        if self.core and self.core & _tokens(element):
            return True
        if self.id_scheme and _id_scheme(element.get("id")) == self.id_scheme:
            return True
        # Members named by nothing: only a bare element of a nesting tag is one of them.
        return not self.core and not self.id_scheme and self.tag in _NESTABLE and not element.get("class")


def _attribute_kind(name: str, value: str, tag: str, element, paging: list) -> int:
    """The anchor kinds one attribute of _ANCHOR_ATTRIBUTES other than
    `class` shows (for `_Page.anchor_bits`); a link to a comment page
    (comment-page-2, ?cpage=2) goes to `paging`."""
    kind = 0
    if name == "href":
        if "replytocom" in value or "#respond" in value or "/reply" in value:
            kind |= REPLY
        elif "omment" in value and _PAGING_URL.search(value):
            paging.append(element)
    elif name == "id":
        if "omment" in value.lower():
            kind |= HINT
        if _COMMENT_ID.search(value):
            kind |= IDENT
    elif name == "datetime" or name == "title" and tag == "abbr":
        kind |= DATE
    elif name != "title":
        if "author" in value:
            kind |= AUTHOR
        elif "date" in value.lower():
            kind |= DATE
        elif "Comment" in value:
            kind |= HINT
    return kind


def _note_bare_part(found: _Found, element, tag: str, order: int, quoted: bool) -> None:
    """File an element without attributes, one of _BARE_PART_TAGS, among the
    part candidates of `_Page.walk_item`."""
    if tag in _TEXT_BLOCKS:
        found.text_blocks.append(element)
    if quoted:
        return
    if tag == "time":
        text = _squash("".join(element.itertext()))
        if text:
            found.dates.append((3.0, order, element, text))
    elif tag in _HEADINGS:
        found.headings.append(element)
        found.title_boxes.add(element)
    elif tag == "cite":
        found.cites.append(element)
    elif tag == "b" or tag == "strong":
        found.bolds.append(element)


def _beside_text(item: _Item, found: _Found, link, author_element, text_boxes: set) -> bool:
    """A link of an item that is beside its text (for `_Page.points_elsewhere`):
    not the commenter's name, not in the text the reader wrote, and showing
    words that are not the author or a date."""
    if link is author_element or author_element is not None and (
            _inside(link, (author_element,), found.roots) or _inside(author_element, (link,), found.roots)):
        return False  # the commenter's name, linking to a page about them
    if text_boxes and (link in text_boxes or _inside(link, text_boxes, found.roots)):
        return False  # a link the reader wrote
    text = _squash(link.text if len(link) == 0 else "".join(link.itertext()))
    return bool(text) and text != item.author and not _looks_like_date(text) and not _no_words(text)


def _id_scheme(value: str | None) -> str | None:
    if not value or not any(char.isdigit() for char in value):
        return None
    return re.sub(r"\d+", "#", value.lower())


def _element_css(element, prefer: re.Pattern | None = None) -> str:
    """`tag.class` of one element, for a maintainer to read: its first class
    without digits, or the first matching `prefer` ("comment-list")."""
    usable = [token for token in (element.get("class") or "").split()
              if not any(char.isdigit() for char in token) and _CSS_NAME.fullmatch(token)]
    if prefer is not None:
        usable.sort(key=lambda token: (not prefer.search(token), len(token)))
    return f"{element.tag}.{usable[0]}" if usable else element.tag


class _Page:
    def __init__(self, root, base_url: str, timezone: str):
        self.root = root
        self.base_url = base_url or ""
        self.timezone = timezone or "UTC"
        self.base_host = _host(self.base_url)
        self.site = _site(self.base_host)
        self.base_folder = urlsplit(self.base_url).path.rsplit("/", 1)[0] + "/"
        self._own_paths: tuple | None = None  # read from the head when a link to this site is met
        self._words: dict = {}
        self.paging_links: list = []  # links to comment-page-N / ?cpage=N met on the way

    def page_paths(self) -> tuple:
        """The paths that are this page: its URL's, and its canonical and
        og:url when they are on this site (a page crawled as "/?p=12" or as
        its AMP copy links its comments by its canonical address)."""
        paths = [_path_key(urlsplit(self.base_url).path)]
        head = self.root.find("head") if self.root.tag == "html" else None
        for element in head if head is not None else ():
            if element.tag == "link" and "canonical" in (element.get("rel") or "").lower().split():
                url = element.get("href")
            elif element.tag == "meta" and (element.get("property") or "").lower() == "og:url":
                url = element.get("content")
            else:
                continue
            if url and (joined := join_url(self.base_url, url.strip())):
                parts = urlsplit(joined)
                if _site(parts.hostname) == self.site and _path_key(parts.path) not in paths:
                    paths.append(_path_key(parts.path))
        return tuple(path for path in paths if path)

    def other_page(self, href: str):
        """(path, fragment, query) of the page of this site that `href` leads
        to, when it is not this page; None for this page, another site, or a
        link that is no page (javascript:, mailto:). A path above this page's
        own is this page too: "/story" from its page 2 "/story/2" or its AMP
        copy "/story/amp", and the site's home "/" is no article."""
        href = href.strip()
        if not href or href[0] in "#?":
            return None  # this very page, whatever the fragment or query
        if href[0] == "/" and href[:2] != "//" or href[0] != "." and "/." not in href and ":" not in \
                href.split("/", 1)[0] and not href.startswith(("http://", "https://", "//")):
            # The common cases, read without urljoin (costly, and met on every
            # link): a path on this site, or one relative to this page's folder.
            rest, _, fragment = href.partition("#")
            path, _, query = rest.partition("?")
            if path[:1] != "/":
                path = self.base_folder + path
        else:
            if href.startswith(("http://", "https://", "//")):
                if self.site not in href.split("/", 3)[2].lower():
                    return None  # another site (most links of a thread: the commenters' own)
            elif ":" in href.split("/", 1)[0]:
                return None  # javascript:, mailto:, tel:
            joined = join_url(self.base_url, href)
            if joined is None:
                return None
            parts = urlsplit(joined)
            if parts.scheme not in ("http", "https") or _site(parts.hostname) != self.site:
                return None
            path, fragment, query = parts.path, parts.fragment, parts.query
        path = _path_key(path)
        if self._own_paths is None:
            self._own_paths = self.page_paths()
        if not path or any(_below(own, path) for own in self._own_paths):
            return None
        return path, fragment, query

    def words(self, element) -> frozenset[str]:
        """Class and id words of `element` (for boxes around the thread)."""
        return self.class_words(element.get("class"))[1] | _words(element.get("id"))

    def class_words(self, classes: str | None) -> tuple[frozenset, frozenset, int, float]:
        """(lower-case class names, their words, role flags, author rank) of a
        class attribute, cached by its value: a thread repeats the same few
        class attributes, so each is worked out once."""
        if not classes:
            return _NONE
        found = self._words.get(classes)
        if found is None:
            found = _class_roles(classes)
            self._words[classes] = found
        return found

    # --- the whole page -------------------------------------------------------

    def thread(self) -> DetectedThread | None:
        found_groups = []
        covered: set = set()   # items of the groups read so far
        around: set = set()    # and the boxes holding them
        for parent, tag, members in self.candidate_groups():
            if members <= covered:
                continue  # a nested level of a group already read (WordPress ul.children)
            if any(member in around for member in members):
                continue  # boxes around a thread already found ("#comments", page columns): not comments
            found = self.evaluate(parent, tag)
            if found is None:
                continue
            covered |= found["items"] | found["pingbacks"]
            around.add(found["parent"])
            around.update(found["parent"].iterancestors())
            found_groups.append(found)
        # Page columns read as a "thread" of two or three boxes give way to
        # the thread inside them; a group whose "items" wrap another's
        # comments (a reply box taken for an item) is left to the scores.
        found_groups = [f for f in found_groups if not any(
            _holds_several(f, g) and not _holds_any(g, f) for g in found_groups if g is not f)]
        best = max(found_groups, key=lambda f: f["score"], default=None)
        if best is None or best["score"] < _MIN_SCORE:
            return None
        return self.build(best)

    def anchor_bits(self) -> dict:
        """Elements that look like a comment part, with the kinds they show.
        One pass over the page reading each element's attributes once, and
        each distinct class attribute's kinds worked out once: cheaper here
        than XPath, or than asking for each attribute by name."""
        bits: dict = {}
        paging = self.paging_links
        class_kinds: dict = {}
        for element in self.root.iter(etree.Element):
            tag = element.tag
            kind = _TAG_KINDS.get(tag, 0)
            for name, value in element.items():
                if name == "class":
                    found = class_kinds.get(value)
                    if found is None:
                        found = class_kinds[value] = _class_kinds(value)
                    kind |= found
                elif name in _ANCHOR_ATTRIBUTES:
                    kind |= _attribute_kind(name, value, tag, element, paging)
            if tag == "a":
                text = element.text
                if text and len(text) < 30 and _is_reply_word(text):
                    kind |= REPLY
            # "<b>Name</b> يقول:" / "Name says:" in plain text, with no class to name it.
            tail = element.tail
            if tail and ":" in tail and len(tail) < 40 and _SAYS_WORD.search(tail):
                kind |= AUTHOR
            if kind:
                bits[element] = kind
                if len(bits) > _MAX_ANCHORS:
                    break
        return bits

    def candidate_groups(self) -> list[tuple]:
        """(parent, tag, members) of the sibling groups worth reading, best first."""
        carried: dict = {}
        bits = self.anchor_bits()
        for element, kind in bits.items():
            child = element
            for _ in range(_MAX_CLIMB):
                parent = child.getparent()
                if parent is None:
                    break
                if parent.tag == "dl" and child.tag == "dd":
                    term = _term_of(child)  # a dd's parts belong to its dt
                    if term is not None:
                        carried[term] = carried.get(term, 0) | kind
                have = carried.get(child, 0)
                if have | kind == have:
                    break  # this child already carries these kinds, and so do its ancestors
                carried[child] = have | kind
                child = parent
        groups: dict = {}
        for child, kind in carried.items():
            if _BITS[kind] < 2 or child.tag == "dd":
                continue
            parent = child.getparent()
            if parent is None or parent.tag in ("html", "head") or child.tag == "body":
                continue
            entry = groups.get((parent, child.tag))
            if entry is None:
                groups[(parent, child.tag)] = entry = [0, set()]
            entry[0] += _BITS[kind]
            entry[1].add(child)
        # A lone member must be named or numbered as a comment itself: else
        # every wrapper around the article would be a "thread" of one.
        groups = {key: entry for key, entry in groups.items()
                  if len(entry[1]) > 1 or any(bits.get(member, 0) & (HINT | IDENT) for member in entry[1])}
        for entry in groups.values():  # the members carrying a reply link or a comment id
            members = entry[1]
            entry.append(sum(1 for member in members if carried[member] & (REPLY | IDENT)) if len(members) > 1 else 0)
        # The groups carrying the most anchors, and the groups whose members
        # most often carry what only comments have (a reply link, a comment
        # id): boxes of teasers, each item with an author and a date, outweigh
        # a thread of two comments by anchors alone. The second list comes
        # after the first, in page order, so that a thread's outer level is
        # read before its nested ones (which are then skipped as read). It
        # takes groups of two such members or more: a lone one is most often a
        # part of a comment already read (its inner article, a reply list).
        ranked = sorted(groups, key=lambda key: -groups[key][0])[:_TOP_GROUPS]
        chosen = set(ranked)
        specific = sorted((key for key in groups if groups[key][2] > 1 and key not in chosen),
                          key=lambda key: (-groups[key][2], -groups[key][0]))[:_TOP_GROUPS]
        position = {key: index for index, key in enumerate(groups)}
        ranked += sorted(specific, key=position.__getitem__)
        return [(parent, tag, groups[(parent, tag)][1]) for parent, tag in ranked]

    # --- one group ------------------------------------------------------------

    def evaluate(self, parent, tag: str) -> dict | None:
        members = [child for child in parent if child.tag == tag]
        if not members:
            return None
        kind = self.kind_of(members, tag)
        if kind is None:
            return None
        candidates = self.item_candidates(parent, tag, members, kind)
        if candidates is None:
            return None
        reading = self.read_candidates(candidates)
        if reading is None:
            return None
        items, pingbacks, read = reading
        comments = [read[element] for element in candidates if element in items]
        score = sum(info.score for info in comments)
        if self.refused(parent, items, comments):
            return None
        if self.named_thread(parent):
            score *= 1.3
        return {"parent": parent, "tag": tag, "kind": kind, "items": items, "pingbacks": pingbacks,
                "read": read, "score": score, "candidates": candidates}

    def item_candidates(self, parent, tag: str, members: list, kind: _Kind) -> list | None:
        """The elements of the group to read as items: the members and, when
        they are named alike or may nest, the elements like them below (the
        replies); None when the members are too big to be comments."""
        if kind.core or kind.id_scheme or tag in _NESTABLE:
            return [element for element in parent.iter(tag) if element is not parent
                    and (element.getparent() is parent or kind.matches(element))]
        # Nothing names these members alike, so nothing below them is one
        # of them: a bare div inside a div is a part, never a reply.
        sizes = sorted(_COUNT(member) for member in members)
        if sizes[len(sizes) // 2] > _BIG_MEMBER:
            return None
        return members

    def read_candidates(self, candidates: list) -> tuple[set, set, dict] | None:
        """(items, pingbacks, what was read of each candidate); None when no
        candidate is a comment, or the first dozen read are not."""
        items: set = set()
        pingbacks: set = set()
        done: set = set()  # both
        read: dict = {}
        misses = 0
        # Deepest first: an item's replies are known before the item is read,
        # so they can be cut out of it.
        for element in reversed(candidates):
            info = self.read_item(self.item_elements(element), done)
            read[element] = info
            if info.pingback:
                pingbacks.add(element)
                done.add(element)
            elif info.is_comment:
                items.add(element)
                done.add(element)
            elif not items:
                misses += 1
                if misses >= 12:
                    return None  # a dozen members and not one comment: not a thread
        if not items:
            return None
        return items, pingbacks, read

    def refused(self, parent, items: set, comments: list) -> bool:
        """The group's comments, read, are not this page's thread (step 4 of
        the module's doc)."""
        if len(comments) == 1 and (comments[0].score < 7.5 or not comments[0].evidence):
            return True  # one lone item must look like a comment on its own
        if sum(info.evidence for info in comments) * 2 < len(comments) and not self.named_thread(parent):
            # Structure alone: a live blog or a list of signed, dated entries
            # looks the same. A thread shows something only comments have: a
            # reply link, comment ids, a comment name on the items or around
            # them, "X says:".
            return True
        if sum(info.elsewhere for info in comments) * 2 > len(comments):
            return True  # each item is a title linking to another page: a list of articles or of their comments
        if sum(info.elsewhere or bool(info.pages) for info in comments) * 2 > len(comments) and \
                len(set().union(*(info.pages for info in comments))) > 1:
            # Most items link to other pages' comments, or beside their text to
            # other articles, and not all to one page (the article under another
            # form of its address): a box of other articles' comments, whatever
            # its name ("box-home", "last-comments").
            return True
        if self.off_thread(parent):
            return True
        # The items are named so themselves: the box ("div.last-comments") read as one comment.
        return sum(bool(_OTHER_ARTICLES.search(f"{e.get('class') or ''} {e.get('id') or ''}".lower()))
                   for e in items) * 2 > len(items)

    def kind_of(self, members: list, tag: str) -> _Kind | None:
        """What the members have in common; None when they are not alike
        (an article's header, text and footer boxes are siblings too, each
        named for itself: a thread's items share a class, an id scheme, or
        have no class at all)."""
        tokens = Counter()
        schemes = Counter()
        classless = 0
        for member in members:
            found = [token for token in _tokens(member) if not any(c.isdigit() for c in token)]
            tokens.update(found)
            classless += not member.get("class")
            scheme = _id_scheme(member.get("id"))
            if scheme:
                schemes[scheme] += 1
        count = len(members)
        need = count * 0.6
        core = frozenset(token for token, n in tokens.items() if n >= need)
        scheme = next((s for s, n in schemes.most_common(1) if n >= need), None)
        alike = count == 1 or core or scheme or classless * 2 >= count or \
            bool(tokens) and tokens.most_common(1)[0][1] * 2 >= count or \
            bool(schemes) and schemes.most_common(1)[0][1] * 2 >= count
        return _Kind(tag, core, scheme) if alike else None

    def item_elements(self, element) -> list:
        """The elements of one item: itself, and for a `dt` the `dd`s after it."""
        if element.tag != "dt":
            return [element]
        found = [element]
        sibling = element.getnext()
        while sibling is not None and sibling.tag != "dt":
            if sibling.tag == "dd":
                found.append(sibling)
            sibling = sibling.getnext()
        return found

    def named_thread(self, parent) -> bool:
        """The section or one of its near ancestors is named as comments."""
        element = parent
        for _ in range(6):
            if element is None or element.tag in ("body", "html"):
                return False
            if _COMMENT_HINT.search((element.get("class") or "") + " " + (element.get("id") or "")):
                return True
            element = element.getparent()
        return False

    def off_thread(self, parent) -> bool:
        """The group sits in a box of other content: a "latest/most commented"
        list, or an aside, a nav, a sidebar or a widget that is not itself the
        comments area (a theme may put `<aside id="comments">`)."""
        element = parent
        while element is not None and element.tag not in ("body", "html"):
            names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
            if _OTHER_ARTICLES.search(names):
                return True  # other articles' comments ("jcomments-latest", "widget_recent_comments")
            if element.tag in _OFF_THREAD_TAGS or not _OFF_THREAD_NAMES.isdisjoint(names.split()):
                return not _COMMENT_HINT.search(names)
            element = element.getparent()
        return False

    # --- reading an item ----------------------------------------------------------

    def read_item(self, elements: list, skip: set) -> _Item:
        """Parts and text of one item; `skip` holds the items (replies) nested in it."""
        item = _Item(elements=elements)
        first = elements[0]
        names = (first.get("class") or "") + " " + (first.get("id") or "")
        item.hint = bool(_COMMENT_HINT.search(names)) or "Comment" in (first.get("itemtype") or "") + (
            first.get("typeof") or "")
        item.pingback = bool(self.class_words(first.get("class"))[2] & F_PINGBACK)
        found = self.walk_item(item, elements, skip)
        if found is None:
            return item  # far too big for one comment
        roots = set(elements)
        # Nested replies are cut out by the walks themselves (`skip`); these are
        # the boxes of this item that are not its text.
        excluded = found.hidden | set(found.replies) | set(found.votes)
        item.reply = bool(found.replies)
        author_element = self.pick_author(item, found, excluded)
        date_element = self.pick_date(item, found.dates)
        header = self.header_line(item, found.headings + found.titles + [d[2] for d in found.dates],
                                  author_element, excluded)
        if not item.author:
            self.author_from_lines(item, elements, found.bolds, excluded, skip)
        parts = [p for p in (author_element, date_element, header) if p is not None]
        # The headline first: the header box around the name may hold it too.
        self.pick_title(item, found.headings + found.titles, excluded, roots, parts)
        for _, _, element, _ in found.dates:
            if not any(_inside(p, (element,), roots) for p in parts if p is not element):
                excluded.add(element)  # every date box, unless it holds the author (a header)
        self.read_text(item, elements, found, excluded, parts, skip)
        if not item.pingback and item.text and _PINGBACK.match(item.text):
            item.pingback = True
        self.points_elsewhere(item, found, excluded, author_element)
        return item

    def walk_item(self, item: _Item, elements: list, skip: set) -> _Found | None:
        """One walk over the item, replies left out, collecting its part
        candidates. Most elements of a comment are bare p, br, a or span:
        they cost a tag lookup, and only elements with attributes are
        looked at further."""
        found = _Found(roots=set(elements))
        budget = _ITEM_BUDGET
        order = 0
        quotes: list = []  # a quote is text; a <cite> or name in it is whom the reader quotes
        for root in elements:
            self.note_id(item, root)
            walker = etree.iterwalk(root, events=("start",))
            if not item.comment_id:
                self.note_anchor_id(item, root)
            next(walker)  # the item itself
            for _, element in walker:
                tag = element.tag
                if tag in _SKIP_TAGS or element in skip:
                    walker.skip_subtree()
                    continue
                budget -= 1
                if budget < 0:
                    return None
                order += 1
                quoted = bool(quotes) and _inside(element, quotes, found.roots)
                if tag == "blockquote" or tag == "q":
                    quotes.append(element)
                attributes = element.items()
                if not attributes:
                    if tag in _BARE_PART_TAGS:
                        _note_bare_part(found, element, tag, order, quoted)
                elif not self.note_parts(item, found, element, tag, dict(attributes), order, quoted):
                    walker.skip_subtree()  # hidden, a reply link or a vote box: not read into
        return found

    def note_subject(self, found: _Found, link) -> bool:
        """A line that is one permalink (Drupal's comment subject): a title,
        unless it is the date (WordPress links the date to the comment)."""
        box = link.getparent()
        if box is None or box.tag not in ("p", "div", "span", "strong", "b") or len(box) != 1:
            return False
        text = one_line("".join(link.itertext()))
        if text and not (box.text or "").strip() and not (link.tail or "").strip() and not _looks_like_date(text):
            found.titles.append(box)
            return True
        return False

    def note_anchor_id(self, item: _Item, element) -> None:
        """Drupal 7 puts the id on an empty <a id="comment-1"></a> just before the comment."""
        anchor = element.getprevious()
        if anchor is not None and anchor.tag == "a" and len(anchor) == 0 and not (anchor.text or "").strip():
            match = _COMMENT_ID.search(anchor.get("id") or anchor.get("name") or "")
            if match:
                item.comment_id = match.group(1)

    def note_id(self, item: _Item, element) -> None:
        if item.comment_id:
            return
        identifier = element.get("id")
        match = _COMMENT_ID.search(identifier) if identifier else None
        if match:
            item.comment_id = match.group(1)
            return
        for name in ("data-comment-id", "data-id", "data-comment"):
            value = element.get(name)
            if value and value.isdigit():
                item.comment_id = value
                return

    def note_parts(self, item: _Item, found: _Found, element, tag: str, attributes: dict, order: int,
                   quoted: bool) -> bool:
        """File one element with attributes among the part candidates; False
        when its inside is not to be read (hidden, a reply link, a vote box)."""
        if not item.comment_id and ("id" in attributes or "data-id" in attributes or
                                    "data-comment-id" in attributes):
            self.note_id(item, element)
        classes = attributes.get("class")
        if classes:
            roles = self._words.get(classes) or self.class_words(classes)
            flags, rank = roles[2], roles[3]
        else:
            flags, rank = 0, 0.0
        if not quoted and (flags & (F_DATE | F_META) or "datetime" in attributes or "content" in attributes
                           or tag == "time" or tag == "abbr" or not _EPOCH_ATTRIBUTES.isdisjoint(attributes)):
            self.note_date(found, element, tag, attributes, flags, order)  # a hidden element may still hold a date
        if flags & F_HIDDEN or "hidden" in attributes or attributes.get("aria-hidden") == "true" or (
                "style" in attributes and _HIDDEN_STYLE.search(attributes["style"])):
            found.hidden.add(element)
            return False
        if tag in _TEXT_BLOCKS:
            found.text_blocks.append(element)
        if quoted:
            return True
        if "itemprop" in attributes and attributes["itemprop"] == "author" or \
                "rel" in attributes and "author" in attributes["rel"].split():
            rank = 4.0
        if rank:
            found.authors.append((rank, order, element))
        elif tag == "cite":
            found.cites.append(element)
        elif tag == "b" or tag == "strong":
            found.bolds.append(element)
        return self.note_links_and_boxes(found, element, tag, attributes, classes, flags)

    def note_date(self, found: _Found, element, tag: str, attributes: dict, flags: int, order: int) -> None:
        """File the element's date, if it shows one, among the date candidates."""
        date = self.date_of(element, tag, attributes, flags)
        if date:
            found.dates.append((date[0], order, element, date[1]))

    def note_links_and_boxes(self, found: _Found, element, tag: str, attributes: dict, classes: str | None,
                             flags: int) -> bool:
        """The rest of `note_parts`: reply links, page furniture (votes,
        "Permalink", "edit"), a comment's subject line, headings and titles,
        links and text boxes. False when the element's inside is not to be
        read."""
        if (tag == "a" or flags & F_REPLY) and self.is_reply_link(element, flags, tag, attributes):
            found.replies.append(element)
            return False
        if tag == "a" and "href" in attributes:
            text = element.text if len(element) == 0 else "".join(element.itertext())
            if text and len(text) < 30 and text.strip().lower() in _WIDGET_LINK_WORDS:
                found.votes.append(element)  # "Permalink", "edit", "report": page furniture
                return False
            if ("bookmark" in (attributes.get("rel") or "") or "permalink" in (classes or "")) and \
                    self.note_subject(found, element):
                return True
        if flags & F_VOTE:
            found.votes.append(element)
            return False
        titled = flags & F_TITLE
        if tag in _HEADINGS:
            found.headings.append(element)
        elif titled:
            found.titles.append(element)
        if tag == "a" and "href" in attributes:
            found.links.append(element)
            if titled or element.getparent() in found.title_boxes:
                found.title_links.append(element)
        if titled or tag in _HEADINGS:
            found.title_boxes.add(element)
        if flags & F_TEXT or "itemprop" in attributes and attributes["itemprop"] in ("text", "commentText") or \
                "property" in attributes and "text" in attributes["property"].lower():
            found.containers.append(element)
        return True

    def is_reply_link(self, element, flags: int, tag: str, attributes: dict) -> bool:
        """A reply link or its small box ("Reply", "[antworten]", "رد")."""
        if tag not in _REPLY_TAGS:
            return False
        href = (attributes.get("href") or "") if tag == "a" else ""
        named = bool(flags & F_REPLY) or "replytocom=" in href or "#respond" in href or \
            "/reply" in href.lower()
        if not named:
            # A bare link: a reply link only by its word, which is its whole short text.
            if len(element) == 0:
                text = element.text
                return bool(text) and len(text) < 40 and _is_reply_word(text)
            text = "".join(element.itertext())
            return len(text) < 40 and _is_reply_word(text)
        return len(one_line("".join(element.itertext()))) <= 30

    def date_of(self, element, tag: str, attributes: dict, flags: int) -> tuple[float, str] | None:
        """(rank, value) when `element` is a date part."""
        value = attributes.get("datetime")
        if value and (value[:4].isdigit() or _has_strong_date(value)):
            return 4.0, value
        value = attributes.get("content")
        if value and "date" in (attributes.get("property") or attributes.get("itemprop") or "").lower() and \
                _has_strong_date(value):
            return 4.0, value
        for name in _EPOCH_ATTRIBUTES:
            value = attributes.get(name)
            if value and value.isdigit() and 9 <= len(value) <= 10:
                # Drupal's data-comment-timestamp: an instant in no one's date order, but
                # the last change, so a dateCreated or datetime beside it comes first.
                return 3.8, datetime.fromtimestamp(int(value), tz=UTC).isoformat()
        if tag == "time":
            text = _squash("".join(element.itertext()))
            return (3.0, text) if text else None
        if (tag == "abbr" or flags & F_DATE) and _has_strong_date(attributes.get("title") or ""):
            return 3.5, attributes["title"]
        if flags & (F_DATE | F_META):
            text = _squash("".join(element.itertext()))
            if text and len(text) <= 80 and _has_strong_date(text):
                return (2.0 if flags & F_DATE else 1.0), text
        return None

    def pick_author(self, item: _Item, found: _Found, excluded: set):
        """The author element: the most specific author-named element with a
        name in it; `cite` after that."""
        candidates = sorted(found.authors, key=lambda entry: (-entry[0], entry[1]))
        candidates += [(1.5, 0, element) for element in found.cites]
        date_elements = {entry[2] for entry in found.dates}
        above_text = self.boxes_above_text(found)
        for _, _, element in candidates:
            if _inside(element, excluded, found.roots) or element in above_text:
                continue  # hidden, or a box that holds the comment's text too ("wpd-blog-user")
            name = self.author_text(element, date_elements, excluded)
            if name:
                item.author = name
                item.author_css = element
                item.says = item.says or bool(_SAYS_TAIL.search(one_line("".join(element.itertext()))))
                return element
        return None

    def author_text(self, element, date_elements: set, excluded: set) -> str:
        """The name shown in an author element, without its date, "says:" or badge."""
        if len(element) == 0:
            name = _squash(element.text or "")  # the common case: <b class="fn">Name</b>
        else:
            skip = set(excluded)
            badges = set()
            for node in element.iterdescendants(etree.Element):
                text = one_line("".join(node.itertext()))
                if node in date_elements or node.tag == "time" or _SAYS_ONLY.match(text) or \
                        (text and _looks_like_date(text)):
                    skip.add(node)
                elif text.lower() in _BADGE_WORDS or self.class_words(node.get("class"))[2] & F_BADGE:
                    badges.add(node)
            # A badge ("Autor") goes when a name is left without it: "admin" or
            # "Editor" may be the name itself.
            lines = _lines([element], skip | badges) or _lines([element], skip)
            name = _squash(lines[0]) if lines else ""
        name = _SAYS_TAIL.sub("", name).strip(" :|,-–—")
        if not name or len(name) > 80 or _looks_like_date(name) or _is_reply_word(name):
            # An author box with the date in it, printed "Name | date": the name part.
            parts = [p for p in _HEADER_SEPARATOR.split(name) if p and not _looks_like_date(p)] if name else []
            name = parts[0].strip() if parts and len(parts[0]) <= 80 and not _is_reply_word(parts[0]) else ""
        return name

    def pick_date(self, item: _Item, dates: list):
        if not dates:
            return None
        dates.sort(key=lambda entry: (-entry[0], entry[1]))
        rank, _, element, value = dates[0]
        item.date_value = value
        item.date_text = element  # its shown text, read only when the value is a bare day
        item.date_css = element
        item.dates = len({entry[3] for entry in dates if entry[0] >= 3.0})
        return element

    def header_line(self, item: _Item, lines: list, author_element, excluded: set):
        """Without an author element: a header line "Name | date" (Drupal's
        footer h6), or a byline "geschrieben von NAME am DATE"."""
        if author_element is not None:
            return None
        for element in lines:
            if element in excluded:
                continue
            text = _squash(" ".join(_lines([element], excluded)))
            if not text or len(text) > 120 or not _has_strong_date(text):
                continue
            by = _BY.search(text)
            if by and not _looks_like_date(by.group(1)):
                name = by.group(1).strip(" :|,")
                if 0 < len(name) <= 60:
                    item.author, item.author_css = name, element
                    return element
            segments = [s.strip() for s in _HEADER_SEPARATOR.split(text) if s.strip()]
            if len(segments) >= 2 and not _has_strong_date(segments[0]) and len(segments[0]) <= 60:
                item.author, item.author_css = _SAYS_TAIL.sub("", segments[0]), element
                return element
        return None

    def author_from_lines(self, item: _Item, elements: list, bolds: list, excluded: set, skip: set) -> None:
        """Last resorts: "Name says:" in the first lines, or a bold name before the text."""
        lines = _lines(elements, excluded, skip)[:3]
        for line in lines:
            match = _SAYS_LINE.match(line)
            if match and not _looks_like_date(match.group(1)):
                item.author, item.author_css, item.says = match.group(1).strip(), "(X says:)", True
                return
        for element in bolds[:1]:
            name = _squash("".join(element.itertext()))
            if name and len(name) <= 60 and lines and lines[0].startswith(name) and not _looks_like_date(name):
                item.author, item.author_css = name, element.tag
                excluded.add(element)
                return

    def boxes_above_text(self, found: _Found) -> set:
        """The boxes holding the item's text blocks (not the blocks themselves)."""
        above: set = set()
        for block in found.text_blocks + found.containers:
            above.update(_up_to(block, found.roots))
        return above

    def text_holders(self, found: _Found) -> set:
        """The text blocks and text boxes of the item, and the boxes holding them."""
        if found.holders is None:
            found.holders = set()
            for block in found.text_blocks + found.containers:
                found.holders.add(block)
                found.holders.update(_up_to(block, found.roots))
        return found.holders

    def absorb(self, part, elements: list, found: _Found):
        """The largest box around `part` that holds nothing else a reader reads
        as text: "X says:" around the name, a badge, the date link, a header.
        It stops below the boxes holding the comment's text."""
        self.text_holders(found)
        top = part
        node = part.getparent()
        own = len(one_line("".join(part.itertext())))
        while node is not None and node not in elements and node not in found.holders:
            if len(one_line("".join(node.itertext()))) > own + 40:
                break
            top = node
            node = node.getparent()
        return top

    def pick_title(self, item: _Item, boxes: list, excluded: set, roots: set, parts: list) -> None:
        """A comment's own headline (h2 "Ein Argument", Drupal's subject link)."""
        for element in boxes:
            if element in excluded or _inside(element, excluded, roots):
                continue
            if any(part is element or _inside(part, (element,), roots) or _inside(element, (part,), roots)
                   for part in parts):
                continue  # the header line with the name or date (Drupal's "Name | date")
            text = _squash(" ".join(_lines([element], excluded)))
            if text and len(text) <= 200 and not _looks_like_date(text):
                if not item.title:
                    item.title = text
                excluded.add(element)

    def read_text(self, item: _Item, elements: list, found: _Found, excluded: set, parts: list,
                  skip: set) -> None:
        """The comment's own words: its text boxes when it has some that hold
        no author or date, else everything left once the parts, and the boxes
        around them that hold nothing else, are taken out."""
        roots = set(elements)
        around_parts = set(parts)
        for part in parts:
            around_parts.update(_up_to(part, roots))
        # Text boxes holding no author or date, and not inside another such box.
        pure = [c for c in found.containers if c not in excluded and c not in around_parts]
        if pure:
            boxes = set(pure)
            pure = [c for c in pure if not _inside(c, boxes, roots)]
        lines = _lines(pure, excluded, skip) if pure else []
        if lines and self.text_outside(found, pure, excluded, parts, skip):
            lines = []  # the box holds part of the text only (a quote box): the whole item is read
        if lines:
            # A text box holds the comment's words only: a comment may well
            # say just "Antwort." or "2015".
            item.text_css = pure[-1]
            item.text = one_line(" ".join(lines))
            return
        for part in parts:
            excluded.add(self.absorb(part, elements, found))
        lines = _lines(elements, excluded, skip)
        item.text_css = "(item text)"
        kept = []
        for line in lines:
            if not self.not_text(line, item):
                kept.append(line)
            elif not item.date_value and _looks_like_date(line) and _has_strong_date(line):
                item.date_value = item.date_text = line  # a date printed as bare text ("<br>März 7, 2018")
                item.date_css = "(text line)"
        item.text = one_line(" ".join(kept))

    def text_outside(self, found: _Found, pure: list, excluded: set, parts: list, skip: set) -> bool:
        """Paragraphs with words in them outside the text boxes and the parts."""
        inside = set(pure) | excluded | set(parts)
        stray = [block for block in found.text_blocks
                 if block not in inside and not _inside(block, inside, found.roots)]
        return bool(stray) and bool(_lines(stray, excluded | set(parts), skip))

    def not_text(self, line: str, item: _Item) -> bool:
        """A line that is a part left over (a name, "says:", "Reply", a date, "[ ]")."""
        if len(line) > 200:
            return False  # a paragraph: the leftovers are all short
        if _no_words(line) or _SAYS_ONLY.match(line) or _is_reply_word(line):
            return True
        if item.author and line.strip(" :") == item.author:
            return True
        if item.title and line == item.title:
            return True
        return _looks_like_date(line) and len(line.split()) <= 6

    def teases(self, link, headline: bool) -> bool:
        """A link to another page of this site by its headline or picture: the
        item is a teaser of that page (related articles, a "latest comments"
        box), not a comment here. A commenter's name linking to a profile, a
        permalink or a reply page is not one."""
        href = link.get("href") or ""
        if not href or href[0] == "#":
            return False
        if not headline and link.find("img") is None:
            text = link.text if len(link) == 0 else "".join(link.itertext())
            if len((text or "").split()) < 3:
                return False
        target = self.other_page(href)
        return target is not None and not _NOT_TEASER_PATH.search(target[0])

    def points_elsewhere(self, item: _Item, found: _Found, excluded: set, author_element) -> None:
        """What of the item points at other pages of this site: `elsewhere`
        when it is a teaser by headline or picture (`teases`), and in `pages`
        the other pages it links to by a comment anchor ("/other#comment-5",
        "/other#comments", a reply link there) or, beside its text, by a link
        that is not the commenter's name, the comment's own words or a date
        (a permalink may live on its own page). A link to this page's path,
        "#comment-5" included, is in the thread. The group decides (evaluate):
        items of a real thread link to one page, the article, even when its
        address is written another way than the crawled one."""
        text_boxes = None
        for link in found.links:
            href = link.get("href") or ""
            target = False  # not looked up yet: most links need no URL parsing
            if "#" in href or "replytocom" in href:
                target = self.other_page(href)
                if target is None or _NOT_TEASER_PATH.search(target[0]):
                    continue  # this page, another site; a comment's own page, a profile, a log-in page
                if _comment_anchor(target[1], target[2]):
                    item.pages.add(target[0])
                    continue
            if link in excluded:
                continue
            if self.teases(link, link in found.title_links):
                item.elsewhere = True
                return
            if text_boxes is None:
                text_boxes = set(found.text_blocks) | set(found.containers)
            if not _beside_text(item, found, link, author_element, text_boxes):
                continue
            if target is False:
                target = self.other_page(href)
            if target is not None and not _NOT_TEASER_PATH.search(target[0]):
                item.pages.add(target[0])
        self.widget_pages(item, found)

    def widget_pages(self, item: _Item, found: _Found) -> None:
        """The other pages the item's reply and permalink boxes lead to by a
        comment anchor ("Reply" or "Permalink" on another page), into `pages`."""
        for box in found.replies + found.votes:
            for link in (box,) if box.tag == "a" else box.iter("a"):
                href = link.get("href") or ""
                if "#" not in href and "replytocom" not in href:
                    continue
                target = self.other_page(href)
                if target is not None and _comment_anchor(target[1], target[2]) and \
                        not _NOT_TEASER_PATH.search(target[0]):
                    item.pages.add(target[0])  # "Reply" or "Permalink" on another page

    # --- the thread -----------------------------------------------------------------

    def build(self, found: dict) -> DetectedThread:
        """The comments in page order, each linked to the item it answers."""
        parent = found["parent"]
        items, pingbacks, read = found["items"], found["pingbacks"], found["read"]
        # Boxes between the section and its items: walked into, never read.
        holders = set()
        for element in items | pingbacks:
            for ancestor in element.iterancestors():
                if ancestor is parent or ancestor in holders:
                    break
                holders.add(ancestor)
        comments: list[dict] = []
        order: list = []
        # Frames [children, parent index, depth, last item seen at this level],
        # walked depth first in page order on an explicit stack, so that a
        # thread nested a thousand deep cannot exhaust Python's.
        stack = [[iter(parent), None, 0, None]]
        while stack:
            frame = stack[-1]
            child = next(frame[0], None)
            if child is None:
                stack.pop()
                continue
            if not isinstance(child.tag, str):
                continue
            _, parent_index, depth, previous = frame
            if child in pingbacks:
                stack.append([iter(child), parent_index, depth, None])  # left out; a reply to it answers its parent
            elif child in items:
                comments.append(self.record(read[child], parent_index, depth))
                order.append(child)
                frame[3] = len(comments) - 1
                stack.append([iter(child), frame[3], depth + 1, None])
            elif child in holders:
                if previous is not None and self.holds_replies(child):
                    # Drupal (div.indented) and dl threads (dd): replies follow their comment.
                    stack.append([iter(child), previous, depth + 1, None])
                else:
                    stack.append([iter(child), parent_index, depth, None])
        return self.finish(found, comments, order)

    def holds_replies(self, element) -> bool:
        """A box after an item that nests the replies to it: a list, or one
        named so (Drupal's div.indented, "children", "replies")."""
        return element.tag in ("ul", "ol", "dl", "dd") or bool(self.words(element) & _REPLIES_CONTAINER_WORDS)

    def record(self, info: _Item, parent_index: int | None, depth: int) -> dict:
        return {
            "comment_id": info.comment_id,
            "title": info.title,
            "author": info.author,
            "text": info.text,
            "posted_at": self.posted_at(info.date_value, info.date_text),
            "parent": parent_index,
            "depth": depth,
        }

    def posted_at(self, value: str, text: str = "") -> str | None:
        """ISO 8601 of the item's date; a date-only attribute ("2020-07-29")
        gives way to the shown text when that has the time of the same day."""
        found = _parse(value, self.timezone)
        if found and len(value.strip()) == 10 and text is not None and not isinstance(text, str):
            text = _squash("".join(text.itertext()))
        if found and len(value.strip()) == 10 and text and text != value:
            shown = _parse(text, self.timezone)
            if shown and shown[:10] == found[:10]:
                return shown
        return found

    def finish(self, found: dict, comments: list, order: list) -> DetectedThread:
        parent = found["parent"]
        read = found["read"]
        block_css = self.css_path(parent)
        items_css = self.items_css(found, block_css, order)
        parts = {}
        for name in ("author", "text", "date"):
            values = Counter(_part_css(getattr(read[e], f"{name}_css")) for e in order[:50]
                             if getattr(read[e], f"{name}_css") is not None and getattr(read[e], f"{name}_css") != "")
            if values:
                parts[name] = values.most_common(1)[0][0]
        return DetectedThread(items_css=items_css, block_css=block_css, comments=comments,
                              next_urls=self.next_urls(parent), pingbacks=len(found["pingbacks"]), parts=parts)

    # --- selectors a maintainer can paste ---------------------------------------------

    def css_path(self, element) -> str:
        """A short CSS path to the section: up to an id, or stopping at a
        comment-named element whose `tag.class` already finds it first."""
        segments: list[str] = []
        node = element
        while node is not None and node.tag not in ("html", "body") and len(segments) < 4:
            identifier = node.get("id")
            if identifier and _CSS_NAME.fullmatch(identifier) and not any(c.isdigit() for c in identifier):
                segments.insert(0, f"{node.tag}#{identifier}")
                break
            segment = _element_css(node, prefer=_COMMENT_HINT)
            segments.insert(0, segment)
            if node is element and "." in segment and _COMMENT_HINT.search(segment) and self.finds_first(segment, node):
                break
            node = node.getparent()
        return " > ".join(segments)

    def finds_first(self, css: str, element) -> bool:
        try:
            return select(self.root, css)[:1] == [element]
        except Exception:  # noqa: BLE001 - a selector we cannot build is only a longer path
            return False

    def items_css(self, found: dict, block_css: str, order: list) -> str:
        """A selector for the comments, checked against what was found: the
        repeated element by its shared class or its id scheme, the element
        inside it that carries the comment id, or the bare tag; the first that
        picks out exactly the comments read (pingbacks left out). Checked by
        walking the section, not by XPath: cheap on any nesting."""
        kind: _Kind = found["kind"]
        wanted = set(order)
        options = []
        # Classes every comment found has (pingbacks, which dilute the
        # members' shared classes, are not among them), then the members' own.
        shared = Counter(token for element in order for token in _tokens(element))
        core = [token for token, n in shared.items() if n == len(order) and not any(c.isdigit() for c in token)]
        core += [token for token in kind.core if token not in core]
        core.sort(key=lambda token: (not _COMMENT_HINT.search(token), token))
        for token in core:
            if _CSS_NAME.fullmatch(token) and token.lower() == token:
                options.append((f"{kind.tag}.{token}", kind.tag, lambda e, t=token: t in _tokens(e)))
        if kind.id_scheme and re.fullmatch(r"[a-z_-]+#", kind.id_scheme):
            prefix = kind.id_scheme[:-1]
            options.append((f'{kind.tag}[id^="{prefix}"]', kind.tag,
                            lambda e, p=prefix: (e.get("id") or "").startswith(p)))
        inner = self.inner_signature(order)
        if inner:
            tag, _, token = inner.partition(".")
            options.append((inner, tag, lambda e, t=token: t in _tokens(e)))
        options.append((kind.tag, kind.tag, lambda e: True))
        parent = found["parent"]
        for css, tag, test in options:
            owners = [self.owner(element, wanted, parent) for element in parent.iter(tag)
                      if element is not parent and test(element)]
            if len(owners) == len(wanted) and set(owners) == wanted:
                return f"{block_css} {css}"
        return f"{block_css} {options[0][0]}"

    def inner_signature(self, order: list) -> str | None:
        """`tag.class` of the element carrying the comment id inside each item
        (Drupal's article.comment inside a layout box)."""
        signatures = Counter()
        for element in order:
            for _, node in zip(range(40), element.iterdescendants(etree.Element), strict=False):  # the first 40 only
                if _COMMENT_ID.search(node.get("id") or ""):
                    signatures[_element_css(node, prefer=_COMMENT_HINT)] += 1
                    break
        if signatures:
            signature, count = signatures.most_common(1)[0]
            if count == len(order) and "." in signature:
                return signature
        return None

    def owner(self, element, wanted: set, parent):
        """The item `element` is, or sits in (below the section)."""
        node = element
        while node is not None and node is not parent:
            if node in wanted:
                return node
            node = node.getparent()
        return None

    # --- paging ---------------------------------------------------------------------

    def next_urls(self, parent) -> list[str]:
        """Links to the thread's other pages, most likely next first: only
        http(s) links on this host, never this page itself."""
        scope = self.paging_scope(parent)
        here = self.base_url.split("#", 1)[0]
        found: dict[str, tuple] = {}
        for position, link in enumerate([*scope.iter("a"), *self.paging_links]):
            href = (link.get("href") or "").strip()
            if not href or href[0] == "#" or "replytocom=" in href or "#respond" in href:
                continue
            rank = self.paging_rank(link, href, scope)
            if rank is None:
                continue
            url = (join_url(self.base_url, href) or "").split("#", 1)[0]
            if not url:
                continue  # no URL a parser can read
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() != self.base_host \
                    or url == here:
                continue
            if url not in found or found[url] > (rank, position):
                found[url] = (rank, position)
        return [url for url, _ in sorted(found.items(), key=lambda entry: entry[1])]

    def paging_scope(self, parent):
        """The thread's section: the items' parent, or the named box around it
        where themes put the page links (above or below the list)."""
        scope = parent
        for _ in range(3):
            up = scope.getparent()
            if up is None or up.tag in ("body", "html"):
                break
            scope = up
            if _COMMENT_HINT.search((scope.get("id") or "") + " " + (scope.get("class") or "")):
                break
        return scope

    def paging_rank(self, link, href: str, scope) -> int | None:
        """0 for a "next"/"newer comments" link, 1 for "previous"/"older", 2 for
        a page number; None for a link that is not the thread's paging. Cheap
        tests first: most links of a thread are names, permalinks and replies."""
        text = one_line(link.text if len(link) == 0 else "".join(link.itertext()))
        if "omment" in text or "تعليق" in text:  # every "older comments" says "comment"
            if _NEXT_TEXT.search(text):
                return 0
            if _PREVIOUS_TEXT.search(text):
                return 1
        by_url = bool(_PAGING_URL.search(href))
        words = self.words(link) | _words(link.get("rel")) if link.get("class") or link.get("rel") else frozenset()
        numbered = bool(_PAGE_NUMBER.match(text))
        if not (by_url or numbered or words & (_NEXT_WORDS | _PREVIOUS_WORDS | {"page-numbers", "page"})
                or text in _ARROWS):
            return None
        in_paging = False
        stop = scope.getparent()
        for ancestor in link.iterancestors():
            if ancestor is stop:
                break
            ancestor_words = self.words(ancestor)
            if ancestor.tag == "nav" or ancestor_words & _PAGING_BOX_WORDS:
                # A pager of this thread: inside its section, or named for comments.
                in_paging = True
            words |= ancestor_words & (_NEXT_WORDS | _PREVIOUS_WORDS)
        if not (by_url or in_paging):
            return None
        if words & _NEXT_WORDS or text in _NEXT_ARROWS:
            return 0
        if words & _PREVIOUS_WORDS or text in _PREVIOUS_ARROWS:
            return 1
        return 2 if by_url or numbered else None


def _part_css(part) -> str:
    """How a part was read, for the doctor to print: `tag.class` of its
    element (a date read from its attribute says so), or a word."""
    if isinstance(part, str):
        return part
    css = _element_css(part)
    return css + "::attr(datetime)" if part.get("datetime") else css


def _parse(value: str, timezone: str) -> str | None:
    """ISO 8601 of a shown date, or None."""
    if not value:
        return None
    try:
        # A Latin month name is rewritten first: newscrawl.dates reads numbers
        # and the Arabic names, and one call is cheaper than two.
        # (The month-name pattern is costly: only text with a Latin word is tried.)
        match = _LATIN_DATE.search(value) if len(value) < 120 and _LATIN_WORD.search(value) else None
        if match and not _OFFSET.search(value):
            found = parse_date(_numeric(match), tz=timezone)
        else:
            # With its own zone ("Tue, 24 Mar 2015 15:02:00 GMT") the value is read as it is.
            found = parse_date(value, tz=timezone) or (parse_date(_numeric(match), tz=timezone) if match else None)
        return to_iso(found) if found else None
    except (ValueError, OverflowError, TypeError):
        return None


def _numeric(match: re.Match) -> str:
    """"July 11, 2011 at 6:33 pm" -> "2011-07-11 18:33", for newscrawl.dates."""
    month = _LATIN_MONTHS[(match.group("month") or match.group("month2")).lower()]
    day = int(match.group("day") or match.group("day2"))
    year = match.group("year") or match.group("year2")
    numeric = f"{year}-{month:02d}-{day:02d}"
    if match.group("hour"):
        hour = int(match.group("hour"))
        half = (match.group("half") or "").lower().replace(".", "")
        if half == "pm" and hour < 12:
            hour += 12
        elif half == "am" and hour == 12:
            hour = 0
        numeric += f" {hour:02d}:{match.group('minute')}"
    return numeric


def _holders(outer: dict, inner: dict):
    """For each item of `inner`, the nearest item of `outer` around it, if
    any (looking up to `outer`'s section): one walk, lazily, for both tests
    below."""
    stop = outer["parent"]
    outer_items = outer["items"]
    for element in inner["items"]:
        for _, ancestor in zip(range(_MAX_CLIMB), element.iterancestors(), strict=False):  # _MAX_CLIMB at most
            if ancestor is stop:
                break
            if ancestor in outer_items:
                yield ancestor
                break


def _holds_several(outer: dict, inner: dict) -> bool:
    """Items of `outer` (page columns) each holding two or more of `inner`'s
    items at their own level: `outer` is the page around a thread. An
    `li.comment` wrapping one `article.comment` holds one: it is the comment."""
    held = Counter()
    for holder in _holders(outer, inner):
        held[holder] += 1
        if held[holder] >= 2:
            return True
    return False


def _holds_any(outer: dict, inner: dict) -> bool:
    """Some item of `outer` is a box around an item of `inner`."""
    return next(_holders(outer, inner), None) is not None


def _up_to(element, stop: set):
    """The ancestors of `element` below `stop` (an item's own elements)."""
    node = element.getparent()
    while node is not None and node not in stop:
        yield node
        node = node.getparent()


def _inside(element, boxes, stop=()) -> bool:
    """`element` is below (not at) one of `boxes`, looking up to `stop` (the item)."""
    if not boxes:
        return False
    node = element.getparent()
    while node is not None:
        if node in boxes:
            return True
        if node in stop:
            return False
        node = node.getparent()
    return False


def _term_of(dd):
    """The `dt` a `dd` belongs to (the nearest one before it)."""
    node = dd.getprevious()
    while node is not None:
        if node.tag == "dt":
            return node
        node = node.getprevious()
    return None
