#!/usr/bin/env bash
# run.sh - the browser UI's end-to-end tests (tests/ui/run.mjs) against a labelops binary:
#   tests/ui/run.sh [path/to/labelops]     (default build/labelops)
# Installs playwright-core and axe-core exactly as package-lock.json pins them (npm ci; never a
# browser: the tests drive Debian's /usr/bin/chromium) and ends with "N passed, N failed".
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LO=${1:-${LABELOPS_BIN:-$HERE/../../build/labelops}}
case $LO in /*) ;; *) LO=$PWD/$LO ;; esac
cd "$HERE"
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM:-}" ]; then
  echo "FAIL chromium: /usr/bin/chromium is missing (scripts/install-deps.sh installs it)"
  echo "0 passed, 1 failed"
  exit 1
fi
if ! PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null; then
  echo "FAIL npm_ci: playwright-core and axe-core could not be installed from package-lock.json"
  echo "0 passed, 1 failed"
  exit 1
fi
exec node run.mjs "$LO"
