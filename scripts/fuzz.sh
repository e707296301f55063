#!/usr/bin/env bash
# fuzz.sh - builds the libFuzzer targets in tests/fuzz/ with clang (ASan + UBSan) and runs each
# for a bounded number of inputs from its seed corpus. With --time S, fuzzes each for S seconds
# instead (for a longer hunt by hand). Prints "N passed, N failed" like the other test programs.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=build-fuzz
mkdir -p "$OUT"
RUNS=${FUZZ_RUNS:-20000}
TIME=""
[ "${1:-}" = "--time" ] && TIME=$2

CC=${CC_FUZZ:-clang}
CFLAGS="-std=c17 -D_POSIX_C_SOURCE=200809L -g -O1 -Isrc -fsanitize=fuzzer,address,undefined
        -fno-sanitize-recover=undefined $(pkg-config --cflags jansson)"
LIBS="$(pkg-config --libs jansson) -lm -lpthread"
BASE="src/base/err.c src/base/str.c src/base/buf.c src/base/arena.c src/base/json.c"

pass=0
fail=0
build_and_run() {
  local name=$1; shift
  if ! $CC $CFLAGS -o "$OUT/$name" "tests/fuzz/$name.c" "$@" $BASE $LIBS 2>"$OUT/$name.build.log"; then
    echo "FAIL $name (build)"; tail -20 "$OUT/$name.build.log"; fail=$((fail + 1)); return
  fi
  local corpus="tests/fuzz/corpus_${name#fuzz_}"
  local work="$OUT/corpus_$name"
  rm -rf "$work"; mkdir -p "$work"; cp "$corpus"/* "$work"/
  local limit="-runs=$RUNS"
  [ -n "$TIME" ] && limit="-max_total_time=$TIME"
  if "$OUT/$name" -seed=1 $limit -max_len=4096 -rss_limit_mb=1024 "$work" >"$OUT/$name.log" 2>&1; then
    echo "ok   $name ($(grep -aoE 'Done [0-9]+ runs' "$OUT/$name.log" | head -1))"
    pass=$((pass + 1))
  else
    echo "FAIL $name"; grep -aE 'ERROR|SUMMARY|==[0-9]+==' "$OUT/$name.log" | head -20
    fail=$((fail + 1))
  fi
}

build_and_run fuzz_csv src/io/csv.c
build_and_run fuzz_schema src/schema/schema.c
build_and_run fuzz_wf_config src/workflow/config.c src/quality/sampling.c src/quality/stats.c
build_and_run fuzz_json_scan src/io/json_scan.c
build_and_run fuzz_http_body src/http/body.c
build_and_run fuzz_confined_name src/base/fsconfine.c
build_and_run fuzz_labels src/io/labels.c src/io/ratings_load.c src/io/csv.c src/quality/ratings.c
build_and_run fuzz_agree_input src/io/agree_input.c src/io/csv.c src/quality/ratings.c
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
