"""Distributed crawling: real redis-server, real workers, one drain.

Needs /usr/bin/redis-server (`apt-get install redis-server`; .ci/run installs it).
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from itertools import pairwise
from pathlib import Path

import pytest
import redis

from newscrawl.samplesite import SampleSite, generate_site
from tests.conftest import REPO, crawl_command, rows, run_cli
from tests.conftest import expected_dumps as expected
from tests.conftest import site_dumps as dumps

pytestmark = pytest.mark.crawl
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A real redis-server on a free port, which a test may kill (SIGKILL)
    and start again on the same port and data folder.

    `persistent`: an append-only file written and fsynced before each write
    is acknowledged (appendfsync always), so a SIGKILL loses no write any
    client was told had happened. That makes "no article lost" a claim about
    the crawler, not about Redis: with snapshots (or appendfsync everysec) a
    kill drops acknowledged writes (an item pushed, a lease ended), and no
    client can know to send them again."""

    def __init__(self, folder: Path, persistent: bool = False):
        if not Path(REDIS_SERVER).exists():
            pytest.fail("redis-server is missing: apt-get install redis-server (or run .ci/run)")
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.options = (["--appendonly", "yes", "--appendfsync", "always", "--save", ""] if persistent
                        else ["--appendonly", "no", "--save", ""])
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.process = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", *self.options,
                                         "--dir", str(self.folder)], stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, retry=None)  # one try per ping: this loop is the waiting
        for _ in range(200):
            try:
                client.ping()
                return self
            except redis.exceptions.ConnectionError:  # refused, or still loading its append-only file
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def redis_url(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server.url
    server.stop()


WORKER = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "REDIS_IDLE_GRACE": "2",
          "REDIS_HEARTBEAT": "1", "AUTOTHROTTLE_MAX_DELAY": "0.5", "RETRY_AFTER_MAX": "10"}


def start_worker(site, url, log: Path, **settings):
    # A worker stores nothing in ARCHIVE_DB, but writes its WARC files beside it: in the test's folder.
    cmd = crawl_command(site.base_url, log.parent / "unused.db", fast=False,
                        settings={**WORKER, "REDIS_URL": url, **settings})
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=open(log, "w"), text=True)


def drain(db, url, idle=0.5):
    """Drain what workers that have ended left: nothing more is coming, so a short idle is enough."""
    result = run_cli("drain", "--db", str(db), "--redis", url, "--idle", str(idle), timeout=300)
    assert result.returncode == 0, result.stderr
    return result


