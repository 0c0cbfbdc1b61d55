#!/bin/sh
# One scheduled crawl, as cron (deploy/crontab) and systemd
# (deploy/newscrawl-crawl.service) run it. Settings come from the environment:
#   NEWSCRAWL_HOME     the project folder (default: the folder above this script)
#   NEWSCRAWL_SPIDER   the site (default: elaph)
#   NEWSCRAWL_CONTACT  your URL or mailto:, written into the User-Agent
#   NEWSCRAWL_LOG      the log file (default: archive/crawl.log)
# Further arguments go to `scrapy crawl` (e.g. -a since=2024-01-01).
# Exit status is scrapy crawl's: 0 finished, 1 failed, 2 bad arguments,
# 3 blocked by the site, 4 another crawl holds the archive, 5 template changed.
# On anything but 0 and 4 one line goes to stderr, which cron mails and journald keeps.
set -u
cd "${NEWSCRAWL_HOME:-$(dirname "$0")/..}" || exit 1
log="${NEWSCRAWL_LOG:-archive/crawl.log}"
mkdir -p "$(dirname "$log")"
set -- -s "LOG_FILE=$log" -s LOG_LEVEL=INFO "$@"
if [ -n "${NEWSCRAWL_CONTACT:-}" ]; then
    set -- -s "NEWSCRAWL_CONTACT=$NEWSCRAWL_CONTACT" "$@"
fi
# Everything Scrapy says goes to the log; cron's mail gets only the line below.
.venv/bin/scrapy crawl "${NEWSCRAWL_SPIDER:-elaph}" "$@" 2>>"$log"
status=$?
# 4: the previous run is still going (a first crawl takes days): nothing to report.
if [ "$status" -ne 0 ] && [ "$status" -ne 4 ]; then
    echo "newscrawl: crawl of ${NEWSCRAWL_SPIDER:-elaph} ended with status $status; see $log and: .venv/bin/newscrawl runs" >&2
fi
exit "$status"
