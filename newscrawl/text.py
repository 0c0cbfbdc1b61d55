"""Text rules shared by extraction, storage and the dump layout.

Text is kept exactly as published; the only change ever made to it is the
white-space rule of the seed layout (shared/spec/seed-format.md): a field is
written on one line, so inner newlines, tabs and runs of white space become
one space and the field is stripped at both ends.
"""

from __future__ import annotations

import hashlib
import logging
import re

# \s in Python's re is Unicode-aware: it covers NBSP, the Unicode spaces,
# line and paragraph separators. It does not touch ZWNJ/ZWJ or the
# bidi marks (category Cf), which are part of how Arabic text is written.
_WHITESPACE = re.compile(r"\s+")


def one_line(value: str | None) -> str:
    """Collapse white space to single spaces and strip: the rule for every field."""
    if not value:
        return ""
    # Most fields are on one line already (extraction made them so, and the
    # pipelines and the store ask again): a printable string has no white
    # space but U+0020, so without a space at an end or two in a row it is
    # its own answer, told in C without splitting it.
    if type(value) is str and value.isprintable() and value[0] != " " and value[-1] != " " and "  " not in value:
        return value
    # str.split() splits on exactly what \s matches (Unicode white space),
    # and faster than a regex: this runs on every field of every comment.
    return " ".join(value.split())


# " -" ends a comment's author in a dump line (seed-format.md), so an author
# holding it, or starting with "-", is written with U+2010 instead (it looks
# the same). Comment identity uses the same form, so that a comment read
# back from a dump is the comment it was written from.
AUTHOR_SEPARATOR = " -"
AUTHOR_HYPHEN_REPLACEMENT = " \u2010"


def hyphen_safe_author(author: str) -> str:
    """`author` with the hyphens a dump line cannot carry written as U+2010."""
    safe = author.replace(AUTHOR_SEPARATOR, AUTHOR_HYPHEN_REPLACEMENT)
    if safe.startswith("-"):
        safe = "\u2010" + safe[1:]
    return safe


def clean_lines(lines) -> list[str]:
    """Apply `one_line` to each line and drop the lines that end up empty."""
    out = []
    for line in lines or ():
        line = one_line(line)
        if line:
            out.append(line)
    return out


# Mojibake: UTF-8 or windows-1256 Arabic decoded as cp1252/latin-1 turns into
# runs of Latin-1 letters such as "ÇáÍßæãÉ" or "Ø§Ù„". Real Arabic text has
# almost none of these, so a field made mostly of them is a decoding error.
_LATIN1_LETTERS = re.compile(
    r"[\u00c0-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2020-\u2022\u2030\u2039\u203a]+"
)
_ARABIC_LETTERS = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]+")


# UTF-8 Arabic read as windows-1256 looks Arabic, but every letter's lead byte
# (0xD8/0xD9) becomes ط or ظ: "ط§ظ„ط¬ط¹ظپط±ظٹ". Real text has few of them.
_TA_ZA = re.compile("[\u0637\u0638]")


def looks_like_mojibake(text: str) -> bool:
    """True when `text` reads like Arabic decoded with the wrong charset.

    Three signatures: many U+FFFD replacement characters (bytes that were
    not in the assumed charset; one or two stray ones are the site's own
    damage and are kept); Latin-1 letters outnumbering Arabic ones (Arabic
    read as cp1252/latin-1: "ÇáÍßæãÉ"); and ط/ظ making up a third of the
    Arabic letters (UTF-8 read as windows-1256). French or English words
    with a few accents are not flagged.
    """
    if not text:
        return False
    replacements = text.count("\ufffd")
    if replacements >= 3 and replacements * 10 > _letters(text):
        return True
    if text.isascii():
        return False  # neither Latin-1 nor Arabic letters
    # This runs on every page and every field: the regular expressions are
    # asked only when the cheap counts in C cannot settle it.
    latin1 = _latin1_letters(text)
    ta_za = text.count("\u0637") + text.count("\u0638")
    if latin1 < 4:
        if ta_za < 3:
            return False  # ta_za * 3 > arabic >= 8 needs three of them
        # Real Arabic has many more alifs, lams and yas than ط and ظ: a
        # lower bound of the Arabic letters is often enough to say no.
        at_least = ta_za
        for letter in _COMMON_ARABIC:
            at_least += text.count(letter)
            if at_least >= ta_za * 3:
                return False
    arabic = _count(_ARABIC_LETTERS, text)
    if latin1 >= 4 and latin1 > arabic and latin1 * 3 > _letters(text):
        return True
    return arabic >= 8 and ta_za * 3 > arabic


