"""Unattended runs: killed crawls, overlapping runs, resume, 304s, WARC and
re-extraction, a template change, progress lines, and the scheduled command."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newscrawl import archive
from newscrawl.archive import open_archive
from newscrawl.lock import child_pids
from newscrawl.samplesite import SampleSite, generate_site
from tests.conftest import REPO, count, crawl_command, crawl_stats, rows, run_cli, run_crawl
from tests.conftest import expected_dumps as expected
from tests.conftest import site_dumps as dumps

pytestmark = pytest.mark.crawl










def start_and_kill(site, db, *, after_articles: int, settings=None):
    """Start a real crawl, SIGKILL it once `after_articles` are stored."""
    proc = subprocess.Popen(crawl_command(site.base_url, db, settings=settings), cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_until_stored(proc, db, after_articles)
    proc.children = child_pids(proc.pid)  # the archive writer process
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return proc


def wait_until_stored(proc, db, articles: int, timeout: float = 120) -> None:
    """Wait until the running crawl `proc` has stored `articles` articles."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.05)
        if proc.poll() is not None:
            pytest.fail(f"the crawl ended before it could be stopped: {proc.stderr.read()[-2000:]}")
        try:
            if Path(db).exists() and count(db, "articles") >= articles:
                return
        except sqlite3.OperationalError:
            continue  # the schema is being made


def gone(pid: int, within: float = 15) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True  # ended; waits for its new parent to reap it
        time.sleep(0.1)
    return False


