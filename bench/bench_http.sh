#!/usr/bin/env bash
# bench_http.sh [BUILD] [SECONDS] - the HTTP server under load on loopback: authenticated
# GET /api/v1/projects/{name} against the static GET /healthz of the same server in the same
# run (this machine's ceiling). Uses wrk (64 connections, 2 threads) when it is installed;
# without wrk it says so and uses bench/http_load.c (64 keep-alive connections, a thread each).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SECS=${2:-10}
LO="$PWD/$BUILD/labelops"
[ -x "$LO" ] || { echo "build $BUILD first (ninja -C $BUILD)"; exit 1; }
W=$(mktemp -d)
DB="$W/bench.db"
SRV=""
cleanup() {
  if [ -n "$SRV" ]; then kill -TERM "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; fi
  rm -rf "$W"
}
trap cleanup EXIT

# A user with a random password (never a fixed one), a project with a few items, a token.
PW=$(head -c 18 /dev/urandom | base64)
echo "$PW" | "$LO" --db "$DB" user add --role admin bench >/dev/null
"$LO" --db "$DB" project create bench >/dev/null
for i in $(seq 1 100); do echo "{\"id\": \"i$i\", \"text\": \"item $i\"}"; done >"$W/items.jsonl"
"$LO" --db "$DB" import items bench "$W/items.jsonl" >/dev/null
TOKEN=$("$LO" --db "$DB" --json token create --user bench --name bench |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

"$LO" --db "$DB" serve --port 0 --threads 2 --rate 0 --quiet 2>"$W/serve.log" &
SRV=$!
for _ in $(seq 1 500); do
  grep -q '"listening"' "$W/serve.log" 2>/dev/null && break
  sleep 0.01
done
PORT=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["port"])' \
       "$W/serve.log")
BASE="http://127.0.0.1:$PORT"
STATIC="$BASE/healthz"
API="$BASE/api/v1/projects/bench"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$API")
[ "$code" = 200 ] || { echo "the API route answered $code, not 200"; exit 1; }

if command -v wrk >/dev/null 2>&1; then
  echo "wrk, 64 connections, 2 threads, ${SECS}s each, server --threads 2 (client and server share the cores)"
  run_wrk() { wrk -t2 -c64 -d"${SECS}s" --latency "$@"; }
  run_wrk "$STATIC" >"$W/static.txt"
  run_wrk -H "Authorization: Bearer $TOKEN" "$API" >"$W/api.txt"
  rps() { awk '/^Requests\/sec/ {print $2}' "$1"; }
  p99() { awk '$1 == "99%" {print $2}' "$1"; }
  s_rps=$(rps "$W/static.txt"); a_rps=$(rps "$W/api.txt")
  printf '%-42s %10s req/s  p99 %s\n' "GET /healthz (static ceiling)" "$s_rps" "$(p99 "$W/static.txt")"
  printf '%-42s %10s req/s  p99 %s\n' "GET /api/v1/projects/{name} (bearer)" "$a_rps" "$(p99 "$W/api.txt")"
  python3 -c 'import sys; print(f"API / static: {float(sys.argv[2])/float(sys.argv[1]):.2f} (target >= 0.5; API target >= 20000 req/s, p99 < 10 ms)")' "$s_rps" "$a_rps"
else
  echo "wrk is not installed (Debian package wrk): using bench/http_load.c instead (64 keep-alive"
  echo "connections, one client thread each, closed loop), ${SECS}s per route, server --threads 2"
  LOAD="$PWD/$BUILD/bench/http_load"
  [ -x "$LOAD" ] || { echo "build $BUILD first: $LOAD is missing"; exit 1; }
  s_out=$("$LOAD" "$PORT" /healthz 64 "$SECS")
  a_out=$("$LOAD" "$PORT" /api/v1/projects/bench 64 "$SECS" "Authorization: Bearer $TOKEN")
  printf '%-42s %s\n' "GET /healthz (static ceiling)" "$s_out"
  printf '%-42s %s\n' "GET /api/v1/projects/{name} (bearer)" "$a_out"
  python3 -c 'import sys; s=float(sys.argv[1].split()[0]); a=float(sys.argv[2].split()[0]); print(f"API / static: {a/s:.2f} (target >= 0.5; API target >= 20000 req/s, p99 < 10 ms)")' "$s_out" "$a_out"
fi
