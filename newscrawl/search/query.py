"""Read what a person types into a search box, safely.

    العراق سوريا           both words (AND is implied)
    "خندق واحد"             a phrase
    كتب*                    words starting with كتب (after any ال/و/ب... prefix)
    داعش OR الدولة          either
    العراق NOT إيران        the first without the second
    (العراق OR سوريا) الجعفري
    title:العراق            only in one column (FTS5's column filter; also
                            title:"خندق واحد", title:(a OR b), {title body}:x,
                            and -title:x for every column but that one)
    NEAR(العراق سوريا, 5)   both, at most 5 words apart (FTS5's NEAR; without
                            ", N" at most 10)

Columns: articles have title, subtitle, body; comments title, author, text.

Every word goes through the same normalizer and light stemmer as the
indexed text, and reaches FTS5 quoted, so no input can be an FTS syntax
error: an unbalanced quote closes at the end, unmatched brackets and
dangling operators are dropped, and a query with no word left gets a
QueryError that says so. What would otherwise change a query's meaning
silently (a column name that does not exist, a column filter with nothing
after it, brackets or operators inside NEAR(...), a NEAR distance that is
not a number) is a QueryError too, one line that says what to write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import product

from newscrawl.search.arabic import (
    LETTER_FOLDS,
    MARKS,
    index_terms,
    prefix_stems,
    query_stems,
    tokenizer_form,
    tokens,
    word_terms,
)
from newscrawl.text import ARABIC_DIGITS

OPERATORS = ("AND", "OR", "NOT")
ARTICLE_COLUMNS = ("title", "subtitle", "body")  # articles_search
COMMENT_COLUMNS = ("title", "author", "text")  # comments_search
# FTS5's parser has a fixed stack: keep queries well inside it.
MAX_DEPTH = 8
MAX_WORDS = 64
# NEAR takes phrases only (no OR): a word with two stems (وزير) is two NEAR
# groups, ORed. This many groups at most.
MAX_NEAR_GROUPS = 32
_LEXER = re.compile(
    r'"(?P<phrase>[^"]*)(?:"|$)'
    r'|NEAR\s*\((?P<near>(?:"[^"]*(?:"|$)|[^)"])*)\)?'
    r'|(?P<column>-?\s*(?:[A-Za-z]+|\{[^{}:]*\}))\s*:'
    r'|(?P<open>\()|(?P<close>\))|(?P<word>[^\s"()]+)'
)
_NEAR_DISTANCE = re.compile(r",\s*(?P<n>[^\s,\"]*)\s*$")


class QueryError(ValueError):
    """A query that cannot be searched for, with a reason a person can act on."""


@dataclass
class Query:
    text: str  # what was typed
    match: str  # the FTS5 expression over the normalized index
    terms: set[str] = field(default_factory=set)  # stemmed words, for highlighting
    prefixes: set[str] = field(default_factory=set)  # stemmed prefixes (word*)
    columns: set[str] = field(default_factory=set)  # the columns its filters name
    _finder: tuple | None = field(default=None, repr=False, compare=False)

    def finder(self) -> re.Pattern | None:
        """A pattern that finds, in original (NFKC) text, every place where a
        word the query looks for may be: each term and prefix spelled with the
        letters the normalizer folds into its letters, and the marks it
        removes allowed between them. Every word that matches() holds one of
        these places (its stem is a piece of its normal form), so a word
        without one need not be asked; a place found is only a candidate,
        for matches() to decide. None if the query has no terms."""
        key = (frozenset(self.terms), frozenset(self.prefixes))
        if self._finder is None or self._finder[0] != key:
            self._finder = (key, _finder(self.terms | self.prefixes))
        return self._finder[1]


def _operand(kind: str, value: str, query: Query) -> str | None:
    """One word, prefix or phrase as a quoted FTS5 term, or None if nothing is left of it."""
    if kind == "phrase":
        terms = index_terms(value)
        query.terms.update(terms)
        return f'"{" ".join(terms)}"' if terms else None
    if value.endswith("*"):
        *leading, last = tokens(value.rstrip("*")) or [""]
        stems = prefix_stems(last)
        if not stems:
            return None
        query.prefixes.update(stems)
        prefix = " OR ".join(f'"{stem}"*' for stem in stems)
        prefix = f"({prefix})" if len(stems) > 1 else prefix
        terms = index_terms(" ".join(leading))
        query.terms.update(terms)
        return f'"{" ".join(terms)}" AND {prefix}' if terms else prefix
    words = tokens(value)
    if len(words) == 1:
        # One word: its stem, or either stem when a leading و may be a root
        # letter (وزير: زير as the stemmer has it, or وزير as in الوزير).
        stems = query_stems(words[0])
        query.terms.update(stems)
        if len(stems) > 1:
            return "(" + " OR ".join(f'"{stem}"' for stem in stems) + ")"
        return f'"{stems[0]}"'
    terms = index_terms(value)
    query.terms.update(terms)
    if not terms:
        return None
    # "al-Qaeda" or "٢٠١٥/٣" read as several words: keep them together.
    return f'"{" ".join(terms)}"'


def _column_spec(raw: str, columns: tuple[str, ...], typed: str, query: Query) -> str:
    """`title`, `{title body}` or `-title` as FTS5 writes them, every name checked (and noted in query.columns)."""
    negated = raw.startswith("-")
    names = raw.lstrip("-").strip().strip("{}").lower().split()
    if not names:
        raise QueryError(f"{raw.strip()}: names no column; columns: {', '.join(columns)}")
    for name in names:
        if name not in columns:
            raise QueryError(f"{name!r} is not a column to search in (columns: {', '.join(columns)}); "
                             f"put it in quotes to search for it as text: \"{typed}\"")
    query.columns.update(names)
    spec = names[0] if len(names) == 1 else "{" + " ".join(names) + "}"
    return f"- {spec}" if negated else spec


def _near_phrases(value: str, query: Query) -> list[str]:
    """The FTS5 phrases one word or phrase inside NEAR(...) may be (a word
    whose leading و may be a root letter is two); [] if nothing is left of it."""
    if value.endswith("*"):
        *leading, last = tokens(value.rstrip("*")) or [""]
        terms = index_terms(" ".join(leading))
        stems = prefix_stems(last)
        query.terms.update(terms)
        query.prefixes.update(stems)
        return [f'"{" ".join([*terms, stem])}"*' for stem in stems]
    words = tokens(value)
    if len(words) == 1:
        stems = query_stems(words[0])
        query.terms.update(stems)
        return [f'"{stem}"' for stem in stems]
    terms = index_terms(value)
    query.terms.update(terms)
    return [f'"{" ".join(terms)}"'] if terms else []


def _near(body: str, query: Query) -> str | None:
    """NEAR(a b "c d", N): FTS5's NEAR over the normalized words."""
    example = "NEAR(العراق سوريا, 5)"
    distance = None
    found = _NEAR_DISTANCE.search(body)
    if found:
        number = found.group("n").translate(ARABIC_DIGITS)
        if not number.isascii() or not number.isdigit():
            raise QueryError(f"NEAR(...) ends with ', N', N a number of words: write e.g. {example}")
        distance, body = int(number), body[: found.start()]
    groups: list[list[str]] = []
    for m in _LEXER.finditer(body):
        if m.group("phrase") is not None:
            value = m.group("phrase")
        elif m.group("word") is not None and m.group("word") not in OPERATORS:
            value = m.group("word").strip(",")
        else:
            raise QueryError("NEAR(...) takes words and phrases only, no brackets, operators or column "
                             f"filters (a filter goes before it: title:NEAR(...)): write e.g. {example}")
        phrases = _near_phrases(value, query)
        if phrases:
            groups.append(phrases)
    if not groups:
        return None
    combinations = 1
    for phrases in groups:
        combinations *= len(phrases)
    if combinations > MAX_NEAR_GROUPS:
        raise QueryError(f"NEAR(...) with these words is too many spellings to try ({combinations}); use fewer words")
    suffix = f", {distance}" if distance is not None else ""
    nears = [f"NEAR({' '.join(choice)}{suffix})" for choice in product(*groups)]
    return nears[0] if len(nears) == 1 else "(" + " OR ".join(nears) + ")"


