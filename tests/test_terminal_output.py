"""Stored text never reaches a terminal raw (issue 11, part 2).

A hostile page's title, author or comment holding ESC ] 0 ; ... BEL (retitles
the window), ESC [ 2 J (clears the screen), U+202E (reverses what follows) or
the C1 control CSI (U+009B, ESC [ in one character) is archived as published
and shown escaped by every command. Each command runs as the installed
console script on a real pseudo-terminal, and what reaches the terminal is
read byte for byte.
"""

from __future__ import annotations

import json
import os
import select
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newscrawl import archive
from newscrawl.archive import open_archive, store_article
from newscrawl.text import terminal_safe, terminal_safe_json
from tests.conftest import REPO

RETITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"
RLO = "\u202e"
CSI = "\x9b31m"
ISOLATE = "\u2066"
HOSTILE = f"{RETITLE}عنوان {CLEAR}العراق {RLO}abc {CSI} {ISOLATE}x"
# What search itself sends around a match on a terminal: bold on, bold off.
OWN_SEQUENCES = ("\x1b[1m", "\x1b[0m")


def run_in_pty(*args: str, timeout: float = 120, command: list[str] | None = None) -> tuple[int, bytes]:
    """Run `newscrawl ARGS` (or `command`) with stdin, stdout and stderr on a
    new pseudo-terminal; (exit status, every byte the terminal received)."""
    master, slave = os.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NEWSCRAWL_DEBUG"}
    env.update(TERM="xterm-256color", COLUMNS="200", LC_ALL="C.UTF-8")
    exe = Path(sys.executable).with_name("newscrawl")
    proc = subprocess.Popen(command or [str(exe), *args], stdin=slave, stdout=slave, stderr=slave, cwd=REPO,
                            env=env, close_fds=True)
    os.close(slave)
    received = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                proc.kill()
                raise AssertionError(f"newscrawl {' '.join(args)} did not finish in {timeout} s")
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the last writer of the terminal has gone
                break
            if not data:
                break
            received.append(data)
    finally:
        os.close(master)
    return proc.wait(timeout=30), b"".join(received)


def assert_terminal_safe(raw: bytes) -> str:
    """No control a terminal acts on, other than line ends, tabs and search's own bold."""
    text = raw.decode("utf-8")  # strict: a lone 0x9b byte (8-bit CSI) would fail here
    for sequence in OWN_SEQUENCES:
        text = text.replace(sequence, "")
    unsafe = sorted({f"U+{ord(c):04X}" for c in text
                     if (ord(c) < 0x20 and c not in "\r\n\t") or 0x7F <= ord(c) <= 0x9F
                     or 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069})
    assert not unsafe, f"raw controls reached the terminal: {unsafe}\n{text[:2000]!r}"
    return text


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """An archive whose titles, subtitles, bodies, authors, comments, site names
    and crawl runs carry terminal controls."""
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "news.db"
    db = open_archive(path)
    store_article(db, {
        "site": "elaph", "article_id": "1", "title": HOSTILE, "subtitle": HOSTILE,
        "body": [f"قال الوزير إن العراق {HOSTILE} بلد", "سطر ثان"], "author": HOSTILE,
        "published": "2015-03-01T10:00:00+03:00", "url": f"https://elaph.com/{CLEAR}",
        "comments": [{"comment_id": f"7{RLO}", "title": HOSTILE, "author": f"أبو {RLO}علي{CLEAR}",
                      "text": f"تعليق عن العراق {HOSTILE}"}],
    })
    # A site name no dump can be written under: dump warns about it.
    store_article(db, {"site": f"evil{CLEAR}{RLO}", "article_id": "2", "title": HOSTILE, "subtitle": "",
                       "body": ["العراق"], "comments": []})
    run = archive.start_run(db, f"el{CLEAR}aph", {"note": HOSTILE})
    archive.finish_run(db, run, status=f"finished{RETITLE}", reason="finished", stats={"x": HOSTILE},
                       verdict=f"ok, but {HOSTILE}")
    db.close()
    page = folder / "page.html"
    page.write_text(f"<html><head><title>{HOSTILE}</title></head><body><article class='a{RLO}'>"
                    f"<h1>{HOSTILE}</h1><p>نص الخبر {HOSTILE} هنا وهناك في العراق</p>"
                    f"<p>فقرة ثانية {RLO} من النص</p></article></body></html>", encoding="utf-8")
    bad_name = folder / f"x{CLEAR}{RLO}.txt"
    bad_name.write_text("عنوان\n\nنص", encoding="utf-8")
    return folder


COMMANDS = {
    "search": ["search", "--db", "{db}", "العراق"],
    "search --comments": ["search", "--db", "{db}", "--comments", "العراق"],
    "search --json": ["search", "--db", "{db}", "--json", "العراق"],
    "search, author column": ["search", "--db", "{db}", "--comments", "author:علي"],
    "search, unknown site": ["search", "--db", "{db}", "--site", f"e{RETITLE}", "العراق"],
    "search, bad column": ["search", "--db", "{db}", f"titel:{CLEAR}{RLO}"],
    "stats": ["stats", "--db", "{db}"],
    "stats --json": ["stats", "--db", "{db}", "--json"],
    "runs": ["runs", "--db", "{db}"],
    "runs --json": ["runs", "--db", "{db}", "--json"],
    "dump": ["dump", "--db", "{db}", "--out", "{dir}/dumps"],
    "dump, unknown site": ["dump", "--db", "{db}", "--out", "{dir}/d2", "--site", f"x{RLO}"],
    "doctor": ["doctor", "--site", "generic", "{dir}/page.html", "--url", "http://127.0.0.1/a/"],
    "import, hostile file name": ["import", "--db", "{dir}/other.db", "--site", "elaph", f"{{dir}}/x{CLEAR}{RLO}.txt"],
    "missing archive named with controls": ["stats", "--db", f"{{dir}}/no{RETITLE}.db"],
}