def assert_sound(db):
    assert rows(db, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    # No half-written article: every article's comment count is what is stored.
    broken = rows(db, "SELECT a.article_id FROM articles a WHERE a.comment_count != "
                      "(SELECT count(*) FROM comments c WHERE c.site = a.site AND c.article_id = a.article_id)")
    assert broken == []


@pytest.mark.parametrize("jobdir", [False, True], ids=["incremental", "jobdir"])
def test_a_killed_crawl_leaves_a_sound_archive_and_the_next_run_completes_it(tmp_path, jobdir):
    model = generate_site(40)
    db = tmp_path / "news.db"
    settings = {"JOBDIR": str(tmp_path / "job")} if jobdir else {}
    with SampleSite(model) as site:
        site.delay = 0.02  # slow enough to be killed mid-way
        proc = start_and_kill(site, db, after_articles=8, settings=settings)
        assert proc.returncode == -signal.SIGKILL
        assert proc.children, "the crawl stores through a writer process"
        assert all(gone(pid) for pid in proc.children)  # the writer does not outlive its crawl
        stored = count(db, "articles")
        assert 8 <= stored < len(model.crawlable())
        assert_sound(db)
        site.delay = 0
        result = run_crawl(site.base_url, db, settings=settings)
        assert result.returncode == 0, crawl_stats(result)
    assert_sound(db)
    assert dumps(db, tmp_path / "dumps") == expected(model)
    assert count(db, "comments") == sum(len(a.comments) for a in model.crawlable())  # nothing doubled
    runs = rows(db, "SELECT status FROM crawl_runs ORDER BY id")
    assert [r["status"] for r in runs] == ["killed", "finished"]


def damage_queue_files(jobdir: Path) -> int:
    """Leave the request-queue files of `jobdir` as a SIGKILL can: empty
    where queuelib expects a 4-byte header (it wrote the header into a
    buffer that died with the process). Which files a kill leaves depends on
    what was queued at that instant, so they are made here: the site's
    download slot, article (0) and comments (-10) priorities, start requests ("s")."""
    from scrapy.pqueues import _path_safe  # how Scrapy names a slot's folder

    slot = jobdir / "requests.queue" / _path_safe("127.0.0.1")
    slot.mkdir(parents=True, exist_ok=True)
    files = [slot / name for name in ("0", "-10", "0s", "-10s")]
    for f in files:
        f.write_bytes(b"")
    return len(files)


def rerun_after_a_kill_with_damaged_queue(tmp_path, model, *, marker: bool):
    """Kill a JOBDIR crawl, leave its queue files as a kill can (and its
    marker of an unclean end, or not), run it again: (result, db, jobdir)."""
    db = tmp_path / "news.db"
    jobdir = tmp_path / "job"
    settings = {"JOBDIR": str(jobdir)}
    with SampleSite(model) as site:
        site.delay = 0.02
        start_and_kill(site, db, after_articles=8, settings=settings)
        if marker:
            assert (jobdir / "newscrawl.running").exists()  # the killed crawl did not close
        else:
            (jobdir / "newscrawl.running").unlink(missing_ok=True)
        assert damage_queue_files(jobdir) > 0
        site.delay = 0
        result = run_crawl(site.base_url, db, settings=settings)
        assert result.returncode == 0, crawl_stats(result)
    return result, db, jobdir


def assert_every_article_stored(tmp_path, db, model) -> None:
    assert dumps(db, tmp_path / "dumps") == expected(model)
    assert count(db, "comments") == sum(len(a.comments) for a in model.crawlable())


def test_a_jobdir_left_by_a_killed_crawl_is_set_aside_and_the_archive_decides_what_to_fetch(tmp_path):
    # What SIGKILL leaves, made certain: the marker of a crawl that did not
    # close, and queue files cut short. Resumed as Scrapy would, the first
    # request pushed to such a file raises and is lost (measured: 1 killed
    # crawl in 12 then ended "finished" with 7 of 41 articles never stored).
    model = generate_site(40)
    result, db, jobdir = rerun_after_a_kill_with_damaged_queue(tmp_path, model, marker=True)
    set_aside = [line for line in result.stderr.splitlines() if "was left by a crawl that did not close" in line]
    assert len(set_aside) == 1 and "the archive decides what to fetch" in set_aside[0]
    assert "'scheduler/jobdir_discarded': 1," in result.stderr  # Scrapy's stats dump
    assert [p.name for p in jobdir.iterdir() if p.name.startswith("unclean-")]  # kept to look at
    assert not (jobdir / "newscrawl.running").exists()  # this one closed
    assert "struct.error" not in result.stderr and "Error caught on signal handler" not in result.stderr
    assert_every_article_stored(tmp_path, db, model)


def test_a_request_the_jobdir_queue_refuses_is_kept_in_memory_and_fetched(tmp_path):
    # Queue files damaged while no marker says so (a JOBDIR of another tool,
    # a disk that fails): every request pushed to them goes to memory.
    model = generate_site(40)
    result, db, _ = rerun_after_a_kill_with_damaged_queue(tmp_path, model, marker=False)
    refused = [line for line in result.stderr.splitlines() if "JOBDIR request queue refused a request" in line]
    assert len(refused) == 1 and "kept in memory" in refused[0]
    assert re.search(r"'scheduler/disk_queue_failed': [1-9]", result.stderr)
    assert_every_article_stored(tmp_path, db, model)


def test_a_second_run_on_the_same_archive_is_refused_and_a_dead_one_does_not_block(tmp_path):
    model = generate_site(40)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        site.delay = 0.3  # the first run must still be running when the second starts
        first = subprocess.Popen(crawl_command(site.base_url, db), cwd=REPO, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
        # The lock is taken before the first request: wait for a request, not for a guessed time.
        deadline = time.monotonic() + 60
        while not site.hits() and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.05)
        assert site.hits() and first.poll() is None
        started = time.monotonic()
        second = run_crawl(site.base_url, db)
        assert second.returncode == 4 and time.monotonic() - started < 15
        assert "is being written by crawl pid" in second.stderr and "Traceback" not in second.stderr
        first.send_signal(signal.SIGKILL)  # a crash: the lock must not outlive it
        first.wait(timeout=30)
        site.delay = 0
        third = run_crawl(site.base_url, db)
        assert third.returncode == 0, crawl_stats(third)


def test_a_304_costs_no_extraction_and_changes_nothing(tmp_path):
    model = generate_site(40)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        assert run_crawl(site.base_url, db).returncode == 0
        before = rows(db, "SELECT * FROM articles ORDER BY id")
        comments_before = rows(db, "SELECT * FROM comments ORDER BY id")
        site.clear_log()
        # Every article is "recent": all are fetched again, conditionally where a 304 can be trusted.
        result = run_crawl(site.base_url, db, args={"refresh_days": 100000})
        assert result.returncode == 0
        conditional = [h for h in site.article_hits() if "If-None-Match" in h.headers]
        assert conditional and all(h.status == 304 for h in conditional)
        one_page = [a for a in model.crawlable() if len(a.comments) <= 20]
        assert len(conditional) == len(one_page)
    stats = json.loads(rows(db, "SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]["stats"])
    assert stats["articles/not_modified"] == len(one_page)
    assert stats.get("extract/pages", 0) == len(model.crawlable()) - len(one_page)  # no extraction for a 304
    unchanged = {str(a.article_id) for a in one_page}
    after = {r["article_id"]: r for r in rows(db, "SELECT * FROM articles ORDER BY id")}
    assert all(after[r["article_id"]] == r for r in before if r["article_id"] in unchanged)
    def of_unchanged(comments):
        return [c for c in comments if c["article_id"] in unchanged]

    assert of_unchanged(rows(db, "SELECT * FROM comments ORDER BY id")) == of_unchanged(comments_before)


def test_reextract_rebuilds_the_archive_from_the_warc_files_alone(tmp_path):
    model = generate_site(40)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        result = run_crawl(site.base_url, db, settings={"WARC_MAX_SIZE": "200000"})
        assert result.returncode == 0
    warcs = sorted((tmp_path / "warc").glob("*.warc.gz"))
    assert len(warcs) > 1  # rotated by size
    index = subprocess.run([str(Path(os.sys.executable).with_name("warcio")), "index", str(warcs[0])],
                           capture_output=True, text=True)
    assert (index.returncode == 0 and '"warc-type": "response"' in index.stdout
            and '"warc-type": "request"' in index.stdout)
    before = dumps(db, tmp_path / "before")
    assert before == expected(model)
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM comments")
    conn.execute("DELETE FROM articles")
    conn.commit()
    conn.close()
    result = run_cli("reextract", "--db", str(db))
    assert result.returncode == 0, result.stderr
    comments = sum(len(a.comments) for a in model.crawlable())
    assert f"{len(model.crawlable())} new; {comments} new comments" in result.stdout
    assert "incomplete" not in result.stderr
    assert dumps(db, tmp_path / "after") == before
    again = run_cli("reextract", "--db", str(db))  # a second time: nothing changes
    assert f"{len(model.crawlable())} unchanged" in again.stdout


def test_a_template_change_stops_the_run_loudly_and_thins_nothing(tmp_path):
    model = generate_site(40)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        assert run_crawl(site.base_url, db).returncode == 0
        before = dumps(db, tmp_path / "before")
        now = datetime.now(UTC)
        for article in model.articles:
            article.touch(now)  # every article changed: all are fetched again
        site.new_template = True
        site.clear_log()
        result = run_crawl(site.base_url, db)
        assert result.returncode == 5, crawl_stats(result)
        assert "no longer fit the site" in result.stderr and "title found on 0% of pages" in result.stderr
        assert len(site.article_hits()) < len(model.crawlable())  # stopped early
    run = rows(db, "SELECT status, verdict FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
    assert run["status"] == "template_changed" and run["verdict"].startswith("template changed: title")
    assert dumps(db, tmp_path / "after") == before  # nothing lost, nothing thinned
    history = run_cli("runs", "--db", str(db))
    assert "template changed" in history.stdout and "100%" in history.stdout


def test_progress_lines_for_a_person_at_a_terminal(site, tmp_path):
    site.delay = 0.03
    result = run_crawl(site.base_url, tmp_path / "news.db", settings={"PROGRESS_INTERVAL": "1"})
    assert result.returncode == 0
    lines = [line for line in result.stderr.splitlines() if "progress:" in line]
    assert lines and re.search(r"\d+ pages \(\d+/min\), \d+ articles and \d+ comments stored, \d+ requests queued",
                               lines[0])


def test_the_scheduled_command_line_runs_the_crawl(site, model, tmp_path):
    crontab = (REPO / "deploy" / "crontab").read_text()
    line = next(line for line in crontab.splitlines() if line and not line.startswith("#"))
    command = " ".join(line.split()[5:]).replace("/srv/newscrawl", str(REPO))
    service = (REPO / "deploy" / "newscrawl-crawl.service").read_text()
    assert "ExecStart=/srv/newscrawl/deploy/crawl.sh" in service  # systemd runs the same script
    db = tmp_path / "news.db"
    test_only = ["-a", f"base_url={site.base_url}", "-s", f"ARCHIVE_DB={db}", "-s", "DOWNLOAD_DELAY=0",
                 "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "AUTOTHROTTLE_MAX_DELAY=0.5", "-s", "BLOCK_STOP_AFTER=2"]
    env = {**os.environ, "NEWSCRAWL_LOG": str(tmp_path / "crawl.log")}
    result = subprocess.run(f"{command} {shlex.join(test_only)}", shell=True, env=env, capture_output=True, text=True,
                            timeout=240)
    assert result.returncode == 0, result.stderr + (tmp_path / "crawl.log").read_text()[-2000:]
    assert count(db, "articles") == len(model.crawlable())
    log = (tmp_path / "crawl.log").read_text()
    assert "mailto:you@example.org" in {h.user_agent for h in site.hits()}.pop() and "crawl run 1 finished" in log
    site.block_status = 403  # a failing run says so in one line, for cron's mail
    fresh = [a.replace(str(db), str(tmp_path / "fresh.db")) for a in test_only]
    failed = subprocess.run(f"{command} {shlex.join(fresh)}", shell=True, env=env, capture_output=True,
                            text=True, timeout=240)
    assert failed.returncode == 3 and failed.stderr.strip().startswith("newscrawl: crawl of elaph ended with status 3")


# --- regressions found in review --------------------------------------------


def test_no_conditional_request_when_the_thread_length_is_unknown(tmp_path):
    # Archives from before comment_pages was recorded hold validators but not
    # the page count: a 304 on page 1 must not hide comments added on page 3.
    model = generate_site(40)
    long_thread = next(a for a in model.crawlable() if len(a.comments) == 45 and not a.loop_comments)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        site.etag_page_only = True  # page 1 does not change when page 3 does
        assert run_crawl(site.base_url, db).returncode == 0
        conn = sqlite3.connect(db)
        conn.execute("UPDATE articles SET comment_pages = NULL")
        conn.commit()
        conn.close()
        model.add_comments(long_thread.article_id, 3, datetime.now(UTC))
        site.clear_log()
        assert run_crawl(site.base_url, db, args={"refresh_days": 100000}).returncode == 0
        assert not [h for h in site.article_hits() if "If-None-Match" in h.headers]
    assert rows(db, "SELECT comment_count FROM articles WHERE article_id = ?", [str(long_thread.article_id)])[0] == {
        "comment_count": 48}


def test_requests_accept_only_encodings_a_warc_reader_can_undo(site, model, tmp_path):
    assert run_crawl(site.base_url, tmp_path / "news.db", args={"urls": model.crawlable()[0].path}).returncode == 0
    assert {h.headers.get("Accept-Encoding") for h in site.article_hits()} == {"gzip, deflate"}


def test_a_record_cut_short_by_a_kill_is_not_used(tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    model = generate_site(12)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        assert run_crawl(site.base_url, db).returncode == 0
    before = dumps(db, tmp_path / "before")
    warc = sorted((tmp_path / "warc").glob("*.warc.gz"))[-1]
    with open(warc, "rb") as fh:  # find the last response record ...
        records = ArchiveIterator(fh)
        for record in records:
            record.raw_stream.read()
            if record.rec_type == "response":
                last = (records.get_record_offset(), records.get_record_length(),
                        record.rec_headers.get_header("WARC-Target-URI"))
    data = warc.read_bytes()
    warc.write_bytes(data[: last[0] + last[1] // 2])  # ... and cut it in half, as a kill would
    cut_article = model.by_id(int(re.search(r"/(\d+)\.html?", last[2]).group(1)))
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM comments")
    conn.execute("DELETE FROM articles")
    conn.commit()
    conn.close()
    result = run_cli("reextract", "--db", str(db))
    assert result.returncode == 0 and f"the record of {last[2]} is cut short; not used" in result.stderr
    after = dumps(db, tmp_path / "after")
    cut = str(cut_article.article_id)
    assert all(after[i] == before[i] for i in after if i != cut)
    if "cpage=" in last[2]:
        # A comments page cut short is not read: the article is whole up to
        # it, and its thread is marked for another fetch, never half-filled.
        assert set(after) == set(before)
        assert before[cut].startswith(after[cut]) and len(after[cut]) < len(before[cut])
        assert rows(db, "SELECT comments_complete FROM articles WHERE article_id = ?", [cut]) == [
            {"comments_complete": 0}]
    else:
        # The article page itself was cut short: no copy of it, so no article.
        assert set(after) == set(before) - {cut}


def _reextract_into_an_empty_archive(db: Path):
    """Every article and comment deleted, then `newscrawl reextract`: the archive rebuilt from the WARC alone."""
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM comments")
    conn.execute("DELETE FROM articles")
    conn.commit()
    conn.close()
    return run_cli("reextract", "--db", str(db))


def test_reextract_rebuilds_articles_and_comments_alike(tmp_path):
    model = generate_site(20)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        assert run_crawl(site.base_url, db).returncode == 0
    before = dumps(db, tmp_path / "before")
    result = _reextract_into_an_empty_archive(db)
    assert result.returncode == 0 and "incomplete" not in result.stderr
    assert dumps(db, tmp_path / "after") == before
    assert count(db, "comments") == sum(len(a.comments) for a in model.crawlable())


def test_reextract_leaves_when_a_page_was_last_seen_as_the_fetches_left_it(tmp_path):
    """last_seen is the last fetch that showed a row ("last fetched", "last
    seen on the page"): re-extracting captures does not move it to the time
    the re-extraction ran; rows a re-extraction adds were seen when their
    page was captured, and archived (first_seen) now."""
    model = generate_site(12)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        assert run_crawl(site.base_url, db).returncode == 0

    def seen(table):
        conn = sqlite3.connect(db)
        try:
            return dict(conn.execute(f"SELECT id, last_seen FROM {table}").fetchall())
        finally:
            conn.close()

    before = {table: seen(table) for table in ("articles", "comments")}
    time.sleep(1.1)  # the archive's times are to the second
    started = archive.utcnow()
    assert run_cli("reextract", "--db", str(db)).returncode == 0
    assert {table: seen(table) for table in ("articles", "comments")} == before
    assert _reextract_into_an_empty_archive(db).returncode == 0
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT first_seen, last_seen FROM articles UNION ALL "
                        "SELECT first_seen, last_seen FROM comments").fetchall()
    conn.close()
    assert rows and all(first >= started > last for first, last in rows)
    assert max(last for _, last in rows) <= max(before["articles"].values())


def _warc_records(folder: Path) -> list:
    """(type, URI, date, record ID, HTTP status, WARC-Concurrent-To, payload) of every record, read by warcio."""
    from warcio.archiveiterator import ArchiveIterator

    out = []
    for path in sorted(folder.glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                head = record.rec_headers.get_header
                status = record.http_headers.get_statuscode() if record.rec_type == "response" else None
                out.append((record.rec_type, head("WARC-Target-URI"), head("WARC-Date"), head("WARC-Record-ID"),
                            status, head("WARC-Concurrent-To"), record.content_stream().read()))
    return out


def _without_metadata(folder: Path, into: Path) -> None:
    """A copy of the WARC files without their metadata records: what an older crawl wrote."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.warcwriter import WARCWriter

    into.mkdir()
    for path in sorted(folder.glob("*.warc.gz")):
        with open(path, "rb") as fh, open(into / path.name, "wb") as out:
            writer = WARCWriter(out, gzip=True)
            for record in ArchiveIterator(fh, no_record_parse=False, arc2warc=False):
                if record.rec_type != "metadata":
                    writer.write_record(record)


def test_reextract_decodes_each_page_as_the_crawl_did(tmp_path):
    # The crawl keeps beside each page the charset its check settled on; a
    # re-extraction reads that instead of checking every page again, and
    # gives what checking would, for WARC files with or without the notes.
    model = generate_site(40)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        assert run_crawl(site.base_url, db).returncode == 0
    records = _warc_records(tmp_path / "warc")
    pages = {record_id: (uri, date) for kind, uri, date, record_id, status, _, _ in records
             if kind == "response" and status == "200"}
    notes = [(to, uri, date, payload) for kind, uri, date, _, _, to, payload in records if kind == "metadata"]
    # One note a stored page, naming its record (WARC-Concurrent-To), with its URI and date; none for a 404 or 503.
    assert len(notes) == len(pages) and {to for to, *_ in notes} == set(pages)
    assert all(pages[to] == (uri, date) for to, uri, date, _ in notes)
    mislabelled = next(a for a in model.articles if a.encoding == "cp1256-mislabelled")  # declares utf-8
    assert {payload for _, uri, _, payload in notes if uri.endswith(mislabelled.path)} == {
        b"newscrawl-charset: cp1256\r\n"}
    before = dumps(db, tmp_path / "before")

    def emptied():
        conn = sqlite3.connect(db)
        conn.execute("DELETE FROM comments")
        conn.execute("DELETE FROM articles")
        conn.commit()
        conn.close()

    repaired = "but its bytes are"  # the charset check's note on a mislabelled page
    for jobs in ("1", "2"):  # in this process, and in workers (the notes go with the records)
        emptied()
        noted = run_cli("reextract", "--db", str(db), "--jobs", jobs)
        assert noted.returncode == 0 and repaired not in noted.stderr, noted.stderr
        assert dumps(db, tmp_path / f"noted-{jobs}") == before
    emptied()
    checked = run_cli("reextract", "--db", str(db), "--check-charsets", "--jobs", "2")
    assert checked.returncode == 0 and f"{mislabelled.path}: page declares utf-8 but its bytes are cp1256" in (
        checked.stderr)
    assert dumps(db, tmp_path / "checked") == before
    _without_metadata(tmp_path / "warc", tmp_path / "old-warc")
    assert not [r for r in _warc_records(tmp_path / "old-warc") if r[0] == "metadata"]
    emptied()
    old = run_cli("reextract", "--db", str(db), "--warc-dir", str(tmp_path / "old-warc"))
    assert old.returncode == 0 and repaired in old.stderr
    assert dumps(db, tmp_path / "old") == before


def test_a_charset_note_that_names_no_charset_is_not_used():
    from newscrawl.warcindex import _charset_noted

    assert _charset_noted(b"newscrawl-charset: cp1256\r\n") == "cp1256"
    assert _charset_noted(b"via: http://x/\r\nNewscrawl-Charset:  utf-8 \r\n") == "utf-8"
    assert _charset_noted(b"newscrawl-charset: no-such-charset\r\n") is None
    assert _charset_noted(b"newscrawl-charset: \x1b[31m\r\n") is None
    assert _charset_noted(b"newscrawl-charset: rot13\r\n") is None  # a codec, but not of text
    for name in (b"idna", b"undefined", b"utf\x008"):  # codecs that refuse bytes, a NUL in the name
        assert _charset_noted(b"newscrawl-charset: " + name + b"\r\n") is None
    assert _charset_noted(b"outlinks: http://x/ L a/@href\r\n") is None  # another tool's metadata


def test_a_changed_comment_template_stops_the_run_and_keeps_the_threads_open(tmp_path):
    model = generate_site(40)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        assert run_crawl(site.base_url, db).returncode == 0
        now = datetime.now(UTC)
        for article in model.articles:
            article.touch(now)
        site.new_comment_template = True
        result = run_crawl(site.base_url, db)
        assert result.returncode == 5, crawl_stats(result)
        assert "comments found on" in result.stderr
    # The threads read under the new template are marked for another fetch.
    assert rows(db, "SELECT count(*) AS n FROM articles WHERE comments_complete = 0")[0]["n"] > 0


def test_the_cron_script_says_nothing_when_the_previous_run_still_holds_the_archive(tmp_path):
    from newscrawl.lock import archive_lock

    db = tmp_path / "news.db"
    open_archive(db).close()
    with archive_lock(db):
        result = subprocess.run(
            [str(REPO / "deploy" / "crawl.sh"), "-a", "base_url=http://127.0.0.1:9", "-s", f"ARCHIVE_DB={db}"],
            env={**os.environ, "NEWSCRAWL_LOG": str(tmp_path / "crawl.log")}, capture_output=True, text=True,
            timeout=120,
        )
        assert result.returncode == 4 and result.stderr == ""
        seed = str(REPO / "seeds" / "000_479c496df3c3ad8c.txt")
        for command in (("reindex",), ("import", "--site", "elaph", "--id", "1", seed)):
            refused = run_cli(*command[:1], "--db", str(db), *command[1:])
            assert refused.returncode == 4 and "is being written by crawl pid" in refused.stderr


def test_storing_in_the_crawl_process_gives_the_same_archive(tmp_path):
    """STORE_IN_PROCESS = False: no writer process, the same archive."""
    model = generate_site(40)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        result = run_crawl(site.base_url, db, settings={"STORE_IN_PROCESS": "False"})
        assert result.returncode == 0, crawl_stats(result)
    assert_sound(db)
    assert dumps(db, tmp_path / "dumps") == expected(model)


def test_a_crawl_stopped_with_sigterm_to_its_group_stores_what_it_reported(tmp_path):
    """systemd's stop: SIGTERM to every process of the crawl, writer included."""
    model = generate_site(40)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        site.delay = 0.02
        proc = subprocess.Popen(crawl_command(site.base_url, db), cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        wait_until_stored(proc, db, 8)
        writers = child_pids(proc.pid)
        os.killpg(proc.pid, signal.SIGTERM)
        _, stderr = proc.communicate(timeout=120)
        assert all(gone(pid) for pid in writers)
        assert "the archive writer process died" not in stderr
        reported = re.search(r"'item_scraped_count': (\d+)", stderr)
        assert reported and int(reported.group(1)) == count(db, "articles")  # what it reported is what is stored
        assert_sound(db)
        site.delay = 0
        assert run_crawl(site.base_url, db).returncode == 0
    assert dumps(db, tmp_path / "dumps") == expected(model)




def test_a_warc_that_cannot_be_written_loses_no_item(tmp_path):
    """The raw-page copy failing (a full disk, a bad folder) is logged; the archive still gets everything."""
    model = generate_site(40)
    db = tmp_path / "news.db"
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the WARC folder should be")
    with SampleSite(model) as site:
        result = run_crawl(site.base_url, db, settings={"WARC_DIR": str(blocker / "warc")})
    assert "WARC write failed" in result.stderr and "'warc/errors'" in result.stderr
    assert dumps(db, tmp_path / "dumps") == expected(model)


def test_warc_writing_resumes_after_a_full_disk(tmp_path, monkeypatch):
    """ENOSPC fails one record (logged, counted); once space is back the next records are written."""
    import io

    from scrapy.http import HtmlResponse, Request

    from newscrawl import warc

    class Disk(io.BufferedWriter):
        full = False

        def flush(self):
            if Disk.full:
                raise OSError(28, "No space left on device")
            return super().flush()

    monkeypatch.setattr(warc, "open", lambda path, mode="r", *a, **k: Disk(io.FileIO(path, "ab")), raising=False)

    class Stats(dict):
        def inc_value(self, key, count=1):
            self[key] = self.get(key, 0) + count

    middleware = warc.WarcMiddleware(warc.WarcWriter(tmp_path / "warc", 10**9), Stats())
    request = Request("https://elaph.com/Web/News/2020/1/7.html", meta={"page_kind": "article"})
    response = HtmlResponse(request.url, body=b"<html>x</html>", request=request)
    middleware.process_response(request, response)
    middleware.pool.submit(lambda: setattr(Disk, "full", True))
    middleware.process_response(request, response)
    middleware.pool.submit(lambda: setattr(Disk, "full", False))
    middleware.process_response(request, response)
    middleware.process_response(request, response)
    middleware.close()
    assert middleware.stats == {"warc/records": 6, "warc/errors": 1}


def test_a_dead_archive_writer_stops_the_crawl_and_the_next_run_completes(tmp_path):
    model = generate_site(40)
    db = tmp_path / "news.db"
    with SampleSite(model) as site:
        site.delay = 0.02
        proc = subprocess.Popen(crawl_command(site.base_url, db), cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        wait_until_stored(proc, db, 5)
        writers = child_pids(proc.pid)
        for pid in writers:
            os.kill(pid, signal.SIGKILL)
        _, stderr = proc.communicate(timeout=120)
        assert writers and proc.returncode != 0
        assert "the archive writer process died; stopping the crawl" in stderr
        assert "'finish_reason': 'archive_writer_died'" in stderr
        assert_sound(db)
        site.delay = 0
        assert run_crawl(site.base_url, db).returncode == 0
    assert dumps(db, tmp_path / "dumps") == expected(model)
