"""Is the crawl still reading the site right? Coverage, verdicts, progress.

Coverage: the share of article pages on which the profile found the title,
the body, the date and the comments block, and how often Trafilatura had to
supply the body. A template change shows as a sharp fall against recent
runs; CrawlHealth then stops the run (finish reason "template_changed",
exit status 5) before it stores a thinner archive, and the log says which
field fell and from what.
"""

from __future__ import annotations

import json
import logging
import statistics
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from newscrawl.middlewares import close_crawl
from newscrawl.state import state_for

logger = logging.getLogger(__name__)

# comments: pages whose comments block held something the profile could read
# as comments (a renamed comment item shows here, not in comments_block).
FIELDS = ("title", "body", "published", "comments_block", "comments")
# Fields whose loss stops a first run even without history to compare with.
ESSENTIAL = ("title", "body")


def coverage(stats: dict) -> dict:
    """Field coverage from a run's Scrapy stats."""
    pages = stats.get("extract/pages", 0)
    result = {"pages": pages, "blocked": stats.get("blocked/responses", 0)}
    for name in FIELDS:
        missing = stats.get(f"extract/missing/{name}", 0)
        result[name] = round(1 - missing / pages, 3) if pages else None
    result["trafilatura"] = round(stats.get("extract/body_trafilatura", 0) / pages, 3) if pages else None
    return result


def baseline(coverages: list[dict], min_pages: int, runs: int) -> dict | None:
    """Median coverage of the last `runs` finished runs that read enough pages
    (`coverages`: newest first, as a state's runs_coverage gives them)."""
    rows = [r for r in coverages if (r.get("pages") or 0) >= min_pages][:runs]
    if not rows:
        return None
    return {name: statistics.median(r[name] for r in rows if r.get(name) is not None) for name in FIELDS
            if any(r.get(name) is not None for r in rows)}


def fallen(current: dict, usual: dict | None, max_drop: float) -> list[str]:
    """Fields whose coverage fell by more than `max_drop` (or, with no history,
    essential fields below 1 - max_drop)."""
    problems = []
    for name in FIELDS:
        now = current.get(name)
        if now is None:
            continue
        if usual and name in usual:
            if usual[name] - now > max_drop:
                problems.append(f"{name} found on {now:.0%} of pages (usually {usual[name]:.0%})")
        elif name in ESSENTIAL and now < 1 - max_drop:
            problems.append(f"{name} found on {now:.0%} of pages")
    return problems


def verdict(reason: str, stats: dict, usual: dict | None, max_drop: float) -> str:
    from newscrawl.extensions import run_status  # the extension imports this module

    status = run_status(reason)
    if status == "template_changed":
        return "template changed: " + "; ".join(fallen(coverage(stats), usual, max_drop))
    if status == "blocked":
        return "blocked by the site"
    if status != "finished":
        return f"failed ({reason})"
    warnings = fallen(coverage(stats), usual, max_drop / 2)
    unread = stats.get("extract/missing/comments", 0)
    if unread and not any(w.startswith("comments ") for w in warnings):
        # Never a healthy run: a thread the page shows and the profile did not read.
        warnings.append(f"comments not read by the profile on {unread} of {stats.get('extract/pages', 0)} pages")
    return "ok" if not warnings else "ok, but " + "; ".join(warnings)


def sample_commands(stats: dict) -> list[str]:
    """The `newscrawl doctor` commands the spider left for pages where a field failed."""
    return [f"{key.rsplit('/', 1)[1]}: {value}" for key, value in sorted(stats.items())
            if key.startswith("health/sample/") and value]


class CrawlHealth:
    """Stop a run whose extraction coverage falls sharply (a template change)."""

    def __init__(self, crawler, min_pages: int, max_drop: float, runs: int):
        self.crawler = crawler
        self.min_pages = min_pages
        self.max_drop = max_drop
        self.runs = runs
        self.usual: dict | None = None
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("HEALTH_ENABLED", True):
            raise NotConfigured
        health = cls(
            crawler,
            settings.getint("HEALTH_MIN_PAGES", 20),
            settings.getfloat("HEALTH_MAX_DROP", 0.5),
            settings.getint("HEALTH_BASELINE_RUNS", 5),
        )
        crawler.signals.connect(health.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(health.check, signal=signals.item_scraped)
        crawler.signals.connect(health.check, signal=signals.item_dropped)
        return health

    def spider_opened(self, spider):
        state = state_for(self.crawler.settings)
        try:
            self.usual = baseline(state.runs_coverage(spider.name), self.min_pages, self.runs)
        finally:
            state.close()
        self.crawler.stats.set_value("health/baseline", json.dumps(self.usual) if self.usual else None)

    def check(self, *args, **kwargs):
        stats = self.crawler.stats.get_stats()
        if self.stopping or stats.get("extract/pages", 0) < self.min_pages:
            return
        problems = fallen(coverage(stats), self.usual, self.max_drop)
        if problems:
            self.stopping = True
            samples = sample_commands(stats)
            logger.error(
                "stopping: the extraction rules no longer fit the site (a template change?): %s. "
                "Fix the site profile, then `newscrawl reextract` the pages kept as WARC.%s",
                "; ".join(problems),
                "".join(f"\n  what the profile matches on a page that failed ({s})" for s in samples),
            )
            close_crawl(self.crawler, "template_changed")


class Progress:
    """A log line every PROGRESS_INTERVAL seconds for whoever watches the terminal."""

    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.task = None
        self.started = None
        self.last = (0.0, 0)

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL", 60)
        if not interval:
            raise NotConfigured
        progress = cls(crawler, interval)
        crawler.signals.connect(progress.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(progress.spider_closed, signal=signals.spider_closed)
        return progress

    def spider_opened(self, spider):
        self.started = time.monotonic()
        self.last = (self.started, 0)
        self.task = create_looping_call(self.log)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider, reason):
        if self.task and self.task.running:
            self.task.stop()

    def log(self):
        stats = self.crawler.stats.get_stats()
        now, pages = time.monotonic(), stats.get("response_received_count", 0)
        rate = (pages - self.last[1]) / max(now - self.last[0], 1e-6) * 60
        self.last = (now, pages)
        scheduler = self.crawler.engine.scheduler
        queued = len(scheduler) if scheduler is not None and hasattr(scheduler, "__len__") else 0
        eta = f"about {queued / rate:.0f} min to go" if rate > 0 and queued else "queue empty"
        logger.info(
            "progress: %d pages (%.0f/min), %d articles and %d comments stored, %d requests queued, %s",
            pages, rate, stats.get("archive/articles_new", 0) + stats.get("archive/articles_updated", 0)
            + stats.get("archive/articles_unchanged", 0), stats.get("archive/comments_new", 0), queued, eta,
        )
