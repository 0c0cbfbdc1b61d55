"""Arabic normalization and light stemming, for the search index and queries only.

The archive keeps text exactly as published. Search folds what readers do
not distinguish when they type a query (shared/spec/arabic-search.md):

- NFKC (presentation forms and lam-alef ligatures to plain letters);
- harakat (U+064B-U+0652), superscript alef (U+0670) and tatweel (U+0640) removed;
- آ أ إ ٱ -> ا ; ى -> ي ; ة -> ه ;
- Arabic-Indic and Persian digits -> ASCII; Latin lower-cased;
- light stemming (Larkey et al., "light10"): one proclitic of
  ال وال بال كال فال لل و is removed (و only from words of at least four
  letters; at least two letters must remain), then suffixes
  ها ان ات ون ين يه ية ه ة ي, each leaving at least two letters.

The same functions run when articles are indexed and when a query is read,
so a query and the text it should find meet in the same form.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Bump when any rule below changes: archives indexed with another version
# need `newscrawl reindex` for queries to meet the indexed text again.
VERSION = "2"

# Harakat and Quranic marks, tatweel, and invisible format characters (ZWNJ,
# ZWJ, bidi marks) that would otherwise split a word in two. The highlighter
# (search/engine.py) reads words of the original text with the same class.
MARKS = "\u064b-\u065f\u0670\u0640\u0610-\u061a\u06d6-\u06ed\u200b-\u200f\u061c\u2066-\u2069"
_MARKS = re.compile(f"[{MARKS}]")
# One letter for another. Each is a single character to a single character
# that is no source itself, so the order of replacement does not matter.
# str.replace per letter present, not str.translate: translate looks every
# character up in a dict, and was half the cost of indexing a page.
_LETTER_FOLDS = (
    ("آ", "ا"), ("أ", "ا"), ("إ", "ا"), ("ٱ", "ا"),
    ("ى", "ي"), ("ة", "ه"),
    ("ی", "ي"), ("ک", "ك"),  # Persian yeh and keheh, from Persian keyboards
)
LETTER_FOLDS = _LETTER_FOLDS  # for the highlighter's finder (search/query.py)
_DIGITS = str.maketrans({**{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
                         **{chr(0x06F0 + d): str(d) for d in range(10)}})  # Persian digits
_HAS_DIGIT = re.compile("[\u0660-\u0669\u06f0-\u06f9]")
# A token: letters and digits (harakat and tatweel are gone by then).
_TOKEN = re.compile(r"[^\W_]+")

# Longest first, so that "وال" is tried before "و".
PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
# In folded form: ة is already ه, so "ية" and "ة" are "يه" and "ه".
SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")


def normalize(text: str) -> str:
    """Fold `text` for matching: NFKC, no harakat or tatweel, one alef, ي for ى, ه for ة, ASCII digits."""
    if not text:
        return ""
    if not unicodedata.is_normalized("NFKC", text):  # most text is: the check is cheaper than the work
        text = unicodedata.normalize("NFKC", text)
    text = _MARKS.sub("", text)
    for letter, folded in _LETTER_FOLDS:
        if letter in text:
            text = text.replace(letter, folded)
    if _HAS_DIGIT.search(text):
        text = text.translate(_DIGITS)
    return text.lower()


def tokens(text: str) -> list[str]:
    """Normalized words of `text`."""
    return _TOKEN.findall(normalize(text))


@lru_cache(maxsize=500_000)
def light_stem(word: str) -> str:
    """Larkey's light10 stemmer on a normalized word (Latin words and numbers pass through).
    Memoized: news vocabulary is small and repetitive, and every stored
    comment passes through here."""
    if not word or not _is_arabic(word):
        return word
    for prefix in PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            word = word[len(prefix) :]
            break
    else:
        if word.startswith("و") and len(word) >= 4:
            word = word[1:]
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[: -len(suffix)]
    return word


def query_stems(word: str) -> list[str]:
    """The stems a query word stands for: its light stem and, when the
    stemmer took a leading و as the conjunction, the stem that keeps it
    (وزير "minister" is stemmed زير, while الوزير keeps وزير). Query side only:
    the index holds one stem per word, so phrases still line up."""
    stem = light_stem(word)
    if word.startswith("و") and len(word) >= 4 and not word.startswith(PREFIXES):
        kept = light_stem("ال" + word)
        if kept != stem:
            return [stem, kept]
    return [stem]


def prefix_stems(word: str) -> list[str]:
    """What a prefix query (word*) may start in the index, which holds stems:
    the word without its proclitic, its light stem (مدرسة* -> مدرس, as
    المدرسة is indexed), and, for a leading و, the form that keeps it
    (وزير* -> وزير, as الوزير is indexed). Stems under two letters are dropped."""
    forms = [strip_proclitics(word), light_stem(word), *query_stems(word)]
    return [f for f in dict.fromkeys(forms) if len(f) >= 2]


def strip_proclitics(word: str) -> str:
    """Only the prefix half of the stemmer: for prefix queries (كتب*), whose end is open."""
    if not word or not _is_arabic(word):
        return word
    for prefix in PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix) :]
    if word.startswith("و") and len(word) >= 4:
        return word[1:]
    return word


def index_terms(text: str) -> list[str]:
    """The terms the search index holds for `text`, in order."""
    return [light_stem(t) for t in tokens(text)]


# 200,000 words: about 100 MB at most (unique 40-character words, with
# light_stem's own memo), a few MB for real news vocabulary.
@lru_cache(maxsize=200_000)
def word_terms(word: str) -> tuple[str, ...]:
    """`index_terms` of one word, memoized: the highlighter asks for the same
    words again and again (news vocabulary is small and repetitive). A
    "word" may hold several tokens ("الرئيس،", "(1)") or none. (index_text
    keeps its own memo of joined strings, read in C.)"""
    return tuple(index_terms(word))


def index_text(text: str) -> str:
    """`text` as the search index stores it: stemmed terms separated by spaces.

    Word by word, memoized: a news text is mostly words seen before, and a
    dictionary hit per word costs a third of normalizing and tokenizing the
    whole text again. Whitespace ends a token in either form (no rule above
    joins, splits or makes whitespace), so this is the same as normalizing
    the whole text first (checked on the benchmark corpus and by fuzzing,
    tests/test_arabic.py)."""
    words = text.split()
    # Looked up by map(dict.get), in C: a function call per word (even
    # lru_cache's) was a third of the time the store spends indexing.
    terms = list(map(_WORD_INDEX.get, words))
    if None in terms:
        for position, term in enumerate(terms):
            if term is None:
                terms[position] = _word_index(words[position])
    return " ".join(filter(None, terms))  # a word with no token ("،") gives ""


# Word -> its terms joined by spaces ("" for none), for words of at most
# _CACHED_WORD characters. Emptied when full rather than kept in LRU order:
# the vocabulary of the pages being stored fills it again within a few
# articles, and an LRU's bookkeeping per hit is what this dict avoids.
# 200,000 words: about 100 MB at most (unique 40-character words), a few
# MB for real news vocabulary.
_WORD_INDEX: dict[str, str] = {}
_WORD_INDEX_SIZE = 200_000
_CACHED_WORD = 40  # characters: a long run without spaces (a URL, a hostile page) is not kept


def _word_index(word: str) -> str:
    terms = " ".join(index_terms(word))
    if not terms.isascii():  # split again: a fold may end a token (see _tokenizer_folds)
        terms = " ".join(tokenizer_form(terms).split())
    if len(word) <= _CACHED_WORD:
        if len(_WORD_INDEX) >= _WORD_INDEX_SIZE:
            _WORD_INDEX.clear()
        _WORD_INDEX[word] = terms
    return terms


# What FTS5's unicode61 tokenizer did to our terms besides splitting them at
# spaces, done here: the normalized index's tokenizer is "ascii", which
# splits at ASCII white space and keeps every other character as it is, so
# the text must reach it in its final form. (index_text has already split
# and folded the text: unicode61 would tokenize and case-fold it all again,
# which was a third of the cost of writing that index.) unicode61 with
# remove_diacritics 1, the default, also folds Latin letters to their
# unaccented base (é -> e), final sigma to σ, and splits words at the few
# letters Unicode 6.1 did not have as letters yet. tests/test_arabic.py
# checks that the two give the same terms for every character.
def _tokenizer_folds() -> dict[int, str]:
    folds = {ord("ς"): "σ"}
    for code in (*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)):
        parts = unicodedata.normalize("NFD", chr(code))
        if len(parts) == 2 and parts[0].isascii() and unicodedata.combining(parts[1]):
            folds[code] = parts[0]
    # New Tai Lue vowel signs and tone marks and two Vedic signs: letters now,
    # spacing marks in Unicode 6.1, where unicode61 ends a token at them.
    for code in (*range(0x19B0, 0x19C1), 0x19C8, 0x19C9, 0x1CF2, 0x1CF3):
        folds[code] = " "
    return folds


_TOKENIZER_FOLDS = _tokenizer_folds()


def tokenizer_form(match: str) -> str:
    """An FTS5 query over the normalized index, in the form its "ascii"
    tokenizer needs (see _tokenizer_folds): its terms as index_text writes them."""
    return match if match.isascii() else match.translate(_TOKENIZER_FOLDS)


def _is_arabic(word: str) -> bool:
    return "\u0600" <= word[0] <= "\u06ff"
