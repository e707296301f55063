#!/usr/bin/env bash
# bench_ui.sh - the browser UI's speed in Debian's chromium (bench/bench_ui.mjs): view load,
# next task, 500 spans, 500 boxes, each beside a reference from the same run. Not a test.
#   bench/bench_ui.sh [BUILD_DIR] [RUNS] [--only view|next|spans|boxes]      (default build, 15, all)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
RUNS=${2:-15}
(cd tests/ui && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
exec node bench/bench_ui.mjs "$PWD/$BUILD/labelops" --runs "$RUNS" "${@:3}"
