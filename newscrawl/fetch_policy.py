"""What a crawl may fetch, decided in one place.

A crawler that follows whatever a page names is a server-side request
forgery tool: a site (or whoever controls one of its pages) could steer it
to internal addresses, to another site, or to local files. So a crawl
fetches only

- ``http`` and ``https`` URLs (settings.py also switches Scrapy's ``file``,
  ``data``, ``ftp`` and ``s3`` download handlers off), and
- on the site's own hosts: the host of ``base_url`` and its ``www.``/bare
  twin, with its port (127.0.0.1:8001 and 127.0.0.1:8002 are two hosts, so
  are ``localhost`` and ``127.0.0.1``), plus the hosts its profile lists
  (``SiteProfile.hosts``) and FETCH_EXTRA_HOSTS. The generic spider is bound
  to the hosts of the URLs and feeds it was given.

`FetchPolicy.refusal` is the decision. The spider asks it before it
schedules a request (article, sitemap, feed, comment page, and links it
would store: a canonical), and `FetchPolicyMiddleware`, the first
downloader middleware, asks it again for every request about to be sent:
Scrapy's redirects come back through the downloader middlewares as new
requests, and article requests carry ``dont_filter``, which Scrapy's own
OffsiteMiddleware lets through (that one is switched off: this one
replaces it). It runs before RobotsTxtMiddleware (100), so another host's
robots.txt is never asked for either. Distributed workers (REDIS_URL) run
the same middlewares on every request they take from the shared queue.

A refused request raises `RefusedRequest` (an IgnoreRequest: the request's
errback sees it); a redirect off the site raises `OffsiteRedirect`, whose
``source`` is the URL that redirected. Every refusal is counted
(``fetch_policy/refused``, by reason and by where it came from) and logged,
the first FETCH_POLICY_LOG_LIMIT of a run one line each; the run ends with
one line saying what it refused.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from w3lib.url import safe_url_string

logger = logging.getLogger(__name__)

SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Hosts named in the end-of-run line and the stats: enough to say what a
# hostile site tried, not a list that grows with it.
MAX_HOSTS_NAMED = 20

Host = tuple[str, "int | None"]  # (host name, port unless the scheme's default)


class RefusedRequest(IgnoreRequest):
    """A request the fetch policy does not send: not http(s), not the site's host, or no URL at all."""

    reason = "host"

    def __init__(self, url: str, why: str):
        super().__init__(f"not fetched: {url}: {why}")
        self.url = url
        self.why = why


class ForeignScheme(RefusedRequest):
    reason = "scheme"


class ForeignHost(RefusedRequest):
    reason = "host"


class UnreadableUrl(RefusedRequest):
    """A URL no parser can read (an unclosed IPv6 bracket, a port that is no
    number): there is nothing to fetch, and it must not stop the page it is on."""

    reason = "unreadable"


class OffsiteRedirect(ForeignHost):
    """A page of the site answered with a redirect to another host (or scheme)."""

    reason = "redirect"

    def __init__(self, url: str, why: str, source: str):
        super().__init__(url, why)
        self.source = source  # the URL that redirected (the first of the chain)
        self.args = (f"{source} redirects to {url}: {why}",)


# Each article URL is judged up to four times (its sitemap entry, its
# request, the downloader middleware, its canonical link), a few hundred
# URLs apart, and safe_url_string is most of the judging: the answers for
# the last URLs are kept. A pure function of the string, so nothing changes.
@functools.lru_cache(maxsize=4096)
def host_of(url: str) -> Host | None:
    """(host, port) of an http(s) URL as the downloader will see it; the
    scheme's default port is None, so https://x and https://x:443 are one."""
    try:
        parts = urlsplit(safe_url_string(url))
        port = parts.port
    except ValueError:  # an unparsable port or IPv6 literal
        return None
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return None
    if port == _DEFAULT_PORTS.get(parts.scheme.lower()):
        port = None
    return host, port


def _origin(url: str) -> str:
    """The start of `url` that its scheme and host_of depend on: up to the
    first "/", "?" or "#" after "://", where urlsplit ends the authority
    too. A URL with whitespace or control characters, which urlsplit and
    safe_url_string strip or escape before splitting, is its own."""
    scheme, sep, rest = url.partition("://")
    if not sep or not url.isprintable() or url != url.strip():
        return url
    ends = [i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0]
    return url[:len(scheme) + 3 + min(ends)] if ends else url


