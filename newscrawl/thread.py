"""A comment thread as a reader sees it: replies under their parents.

The archive stores comments in page order (`position`) with the key of the
comment each replies to (`parent_key`) where the page shows it. Most pages
already print a reply right after its parent, but not all (a reply on a
later page, a newest-first thread): `in_thread_order` puts every reply
under its parent, in page order among its siblings, and says how deep it
sits. A comment whose parent is unknown or not archived stays where the
page had it, at the top level.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ThreadEntry:
    comment: dict
    depth: int  # 0 top level, 1 a reply, 2 a reply to a reply ...


def in_thread_order(comments: Iterable[dict]) -> list[ThreadEntry]:
    """`comments` (dicts with comment_key, parent_key, position) as a tree,
    flattened depth first: each top-level comment, then its replies."""
    rows = sorted(comments, key=lambda c: c["position"])
    keys = {c["comment_key"] for c in rows}
    children: dict[str | None, list[dict]] = defaultdict(list)
    for comment in rows:
        parent = comment.get("parent_key")
        if parent == comment["comment_key"] or parent not in keys:
            parent = None  # unknown, not archived, or a page that names itself: where the page had it
        children[parent].append(comment)
    out: list[ThreadEntry] = []
    placed: set[str] = set()
    # Iterative, and each comment placed once: a cycle of parents (a
    # page's mistake) cannot loop or recurse without end.
    stack = [(comment, 0) for comment in reversed(children[None])]
    while stack:
        comment, depth = stack.pop()
        if comment["comment_key"] in placed:
            continue
        placed.add(comment["comment_key"])
        out.append(ThreadEntry(comment, depth))
        stack.extend((child, depth + 1) for child in reversed(children[comment["comment_key"]]))
    # Comments only reachable through a cycle: at the top level, in page order.
    for comment in rows:
        if comment["comment_key"] not in placed:
            placed.add(comment["comment_key"])
            out.append(ThreadEntry(comment, 0))
    return out
