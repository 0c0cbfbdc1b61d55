"""Shared test helpers: the local model site and a real `scrapy crawl` subprocess."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from newscrawl.samplesite import SampleSite, generate_site

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "seeds" / "000_479c496df3c3ad8c.txt"
# Captured real pages live beside the repository, never in it (shared/README.md).
SHARED = Path(os.environ.get("NEWSCRAWL_SHARED", REPO.parent / "shared"))


def shared_pages(folder: str) -> list[Path]:
    """The `<name>.json` files of a folder of captured pages under SHARED.

    Without SHARED (a clone elsewhere) the tests that need it are skipped,
    and say so; CI sets NEWSCRAWL_REQUIRE_SHARED=1, where a missing folder fails.
    """
    path = SHARED / folder
    found = sorted(path.glob("*.json"))
    if not found:
        message = f"no captured pages in {path} (set NEWSCRAWL_SHARED to the shared/ folder)"
        if os.environ.get("NEWSCRAWL_REQUIRE_SHARED"):
            pytest.fail(message)
        pytest.skip(message, allow_module_level=True)
    return found

# The local site answers in milliseconds; the polite defaults (1 s apart,
# AutoThrottle) are tested on their own in test_politeness.py.
FAST = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "AUTOTHROTTLE_MAX_DELAY": "0.5",
        "RETRY_AFTER_MAX": "10"}


def crawl_command(base_url: str, db: Path, *, args: dict | None = None, settings: dict | None = None,
                  fast: bool = True, spider: str = "elaph") -> list[str]:
    """The real `scrapy crawl <spider>` command line, run from the project folder."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider, "-a", f"base_url={base_url}", "-s", f"ARCHIVE_DB={db}"]
    for name, value in (args or {}).items():
        cmd += ["-a", f"{name}={value}"]
    for name, value in {**(FAST if fast else {}), **(settings or {})}.items():
        cmd += ["-s", f"{name}={value}"]
    return cmd


def run_crawl(base_url: str, db: Path, *, timeout: int = 240, **options) -> subprocess.CompletedProcess:
    """Run the real `scrapy crawl <spider>` and wait for it."""
    return subprocess.run(crawl_command(base_url, db, **options), cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def run_cli(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run the installed `newscrawl` console script."""
    exe = Path(sys.executable).with_name("newscrawl")
    return subprocess.run([str(exe), *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def rows(db, sql: str, params=()) -> list[dict]:
    """Rows of a query on an archive file, as dicts."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def count(db, table: str) -> int:
    return rows(db, f"SELECT count(*) AS n FROM {table}")[0]["n"]


def site_dumps(db, out: Path, site: str = "elaph") -> dict[str, str]:
    """`newscrawl dump` of one site's articles: article id -> dump text."""
    result = run_cli("dump", "--db", str(db), "--out", str(out), "--site", site)
    assert result.returncode == 0, result.stderr
    return {p.stem: p.read_text(encoding="utf-8") for p in (out / site).glob("*.txt")}


def expected_dumps(model) -> dict[str, str]:
    """What the dumps of a model site's crawlable articles must be."""
    return {str(a.article_id): a.expected_dump() for a in model.crawlable()}


def crawl_stats(result: subprocess.CompletedProcess) -> str:
    return result.stderr[-6000:]


@pytest.fixture
def model():
    return generate_site(40)


@pytest.fixture
def site(model):
    with SampleSite(model) as running:
        yield running


# --- Two workers -----------------------------------------------------------
# `make test` runs two pytest-xdist workers (pyproject: -n 2 --dist loadgroup),
# and hands them tests one by one, so that neither waits for the other at the
# end. A test that uses a module's shared fixture (one crawl read by several
# tests) goes with the rest of its module, so the fixture is set up once.

SHARED_SCOPES = {"module", "class", "package"}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    for item in items:
        scopes = {defs[-1].scope for defs in item._fixtureinfo.name2fixturedefs.values() if defs}
        if scopes & SHARED_SCOPES and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(item.path.name))


# --- Tests that measure time run alone ------------------------------------
# With two workers on this 2-core machine, a test that asserts on how far
# apart requests arrived, or how long a wait lasted, is marked `timing`: it
# waits for the test running beside it to end, and no other test starts
# until it has ended. A readers-writer lock
# on two files the workers share: every other test holds `tests.lock` shared;
# a timing test takes `gate.lock` (no new test gets past it) and then
# `tests.lock` alone. Without xdist there is nothing to wait for.

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if not hasattr(item.config, "workerinput"):  # one process: tests run one at a time anyway
        yield
        return
    folder = Path(item.config.option.basetemp).parent  # xdist gives each worker <session's basetemp>/popen-gwN
    alone = item.get_closest_marker("timing") is not None
    with open(folder / "gate.lock", "a") as gate, open(folder / "tests.lock", "a") as tests:
        fcntl.flock(gate, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        fcntl.flock(tests, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        if not alone:
            fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield  # setup (module fixtures too), call, teardown
        finally:
            fcntl.flock(tests, fcntl.LOCK_UN)
            fcntl.flock(gate, fcntl.LOCK_UN)