# alif, lam, ya, mim, waw, nun: Arabic letters (in _ARABIC_LETTERS), the commonest.
_COMMON_ARABIC = "\u0627\u0644\u064a\u0645\u0648\u0646"
# The characters of _LATIN1_LETTERS are exactly those cp1252 writes as the
# bytes below (one byte each, and no other character is written as them):
# counting those bytes counts the letters, in C.
_LATIN1_BYTES = bytes(range(0xC0, 0x100)) + bytes((0x8C, 0x9C, 0x8A, 0x9A, 0x9F, 0x8E, 0x9E, 0x83, 0x88, 0x98,
                                                   0x86, 0x87, 0x95, 0x89, 0x8B, 0x9B))
_NOT_LATIN1_BYTES = bytes(b for b in range(256) if b not in _LATIN1_BYTES)


def _latin1_letters(text: str) -> int:
    """How many characters of `text` _LATIN1_LETTERS matches."""
    return len(text.encode("cp1252", "ignore").translate(None, _NOT_LATIN1_BYTES))


def _count(runs: re.Pattern, text: str) -> int:
    """Characters in the runs `runs` matches (a pattern ending in +): what
    is left after removing them, in one pass in C."""
    return len(text) - len(runs.sub("", text))


_LETTER_RUNS = re.compile(r"[^\W\d_]+")


def _letters(text: str) -> int:
    # Counted only when needed: this runs on every page and comment, and
    # most Arabic text is settled by the cheaper counts.
    return _count(_LETTER_RUNS, text)


def short_hash(*parts: str, length: int = 16) -> str:
    """A stable hex digest of the given strings (used for comment keys, content hashes)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


# The digits of every Arabic region (Arabic-Indic U+0660-0669, Persian and
# Urdu U+06F0-06F9) as ASCII digits, for str.translate.
ARABIC_DIGITS = str.maketrans({**{chr(0x0660 + d): str(d) for d in range(10)},
                               **{chr(0x06F0 + d): str(d) for d in range(10)}})


# What must not reach a terminal raw: C0 and C1 controls (ESC starts the
# sequences that retitle a window or clear the screen), DEL, and the bidi
# embedding, override and isolate controls (U+202A-202E, U+2066-2069) that
# reorder what follows them. Kept in the archive; shown escaped.
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# The same and the line break: for a field shown inside one line of output,
# where a newline of its own would start a line that looks like ours.
_TERMINAL_UNSAFE_IN_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# What json.dumps(ensure_ascii=False) leaves raw but a terminal acts on: DEL,
# the C1 controls (U+009B is CSI, like ESC [) and the bidi controls. JSON
# escapes C0 itself.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def terminal_safe(text: str, *, newlines: bool = True) -> str:
    """`text` with every control a terminal would act on shown as an escape
    (\\x1b, \\x9b, \\u202e); tabs and, unless `newlines` is false, line
    breaks pass. Text without controls comes back unchanged, so applying it
    twice is applying it once (a backslash is not escaped: the archive's own
    text "\\x1b" and an escaped ESC look the same, and both are harmless)."""
    return (_TERMINAL_UNSAFE if newlines else _TERMINAL_UNSAFE_IN_LINE).sub(_escape, text)


def terminal_safe_json(dumped: str) -> str:
    """JSON text (from json.dumps(..., ensure_ascii=False)) with DEL, C1 and
    bidi controls written as \\u escapes. Lossless: a JSON reader gets back
    exactly the archived text; only the bytes that reach a terminal change.
    These characters can only occur inside JSON strings, where \\uXXXX is
    the standard escape for any character."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


class TerminalSafeFormatter(logging.Formatter):
    """Another formatter's log lines with their controls escaped: a crawl's
    warnings quote pages (a canonical link, a comments link, a title), and
    a log is read on a terminal (`tail -f`, `less -R`, cron's mail)."""

    def __init__(self, inner: logging.Formatter | None = None):
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return terminal_safe(self.inner.format(record))


def terminal_safe_logging() -> None:
    """Escape controls in every log record this process makes from now on,
    whichever handler writes it: Scrapy replaces its root handler as each
    crawler starts, so a formatter on it would not last. The message is
    formatted once, when the record is made (only records of an enabled
    level are made), and so is a traceback. Installing it twice is harmless."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "terminal_safe", False):
        return

    def terminal_safe_record(*args, **kwargs) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        record.msg, record.args = terminal_safe(record.getMessage()), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = terminal_safe(_PLAIN.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = terminal_safe(record.stack_info)
        return record

    terminal_safe_record.terminal_safe = True
    logging.setLogRecordFactory(terminal_safe_record)


_PLAIN = logging.Formatter()
