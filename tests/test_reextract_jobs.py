"""`newscrawl reextract --jobs N`: worker processes extract, the main process
stores, and the archive comes out the same as with one job; a worker that
dies, or Ctrl-C, stops the run with one line and a sound archive."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from newscrawl.lock import child_pids
from newscrawl.samplesite import SampleSite, generate_site
from tests.conftest import REPO, count, rows, run_cli, run_crawl
from tests.conftest import site_dumps as dumps

pytestmark = pytest.mark.crawl

# Written by store_article from the clock: not part of what was stored.
CLOCK_COLUMNS = {"first_seen", "last_seen", "last_changed", "gone_since"}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """A crawled model site whose comments pages sit in a WARC file of their
    own, apart from the article pages that lead to them."""
    work = tmp_path_factory.mktemp("crawled")
    model = generate_site(60)
    db = work / "news.db"
    with SampleSite(model) as site:
        result = run_crawl(site.base_url, db)
        assert result.returncode == 0, result.stderr[-3000:]
    threads = rows(db, "SELECT count(*) AS n FROM articles WHERE comment_pages > 1")[0]["n"]
    assert threads >= 3  # multi-page comment threads, read whole
    moved = split_comment_pages(work / "warc", work / "split")
    assert moved["comments"] >= threads and moved["articles"] >= len(model.crawlable())
    return {"model": model, "db": db, "warc": work / "split", "dumps": dumps(db, work / "dumps")}


def split_comment_pages(source: Path, out: Path) -> dict[str, int]:
    """Copy the WARC records into two files: comments pages (?cpage=) in one,
    everything else in the other."""
    out.mkdir()
    written = {"articles": 0, "comments": 0}
    with open(out / "a-articles.warc.gz", "wb") as articles, open(out / "b-comments.warc.gz", "wb") as comments:
        writers = {"articles": WARCWriter(articles, gzip=True), "comments": WARCWriter(comments, gzip=True)}
        for path in sorted(source.glob("*.warc.gz")):
            with open(path, "rb") as fh:
                for record in ArchiveIterator(fh):
                    if record.rec_type != "response":
                        continue
                    kind = "comments" if "cpage=" in record.rec_headers.get_header("WARC-Target-URI") else "articles"
                    writers[kind].write_record(record)
                    written[kind] += 1
    return written


def emptied_copy(crawled, path: Path) -> Path:
    """The crawl's archive with no article and no comment left."""
    shutil.copy(crawled["db"], path)
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM comments")
    conn.execute("DELETE FROM articles")
    conn.commit()
    conn.close()
    return path


def stored(db) -> dict[str, list]:
    """Every row of the article and comment tables, clock columns aside."""
    return {table: [{k: v for k, v in row.items() if k not in CLOCK_COLUMNS}
                    for row in rows(db, f"SELECT * FROM {table} ORDER BY id")] for table in ("articles", "comments")}


def test_two_jobs_store_exactly_what_one_job_stores(crawled, tmp_path):
    one = emptied_copy(crawled, tmp_path / "one.db")
    two = emptied_copy(crawled, tmp_path / "two.db")
    by_one = run_cli("reextract", "--db", str(one), "--warc-dir", str(crawled["warc"]), "--jobs", "1")
    by_two = run_cli("reextract", "--db", str(two), "--warc-dir", str(crawled["warc"]), "--jobs", "2")
    assert by_one.returncode == 0, by_one.stderr
    assert by_two.returncode == 0, by_two.stderr
    model = crawled["model"]
    summary = (f"{len(model.crawlable())} new; {sum(len(a.comments) for a in model.crawlable())} new comments")
    assert summary in by_one.stdout and "with 1 job" in by_one.stdout
    assert by_two.stdout.splitlines()[0] == by_one.stdout.splitlines()[0]  # the same counts
    assert "with 2 jobs" in by_two.stdout
    # Threads whose pages are in another WARC file were read whole.
    assert "incomplete" not in by_one.stderr and "incomplete" not in by_two.stderr
    assert dumps(one, tmp_path / "d1") == crawled["dumps"]
    assert stored(two) == stored(one)  # row for row, in the same order (ids included)
    # What a worker's spider says reaches this process's stderr, as with one job.
    assert sorted(by_two.stderr.splitlines()) == sorted(by_one.stderr.splitlines())


def _workers_of(pid: int, deadline: float, *, at_work: bool = False) -> list[int]:
    """The worker processes of `pid` (forked copies of the command: its
    children with its command line, not a helper such as multiprocessing's
    resource tracker), once there are any; with `at_work`, once one of them
    extracts (has used CPU: forked workers wait for their first chunk, idle,
    while the command opens the archive and indexes the WARC files)."""
    while time.monotonic() < deadline:
        own = _cmdline(pid)  # read again: at first it may not have run the command yet
        workers = [child for child in child_pids(pid) if own and _cmdline(child) == own]
        if workers and (not at_work or any(_cpu_ticks(w) >= WORKING_TICKS for w in workers)):
            return workers
        time.sleep(0.002)
    raise AssertionError("no worker process appeared" + (" at work" if at_work else ""))


# CPU (in clock ticks, 10 ms) a worker has used once it extracts: an idle one
# waiting for work has used next to none.
WORKING_TICKS = 2


def _cpu_ticks(pid: int) -> int:
    """User + system CPU of a process so far, in clock ticks (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_a_killed_worker_stops_the_run_with_one_line_and_a_sound_archive(crawled, tmp_path):
    db = emptied_copy(crawled, tmp_path / "news.db")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("newscrawl")), "reextract", "--db", str(db),
                             "--warc-dir", str(crawled["warc"]), "--jobs", "2"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    victim = _workers_of(proc.pid, time.monotonic() + 60)[0]
    os.kill(victim, signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, (out, err)
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and f"(pid {victim}) was killed by signal 9 (SIGKILL)" in errors[0], err
    assert "run the command again" in errors[0] and "Traceback" not in err
    # The other worker is gone too, and the archive is sound: whatever was
    # stored is whole, and a second run finishes the work.
    assert not _cmdline(victim) and not Path(f"/proc/{proc.pid}").exists()
    assert rows(db, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    partial = dumps(db, tmp_path / "partial") if count(db, "articles") else {}
    assert all(crawled["dumps"][article_id] == text for article_id, text in partial.items())
    again = run_cli("reextract", "--db", str(db), "--warc-dir", str(crawled["warc"]), "--jobs", "2")
    assert again.returncode == 0, again.stderr
    assert dumps(db, tmp_path / "after") == crawled["dumps"]


def test_ctrl_c_stops_the_workers_and_says_so_in_one_line(crawled, tmp_path):
    db = emptied_copy(crawled, tmp_path / "news.db")
    # A terminal's Ctrl-C: SIGINT to the whole foreground process group.
    proc = subprocess.Popen([str(Path(sys.executable).with_name("newscrawl")), "reextract", "--db", str(db),
                             "--warc-dir", str(crawled["warc"]), "--jobs", "2"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    workers = _workers_of(proc.pid, time.monotonic() + 60, at_work=True)  # the command is past its index
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, (out, err)
    last = err.strip().splitlines()[-1]
    assert last.startswith("Error: ") and "interrupted" in last and "run the command again" in last, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    deadline = time.monotonic() + 10
    while any(_cmdline(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_cmdline(w) for w in workers)  # no worker left behind
    assert rows(db, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    assert count(db, "articles") < len(crawled["dumps"])  # stopped part-way
