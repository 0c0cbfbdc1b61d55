"""What every benchmark shares: the machine it ran on, and its key of results.json.

Each benchmark writes one key of benchmarks/results.json and leaves the
others as they are (several benchmarks run one after another in `make
bench`, and one may be re-run alone), so the file is read again just
before it is written.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
from pathlib import Path

RESULTS = Path(__file__).with_name("results.json")
REPO = Path(__file__).resolve().parents[1]


def compile_project() -> None:
    """Byte-compile newscrawl and pipelines, as `make install` does: a
    command timed here starts as it does for a user whose Python keeps its
    bytecode, not compiling the project's hundred modules again (70 ms of
    a 0.4 s start-up where PYTHONDONTWRITEBYTECODE is set and the sources
    changed since the install)."""
    import compileall

    for package in ("newscrawl", "pipelines"):
        compileall.compile_dir(REPO / package, quiet=1)


def machine() -> dict:
    """CPU, cores, memory and the versions the figures depend on."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or platform.machine())
    memory = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    import scrapy
    import trafilatura

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory / 1024 / 1024, 1),
            "python": platform.python_version(), "scrapy": scrapy.__version__, "trafilatura": trafilatura.__version__,
            "sqlite": sqlite3.sqlite_version, "os": platform.platform()}


def save_result(key: str, result, out: Path = RESULTS) -> None:
    """Write `result` as results.json's `key`, keeping every other key."""
    data = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    data[key] = result
    out.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