def _twins(host: str) -> set[str]:
    """A host and its www./bare twin (none for an IP address or a one-label name)."""
    try:
        ipaddress.ip_address(host)
        return {host}
    except ValueError:
        pass
    if host.startswith("www."):
        return {host, host[4:]}
    return {host, f"www.{host}"} if "." in host else {host}


def _parse_host(entry: str) -> Host | None:
    """A host as a profile or a setting names it: "cdn.example.org",
    "example.org:8080" or a URL."""
    entry = entry.strip()
    if not entry:
        return None
    return host_of(entry if "://" in entry else f"http://{entry}")


def _display(host: Host) -> str:
    name, port = host
    return f"{name}:{port}" if port else name


@dataclass(frozen=True)
class FetchPolicy:
    """The hosts a crawl may fetch from (http and https only)."""

    hosts: frozenset[Host]

    @classmethod
    def for_urls(cls, urls: Iterable[str], *, extra: Iterable[str] = ()) -> FetchPolicy:
        """Bound to the hosts of these URLs (each with its www./bare twin) and `extra` hosts."""
        hosts: set[Host] = set()
        origins: set[str] = set()
        for url in urls:
            # Reading a URL's host costs 12 us (safe_url_string, urlsplit):
            # 8 s for the 660,000 articles of a re-extraction. Their hosts
            # are a handful: each scheme and authority is read once.
            origin = _origin(url)
            if origin in origins:
                continue
            origins.add(origin)
            try:
                scheme = urlsplit(url).scheme.lower()
            except ValueError:  # "http://[": no host to allow
                continue
            if scheme not in SCHEMES:
                continue
            found = host_of(url)
            if found:
                hosts.update((twin, found[1]) for twin in _twins(found[0]))
        for entry in extra:
            found = _parse_host(entry)
            if found:
                hosts.add(found)
        return cls(frozenset(hosts))

    @classmethod
    def for_site(cls, base_url: str, profile_base_url: str = "", profile_hosts: Iterable[str] = (),
                 extra: Iterable[str] = ()) -> FetchPolicy:
        """The hosts of a site: base_url's host and twin; the profile's listed
        hosts only when base_url is the profile's own site (a crawl pointed at
        a mirror or a local copy is bound to that copy alone)."""
        own = cls.for_urls([base_url])
        listed = tuple(profile_hosts) if profile_base_url and own.allows(profile_base_url) else ()
        return cls.for_urls([base_url], extra=(*listed, *extra))

    def with_hosts(self, extra: Iterable[str]) -> FetchPolicy:
        added = {h for h in (_parse_host(e) for e in extra) if h}
        return FetchPolicy(self.hosts | added) if added else self

    def refusal(self, url: str) -> RefusedRequest | None:
        """Why `url` must not be fetched, or None if it may be. The one decision."""
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError as exc:
            return UnreadableUrl(url, f"not a URL ({exc})")
        if scheme not in SCHEMES:
            return ForeignScheme(url, f"{scheme or 'no'} scheme; only http and https are fetched")
        host = host_of(url)
        if host is None:
            return ForeignHost(url, "no host")
        if host not in self.hosts:
            return ForeignHost(url, f"{_display(host)} is not {self.describe()}")
        return None

    def allows(self, url: str) -> bool:
        return self.refusal(url) is None

    def describe(self) -> str:
        return ", ".join(sorted(_display(h) for h in self.hosts)) or "any site (no host given)"

    @property
    def domains(self) -> list[str]:
        """Host names for Scrapy's ``allowed_domains`` (informative: this policy decides)."""
        return sorted({name.removeprefix("www.") for name, _ in self.hosts})