def start_drain(db, url, log: Path, idle: float):
    exe = Path(sys.executable).with_name("newscrawl")
    return subprocess.Popen([str(exe), "drain", "--db", str(db), "--redis", url, "--idle", str(idle)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=open(log, "w"), text=True)








def worker_stats(log: Path) -> dict:
    text = log.read_text()
    return {key.strip("'"): int(value) for key, value in
            (line.strip().rstrip(",").split(": ") for line in text.splitlines()
             if line.strip().startswith(("'item_scraped_count'", "'response_received_count'")))}


def test_two_workers_and_a_drain_store_every_article_once(redis_url, tmp_path):
    model = generate_site(40)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        site.delay = 0.02
        workers = [start_worker(site, redis_url, tmp_path / f"w{i}.log") for i in range(2)]
        assert [w.wait(timeout=240) for w in workers] == [0, 0]  # both end by themselves
        hits_per_article = {}
        for hit in site.article_hits():
            hits_per_article[hit.path] = hits_per_article.get(hit.path, 0) + 1
    report = drain(db, redis_url)
    assert f"{len(model.crawlable())} new;" in report.stdout and "2 worker runs recorded" in report.stdout
    assert dumps(db, tmp_path / "dumps") == expected(model)
    assert rows(db, "SELECT count(*) AS n FROM comments")[0]["n"] == sum(len(a.comments) for a in model.crawlable())
    counts = [worker_stats(tmp_path / f"w{i}.log").get("item_scraped_count", 0) for i in range(2)]
    assert all(counts) and sum(counts) == len(model.crawlable())  # shared, not done twice
    assert max(hits_per_article.values()) <= 3  # the flaky page's two 503s, then once
    runs = rows(db, "SELECT status, verdict FROM crawl_runs")
    assert len(runs) == 2 and {r["status"] for r in runs} == {"finished"}
    # The run's frontier is gone: the next run under the same REDIS_RUN starts clean.
    assert not list(redis.Redis.from_url(redis_url).scan_iter("newscrawl:default:*"))


def test_killing_a_worker_mid_way_loses_nothing(redis_url, tmp_path):
    model = generate_site(40)
    db = tmp_path / "news.db"
    client = redis.Redis.from_url(redis_url)
    with SampleSite(model) as site:
        site.delay = 0.05
        victim = start_worker(site, redis_url, tmp_path / "victim.log")
        survivor = start_worker(site, redis_url, tmp_path / "survivor.log")
        deadline = time.monotonic() + 120
        while client.llen("newscrawl:items") < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        leased = sum(client.hlen(k) for k in client.scan_iter("newscrawl:default:elaph:leases:*"))
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        assert survivor.wait(timeout=240) == 0
        assert leased > 0
    drain(db, redis_url)
    assert dumps(db, tmp_path / "dumps") == expected(model)
    assert rows(db, "SELECT count(*) AS n FROM comments")[0]["n"] == sum(len(a.comments) for a in model.crawlable())
    log = (tmp_path / "survivor.log").read_text()
    assert "put back on the queue" in log or "'distributed/reclaimed'" in log


@pytest.mark.timing  # gaps between arrivals: alone on the machine
def test_more_workers_do_not_hit_a_site_harder(redis_url, tmp_path):
    model = generate_site(40)
    with SampleSite(model) as site:
        paths = ",".join(a.path for a in model.crawlable()[:8])
        workers = [subprocess.Popen(
            crawl_command(site.base_url, tmp_path / "unused.db", args={"urls": paths}, fast=False,
                          settings={**WORKER, "REDIS_URL": redis_url, "DOWNLOAD_DELAY": "0.4"}),
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(3)]
        assert [w.wait(timeout=240) for w in workers] == [0, 0, 0]
        times = sorted(h.time for h in site.hits())  # robots.txt of each worker included
    assert len([t for t in times]) >= 8
    gaps = [b - a for a, b in pairwise(times)]
    # Three workers, one site: still 0.4 s apart when sent (uncoordinated,
    # they would arrive about 0.13 s apart). Arrival times jitter on a busy
    # machine, so the check allows a quarter of the delay.
    assert min(gaps) >= 0.3, gaps


def test_a_second_distributed_run_fetches_only_what_changed(redis_url, tmp_path):
    model = generate_site(40)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        assert start_worker(site, redis_url, tmp_path / "a.log").wait(timeout=240) == 0
        drain(db, redis_url)  # stores, and publishes what the archive holds for the workers
        site.clear_log()
        assert start_worker(site, redis_url, tmp_path / "b.log").wait(timeout=240) == 0
        assert site.article_hits() == []
    assert "0 items" in drain(db, redis_url).stdout


def test_the_drain_finishes_what_a_killed_drain_had_taken(redis_url, tmp_path):
    client = redis.Redis.from_url(redis_url)
    item = {"site": "elaph", "article_id": "7", "url": "https://elaph.com/Web/News/2020/1/7.html", "title": "عنوان",
            "subtitle": "", "body": ["نص"], "comments": [{"comment_id": "1", "title": "", "author": "أ", "text": "ت"}]}
    client.rpush("newscrawl:items:processing", json.dumps(item, ensure_ascii=False))
    report = drain(tmp_path / "news.db", redis_url, idle=0.5)
    assert "1 recovered" in report.stdout and "1 new" in report.stdout
    assert client.llen("newscrawl:items:processing") == 0


def test_drain_errors_are_one_line(tmp_path):
    result = run_cli("drain", "--db", str(tmp_path / "x.db"), "--redis", f"redis://127.0.0.1:{free_port()}/0",
                     "--idle", "1")
    assert result.returncode == 1 and "cannot reach Redis" in result.stderr and "Traceback" not in result.stderr


def test_workers_share_which_articles_were_asked_and_their_other_urls(redis_url):
    from scrapy.settings import Settings

    from newscrawl.distributed import RedisArticleClaims

    settings = Settings({"REDIS_URL": redis_url, "REDIS_RUN": "claims"})
    a, b = (RedisArticleClaims.for_spider(settings, "elaph") for _ in range(2))
    assert a.claim("7", "https://elaph.com/Web/Gone/2020/1/7.html")
    assert not b.claim("7", "https://elaph.com/Web/News/2020/1/7.html") and b.asked("7")
    b.add_alternate("7", "https://elaph.com/Web/News/2020/1/7.html")
    b.add_alternate("7", "https://elaph.com/Web/News/2020/1/7.html")  # once only
    a.add_alternate("7", "https://elaph.com/Web/Gone/2020/1/7.html")  # the URL already asked: not an alternate
    assert a.next_alternate("7") == "https://elaph.com/Web/News/2020/1/7.html"
    assert b.next_alternate("7") is None and a.next_alternate("8") is None


def test_a_drain_replaces_what_another_archive_left_in_redis(redis_url, tmp_path):
    """Facts published from another archive must not make workers skip articles this one lacks."""
    model = generate_site(40)
    with SampleSite(model) as site:
        assert start_worker(site, redis_url, tmp_path / "a.log").wait(timeout=240) == 0
        drain(tmp_path / "first.db", redis_url)  # publishes the first archive's facts
        fresh = tmp_path / "second.db"
        drain(fresh, redis_url, idle=0.5)  # a drain on another, empty archive: its facts replace them
        assert start_worker(site, redis_url, tmp_path / "b.log").wait(timeout=240) == 0
    drain(fresh, redis_url)
    assert dumps(fresh, tmp_path / "dumps") == expected(model)


def test_a_run_that_did_not_finish_does_not_hide_the_next_runs_pages(redis_url, tmp_path):
    """A run stopped early keeps its keys (its queue is work to do); the next
    run must still read robots.txt and the sitemaps, and find what is new."""
    from datetime import UTC, datetime

    from newscrawl.samplesite.model import ModelArticle

    model = generate_site(40)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        stopped = start_worker(site, redis_url, tmp_path / "a.log", CLOSESPIDER_ITEMCOUNT="3")
        assert stopped.wait(timeout=240) == 0
        assert "closespider_itemcount" in (tmp_path / "a.log").read_text()
        fresh = ModelArticle(article_id=1_578_800, section="Politics",
                             published=datetime(2025, 10, 2, 9, 0, tzinfo=UTC), title="مقال جديد",
                             subtitle="", body=["إيلاف من لندن: نص جديد."], lastmod=datetime.now(UTC))
        model.add_article(fresh)
        assert start_worker(site, redis_url, tmp_path / "b.log").wait(timeout=240) == 0
        assert "starting discovery afresh" in (tmp_path / "b.log").read_text()
    drain(db, redis_url)
    assert dumps(db, tmp_path / "dumps") == expected(model)


def test_an_item_the_drain_cannot_store_is_set_aside_not_in_the_way(redis_url, tmp_path):
    client = redis.Redis.from_url(redis_url)
    good = {"site": "elaph", "article_id": "7", "url": "https://elaph.com/Web/News/2020/1/7.html", "title": "عنوان",
            "subtitle": "", "body": ["نص"], "comments": [{"comment_id": "1", "title": "", "author": "أ", "text": "ت"}]}
    client.rpush("newscrawl:items:processing", json.dumps({**good, "article_id": "8", "comments": ["x"]}))
    client.rpush("newscrawl:items", b"{not json", json.dumps(good, ensure_ascii=False))
    report = drain(tmp_path / "news.db", redis_url, idle=0.5)
    assert "1 new" in report.stdout and "2 not storable" in report.stdout
    failed = [json.loads(x) for x in client.lrange("newscrawl:items:failed", 0, -1)]
    assert len(failed) == 2 and all(f["error"] for f in failed)
    assert client.llen("newscrawl:items:processing") == 0 and client.llen("newscrawl:items") == 0
    assert rows(tmp_path / "news.db", "SELECT article_id FROM articles") == [{"article_id": "7"}]


def test_a_404_is_remembered_for_a_while_then_asked_again(redis_url):
    from datetime import UTC, datetime, timedelta

    from newscrawl.redis_state import GONE_RECHECK_DAYS, RedisState

    client = redis.Redis.from_url(redis_url)
    state = RedisState(client)
    state.mark_gone("elaph", "7", None)  # from a feed: no <lastmod>
    assert state.gone("elaph", "7") == ""
    old = (datetime.now(UTC) - timedelta(days=GONE_RECHECK_DAYS + 1)).isoformat(timespec="seconds")
    client.hset("newscrawl:gone:elaph", "7", json.dumps({"lastmod": "", "at": old}))
    assert state.gone("elaph", "7") is None


def test_one_drain_per_redis(redis_url, tmp_path):
    client = redis.Redis.from_url(redis_url)
    client.set("newscrawl:drain", "otherhost:123:abc", ex=60)
    result = run_cli("drain", "--db", str(tmp_path / "x.db"), "--redis", redis_url, "--idle", "0.5")
    assert result.returncode == 1 and "another drain (otherhost:123:abc)" in result.stderr
    assert "Traceback" not in result.stderr
    client.delete("newscrawl:drain")
    assert "drained 0 items" in drain(tmp_path / "x.db", redis_url, idle=0.5).stdout
    assert client.get("newscrawl:drain") is None  # freed when it ends


# --- Redis going away mid-run --------------------------------------------------

@pytest.mark.timing  # how long the retries last
def test_a_redis_call_retries_for_redis_retry_for_then_raises():
    from newscrawl.redis_state import retry_params

    client = redis.Redis(host="127.0.0.1", port=free_port(), **retry_params(1.5, "nowhere"))
    started = time.monotonic()
    with pytest.raises(redis.exceptions.ConnectionError):
        client.ping()
    assert 1.5 <= time.monotonic() - started < 5  # about the budget: the nested connect retry does not multiply it


# The sitemap listing the reference article (/Web/News/2015/3/994567.html).
REFERENCE_SITEMAP = "/sitemaps/2015-03.xml"


def wait_until(check, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.05)


def a_worker_is_alive(client) -> bool:
    return next(client.scan_iter("newscrawl:*:alive:*"), None) is not None


def a_drain_is_running(client) -> bool:
    from newscrawl.drain import LOCK

    return bool(client.exists(LOCK))


class Outage:
    """Kill redis-server (SIGKILL) just before the site answers the request
    `when(path, site)` picks, and start it again `down` seconds later.

    `ready()`: what must hold before the kill, waited for while that request
    is held (a slow answer): the drain running, however slowly a loaded
    machine started it."""

    def __init__(self, site, server: RedisServer, down: float, when, ready=lambda: True):
        self.server, self.down = server, down
        self.killed_at: float | None = None
        self.hits_before = self.articles_before = 0
        self.restarted = threading.Event()
        self.lock = threading.Lock()
        respond = site.respond

        def respond_and_kill(method, raw_path, headers_in):
            with self.lock:
                if self.killed_at is None and when(raw_path, site):
                    wait_until(ready, "drain running before the outage")
                    self.hits_before, self.articles_before = len(site.hits()), len(site.article_hits())
                    self.server.kill()
                    self.killed_at = time.monotonic()
                    threading.Timer(self.down, self._restart).start()
            return respond(method, raw_path, headers_in)

        site.respond = respond_and_kill

    def _restart(self):
        self.server.start()
        self.restarted.set()


def stopped_lines(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if "stopping this worker (exit 1)" in line]


def dumps_of(db, tmp_path):
    return dumps(db, tmp_path / "dumps")


def test_a_redis_restart_mid_run_loses_nothing_and_the_drain_carries_on(tmp_path):
    from newscrawl.samplesite.model import REFERENCE_ID

    model = generate_site(40)
    db = tmp_path / "news.db"
    server = RedisServer(tmp_path / "redis", persistent=True).start()
    try:
        with SampleSite(model) as site:
            site.delay = 0.02
            client = redis.Redis.from_url(server.url)
            # The reported loss: a sitemap's callback meeting Redis down.
            outage = Outage(site, server, down=4, when=lambda path, site: path.startswith(REFERENCE_SITEMAP),
                            ready=lambda: a_drain_is_running(client))
            logs = [tmp_path / f"w{i}.log" for i in range(2)]
            workers = [start_worker(site, server.url, log) for log in logs]
            # The drain starts once a worker is up: it ends after `idle` seconds with no worker alive.
            wait_until(lambda: a_worker_is_alive(client), "worker up")
            drainer = start_drain(db, server.url, tmp_path / "drain.log", idle=3)
            assert outage.restarted.wait(timeout=180), "the sitemap of the reference article was never fetched"
            assert outage.hits_before >= 3  # robots.txt, the sitemap index, other sitemaps: mid-run
            assert drainer.poll() is None  # it waited for Redis instead of ending on ConnectionError
            assert [w.wait(timeout=240) for w in workers] == [0, 0]  # back within REDIS_RETRY_FOR: done, not failed
            out, _ = drainer.communicate(timeout=120)
        assert drainer.returncode == 0, (tmp_path / "drain.log").read_text()
        assert "2 worker runs recorded" in out
        texts = [log.read_text() for log in logs]
        assert any("reachable again" in text for text in texts)
        assert not any("Traceback" in text or stopped_lines(log) for text, log in zip(texts, logs, strict=True))
        dumps = dumps_of(db, tmp_path)
        assert str(REFERENCE_ID) in dumps
        assert dumps == expected(model)  # every article once, each as published
        assert rows(db, "SELECT count(*) AS n FROM comments")[0]["n"] == sum(len(a.comments) for a in model.crawlable())
        assert {r["status"] for r in rows(db, "SELECT status FROM crawl_runs")} == {"finished"}
    finally:
        server.stop()


def test_workers_stop_with_exit_1_when_redis_stays_away_and_a_rerun_completes(tmp_path):
    model = generate_site(40)
    db = tmp_path / "news.db"
    server = RedisServer(tmp_path / "redis", persistent=True).start()
    short = {"REDIS_RETRY_FOR": "2"}
    try:
        with SampleSite(model) as site:
            site.delay = 0.02
            client = redis.Redis.from_url(server.url)
            # Mid-run among the articles: items pushed, some stored, more to fetch.
            outage = Outage(site, server, down=9, when=lambda path, site: len(site.article_hits()) >= 10,
                            ready=lambda: a_drain_is_running(client))
            logs = [tmp_path / f"w{i}.log" for i in range(2)]
            workers = [start_worker(site, server.url, log, **short) for log in logs]
            wait_until(lambda: a_worker_is_alive(client), "worker up")  # see the test above
            drainer = start_drain(db, server.url, tmp_path / "drain.log", idle=8)
            codes = [w.wait(timeout=240) for w in workers]
            stopped = time.monotonic()
            assert outage.killed_at is not None and stopped - outage.killed_at < outage.down  # they did not wait it out
            assert codes == [1, 1]
            for log in logs:
                text = log.read_text()
                assert len(stopped_lines(log)) == 1 and "unreachable for 2 s" in stopped_lines(log)[0], text[-3000:]
                assert "Traceback" not in text and len([line for line in text.splitlines() if " ERROR: " in line
                                                        and "Redis" in line]) == 1, text[-3000:]
            assert outage.restarted.wait(timeout=60)
            assert outage.articles_before < len(model.crawlable())
            client = redis.Redis.from_url(server.url)  # a new connection to the restarted server
            # What they were doing was not acknowledged: still leased to them.
            assert sum(client.hlen(k) for k in client.scan_iter("newscrawl:default:elaph:leases:*")) > 0
            assert drainer.poll() is None  # Redis away for 9 s, its calls retried for 60: still there
            rerun = tmp_path / "rerun.log"
            assert start_worker(site, server.url, rerun).wait(timeout=240) == 0
            assert "put back on the queue" in rerun.read_text()
            drainer.communicate(timeout=120)
        assert drainer.returncode == 0, (tmp_path / "drain.log").read_text()
        assert dumps_of(db, tmp_path) == expected(model)
        assert rows(db, "SELECT count(*) AS n FROM comments")[0]["n"] == sum(len(a.comments) for a in model.crawlable())
        runs = rows(db, "SELECT status, finish_reason FROM crawl_runs ORDER BY id")
        assert [r["status"] for r in runs][-1] == "finished"
    finally:
        server.stop()


def test_a_redis_that_restarts_without_its_data_stops_the_workers(tmp_path):
    """No append-only file: the restart empties the frontier. The workers must
    not take the empty queue for a finished crawl."""
    model = generate_site(40)
    server = RedisServer(tmp_path / "redis", persistent=False).start()
    try:
        with SampleSite(model) as site:
            site.delay = 0.02
            Outage(site, server, down=1, when=lambda path, site: len(site.article_hits()) >= 10)
            logs = [tmp_path / f"w{i}.log" for i in range(2)]
            workers = [start_worker(site, server.url, log) for log in logs]
            assert [w.wait(timeout=240) for w in workers] == [1, 1]
        for log in logs:
            assert len(stopped_lines(log)) == 1 and "without the run's data" in stopped_lines(log)[0]
            assert "Traceback" not in log.read_text()
    finally:
        server.stop()


def test_a_worker_that_cannot_reach_redis_says_so_in_one_line(tmp_path):
    url = f"redis://127.0.0.1:{free_port()}/0"
    cmd = crawl_command("http://127.0.0.1:9", tmp_path / "unused.db", fast=False,
                        settings={**WORKER, "REDIS_URL": url, "REDIS_RETRY_FOR": "1"})
    started = time.monotonic()
    result = subprocess.run(cmd, check=False, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and time.monotonic() - started < 60
    lines = [line for line in result.stderr.splitlines() if "stopping this worker (exit 1)" in line]
    assert len(lines) == 1 and "unreachable for 1 s" in lines[0]
    assert "Traceback" not in result.stderr