@pytest.mark.parametrize("name", COMMANDS)
def test_no_stored_control_reaches_the_terminal(hostile, name):
    args = [a.format(db=hostile / "news.db", dir=hostile) for a in COMMANDS[name]]
    status, raw = run_in_pty(*args)
    text = assert_terminal_safe(raw)
    assert "Traceback" not in text
    if name in ("search", "search --comments", "stats", "runs", "dump", "doctor"):
        assert status == 0, text
        # The hostile text did reach the terminal, as visible escapes.
        assert any(shown in text for shown in ("\\x1b]0;pwned\\x07", "\\x1b[2J", "\\u202e", "\\x9b")), text
    if name == "search":
        assert "\x1b[1m" in raw.decode() and "\\x1b]0;pwned\\x07" in text  # bold marks; escaped title
    if name.endswith("--json"):
        # Exact: a JSON reader gets back the very text archived.
        assert status == 0
        if name == "search --json":
            assert json.loads(text.splitlines()[0])["title"] == HOSTILE
        elif name == "runs --json":
            assert json.loads(text.splitlines()[0])["verdict"] == f"ok, but {HOSTILE}"
        else:
            assert f"evil{CLEAR}{RLO}" in json.loads(text)["sites"]
    if name in ("search, unknown site", "search, bad column", "dump, unknown site",
                "import, hostile file name", "missing archive named with controls"):
        lines = [line for line in text.splitlines() if line.strip()]
        assert len(lines) <= 2 and status != 0 or "warning" in text, text


def test_the_archive_keeps_the_text_as_published(hostile):
    conn = sqlite3.connect(hostile / "news.db")
    try:
        title, author = conn.execute("SELECT title, author FROM articles WHERE article_id = '1'").fetchone()
        (comment_author,) = conn.execute("SELECT author FROM comments").fetchone()
    finally:
        conn.close()
    assert title == HOSTILE == author
    assert comment_author == f"أبو {RLO}علي{CLEAR}"


def test_terminal_safe_escapes_every_control_and_nothing_else():
    assert terminal_safe(HOSTILE) == ("\\x1b]0;pwned\\x07عنوان \\x1b[2Jالعراق \\u202eabc \\x9b31m \\u2066x")
    assert terminal_safe("سطر\nسطر\tعمود") == "سطر\nسطر\tعمود"
    assert terminal_safe("a\nb", newlines=False) == "a\\nb"
    assert terminal_safe(terminal_safe(HOSTILE)) == terminal_safe(HOSTILE)
    # Arabic's own marks (ZWNJ, LRM/RLM, ALM) are text, not controls.
    assert terminal_safe("ک\u200cه \u200f\u061c") == "ک\u200cه \u200f\u061c"


def test_json_output_is_exact_and_harmless():
    data = {"title": HOSTILE}
    dumped = terminal_safe_json(json.dumps(data, ensure_ascii=False))
    assert json.loads(dumped) == data
    assert not any(0x7F <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069
                   or ord(c) < 0x20 for c in dumped)
    assert "العراق" in dumped  # Arabic stays readable, not \u escapes


@pytest.mark.crawl
def test_a_crawls_log_quotes_pages_escaped(tmp_path):
    """`scrapy crawl` on a terminal: its warnings quote links the pages name
    (a canonical naming another article, one off the site, a comments link
    leading elsewhere), each carrying controls."""
    from newscrawl.samplesite.hostile import HTML, XML, RecordingServer, article_page, article_path, urlset
    from tests.conftest import crawl_command

    with RecordingServer() as site:
        s = site.base_url
        pages = {
            71: article_page(71, canonical=f"{s}{article_path(72)}?{RETITLE}"),
            73: article_page(73, canonical=f"http://127.0.0.1:1/{CLEAR}{RLO}"),
            74: article_page(74, next_link=f"{article_path(75)}?cpage=2&x={CSI}{ISOLATE}"),
        }
        site.routes.update({article_path(n): (200, HTML, body) for n, body in pages.items()})
        site.routes["/robots.txt"] = (200, {"Content-Type": "text/plain"},
                                      f"User-agent: *\nSitemap: {s}/sitemaps/m.xml\n".encode())
        site.routes["/sitemaps/m.xml"] = (200, XML, urlset([s + article_path(n) for n in pages]))
        status, raw = run_in_pty(command=crawl_command(s, tmp_path / "news.db"), timeout=240)
    text = assert_terminal_safe(raw)
    assert status == 0, text[-3000:]
    assert "Traceback" not in text
    # The warnings did reach the terminal, with their controls as visible escapes.
    assert "\\x1b]0;pwned\\x07" in text and "\\x1b[2J\\u202e" in text and "\\x9b31m\\u2066" in text, text[-3000:]
