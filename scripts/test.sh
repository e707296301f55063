#!/usr/bin/env bash
# test.sh - installs dependencies, builds twice (normal and ASan+UBSan), runs every unit and CLI
# test under both builds, and ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh || { echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }
if ! scripts/build.sh --asan; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
total_pass=0
total_fail=0
log_dir=$(mktemp -d)

# Runs one test program; adds its closing "N passed, N failed" to the totals. A program that
# crashes or prints no closing line counts as one failure.
run_one() {
  local label=$1; shift
  local log="$log_dir/$(echo "$label" | tr '/ ' '__').log"
  "$@" >"$log" 2>&1
  local rc=$?
  local last
  last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
  local p=0 f=0
  if [ -n "$last" ]; then
    p=$(echo "$last" | awk '{print $1}')
    f=$(echo "$last" | awk '{print $3}')
  fi
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
  fi
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  if [ "$f" -ne 0 ]; then
    echo "--- $label: $p passed, $f failed (exit $rc)"
    grep -E '^(FAIL|    )' "$log" | head -40
    grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$log" | head -10
    tail -5 "$log"
  else
    echo "    $label: $p passed"
  fi
}

for build in build build-asan; do
  echo "== $build"
  for t in "$build"/tests/test_*; do
    [ -f "$t" ] && [ -x "$t" ] || continue
    run_one "$build/$(basename "$t")" "$t"
  done
  for s in tests/cli/test_*.sh; do
    [ -f "$s" ] || continue
    run_one "$build/cli/$(basename "$s")" env LABELOPS_BIN="$PWD/$build/labelops" bash "$s"
  done
done

# The browser UI end to end (Debian chromium + playwright-core): once, against the normal build.
echo "== browser UI (tests/ui: chromium driven by playwright-core)"
run_one "build/ui/e2e" bash tests/ui/run.sh "$PWD/build/labelops"

echo "== fuzz (libFuzzer, bounded runs from the seed corpora)"
run_one "fuzz" bash scripts/fuzz.sh

rm -rf "$log_dir"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
