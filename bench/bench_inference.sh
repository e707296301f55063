#!/usr/bin/env bash
# bench_inference.sh - times the whole `labelops aggregate` command (read, infer, write) for the
# figures of issue 3 and runs a reference Dawid-Skene in Python + numpy (bench/ref_ds.py) on the
# same files in the same run, printing the ratio. Never run by the tests.
#
# usage: bench/bench_inference.sh [BUILD_DIR]   (default: build)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
LO="$BUILD/labelops"
GEN="$BUILD/bench/gen_labels"
DP="$ROOT/tests/fixtures/reference/crowd/zheng_D_Product"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
[ -x "$LO" ] && [ -x "$GEN" ] || { echo "build first: ninja -C $BUILD"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (GNU time)"; exit 1; }

# Data, deterministic seeds: 100k items x 10 labels by 1000 annotators, 5 classes (1M labels),
# and 10k items x 10 labels (100k labels) of the same kind.
"$GEN" 100000 1000 5 10 1 "$W/l1m.csv" "$W/l1m_gold.csv"
"$GEN" 10000 1000 5 10 2 "$W/l100k.csv" "$W/l100k_gold.csv"

# measure NAME CMD...: wall seconds and peak RSS of one command (best of 3 wall times).
measure() {
  local name=$1; shift
  local best="" rss=0
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$W/time" "$@" >"$W/stdout" 2>"$W/stderr" || {
      echo "$name: FAILED: $(head -c 300 "$W/stderr")"; return 1; }
    read -r wall kb <"$W/time"
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; fi
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  printf "%-34s %7.3f s  %7.1f MiB\n" "$name" "$best" "$(awk "BEGIN{print $rss/1024}")"
  LAST_WALL=$best
}

echo "labelops aggregate, whole command (read + infer + write), best of 3; load: $(cut -d' ' -f1-3 /proc/loadavg)"
measure "ds 1M labels, 50 iterations" "$LO" aggregate "$W/l1m.csv" --method ds --tol 0 \
  --max-iter 50 --out "$W/out.csv"
LO_DS1M=$LAST_WALL
measure "mv 1M labels (read + write only)" "$LO" aggregate "$W/l1m.csv" --method mv --out "$W/out.csv"
measure "glad 100k labels" "$LO" aggregate "$W/l100k.csv" --method glad --out "$W/out.csv"
measure "mace 100k labels" "$LO" aggregate "$W/l100k.csv" --method mace --out "$W/out.csv"
measure "ds D_Product (25k labels)" "$LO" aggregate "$DP/answer.csv" --method ds --out "$W/out.csv"
LO_DP=$LAST_WALL
measure "ds D_Product, 80 iterations" "$LO" aggregate "$DP/answer.csv" --method ds --tol 0 \
  --max-iter 80 --out "$W/out.csv"
LO_DP80=$LAST_WALL
echo "targets: ds 1M < 1 s and < 100 MiB; glad, mace 100k < 1 s; ds D_Product < 30 ms"

echo
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # Debian's python3-numpy belongs to the system Python
if $PY -c "import numpy" 2>/dev/null; then
  echo "reference: bench/ref_ds.py (Python + numpy Dawid-Skene, same model, same iterations)"
  measure "ref ds 1M labels, 50 iterations" $PY "$ROOT/bench/ref_ds.py" "$W/l1m.csv" 50
  REF_DS1M=$LAST_WALL
  measure "ref ds D_Product, 80 iterations" $PY "$ROOT/bench/ref_ds.py" "$DP/answer.csv" 80
  REF_DP=$LAST_WALL
  printf "ratio ds 1M: reference / labelops = %.1fx\n" "$(awk "BEGIN{print $REF_DS1M/$LO_DS1M}")"
  printf "ratio ds D_Product (80 iterations): reference / labelops = %.1fx\n" \
    "$(awk "BEGIN{print $REF_DP/($LO_DP80 > 0 ? $LO_DP80 : 0.001)}")"
else
  echo "reference skipped: python3 numpy is not installed (the setup script adds python3-numpy);"
  echo "no ratio printed"
fi
: "$LO_DP"
