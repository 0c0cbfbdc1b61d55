"""Scrapy settings of newscrawl: polite and honest defaults for the real sites.

Override any of them per run with -s NAME=VALUE. Tests and `make demo` relax
the delays only because they crawl a local copy of the site on 127.0.0.1.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    _VERSION = version("newscrawl")
except PackageNotFoundError:  # running from a checkout without `pip install -e .`
    _VERSION = "0.1.0"

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"
COMMANDS_MODULE = "newscrawl.commands"

# Where the archive lives (one SQLite file for every site).
ARCHIVE_DB = "archive/news.db"
# Store items in a writer process of their own (pipelines/store.py): another core does the SQLite work.
STORE_IN_PROCESS = True
# Articles stored per transaction: up to this many, or what came within this
# many seconds of the first (pipelines/store.py). A killed crawl fetches
# again at most the batch being written.
STORE_BATCH_ARTICLES = 100
STORE_BATCH_SECONDS = 0.5

# --- Politeness and honesty -------------------------------------------------
# Say who we are and how to reach whoever runs the crawl. Set NEWSCRAWL_CONTACT
# to your own URL or mailto: when you run it: a site owner should be able to ask
# you to slow down or stop.
NEWSCRAWL_CONTACT = "https://github.com/newscrawl/newscrawl"
USER_AGENT_TEMPLATE = f"newscrawl/{_VERSION} (+{{contact}}; archive of Arabic news for research)"
USER_AGENT = USER_AGENT_TEMPLATE.format(contact=NEWSCRAWL_CONTACT)
ROBOTSTXT_OBEY = True
# One request at a time per site, at least 1 s apart; AutoThrottle lengthens
# the gap when the site slows down, never shortens it below DOWNLOAD_DELAY.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
# A page gives one item, or a comments page to follow, or a sitemap's list of
# requests. Scrapy starts CONCURRENT_ITEMS asyncio tasks for every page's
# output, whatever its size: 100 (the default) cost more CPU than parsing
# the page (benchmarks/crawl_bench.py), 8 lose nothing.
CONCURRENT_ITEMS = 8
DOWNLOAD_DELAY_JITTER = 0  # no random spread: the delay is a floor, and we do not pose as a human
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Retry 5xx and 429, honouring Retry-After (newscrawl.middlewares.RetryAfterMiddleware).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_AFTER_MAX = 300  # a longer Retry-After stops the run ("blocked") instead of waiting
BLOCK_STOP_AFTER = 5  # blocked responses (403/429/captcha) in a row before the run stops
COOKIES_ENABLED = False  # an archive needs no session
# No listening ports on a machine that runs unattended: no telnet console, no
# remote-control HTTP server (Scrapy >= 2.18 starts one by default).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# --- Bad input ------------------------------------------------------------
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024  # no article page is this big; a bigger one is refused and logged
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
REDIRECT_MAX_TIMES = 10

# --- What may be fetched (newscrawl/fetch_policy.py) -------------------------
# http and https only: no handler for file://, data:, ftp:// or s3:// exists,
# so a sitemap or a redirect naming one cannot make the crawler read it.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
# Only the site's own hosts (base_url's, its www./bare twin, the profile's
# `hosts`) are fetched; name more here ("cdn.example.org", "example.org:8080").
FETCH_EXTRA_HOSTS = []
FETCH_POLICY_LOG_LIMIT = 50  # refused requests logged one line each; the rest are counted
# Discovery (sitemaps, feeds) hands the scheduler this many requests at a
# time, when it runs dry (newscrawl/backlog.py): memory stays flat whatever
# the number of URLs a site lists.
DISCOVERY_BATCH = 100

# --- The raw pages -----------------------------------------------------------
# Article and comments pages are kept as WARC (newscrawl/warc.py), for
# `newscrawl reextract`. Default folder: "warc" beside ARCHIVE_DB.
WARC_ENABLED = True
WARC_DIR = None
WARC_MAX_SIZE = 1_000_000_000  # bytes per file before the next one starts

# The WARC keeps bodies as received; warcio (and older WARC readers) read
# gzip and deflate but not brotli or zstd, so only those are accepted.
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "ar,en;q=0.5",
    "Accept-Encoding": "gzip, deflate",
}

# Scrapy's scheduler, except that a JOBDIR left by a killed crawl is set
# aside instead of resumed from (its queue files are not consistent), and a
# request the disk queue refuses is kept in memory (newscrawl/scheduler.py).
# Distributed workers replace it with newscrawl.distributed.LeasingScheduler.
SCHEDULER = "newscrawl.scheduler.CrashSafeScheduler"

DOWNLOADER_MIDDLEWARES = {
    # The fetch policy decides what may be fetched, before anything else
    # (robots.txt at 100 included) and for every request, redirects too;
    # Scrapy's OffsiteMiddleware, which lets dont_filter requests through, is
    # replaced by it.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "newscrawl.fetch_policy.FetchPolicyMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    # Next to the downloader: the WARC gets the bytes as received.
    "newscrawl.warc.WarcMiddleware": 950,
    "newscrawl.middlewares.RetryAfterMiddleware": 550,
    "newscrawl.middlewares.BlockMiddleware": 555,
    # After HttpCompressionMiddleware (590) has unpacked the body.
    "newscrawl.middlewares.CharsetMiddleware": 580,
    # Scrapy's, in their places, but a redirect to no URL at all ("http://[")
    # is an answer, not a failed download (newscrawl/middlewares.py).
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "newscrawl.middlewares.ReadableRedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "newscrawl.middlewares.ReadableMetaRefreshMiddleware": 579,  # reads the page CharsetMiddleware decoded, as before
}

ITEM_PIPELINES = {
    "pipelines.normalize.NormalizeWhitespacePipeline": 100,
    "pipelines.validate.ValidatePipeline": 200,
    "pipelines.dedupe.DedupePipeline": 300,
    "pipelines.store.StorePipeline": 400,
}

EXTENSIONS = {
    "newscrawl.extensions.RunRecorder": 500,
    "newscrawl.health.CrawlHealth": 510,
    "newscrawl.health.Progress": 520,
}

# --- Health -----------------------------------------------------------------
# Stop a run whose field coverage (title, body, date, comments block) falls
# by more than HEALTH_MAX_DROP against the median of the last
# HEALTH_BASELINE_RUNS finished runs, once HEALTH_MIN_PAGES article pages
# were read: a template change, caught before it thins the archive.
HEALTH_ENABLED = True
HEALTH_MIN_PAGES = 20
HEALTH_MAX_DROP = 0.5
HEALTH_BASELINE_RUNS = 5
PROGRESS_INTERVAL = 60  # seconds between progress lines; 0 turns them off

# --- Comment threads --------------------------------------------------------
# A site with AMP copies (Elaph) may print a thread on one template only:
# when an article page shows no comments, no comments block and no sign of
# a thread, its AMP copy is fetched for the thread (one more request).
AMP_COMMENTS_FALLBACK = True

# --- Distributed crawling (newscrawl/distributed.py) ------------------------
# Set REDIS_URL (redis://host:6379/0) to make `scrapy crawl` a worker sharing
# one frontier in Redis; `newscrawl drain` stores the items. Unset: nothing changes.
ADDONS = {"newscrawl.distributed.Distributed": 0}
REDIS_URL = None
REDIS_RUN = "default"  # workers of one run share it; concurrent runs need different ones
REDIS_IDLE_GRACE = 10  # seconds of empty frontier before a worker ends
REDIS_HEARTBEAT = 5  # seconds between a worker's signs of life; silent for 4 beats = dead, its work requeued
REDIS_RETRY_FOR = 60  # seconds each Redis call is retried (with backoff) before a worker stops, exit 1

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
