"""Scrapy's scheduler, safe with a JOBDIR that a crawl did not close.

JOBDIR keeps a crawl's pending requests on disk, so that a crawl stopped
cleanly (Ctrl-C, SIGTERM) resumes where it was. Those files agree with each
other only after a clean close: the list of queues in use
(``requests.queue/active.json``) is written at close, and a queue file is
written record by record. After SIGKILL, an OOM kill or a power cut, the
next crawl opens a queue file with a half-written header and Scrapy raises
on the first request it pushes there. That request is lost without a trace:
raised under a spider's callback it takes the rest of the callback's output
with it, and raised in a signal handler it is logged and ignored. Measured
before this module: 1 in 12 crawls killed with JOBDIR and run again ended
"finished", exit 0, with 7 of 41 articles never stored (their second
comments page was never fetched), and another read no article at all.

So:

- While a crawl uses a JOBDIR, ``newscrawl.running`` in it holds the crawl's
  pid and the machine's boot id; a clean close removes it. Found at open
  with no live process of this boot behind it, it means the last crawl did not close: its request queue and
  seen-requests file cannot be trusted, and are moved aside to
  ``JOBDIR/unclean-<time>/`` (kept to look at, never read again). One line
  says so (``scheduler/jobdir_discarded``). Nothing is lost by it: the
  archive knows what was stored, and discovery asks for the rest again
  (the sitemap ledger marks a sitemap read only once all its articles were
  stored).
- A request the disk queue cannot take (a damaged queue, a full disk) goes
  to the memory queue instead, counted as ``scheduler/disk_queue_failed``
  and said once: it is fetched in this run, only not kept for a resume.

Distributed workers (REDIS_URL) use newscrawl.distributed.LeasingScheduler,
whose queue is Redis, not this one.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from scrapy.core.scheduler import Scheduler
from scrapy.utils.job import job_dir

from newscrawl.lock import pid_alive

logger = logging.getLogger(__name__)

MARKER = "newscrawl.running"
_UNTRUSTED = ("requests.queue", "requests.seen")  # what Scrapy's scheduler and dupefilter keep in JOBDIR


class CrashSafeScheduler(Scheduler):
    """Scrapy's Scheduler that sets aside a JOBDIR left by a crawl that did not
    close, and keeps a request the disk queue refuses in memory."""

    @classmethod
    def from_crawler(cls, crawler) -> CrashSafeScheduler:
        jobdir = job_dir(crawler.settings)
        if jobdir and set_aside_if_unclean(Path(jobdir)):
            crawler.stats.set_value("scheduler/jobdir_discarded", 1)
        return super().from_crawler(crawler)  # opens requests.seen: after the check

    def open(self, spider):  # noqa: ANN201  (Scrapy's: a Deferred or None)
        if self.dqdir:
            marker = Path(self.dqdir).parent / MARKER
            marker.write_text(f"{os.getpid()} {_boot_id()}\n", encoding="ascii")
        self._disk_failed_said = False
        return super().open(spider)

    def close(self, reason: str):  # noqa: ANN201  (Scrapy's: a Deferred or None)
        try:
            result = super().close(reason)
        except OSError as exc:
            # A full or failing disk under JOBDIR: the queue is not fit to
            # resume from, and the marker stays so the next crawl sets it aside.
            logger.warning("JOBDIR %s could not be closed (%s): the next crawl will not resume from it",
                           Path(self.dqdir).parent, exc)
            return self.df.close(reason)
        if self.dqdir:
            (Path(self.dqdir).parent / MARKER).unlink(missing_ok=True)
        return result

    def _dqpush(self, request) -> bool:
        # Private in Scrapy 2.19 (requirements.txt pins it): the one place a
        # disk queue takes a request, whose only fallback is the memory queue.
        try:
            return super()._dqpush(request)
        except Exception as exc:  # noqa: BLE001 - struct.error, OSError, pickle errors: any of them loses the request
            self.stats.inc_value("scheduler/disk_queue_failed")
            if not self._disk_failed_said:
                self._disk_failed_said = True
                logger.warning("the JOBDIR request queue refused a request (%s: %s): requests are kept in memory "
                               "instead, fetched in this run but not resumable", type(exc).__name__, exc)
            return False


def set_aside_if_unclean(jobdir: Path) -> bool:
    """Move the request queue and seen-requests file of `jobdir` aside when
    the crawl that used it did not close (its marker is there, its process
    gone). Returns whether it did."""
    marker = jobdir / MARKER
    if not marker.exists():
        return False
    pid, boot = _written_in(marker)
    # A pid of this boot only: after a power cut the pid may be anyone's.
    if pid is not None and pid != os.getpid() and boot == _boot_id() and pid_alive(pid):
        return False  # a crawl is using it now; the archive's lock refuses this one
    aside = jobdir / f"unclean-{time.strftime('%Y%m%dT%H%M%S')}-{pid}"
    aside.mkdir(exist_ok=True)
    for name in _UNTRUSTED:
        if (jobdir / name).exists():
            (jobdir / name).rename(aside / name)
    marker.unlink()
    logger.warning("JOBDIR %s was left by a crawl that did not close (pid %s): its request queue is not trusted and "
                   "was moved to %s; the archive decides what to fetch", jobdir, pid, aside)
    return True


def _written_in(marker: Path) -> tuple[int | None, str]:
    """(pid, boot id) as the marker holds them; (None, "") when unreadable."""
    try:
        pid, boot = (marker.read_text(encoding="ascii").split() + [""])[:2]
        return int(pid), boot
    except (OSError, ValueError):
        return None, ""


def _boot_id() -> str:
    """This boot of the machine (Linux); "" where the kernel does not say."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return ""
