"""How a crawl stops, and what its end means to whoever ran it.

- `stop(crawler, reason)`: stop the crawl now, cleanly (a block, a template
  change, the archive failing); `stopping_reason(crawler)`: why it is
  stopping, or None. Every component that stops a crawl or must know it is
  stopping asks here, instead of setting or reading attributes on the crawler.
- `EXIT_CODES`: the exit status of `scrapy crawl` for each run status
  (`newscrawl.health.run_status` says which status a run ended with).
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure

from newscrawl.exceptions import CrawlStopped

# Exit statuses of `scrapy crawl` (newscrawl/commands/crawl.py), as the README's table has them.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_ARGUMENTS = 2
EXIT_BLOCKED = 3
EXIT_LOCKED = 4
EXIT_TEMPLATE_CHANGED = 5
EXIT_CODES = {"finished": EXIT_OK, "blocked": EXIT_BLOCKED, "template_changed": EXIT_TEMPLATE_CHANGED}

_stopping: WeakKeyDictionary = WeakKeyDictionary()  # crawler -> the reason it is stopping


def exit_code(status: str) -> int:
    """The exit status for a run status (finished, blocked, template_changed, failed, ...)."""
    return EXIT_CODES.get(status, EXIT_FAILED)


def stopping_reason(crawler) -> str | None:
    """Why the crawl is stopping (the finish reason it will end with), or None."""
    return _stopping.get(crawler)


def stop(crawler, reason: str) -> None:
    """Stop the crawl now, cleanly: items in flight are still stored; requests
    waiting in a download slot are cancelled without touching the network.
    The first reason given is the one the run ends with.

    Scrapy's close_spider_async() waits for every request the downloader has
    accepted, and a site we are backing off from has several waiting behind a
    delay of up to AUTOTHROTTLE_MAX_DELAY each: minutes of waiting, and more
    requests to a site that said no. (Reaches into the downloader's slots,
    whose layout is Scrapy 2.19's; see requirements.txt for the pin.)
    """
    _stopping.setdefault(crawler, reason)
    downloader = crawler.engine.downloader
    for slot in downloader.slots.values():
        if slot.latercall is not None:
            slot.latercall.cancel()
            slot.latercall = None
        while slot.queue:
            request, waiting = slot.queue.popleft()
            waiting.errback(Failure(CrawlStopped(f"crawl stopping ({reason})")))
    deferred_from_coro(crawler.engine.close_spider_async(reason=reason))
