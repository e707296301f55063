# lib.sh - helpers for CLI tests: source it, call checks, end with `finish`.
# Each check prints "ok NAME" or "FAIL NAME: why"; finish prints "N passed, N failed".

LO=${LABELOPS_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/labelops}
FIXTURES=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures" && pwd)
REF="$FIXTURES/reference"
T=$(mktemp -d)
export LABELOPS_DB="$T/default.db"
_pass=0
_fail=0

ok() { echo "ok   $1"; _pass=$((_pass + 1)); }
ko() { echo "FAIL $1: $2"; _fail=$((_fail + 1)); }

# run CMD...: runs labelops with the arguments; sets $out, $err, $rc.
run() {
  "$LO" "$@" >"$T/out" 2>"$T/err"
  rc=$?
  out=$(cat "$T/out")
  err=$(cat "$T/err")
}

# expect_eq NAME ACTUAL EXPECTED
expect_eq() {
  if [ "$2" == "$3" ]; then ok "$1"; else ko "$1" "got '$2', expected '$3'"; fi
}

# expect_rc NAME CODE: checks $rc of the last run.
expect_rc() {
  if [ "$rc" -eq "$2" ]; then ok "$1"; else ko "$1" "exit $rc, expected $2; stderr: ${err:0:300}"; fi
}

# expect_contains NAME HAYSTACK NEEDLE
expect_contains() {
  case "$2" in
    *"$3"*) ok "$1" ;;
    *) ko "$1" "'${2:0:300}' does not contain '$3'" ;;
  esac
}

# expect_near NAME ACTUAL EXPECTED TOL
expect_near() {
  if python3 -c "import sys; a,e,t=map(float,sys.argv[1:]); sys.exit(0 if abs(a-e)<=t else 1)" "$2" "$3" "$4" 2>/dev/null; then
    ok "$1"
  else
    ko "$1" "got '$2', expected $3 within $4"
  fi
}

# jq_get JSON EXPR: evaluates a Python expression on the parsed JSON (bound to j).
jget() {
  python3 -c "import json,sys; j=json.loads(sys.argv[1]); v=eval(sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list,tuple)) or v is None or isinstance(v,bool) else v)" "$1" "$2"
}

finish() {
  echo "$_pass passed, $_fail failed"
  rm -rf "$T"
  [ "$_fail" -eq 0 ]
}
