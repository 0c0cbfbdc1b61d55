"""The plain-text dump layout ("seed format"): write and read one article.

The layout is binding and exact; see shared/spec/seed-format.md and the
reference file seeds/000_479c496df3c3ad8c.txt:

    line 1      title
    line 2      subtitle (empty line when none)
    lines 3..k  body, one line per block
    التعليقات   only when there is at least one comment
    then per comment, oldest first, two lines:
                comment title (empty line when none)
                AUTHOR -TEXT

UTF-8, "\\n" line endings, no newline after the last line, no BOM.

An article here is a plain dict: {"title", "subtitle", "body": [lines],
"comments": [{"title", "author", "text"}, ...]}.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

# " -" ends the author of a comment line; inside an author it is written
# " \u2010" (AUTHOR_HYPHEN_REPLACEMENT), which looks the same to a reader.
from newscrawl.text import AUTHOR_SEPARATOR, hyphen_safe_author, one_line

COMMENTS_HEADER = "التعليقات"

logger = logging.getLogger(__name__)


class SeedFormatError(ValueError):
    """A file that cannot be read as the dump layout."""


@dataclass
class DumpResult:
    text: str
    # Human-readable notes on anything the exporter had to change or could
    # not make round-trip (an author containing " -", an ambiguous body line).
    warnings: list[str] = field(default_factory=list)


# The layout's one rule for authors, kept in newscrawl.text beside the other
# text rules (comment identity uses it too).
exported_author = hyphen_safe_author


def _safe_author(author: str, warnings: list[str]) -> str:
    safe = exported_author(author)
    if safe != author:
        warnings.append(
            f"comment author {author!r} contains ' -' or starts with '-': "
            f"written as {safe!r} so the line still splits at the author's end"
        )
    return safe


def _comment_line(author: str, text: str) -> str:
    # "AUTHOR -TEXT"; an empty author gives "-TEXT" once the line is stripped.
    return one_line(f"{author}{AUTHOR_SEPARATOR}{text}")


def dump_article(article: dict) -> DumpResult:
    """Render one article in the seed layout (no trailing newline)."""
    warnings: list[str] = []
    title = one_line(article.get("title"))
    if title.startswith("\ufeff"):
        # A title starting with U+FEFF would read back as a BOM, which the layout forbids.
        title = title.lstrip("\ufeff").strip()
        warnings.append("title starts with U+FEFF (a BOM character); written without it")
    body = [line for line in (one_line(b) for b in article.get("body") or ()) if line]
    lines = [title, one_line(article.get("subtitle")), *body]
    comments = article.get("comments") or []
    if comments:
        lines.append(COMMENTS_HEADER)
        for comment in comments:
            author = _safe_author(one_line(comment.get("author")), warnings)
            lines.append(one_line(comment.get("title")))
            lines.append(_comment_line(author, one_line(comment.get("text"))))
    text = "\n".join(lines)
    # The layout cannot carry every article: a body line equal to the comments
    # header can be misread. Check by reading the text back, and say so.
    if COMMENTS_HEADER in body:
        back = parse_dump(text)
        if len(back["body"]) != len(body) or len(back["comments"]) != len(comments):
            warnings.append(
                f"a body line equal to {COMMENTS_HEADER!r} makes this dump read back differently"
            )
    return DumpResult(text=text, warnings=warnings)


def _is_comment_line(line: str) -> bool:
    return AUTHOR_SEPARATOR in line or line.startswith("-")


def _comments_start(lines: list[str]) -> int | None:
    """Index of the comments header: the last line equal to it that is followed
    by a non-zero, even number of lines whose every second line is an
    "AUTHOR -TEXT" line (the rule of the spec)."""
    for i in range(len(lines) - 1, 1, -1):
        if lines[i] != COMMENTS_HEADER:
            continue
        rest = lines[i + 1 :]
        if rest and len(rest) % 2 == 0 and all(_is_comment_line(x) for x in rest[1::2]):
            return i
    return None


def _split_comment_line(line: str) -> tuple[str, str]:
    if line.startswith("-"):
        return "", line[1:]
    author, _, text = line.partition(AUTHOR_SEPARATOR)
    return author, text


def parse_dump(text: str) -> dict:
    """Read a dump back into an article dict (the inverse of `dump_article`)."""
    if text.startswith("\ufeff"):
        raise SeedFormatError("file starts with a BOM; the layout has none")
    if "\r" in text:
        raise SeedFormatError("file has \\r line endings; the layout uses \\n only")
    if not text.strip():
        raise SeedFormatError("file is empty")
    lines = text.split("\n")
    if text.endswith("\n"):
        # Tolerate one trailing newline written by an editor.
        lines = lines[:-1]
    if len(lines) < 2:
        lines.append("")
    start = _comments_start(lines)
    body_end = start if start is not None else len(lines)
    article = {
        "title": lines[0],
        "subtitle": lines[1],
        "body": [line for line in lines[2:body_end] if line],
        "comments": [],
    }
    if start is not None:
        rest = lines[start + 1 :]
        for title, line in zip(rest[0::2], rest[1::2], strict=True):  # an even count (_comments_start)
            author, text_ = _split_comment_line(line)
            article["comments"].append({"title": title, "author": author, "text": text_})
    if not article["title"]:
        raise SeedFormatError("line 1 (the title) is empty")
    return article