def parse_query(text: str, columns: tuple[str, ...] | None = None) -> Query:
    """Turn typed text into an FTS5 MATCH expression over the normalized index.

    `columns` are the names a column filter may use (ARTICLE_COLUMNS or
    COMMENT_COLUMNS; by default either)."""
    if columns is None:
        columns = tuple(dict.fromkeys(ARTICLE_COLUMNS + COMMENT_COLUMNS))
    if text is None or not text.strip():
        raise QueryError("the query is empty: type a word to search for")
    _check_size(text)
    query = Query(text=text, match="")
    # The index's tokenizer keeps what it is given: the terms in the form index_text stores them.
    query.match = tokenizer_form(_assemble(_balance(_items(text, columns, query))))
    if not query.match:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise QueryError(f"nothing to search for in {shown!r}: it has no words, only operators or symbols")
    return query


def _check_size(text: str) -> None:
    depth = deepest = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH or len(text.split()) > MAX_WORDS:
        raise QueryError(f"the query is too complex: at most {MAX_DEPTH} levels of brackets and {MAX_WORDS} words")


_NEEDS_OPERAND = 'needs a word, a "phrase", NEAR(...) or (brackets) after it'


def _items(text: str, columns: tuple[str, ...], query: Query) -> list[str]:
    """The query's operands, operators and brackets ("(" or "title : ("), in order."""
    items: list[str] = []
    column = None  # a column filter waiting for what it applies to
    for m in _LEXER.finditer(text):
        if m.group("column") is not None:
            if column is not None:
                raise QueryError(f"one column filter at a time: {m.group('column').strip()}: follows another")
            column = _column_spec(m.group("column"), columns, text[m.start():].split()[0].strip('"'), query)
            continue
        word = m.group("word")
        if m.group("close") or word in OPERATORS:
            if column is not None:
                raise QueryError(f"{column.replace('- ', '-')}: {_NEEDS_OPERAND}")
            items.append(")" if m.group("close") else word)
        elif m.group("open"):
            items.append("(" if column is None else f"{column} : (")
        else:
            operand = _operand_of(m, query)
            if operand:
                items.append(operand if column is None else f"{column} : ({operand})")
        column = None
    if column is not None:
        raise QueryError(f"{column.replace('- ', '-')}: {_NEEDS_OPERAND}")
    return items


