#!/usr/bin/env bash
# demo.sh - installs what labelops needs, builds it, and runs it on demo data: a fresh
# database with the RTE crowdsourcing dataset (Snow et al. 2008; 800 items, 164 workers,
# gold answers), then the project summary, agreement and truth inference on it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh

LO=build/labelops
DB=build/demo.db
RTE=tests/fixtures/reference/crowd/snow2008/rte.standardized.tsv
rm -f "$DB" "$DB-wal" "$DB-shm"
export LABELOPS_DB="$DB"

echo "== a fresh database: $DB"
$LO init
echo
echo "== project rte: recognising textual entailment, labels from Amazon Mechanical Turk"
$LO project create rte --description "Does the text entail the hypothesis? (Snow et al. 2008)" \
    --accuracy 0.9 --turnaround 48 --cost-per-label 0.02
printf '# RTE guidelines\n\nAnswer 1 when a reader of the text would conclude the hypothesis is true, else 0.\n' |
    $LO guideline set rte -
$LO import labels rte "$RTE"
echo
$LO project show rte
if $LO help 2>/dev/null | grep -q '^  agree '; then
  echo
  echo "== agreement between the workers"
  $LO agree --project rte --metric all 2>/dev/null || $LO agree "$RTE" --metric all
fi
if $LO help 2>/dev/null | grep -q '^  aggregate '; then
  echo
  echo "== truth inference against the gold answers"
  for m in mv ds; do
    $LO aggregate "$RTE" --method "$m" --out "build/demo_$m.csv"
  done
fi
echo
echo "labelops is built at build/labelops; this demo's database is $DB (labelops --db $DB help)"
