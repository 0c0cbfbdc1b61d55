"""Text rules shared by extraction, storage and the dump layout.

Text is kept exactly as published; the only change ever made to it is the
white-space rule of the seed layout (shared/spec/seed-format.md): a field is
written on one line, so inner newlines, tabs and runs of white space become
one space and the field is stripped at both ends.
"""

from __future__ import annotations

import hashlib
import re

# \s in Python's re is Unicode-aware: it covers NBSP, the Unicode spaces,
# line and paragraph separators. It does not touch ZWNJ/ZWJ or the
# bidi marks (category Cf), which are part of how Arabic text is written.
_WHITESPACE = re.compile(r"\s+")


def one_line(value: str | None) -> str:
    """Collapse white space to single spaces and strip: the rule for every field."""
    if not value:
        return ""
    return _WHITESPACE.sub(" ", value).strip()


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
_LATIN1_LETTERS = re.compile(r"[\u00c0-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2020-\u2022\u2030\u2039\u203a]")
_ARABIC_LETTERS = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


def looks_like_mojibake(text: str) -> bool:
    """True when `text` reads like Arabic decoded with the wrong charset.

    A text is suspect when it carries U+FFFD replacement characters, or when
    Latin-1 letters outnumber Arabic letters in a text long enough to judge.
    French or English words with a few accents are not flagged: the ratio
    of accented letters in them stays far below one in three.
    """
    if not text:
        return False
    if "\ufffd" in text:
        return True
    latin1 = len(_LATIN1_LETTERS.findall(text))
    if latin1 < 4:
        return False
    arabic = len(_ARABIC_LETTERS.findall(text))
    letters = sum(ch.isalpha() for ch in text)
    return latin1 > arabic and latin1 * 3 > letters


def short_hash(*parts: str, length: int = 16) -> str:
    """A stable hex digest of the given strings (used for comment keys, content hashes)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]
