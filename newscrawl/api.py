"""Read an archive from Python: `from newscrawl import Archive`.

    from newscrawl import Archive

    with Archive.open("archive/news.db") as news:
        for article in news.articles(site="elaph", since="2015-01-01"):
            print(article["title"], len(article["comments"]))
        hits = news.search("ابراهيم الجعفري")              # articles and comments, ranked
        thread = news.thread("elaph", "993653")             # replies under their parents

Read-only: the file is opened with SQLite's mode=ro, never migrated, and
refused (newscrawl.archive.ArchiveError) if it is missing or not an
archive. Every iterator streams (rows are read as they are asked for), so
memory does not grow with the archive. Rows are plain dicts with every
column of the archive (see the README's "The archive"); text exactly as
published, dates ISO 8601 with their offset.
"""

from __future__ import annotations

from collections.abc import Iterator
from os import PathLike

from newscrawl import archive
from newscrawl.export import Filters, iter_articles, iter_comments


class Archive:
    """A newscrawl archive, open for reading."""

    def __init__(self, db):
        self._db = db
        self.conn = db.conn  # the sqlite3 connection, for your own SQL

    @classmethod
    def open(cls, path: str | PathLike) -> Archive:
        """Open the archive at `path` read-only; ArchiveError if there is none."""
        return cls(archive.open_archive(path, readonly=True))

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def articles(self, *, site: str | None = None, since: str | None = None, until: str | None = None,
                 comments: bool = True) -> Iterator[dict]:
        """Articles in (site, article_id) order, published in [since, until),
        each with its comments in page order under "comments" (unless
        comments=False); `tags` as a list."""
        return iter_articles(self.conn, Filters(site, since, until), nested=comments)

    def comments(self, *, site: str | None = None, since: str | None = None,
                 until: str | None = None) -> Iterator[dict]:
        """Comments of the articles published in [since, until), one dict each, in page order."""
        return iter_comments(self.conn, Filters(site, since, until))

    def search(self, query: str, *, articles: bool = True, comments: bool = True, site: str | None = None,
               since: str | None = None, limit: int = 20) -> list[dict]:
        """Hits as `newscrawl search --json` gives them (kind, site, article_id,
        title, snippet with [marks], score...), best first."""
        from newscrawl.search.engine import search_archive

        hits = search_archive(self.conn, query, articles=articles, comments=comments, site=site, since=since,
                              limit=limit)
        return [hit.as_dict() for hit in hits]

    def thread(self, site: str, article_id: str) -> dict | None:
        """The article with its comments in thread order (replies right after
        their parents), each comment with its "depth"; None if not archived."""
        from newscrawl.thread import in_thread_order

        found = next(iter_articles(self.conn, Filters(site=site), nested=False, article_id=str(article_id)), None)
        if found is None:
            return None
        rows = list(self._db.query("SELECT * FROM comments WHERE site = ? AND article_id = ? ORDER BY position",
                                   [site, str(article_id)]))
        found["comments"] = [{**entry.comment, "depth": entry.depth} for entry in in_thread_order(rows)]
        return found
