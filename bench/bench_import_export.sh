#!/usr/bin/env bash
# bench_import_export.sh - import of N items from JSONL and export of N items with 3
# annotations each, against the sqlite3 shell's .import of the same rows as CSV (the
# practical ceiling of SQLite on this machine). Prints items/s, peak memory and ratios.
#
# usage: bench/bench_import_export.sh [N] [BUILD_DIR]     (default 1000000, build)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
BUILD=${2:-build}
LO="$PWD/$BUILD/labelops"
OUT=bench/out/import_export
mkdir -p "$OUT"
[ -x "$LO" ] || { echo "build $BUILD first (scripts/build.sh)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 shell missing (scripts/install-deps.sh)"; exit 1; }

if [ ! -f "$OUT/items.jsonl" ] || [ "$(wc -l < "$OUT/items.jsonl")" -ne "$N" ]; then
  echo "generating $N items ..."
  python3 bench/gen_items.py "$N" "$OUT"
fi
SCHEMA="$OUT/schema.json"
echo '{"fields":[{"name":"sentiment","type":"single_choice","classes":["neg","neu","pos"]}]}' > "$SCHEMA"

# measure NAME CMD...: runs CMD, records wall seconds and peak RSS (KiB) in $secs and $rss.
measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/$name.err" || {
    echo "$name failed:"; cat "$OUT/$name.err"; exit 1; }
  read -r secs rss < "$OUT/time.txt"
}
fresh() { rm -f "$1" "$1-wal" "$1-shm"; }
rate() { python3 -c "import sys; n,s=float(sys.argv[1]),float(sys.argv[2]); print('%.0f' % (n/s if s>0 else float('inf')))" "$1" "$2"; }
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1])/float(sys.argv[2])))" "$1" "$2"; }

echo "== reference: sqlite3 .import of $N rows (id, payload) from CSV"
fresh "$OUT/ref.db"
sqlite3 "$OUT/ref.db" "CREATE TABLE items(external_id TEXT NOT NULL, payload_json TEXT NOT NULL);"
measure ref sqlite3 "$OUT/ref.db" ".import --csv --skip 1 $OUT/items.csv items"
ref_secs=$secs; ref_rate=$(rate "$N" "$secs")
printf "   %8.2f s  %9s rows/s  peak %6d KiB\n" "$secs" "$ref_rate" "$rss"

echo "== labelops import items: $N items from JSONL (one transaction, validated)"
fresh "$OUT/a.db"
"$LO" --db "$OUT/a.db" project create bench --schema "$SCHEMA" >/dev/null
measure import "$LO" --db "$OUT/a.db" import items bench "$OUT/items.jsonl"
imp_secs=$secs; imp_rate=$(rate "$N" "$secs"); imp_rss=$rss
printf "   %8.2f s  %9s items/s  peak %6d KiB   %sx the sqlite3 .import rate\n" \
  "$secs" "$imp_rate" "$rss" "$(ratio "$imp_rate" "$ref_rate")"

echo "== set-up: $N items with 3 annotations each (import of the export shape)"
fresh "$OUT/b.db"
"$LO" --db "$OUT/b.db" project create bench --schema "$SCHEMA" >/dev/null
measure restore "$LO" --db "$OUT/b.db" import items bench "$OUT/restore.jsonl"
printf "   %8.2f s  %9s items/s (%s annotations/s)  peak %6d KiB\n" "$secs" \
  "$(rate "$N" "$secs")" "$(rate $((N * 3)) "$secs")" "$rss"

echo "== labelops export: $N items with 3 annotations each to JSONL"
measure export "$LO" --db "$OUT/b.db" export bench --out "$OUT/export.jsonl"
exp_rate=$(rate "$N" "$secs"); exp_rss=$rss
printf "   %8.2f s  %9s items/s  peak %6d KiB   %sx the sqlite3 .import rate\n" \
  "$secs" "$exp_rate" "$rss" "$(ratio "$exp_rate" "$ref_rate")"

echo "== reference: sqlite3 shell dumping the same items and annotations as CSV"
measure refdump sqlite3 -csv "$OUT/b.db" "SELECT i.external_id, i.payload_json, a.annotator, a.value_json FROM items i JOIN annotations a ON a.item_id = i.id ORDER BY i.id, a.id"
printf "   %8.2f s  %9s items/s\n" "$secs" "$(rate "$N" "$secs")"

echo
echo "summary: import $imp_rate items/s (peak $((imp_rss / 1024)) MiB), export $exp_rate items/s (peak $((exp_rss / 1024)) MiB); sqlite3 .import $ref_rate rows/s"