def _operand_of(m: re.Match, query: Query) -> str | None:
    if m.group("near") is not None:
        return _near(m.group("near"), query)
    if m.group("phrase") is not None:
        return _operand("phrase", m.group("phrase"), query)
    return _operand("word", m.group("word"), query)


def _balance(items: list[str]) -> list[str]:
    """Drop brackets that do not pair up."""
    keep = [True] * len(items)
    stack = []
    for i, item in enumerate(items):
        if _is_open(item):
            stack.append(i)
        elif item == ")":
            if stack:
                stack.pop()
            else:
                keep[i] = False
    for i in stack:
        keep[i] = False
    return [item for item, k in zip(items, keep, strict=True) if k]


def _is_open(item: str) -> bool:
    """An opening bracket: "(" or, with a column filter, "title : (" (an operand ends with '"', '*' or ')')."""
    return item.endswith("(")


def _is_operand(item: str) -> bool:
    return item not in OPERATORS and item != ")" and not _is_open(item)


def _assemble(items: list[str]) -> str:
    """Join operands with implied AND; drop operators with nothing on one side
    (FTS5 has no unary NOT) and empty brackets."""
    out: list[str] = []
    for item in items:
        if item in OPERATORS:
            if out and (_is_operand(out[-1]) or out[-1] == ")"):
                out.append(item)
            elif item == "NOT":
                # Dropping it would search for the very word the person excluded.
                raise QueryError("NOT needs a word before it (there is no 'everything except'): "
                                 "write e.g. العراق NOT إيران")
            continue  # AND/OR with nothing before it
        if item == ")":
            while out and out[-1] in OPERATORS:
                out.pop()  # "(a OR)" -> "(a)"
            if out and _is_open(out[-1]):
                out.pop()  # "()" -> nothing
                continue
            out.append(item)
            continue
        if out and (_is_operand(out[-1]) or out[-1] == ")") and (_is_open(item) or _is_operand(item)):
            out.append("AND")
        out.append(item)
    while out and (out[-1] in OPERATORS or _is_open(out[-1])):
        out.pop()
    # Dropping a trailing "(" can leave a ")" without its partner: pair again.
    return " ".join(_balance(out))


# The letters of the original text that the normalizer turns into each letter
# of a term (arabic.normalize folds one letter into one letter, digits into
# ASCII digits, and lowers Latin and other cased letters).
_SPELLINGS: dict[str, str] = {}
for _source, _folded in (*LETTER_FOLDS, *((chr(0x0660 + d), str(d)) for d in range(10)),
                         *((chr(0x06F0 + d), str(d)) for d in range(10))):
    _SPELLINGS[_folded] = _SPELLINGS.get(_folded, _folded) + _source
# The letters whose lower case is one letter that is neither's upper nor title
# case of it: K (Kelvin sign) -> k, Å (Angstrom sign) -> å, ...
_OTHER_UPPER = {"k": "\u212a", "å": "\u212b", "ω": "\u2126", "θ": "\u03f4", "ß": "\u1e9e"}
_BETWEEN = f"[{MARKS}]*"


def spellings(letter: str) -> str:
    """Every letter of an original text that the normalizer makes `letter`."""
    found = _SPELLINGS.get(letter, letter)
    for other in (letter.upper(), letter.title(), _OTHER_UPPER.get(letter, "")):
        if len(other) == 1 and other not in found:  # ς's upper case is Σ, whose lower case is σ: keep it
            found += other
    return found


def _finder(terms: set[str]) -> re.Pattern | None:
    """See Query.finder. Cased letters as a class of their cases, not with
    re.IGNORECASE: that makes the whole scan several times slower."""
    def letter(ch: str) -> str:
        found = spellings(ch)
        return re.escape(found) if len(found) == 1 else f"[{re.escape(found)}]"

    spelled = [_BETWEEN.join(map(letter, term)) for term in sorted(terms) if term]
    return re.compile("|".join(spelled)) if spelled else None


def matches(word: str, query: Query) -> bool:
    """Whether a word of the original text is one the query looks for."""
    return any(term in query.terms or any(term.startswith(p) for p in query.prefixes) for term in word_terms(word))
