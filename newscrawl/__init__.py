"""newscrawl: a Scrapy crawler and archiver for Arabic news sites and their reader comments.

`from newscrawl import Archive` reads an archive from Python (newscrawl/api.py).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newscrawl")
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"


def __getattr__(name: str):
    # Lazily: every Scrapy process imports this package for its settings.
    if name == "Archive":
        from newscrawl.api import Archive

        return Archive
    raise AttributeError(f"module 'newscrawl' has no attribute {name!r}")