def target(url: str) -> str:
    """What a refusal names in the stats: "host[:port]", or "scheme:" for a URL without http(s)."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return "(not a URL)"
    if scheme not in SCHEMES:
        return f"{scheme or '(none)'}:"
    found = host_of(url)
    return _display(found) if found else "(no host)"


def record(crawler, refusal: RefusedRequest, where: str, *, log: bool = True) -> None:
    """Count a refusal and log it: one line each for the first
    FETCH_POLICY_LOG_LIMIT of the run, then counted only (a hostile sitemap
    may list a million foreign URLs; the log must stay readable). `log=False`:
    the caller logs the line itself, saying what it means for the article."""
    stats = crawler.stats
    stats.inc_value("fetch_policy/refused")
    stats.inc_value(f"fetch_policy/refused/{refusal.reason}")
    stats.inc_value(f"fetch_policy/refused_in/{where}")
    named = stats.get_value("fetch_policy/refused_targets") or []
    name = target(refusal.url)
    if name not in named and len(named) < MAX_HOSTS_NAMED:
        stats.set_value("fetch_policy/refused_targets", [*named, name])
    count = stats.get_value("fetch_policy/refused")
    limit = crawler.settings.getint("FETCH_POLICY_LOG_LIMIT")
    if not log:
        logger.debug("refused (%s): %s", where, refusal)
    elif count <= limit:
        logger.warning("refused (%s): %s", where, refusal)
        if count == limit:
            logger.warning("further refused requests are counted in the stats (fetch_policy/refused), not logged")
    else:
        logger.debug("refused (%s): %s", where, refusal)


def record_move(crawler, source: str, destination: str) -> None:
    """Keep where an article moved off the site, in the run's stats (stored
    with the run in crawl_runs): the first MAX_HOSTS_NAMED moves, and a count."""
    stats = crawler.stats
    moves = stats.get_value("fetch_policy/moved_offsite") or {}
    if len(moves) < MAX_HOSTS_NAMED:
        stats.set_value("fetch_policy/moved_offsite", {**moves, source: destination})


def _kind(request) -> str:
    """What a request is for, in a stat's name: article, comments, sitemap, feed, robots..."""
    kind = request.meta.get("page_kind") or request.meta.get("discovery")
    if kind:
        return kind
    if request.meta.get("dont_obey_robotstxt"):
        return "robots"  # RobotsTxtMiddleware's own request
    name = getattr(request.callback, "__name__", "") or "request"
    return name.removeprefix("parse_")


def policy_of(spider) -> FetchPolicy | None:
    return getattr(spider, "fetch_policy", None)


class FetchPolicyMiddleware:
    """Downloader middleware (first, at 50, in OffsiteMiddleware's place):
    no request leaves for a URL the spider's FetchPolicy refuses, whatever
    made it (the spider, a redirect, a meta refresh, dont_filter or not).

    A spider without a policy (none in this project) gets the scheme check only."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler) -> FetchPolicyMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider) -> None:
        policy = policy_of(spider)
        if policy is None:
            logger.warning("spider %s has no fetch_policy: only the scheme (http, https) is checked", spider.name)
        else:
            logger.info("fetching only from %s (http, https)", policy.describe())

    def process_request(self, request) -> None:
        policy = policy_of(self.crawler.spider)
        if policy is None:
            scheme = urlsplit(request.url).scheme.lower()
            refusal = None if scheme in SCHEMES else ForeignScheme(request.url, f"{scheme} scheme")
        else:
            refusal = policy.refusal(request.url)
        if refusal is None:
            return None
        redirected = request.meta.get("redirect_urls")
        if redirected:
            refusal = OffsiteRedirect(request.url, refusal.why, source=redirected[0])
        # A redirect's refusal reaches the request's errback, whose line says
        # what it means (an article moved, a sitemap not read): not logged twice.
        record(self.crawler, refusal, "redirect" if redirected else _kind(request), log=not redirected)
        raise refusal

    def spider_closed(self, spider, reason) -> None:
        stats = self.crawler.stats
        refused = stats.get_value("fetch_policy/refused", 0)
        if not refused:
            return
        reasons = ", ".join(f"{stats.get_value(f'fetch_policy/refused/{r}')} {label}"
                            for r, label in (("host", "to other hosts"), ("redirect", "redirects off the site"),
                                             ("scheme", "not http(s)"), ("unreadable", "not URLs"))
                            if stats.get_value(f"fetch_policy/refused/{r}"))
        logger.warning("%d requests refused by the fetch policy (%s): %s", refused, reasons,
                       ", ".join(stats.get_value("fetch_policy/refused_targets") or ()))
