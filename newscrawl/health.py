"""Is the crawl still reading the site right? Coverage, verdicts, progress.

A run's status comes from how it ended (its finish reason) and what its stats
show: a run that ran to its end but stored nothing because storing failed,
met extraction errors, or could read nothing of the site (robots.txt,
sitemaps, feeds or every article page failing) is "failed", never "finished"
(run_status, failures). A run that fetched nothing because nothing changed
is fine: discovery read the sitemaps and found nothing to fetch.

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

from newscrawl.control import stop
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


# Finish reasons that mean the run did what it was asked to do.
GOOD_REASONS = ("finished",)
GOOD_PREFIXES = ("closespider_",)
# Finish reasons that are their own status (and exit code of `scrapy crawl`).
OWN_STATUS = ("blocked", "template_changed")
# The finish reason of a run stopped because the archive refused a write (pipelines/store.py).
STORE_FAILED = "store_failed"


def run_status(reason: str, stats: dict | None = None) -> str:
    """finished, blocked, template_changed or failed: from the finish reason
    and, when given, the run's stats (see failures())."""
    if stats and stats.get("archive/store_failed"):
        return "failed"  # whatever else happened: the archive did not take what was read
    if reason in OWN_STATUS:
        return reason
    if reason in GOOD_REASONS or reason.startswith(GOOD_PREFIXES):
        return "failed" if stats and failures(stats) else "finished"
    return "failed"


# What raised, counted as <area>/errors/<exception> with <area>/error_sample:
# (area, the line's head, the unit it counts, what becomes of them).
_RAISED = (
    ("archive", "the archive could not store {n} {unit}", "article",
     "the others were stored, these are fetched again next run"),
    ("extract", "extraction raised on {n} {unit}", "article page", "not stored, fetched again next run"),
    ("comments", "extraction raised on {n} {unit}", "comments page",
     "their articles are stored with the comments read so far, the threads read again next run"),
)


def failures(stats: dict, *, unreadable: bool = True) -> list[str]:
    """Why a run failed whatever its finish reason says: storing failed,
    extraction raised, or (with `unreadable`) nothing could be read of the
    site. Empty: none of these."""
    problems = []
    store = stats.get("archive/store_failed")
    if store:
        stored = sum(stats.get(f"archive/articles_{s}", 0) for s in ("new", "updated", "unchanged", "kept"))
        problems.append(f"storing failed ({store}); {stored} articles stored before it are kept, "
                        f"{stats.get('archive/not_stored', 0)} read and not stored are fetched again next run")
    for area, head, unit, after in _RAISED:
        errors = _counts(stats, f"{area}/errors/")
        if errors:
            total = sum(errors.values())
            problems.append(head.format(n=total, unit=unit + ("s" if total != 1 else ""))
                            + f" ({_named(errors)}; first {stats.get(f'{area}/error_sample')}); {after}")
    raised = {name: n for name, n in _counts(stats, "spider_exceptions/").items() if name != "count"}
    if raised:
        problems.append(f"the spider raised on {sum(raised.values())} pages ({_named(raised)})")
    nothing = nothing_read(stats) if unreadable else None
    if nothing:
        problems.append(nothing)
    return problems


def article_pages(stats: dict) -> int:
    """Article pages the site answered with something to read (or a 304)."""
    return sum(stats.get(key, 0)
               for key in ("extract/pages", "extract/errors", "extract/not_html", "articles/not_modified"))


def nothing_read(stats: dict) -> str | None:
    """Why no article page was fetched, when that was a failure: robots.txt,
    the sitemaps and feeds failed with none read, or every article asked for
    failed. None when nothing failed, however little was fetched: an
    unchanged site (every sitemap's <lastmod> as last time) is a healthy run."""
    if article_pages(stats):
        return None
    failed_sources = _discovery_failures(stats)
    read_sources = stats.get("discovery/urlset", 0) + stats.get("discovery/feed", 0)
    failed_articles = {name: n for name, n in _counts(stats, "articles/failed/").items()
                       if name not in ("http_404", "http_410")}  # gone: an answer, not a failure
    if failed_articles:
        total = sum(failed_articles.values())
        return (f"no article page could be fetched: {total} failed "
                f"({_named({k.replace('_', ' ').replace('http', 'HTTP'): v for k, v in failed_articles.items()})}"
                f"{_causes(stats)})")
    if failed_sources and not read_sources:
        robots = any(k.startswith("robotstxt/exception_count/") for k in stats) or any(
            k.startswith("robotstxt/response_status_count/5") for k in stats)
        said = (["robots.txt failed"] if robots else []) + [f"{n} {what}" for what, n in failed_sources.items()]
        return (f"nothing could be read from the site: {', '.join(said)}{_causes(stats, ' (', ')')}; "
                "no article page was fetched")
    return None


def _discovery_failures(stats: dict) -> dict[str, int]:
    """Sitemaps and feeds that failed, by how (a feed that fails to download counts as a sitemap)."""
    found = {
        "sitemap or feed downloads failed": stats.get("discovery/sitemap_failed", 0),
        "sitemap responses not sitemaps": stats.get("discovery/sitemap_invalid", 0),
        "sitemaps read only in part": stats.get("discovery/sitemap_incomplete", 0),
        "feeds unreadable": stats.get("discovery/feed_invalid", 0),
    }
    return {what: n for what, n in found.items() if n}


