#!/usr/bin/env bash
# demo.sh - installs what labelops needs, builds it, and runs it on demo data: a fresh
# database with the RTE crowdsourcing dataset (Snow et al. 2008; 800 items, 164 workers,
# gold answers), the project summary, agreement and truth inference on it, one user per role
# (each with a random password printed once), and then the server on 127.0.0.1:8080
# (Ctrl-C stops it). `scripts/demo.sh --no-serve` stops before the server.
#   PORT=9090 scripts/demo.sh   serves on another port
# For tests (tests/api/test_demo.py): DEMO_SKIP_SETUP=1 skips the install and the build,
# LABELOPS_BIN names the binary, DEMO_DIR the directory for the database, images and outputs.
set -euo pipefail
SERVE=1
[ "${1:-}" = "--no-serve" ] && SERVE=0
cd "$(dirname "$0")/.."

if [ -z "${DEMO_SKIP_SETUP:-}" ]; then
  scripts/install-deps.sh
  scripts/build.sh
fi

LO=${LABELOPS_BIN:-build/labelops}
OUT=${DEMO_DIR:-build}
mkdir -p "$OUT"
DB=$OUT/demo.db
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
    $LO aggregate "$RTE" --method "$m" --out "$OUT/demo_$m.csv"
  done
fi

echo
echo "== projects for the browser UI: text classification, named entities, boxes on images"
# demo/README.md says where the data comes from; the images are drawn now, into $OUT.
MEDIA=$OUT/demo-media
python3 scripts/gen_demo_images.py "$MEDIA" 12
UI_PROJECTS=(reviews news-entities street-objects)
$LO project create reviews --schema examples/schemas/sentiment.json \
    --description "Sentiment of product reviews (text classification)" >/dev/null
$LO import items reviews demo/reviews.jsonl >/dev/null
$LO guideline set reviews demo/reviews.md >/dev/null
$LO project create news-entities --schema examples/schemas/ner.json \
    --description "People, organisations, places in news sentences (spans)" >/dev/null
$LO import items news-entities demo/news.jsonl >/dev/null
$LO guideline set news-entities demo/news.md >/dev/null
$LO project create street-objects --schema examples/schemas/detection.json \
    --description "Cars, pedestrians, cyclists, traffic lights (boxes on images)" >/dev/null
$LO import items street-objects "$MEDIA/items.jsonl" >/dev/null
$LO import predictions street-objects "$MEDIA/predictions.jsonl" >/dev/null
$LO guideline set street-objects demo/streets.md >/dev/null
# Every label goes to a reviewer (docs/workflow.md); the boxes start from the model's.
printf '{"review": {"mode": "all"}}\n' >"$OUT/demo-wf-review.json"
printf '{"review": {"mode": "all"}, "prelabels": true}\n' >"$OUT/demo-wf-boxes.json"
$LO workflow set reviews "$OUT/demo-wf-review.json" >/dev/null
$LO workflow set news-entities "$OUT/demo-wf-review.json" >/dev/null
$LO workflow set street-objects "$OUT/demo-wf-boxes.json" >/dev/null
for p in "${UI_PROJECTS[@]}"; do printf '   %-16s %s\n' "$p" "$($LO project show "$p" --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["description"])')"; done

echo
echo "== accounts: one user per role, random passwords (shown once, never stored in clear)"
$LO vendor add acme-labeling >/dev/null
rand_password() { head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20; }
printf '   %-18s %-16s %s\n' user role password
for spec in admin:admin pm:manager reviewer:reviewer annotator:annotator vendor-lead:vendor_manager \
    vendor-annotator:annotator; do
  name=${spec%%:*}; role=${spec#*:}
  pw=$(rand_password)
  vendor=()
  case $name in vendor-*) vendor=(--vendor acme-labeling) ;; esac
  printf '%s\n' "$pw" | $LO user add --role "$role" "${vendor[@]}" "$name" >/dev/null
  # rte holds crowd labels without their texts (for agreement and truth inference): the
  # manager's, not a project to label in the browser.
  case $role in
    manager) for p in rte "${UI_PROJECTS[@]}"; do $LO member add "$p" "$name" --role "$role" >/dev/null; done ;;
    reviewer|annotator) for p in "${UI_PROJECTS[@]}"; do $LO member add "$p" "$name" --role "$role" >/dev/null; done ;;
  esac
  printf '   %-18s %-16s %s\n' "$name" "$role" "$pw"
done
# A few labels by the vendor's annotator, some wrong on purpose, so that the reviewer has work
# from the first minute (demo/seed.jsonl).
python3 scripts/demo_seed.py "$LO" vendor-annotator demo/seed.jsonl
echo "   vendor-annotator labeled $(grep -c . demo/seed.jsonl) items: the reviewer can start reviewing"
echo
echo "labelops is built at $LO; this demo's database is $DB (labelops --db $DB help)"
if [ "$SERVE" = 1 ]; then
  PORT=${PORT:-8080}
  echo
  echo "== serving http://127.0.0.1:$PORT (API: docs/openapi.yaml; health: /healthz) -- Ctrl-C stops"
  echo "   browser: open http://127.0.0.1:$PORT/ and sign in as 'annotator' or 'reviewer' with"
  echo "            the password above (keys and views: docs/ui.md)"
  echo "   sign in: curl -c jar -H 'Content-Type: application/json' \\"
  echo "            -d '{\"name\":\"admin\",\"password\":\"...\"}' http://127.0.0.1:$PORT/api/v1/session"
  exec $LO serve --host 127.0.0.1 --port "$PORT" --media-root "$MEDIA"
fi
