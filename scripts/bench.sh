#!/usr/bin/env bash
# bench.sh - builds labelops and runs every benchmark under bench/, each beside its reference
# measured in the same run. Never part of the tests. Takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
mkdir -p bench/out
echo "#### import / export (issue 2)"
bash bench/bench_import_export.sh 1000000 build
echo
echo "#### truth inference (issue 3)"
bash bench/bench_inference.sh build
echo
echo "#### agreement: Krippendorff's alpha on 1,000,000 labels (issue 3)"
[ -f bench/out/labels1m.csv ] || build/bench/gen_labels 100000 1000 5 10 42 bench/out/labels1m.csv
build/bench/bench_agree bench/out/labels1m.csv 3
for level in nominal interval; do
  /usr/bin/time -f "agree --metric alpha --level $level, whole command: %e s, peak %M KiB" \
    build/labelops agree bench/out/labels1m.csv --metric alpha --level "$level" >/dev/null
done
echo
echo "#### box matching and consolidation"
build/bench/bench_compare 5000
echo
echo "#### HTTP: authenticated GET /api/v1/projects/{name} beside GET /healthz (issue 4)"
bash bench/bench_http.sh build 10
echo
echo "#### browser UI in chromium: view, next task, 500 spans, 500 boxes (issue 6)"
bash bench/bench_ui.sh build 15
echo
echo "#### workflow: next task + submit, durable SQLite beside in-memory (issue 5)"
bash bench/bench_workflow.sh build 10