def _causes(stats: dict, before: str = "; ", after: str = "") -> str:
    """What the downloader met: exception types and HTTP error statuses, most frequent first."""
    causes = {key.rsplit(".", 1)[-1]: n for key, n in _counts(stats, "downloader/exception_type_count/").items()
              if not key.endswith("IgnoreRequest")}  # robots.txt forbidding a page is no error
    causes.update({f"HTTP {code}": n for code, n in _counts(stats, "downloader/response_status_count/").items()
                   if code.isdigit() and int(code) >= 500})
    return f"{before}{_named(causes)}{after}" if causes else ""


def _counts(stats: dict, prefix: str) -> dict[str, int]:
    return {key[len(prefix):]: value for key, value in stats.items()
            if key.startswith(prefix) and isinstance(value, int) and not isinstance(value, bool)}


def _named(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def extraction_failed(stats, url: str, exc: BaseException) -> None:
    """Count and log, once, an article page whose extraction raised (the
    spider goes on; the verdict names it and `scrapy crawl` exits 1)."""
    name = type(exc).__name__
    stats.inc_value("extract/errors")
    stats.inc_value(f"extract/errors/{name}")
    if not stats.get_value("extract/error_sample"):
        stats.set_value("extract/error_sample", url)
    detail = str(exc).strip().splitlines()
    logger.error("%s: extraction failed (%s%s); not stored, fetched again next run", url, name,
                 f": {detail[0][:200]}" if detail else "")
    # The traceback for whoever fixes it: a RecursionError's would be a thousand lines at INFO.
    logger.debug("extraction of %s failed", url, exc_info=exc)


def verdict(reason: str, stats: dict, usual: dict | None, max_drop: float) -> str:
    status = run_status(reason, stats)
    # A block or a template change says itself why little was read.
    problems = failures(stats, unreadable=status not in OWN_STATUS)
    if status == "template_changed":
        return "; ".join(["template changed: " + "; ".join(fallen(coverage(stats), usual, max_drop)), *problems])
    if status == "blocked":
        return "; ".join(["blocked by the site", *problems])
    if status != "finished":
        head = "failed" if problems and (reason in GOOD_REASONS or reason.startswith(GOOD_PREFIXES)
                                         or reason == STORE_FAILED) else f"failed ({reason})"
        return head + (": " + "; ".join(problems) if problems else "")
    warnings = fallen(coverage(stats), usual, max_drop / 2)
    unread = stats.get("extract/missing/comments", 0)
    if unread and not any(w.startswith("comments ") for w in warnings):
        # Never a healthy run: a thread the page shows and the profile did not read.
        warnings.append(f"comments not read by the profile on {unread} of {stats.get('extract/pages', 0)} pages")
    incomplete = _discovery_failures(stats)
    if incomplete:
        # Not marked read: the next run reads them again.
        warnings.append("discovery incomplete: " + ", ".join(f"{n} {what}" for what, n in incomplete.items()))
    failed_articles = sum(n for name, n in _counts(stats, "articles/failed/").items()
                          if name not in ("http_404", "http_410"))
    if failed_articles:
        warnings.append(f"{failed_articles} article page{'s' if failed_articles != 1 else ''} could not be fetched "
                        f"(fetched again next run)")
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
    def from_crawler(cls, crawler) -> CrawlHealth:
        settings = crawler.settings
        if not settings.getbool("HEALTH_ENABLED"):
            raise NotConfigured
        health = cls(
            crawler,
            settings.getint("HEALTH_MIN_PAGES"),
            settings.getfloat("HEALTH_MAX_DROP"),
            settings.getint("HEALTH_BASELINE_RUNS"),
        )
        crawler.signals.connect(health.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(health.check, signal=signals.item_scraped)
        crawler.signals.connect(health.check, signal=signals.item_dropped)
        return health

    def spider_opened(self, spider) -> None:
        state = state_for(self.crawler.settings)
        try:
            self.usual = baseline(state.runs_coverage(spider.name), self.min_pages, self.runs)
        finally:
            state.close()
        self.crawler.stats.set_value("health/baseline", json.dumps(self.usual) if self.usual else None)

    def check(self, *args, **kwargs) -> None:
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
            stop(self.crawler, "template_changed")


class Progress:
    """A log line every PROGRESS_INTERVAL seconds for whoever watches the terminal."""

    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.task = None
        self.started = None
        self.last = (0.0, 0)

    @classmethod
    def from_crawler(cls, crawler) -> Progress:
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL")
        if not interval:
            raise NotConfigured
        progress = cls(crawler, interval)
        crawler.signals.connect(progress.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(progress.spider_closed, signal=signals.spider_closed)
        return progress

    def spider_opened(self, spider) -> None:
        self.started = time.monotonic()
        self.last = (self.started, 0)
        self.task = create_looping_call(self.log)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider, reason) -> None:
        if self.task and self.task.running:
            self.task.stop()

    def log(self) -> None:
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
