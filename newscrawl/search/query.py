"""Read what a person types into a search box, safely.

    العراق سوريا           both words (AND is implied)
    "خندق واحد"             a phrase
    كتب*                    words starting with كتب (after any ال/و/ب... prefix)
    داعش OR الدولة          either
    العراق NOT إيران        the first without the second
    (العراق OR سوريا) الجعفري

Every word goes through the same normalizer and light stemmer as the
indexed text, and reaches FTS5 quoted, so no input can be an FTS syntax
error: an unbalanced quote closes at the end, unmatched brackets and
dangling operators are dropped, and a query with no word left gets a
QueryError that says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newscrawl.search.arabic import index_terms, prefix_stems, query_stems, tokens, word_terms

OPERATORS = ("AND", "OR", "NOT")
# FTS5's parser has a fixed stack: keep queries well inside it.
MAX_DEPTH = 8
MAX_WORDS = 64
_LEXER = re.compile(r'"(?P<phrase>[^"]*)(?:"|$)|(?P<open>\()|(?P<close>\))|(?P<word>[^\s"()]+)')


class QueryError(ValueError):
    """A query that cannot be searched for, with a reason a person can act on."""


@dataclass
class Query:
    text: str  # what was typed
    match: str  # the FTS5 expression over the normalized index
    terms: set[str] = field(default_factory=set)  # stemmed words, for highlighting
    prefixes: set[str] = field(default_factory=set)  # stemmed prefixes (word*)


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


def parse_query(text: str) -> Query:
    """Turn typed text into an FTS5 MATCH expression over the normalized index."""
    if text is None or not text.strip():
        raise QueryError("the query is empty: type a word to search for")
    depth = deepest = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH or len(text.split()) > MAX_WORDS:
        raise QueryError(f"the query is too complex: at most {MAX_DEPTH} levels of brackets and {MAX_WORDS} words")
    query = Query(text=text, match="")
    items: list[str] = []  # operands, operators and brackets, in order
    for m in _LEXER.finditer(text):
        if m.group("open"):
            items.append("(")
        elif m.group("close"):
            items.append(")")
        elif m.group("phrase") is not None:
            operand = _operand("phrase", m.group("phrase"), query)
            if operand:
                items.append(operand)
        else:
            word = m.group("word")
            if word in OPERATORS:
                items.append(word)
            else:
                operand = _operand("word", word, query)
                if operand:
                    items.append(operand)
    query.match = _assemble(_balance(items))
    if not query.match:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise QueryError(f"nothing to search for in {shown!r}: it has no words, only operators or symbols")
    return query


def _balance(items: list[str]) -> list[str]:
    """Drop brackets that do not pair up."""
    keep = [True] * len(items)
    stack = []
    for i, item in enumerate(items):
        if item == "(":
            stack.append(i)
        elif item == ")":
            if stack:
                stack.pop()
            else:
                keep[i] = False
    for i in stack:
        keep[i] = False
    return [item for item, k in zip(items, keep) if k]


def _is_operand(item: str) -> bool:
    return item not in OPERATORS and item not in ("(", ")")


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
            if out and out[-1] == "(":
                out.pop()  # "()" -> nothing
                continue
            out.append(item)
            continue
        if out and (_is_operand(out[-1]) or out[-1] == ")") and (item == "(" or _is_operand(item)):
            out.append("AND")
        out.append(item)
    while out and (out[-1] in OPERATORS or out[-1] == "("):
        out.pop()
    # Dropping a trailing "(" can leave a ")" without its partner: pair again.
    return " ".join(_balance(out))


def matches(word: str, query: Query) -> bool:
    """Whether a word of the original text is one the query looks for."""
    for term in word_terms(word):
        if term in query.terms or any(term.startswith(p) for p in query.prefixes):
            return True
    return False
