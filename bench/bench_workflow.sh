#!/usr/bin/env bash
# bench_workflow.sh [BUILD] [SECONDS] [CLIENTS...] - the labeling workflow under load: simulated
# annotators (bench/wfload.c: one thread, one keep-alive connection and one user's API token
# each) loop over POST .../tasks/next + POST /api/v1/tasks/{lease}/submit for SECONDS (default
# 10) at each client count (default 64 256), first against the durable SQLite store (a database
# file on disk), then against the in-memory store of the same data, and prints cycles/s and the
# p99 of each call side by side: what durability costs, measured in the same run.
#
# The project: one single-choice field, ITEMS items (default 300000, so the queue never empties),
# overlap 1, review none; USERS annotators (default 256, each a member with an API token). The
# set-up is done once into a template database that each run copies, so every run starts from
# the same state. Environment: ITEMS, USERS, THREADS (serve --threads; default: serve's own),
# THREADS_ALT (also run the durable store with serve --threads THREADS_ALT: a commit carries at
# most one write per server thread, since a request holds its thread until its commit).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SECS=${2:-10}
shift $(($# < 2 ? $# : 2))
CLIENTS=("$@")
[ ${#CLIENTS[@]} -gt 0 ] || CLIENTS=(64 256)
ITEMS=${ITEMS:-300000}
USERS=${USERS:-256}
THREADS=${THREADS:-}
THREADS_ALT=${THREADS_ALT:-}
for c in "${CLIENTS[@]}"; do
  [ "$c" -le "$USERS" ] || { echo "$c clients need $c users (USERS=$USERS)"; exit 1; }
done

[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD" labelops bench/wfload >/dev/null
LO="$PWD/$BUILD/labelops"
WFLOAD="$PWD/$BUILD/bench/wfload"
mkdir -p bench/out
W=$(mktemp -d "$PWD/bench/out/wf.XXXXXX") # on disk: the durable store must not be on tmpfs
SHM=""
SRV=""
cleanup() {
  if [ -n "$SRV" ]; then kill -TERM "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; fi
  rm -rf "$W"
  [ -z "$SHM" ] || rm -rf "$SHM"
}
trap cleanup EXIT

# ---- the template database: project, items, annotators with tokens --------------------------
T="$W/template.db"
t0=$(date +%s.%N)
"$LO" --db "$T" init >/dev/null
cat >"$W/schema.json" <<'EOF'
{"fields": [{"name": "label", "type": "single_choice", "required": true,
             "classes": ["a", "b", "c"]}]}
EOF
"$LO" --db "$T" project create wfbench --schema "$W/schema.json" >/dev/null
python3 -c '
import json, sys
n = int(sys.argv[1])
with open(sys.argv[2], "w") as f:
    for i in range(n):
        f.write(json.dumps({"id": f"it{i}", "text": f"item {i}: the quick brown fox jumps over the lazy dog"}) + "\n")
' "$ITEMS" "$W/items.jsonl"
"$LO" --db "$T" import items wfbench "$W/items.jsonl" >/dev/null

# An admin (for the workflow configuration) and USERS annotators, two at a time: `user add`
# hashes a random password with Argon2id, the slow part of the set-up.
export LO T W
make_user() {
  local name=$1 role=$2
  head -c 18 /dev/urandom | base64 | "$LO" --db "$T" user add --role "$role" "$name" >/dev/null
  [ "$role" = admin ] || "$LO" --db "$T" member add wfbench "$name" --role "$role" >/dev/null
  "$LO" --db "$T" --json token create --user "$name" --name wfbench |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >"$W/tok.$name"
}
export -f make_user
make_user wfadmin admin
seq -f 'ann%04g' 1 "$USERS" | xargs -P 2 -I{} bash -c 'make_user {} annotator'
: >"$W/tokens.txt"
for i in $(seq -f '%04g' 1 "$USERS"); do cat "$W/tok.ann$i" >>"$W/tokens.txt"; done
ADMIN_TOKEN=$(cat "$W/tok.wfadmin")

# The workflow: overlap 1, review none, no gold (set once, on the template: every item becomes a
# queued task there, so each run starts from the same queue).
cat >"$W/workflow.json" <<'EOF'
{"overlap": {"k": 1, "coverage": 1.0, "dynamic": false}, "review": {"mode": "none"},
 "gold": {"share": 0.0}}
EOF
"$LO" --db "$T" workflow set wfbench "$W/workflow.json" >/dev/null
t1=$(date +%s.%N)
printf 'set-up: %s items, %s annotators with tokens, in %.1f s\n' "$ITEMS" "$USERS" \
  "$(python3 -c "print($t1 - $t0)")"

# ---- the stores ------------------------------------------------------------------------------
# `serve --in-memory` serves a copy of the database in SQLite's memory (writes never reach the
# file). Without it (an older build) the same database on /dev/shm stands in, and says so.
MEM_ARGS=()
MEM_NOTE="memory = serve --in-memory (a copy of the same database in memory)"
if "$LO" serve --help 2>&1 | grep -q -- '--in-memory'; then
  MEM_MODE=flag
  MEM_ARGS=(--in-memory)
else
  MEM_MODE=shm
  SHM=$(mktemp -d /dev/shm/wfbench.XXXXXX)
  MEM_NOTE="memory = the same SQLite database on /dev/shm (tmpfs), same durability setting"
fi

start_server() { # start_server DB [ARGS...]: sets SRV and PORT
  local db=$1; shift
  local log="$W/serve.log"
  : >"$log"
  local targs=()
  [ -z "$THREADS" ] || targs=(--threads "$THREADS")
  "$LO" --db "$db" serve --port 0 --rate 0 --quiet "${targs[@]}" "$@" 2>"$log" &
  SRV=$!
  for _ in $(seq 1 1000); do
    grep -q '"listening"\|"error"' "$log" 2>/dev/null && break
    sleep 0.01
  done
  grep -q '"listening"' "$log" || { echo "serve did not start: $(cat "$log")"; exit 1; }
  PORT=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["port"])' \
         "$log")
  code=$(curl -s -o "$W/wf.out" -w '%{http_code}' -H "Authorization: Bearer $ADMIN_TOKEN" \
         "http://127.0.0.1:$PORT/api/v1/projects/wfbench/workflow")
  [ "$code" = 200 ] || { echo "GET workflow answered $code: $(cat "$W/wf.out")"; exit 1; }
}

stop_server() {
  kill -TERM "$SRV" 2>/dev/null || true
  wait "$SRV" 2>/dev/null || true
  SRV=""
}

# The reference for the durable runs: what one write + fdatasync of 4 KiB costs on the same disk
# right now (a durable commit is at least one; the machine is shared, so it varies).
fsync_probe() {
  python3 - "$W" >"$W/fsync.$1.json" <<'PY'
import json, os, sys, time
path = os.path.join(sys.argv[1], "fsync.probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
ts = []
for _ in range(200):
    os.write(fd, b"x" * 4096)
    t = time.perf_counter()
    os.fdatasync(fd)
    ts.append((time.perf_counter() - t) * 1e3)
os.close(fd)
os.unlink(path)
ts.sort()
print(json.dumps({"p50_ms": ts[100], "p99_ms": ts[197]}))
PY
}

run_one() { # run_one STORE CLIENTS: one fresh copy of the template, one server, one wfload run
  local store=$1 clients=$2 db="$W/run.db"
  local args=()
  if [ "$store" = memory ] && [ "$MEM_MODE" = shm ]; then
    db="$SHM/run.db"
  elif [ "$store" = memory ]; then
    args=("${MEM_ARGS[@]}")
  fi
  rm -f "$db" "$db-wal" "$db-shm"
  cp "$T" "$db"
  [ ! -f "$T-wal" ] || cp "$T-wal" "$db-wal"
  [ "$store" = memory ] || fsync_probe "$store.$clients"
  start_server "$db" "${args[@]}"
  "$WFLOAD" --json --field label --classes a,b,c "$PORT" wfbench "$W/tokens.txt" "$clients" \
    "$SECS" >"$W/res.$store.$clients.json"
  curl -s "http://127.0.0.1:$PORT/metrics" >"$W/metrics.$store.$clients.txt" || true
  stop_server
}

for c in "${CLIENTS[@]}"; do run_one sqlite "$c"; done
for c in "${CLIENTS[@]}"; do run_one memory "$c"; done
STORES="sqlite memory"
if [ -n "$THREADS_ALT" ]; then
  THREADS_MAIN=$THREADS
  THREADS=$THREADS_ALT
  for c in "${CLIENTS[@]}"; do run_one "sqlite-t$THREADS_ALT" "$c"; done
  THREADS=$THREADS_MAIN
  STORES="$STORES sqlite-t$THREADS_ALT"
fi

# ---- the table -------------------------------------------------------------------------------
echo
echo "wfload: ${SECS}s per run, each annotator its own connection and token; client and server"
echo "share the machine's cores. sqlite = database file on disk, durable commits"
echo "(synchronous=FULL, group commit). $MEM_NOTE."
python3 - "$W" "$STORES" "${CLIENTS[@]}" <<'EOF'
import json, sys
w, stores, clients = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
res = {(s, c): json.load(open(f"{w}/res.{s}.{c}.json")) for s in stores for c in clients}
hdr = f"{'store':<10} {'clients':>7} {'cycles/s':>9} {'calls/s':>8} {'p50 next':>9} {'p99 next':>9} {'p50 sub':>8} {'p99 sub':>8} {'max':>8} {'errors':>7}"
print(hdr)
for s in stores:
    for c in clients:
        r = res[(s, c)]
        mx = max(r["next"]["max_ms"], r["submit"]["max_ms"])
        print(f"{s:<10} {c:>7} {r['cycles_per_s']:>9.0f} {r['calls_per_s']:>8.0f} "
              f"{r['next']['p50_ms']:>7.2f}ms {r['next']['p99_ms']:>7.2f}ms "
              f"{r['submit']['p50_ms']:>6.2f}ms {r['submit']['p99_ms']:>6.2f}ms {mx:>6.1f}ms {r['errors']:>7}")
for c in clients:
    d, m = res[("sqlite", c)], res[("memory", c)]
    ratio = d["cycles_per_s"] / m["cycles_per_s"] if m["cycles_per_s"] else 0
    fs = json.load(open(f"{w}/fsync.sqlite.{c}.json"))
    print(f"{c} clients: durable / in-memory cycles = {ratio:.2f}; a bare 4 KiB write + "
          f"fdatasync on the same disk just before the durable run: p50 {fs['p50_ms']:.2f} ms, "
          f"p99 {fs['p99_ms']:.2f} ms")
for (s, c), r in sorted(res.items()):
    bad = {k: v for call in ("next", "submit") for k, v in
           ((f"{call} {st}", n) for st, n in r[call]["status"].items()
            if st != ("200" if call == "next" else "201"))}
    if bad or r["empty"]:
        print(f"  {s} {c}: errors {bad} empty-queue answers {r['empty']}"
              + (f"; first: {r['first_error']}" if r.get("first_error") else ""))
def metrics(path):
    out = {}
    try:
        for line in open(path):
            if line.startswith("lo_writer_"):
                k, v = line.split()[:2]
                out[k] = float(v)
    except OSError:
        pass
    return out
print("where the time goes (the server's /metrics after each run): the group-commit writer")
for (s, c) in [(s, c) for s in stores for c in clients]:
    m = metrics(f"{w}/metrics.{s}.{c}.txt")
    if not m.get("lo_writer_commits_total"):
        continue
    secs = res[(s, c)]["seconds"]
    jobs, commits = m["lo_writer_jobs_total"], m["lo_writer_commits_total"]
    print(f"  {s:<10} {c:>4} clients: {jobs / commits:5.1f} writes per commit (max "
          f"{m.get('lo_writer_batch_max', 0):.0f}), {commits / secs:6.0f} commits/s, writer busy "
          f"{100 * m.get('lo_writer_busy_seconds_total', 0) / secs:3.0f}% of the run, of which "
          f"commit {100 * m.get('lo_writer_commit_seconds_total', 0) / secs:3.0f}%")
r = res[("sqlite", clients[0])]
ok = r["cycles_per_s"] >= 2000 and r["next"]["p99_ms"] < 50 and r["submit"]["p99_ms"] < 50
print(f"target (issue 5, durable SQLite, {clients[0]} clients): >= 2,000 cycles/s and p99 < 50 ms "
      f"per call: {'met' if ok else 'NOT met'}")
EOF
