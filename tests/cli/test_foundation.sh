#!/usr/bin/env bash
# test_foundation.sh - the command line of the foundation: databases, projects, guidelines,
# import (all or nothing, --skip-invalid), export, round trip, the reference datasets.
source "$(dirname "$0")/lib.sh"
D="$FIXTURES/data"

# The logical content of a database: every table's rows, in a stable order.
dump() { sqlite3 "$1" .dump | grep -v '^PRAGMA' ; }

# --- usage and help -----------------------------------------------------------------------
run; expect_rc "no command is a usage error" 2
run help; expect_rc "help succeeds" 0
expect_contains "help lists import" "$out" "import"
run import --help; expect_rc "command --help succeeds" 0
expect_contains "import help names --skip-invalid" "$out" "--skip-invalid"
run frobnicate; expect_rc "unknown command exits 2" 2
run project list --bogus; expect_rc "unknown option exits 2" 2
expect_contains "unknown option is named" "$err" "--bogus"

# --- --db before or after the command, LABELOPS_DB ----------------------------------------
run --db "$T/a.db" init; expect_rc "--db before the command" 0
run init --db "$T/b.db"; expect_rc "--db after the command" 0
[ -f "$T/a.db" ] && [ -f "$T/b.db" ] && ok "both databases exist" || ko "both databases exist" "missing"
LABELOPS_DB="$T/env.db" "$LO" project create viaenv >/dev/null 2>&1
[ -f "$T/env.db" ] && ok "LABELOPS_DB selects the database" || ko "LABELOPS_DB selects the database" "no file"
(cd "$T" && env -u LABELOPS_DB "$LO" init >/dev/null 2>&1)
[ -f "$T/labelops.db" ] && ok "default database is ./labelops.db" || ko "default database is ./labelops.db" "no file"

# --- projects -----------------------------------------------------------------------------
DB="$T/p.db"
run --db "$DB" project create reviews --schema "$D/sentiment_schema.json" --accuracy 0.95 \
    --turnaround 48 --cost-per-label 0.08 --budget 12000 --deadline 2027-03-31 --description "phone reviews"
expect_rc "create a project with a schema and goals" 0
run --db "$DB" project create reviews; expect_rc "a taken name is refused" 1
expect_contains "the conflict is explained" "$err" "exists already"
echo '{"fields":[{"name":"x","type":"single_choice","classes":[]}]}' > "$T/bad_schema.json"
run --db "$DB" project create broken --schema "$T/bad_schema.json"; expect_rc "an invalid schema is refused" 1
expect_contains "the schema error names the field" "$err" "'x'"
run --db "$DB" project create badgoal --accuracy 1.5; expect_rc "an accuracy target above 1 is refused" 1
run --db "$DB" project create baddate --deadline 31/03/2027; expect_rc "a malformed deadline is refused" 1
run --db "$DB" project show reviews --json; expect_rc "show --json" 0
expect_eq "goals are stored" "$(jget "$out" 'j["goals"]["accuracy"]'),$(jget "$out" 'j["goals"]["turnaround_hours"]'),$(jget "$out" 'j["goals"]["deadline"]')" "0.95,48.0,2027-03-31"
run --db "$DB" project show nowhere --json; expect_rc "unknown project exits 1" 1
expect_eq "errors are JSON under --json" "$(jget "$err" 'j["error"]["code"]')" "not_found"
run --db "$DB" project list --json
expect_eq "list shows the project" "$(jget "$out" '[p["name"] for p in j]')" '["reviews"]'

# --- guidelines ---------------------------------------------------------------------------
printf '# Sentiment\n\nPositive means the buyer would buy again.\n' > "$T/g1.md"
printf '# Sentiment\n\nNeutral when the review states facts only.\n' > "$T/g2.md"
run --db "$DB" guideline set reviews "$T/g1.md"; expect_rc "set guideline v1" 0
run --db "$DB" guideline set reviews - < "$T/g2.md"; expect_rc "set guideline v2 from stdin" 0
expect_contains "second set is version 2" "$out" "version 2"
run --db "$DB" guideline show reviews --version 1
expect_eq "old version kept unchanged" "$out" "$(cat "$T/g1.md")"
run --db "$DB" guideline show reviews
expect_eq "latest version shown by default" "$out" "$(cat "$T/g2.md")"
run --db "$DB" guideline log reviews --json
expect_eq "log lists both versions newest first" "$(jget "$out" '[g["version"] for g in j]')" "[2, 1]"
run --db "$DB" guideline show reviews --version 9; expect_rc "unknown version exits 1" 1

# --- import items -------------------------------------------------------------------------
run --db "$DB" import items reviews "$D/items.jsonl" --json; expect_rc "import JSONL items" 0
expect_eq "three items inserted" "$(jget "$out" 'j["items_inserted"]')" "3"
run --db "$DB" import items reviews "$D/items.jsonl" --json
expect_eq "re-import skips existing ids and counts them" "$(jget "$out" '(j["items_inserted"], j["items_skipped"])')" "[0, 3]"
run --db "$DB" import items reviews "$D/items.csv" --text-field body --json; expect_rc "import CSV items" 0
expect_eq "CSV items inserted" "$(jget "$out" 'j["items_inserted"]')" "2"
run --db "$DB" export reviews
expect_contains "a quoted multi-line CSV field survives" "$out" 'A \"quoted\" word\nspanning two lines'
expect_contains "--text-field maps the column to text" "$out" '"text":"Hello, world"'

before=$(dump "$DB")
run --db "$DB" import items reviews "$D/items_bad.jsonl"; expect_rc "a malformed line fails the import" 1
expect_contains "the error names file and line" "$err" "items_bad.jsonl:3"
expect_eq "a failed import changes nothing" "$(dump "$DB")" "$before"
run --db "$DB" import items reviews "$D/items_bad.jsonl" --skip-invalid --rejects "$T/rej.jsonl" --json
expect_rc "--skip-invalid imports the rest" 0
expect_eq "three good lines in, one rejected" "$(jget "$out" '(j["items_inserted"], j["rejected"])')" "[3, 1]"
expect_eq "the rejects file names the line" "$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["line"])' "$T/rej.jsonl")" "3"

# --- import labels ------------------------------------------------------------------------
run --db "$DB" import labels reviews "$D/labels.csv" --json; expect_rc "import labels into a schema project" 0
expect_eq "five annotations" "$(jget "$out" 'j["annotations"]')" "5"
before=$(dump "$DB")
run --db "$DB" import labels reviews "$D/labels_bad.csv"; expect_rc "a label outside the schema fails" 1
expect_contains "the error names file:line" "$err" "labels_bad.csv:3"
expect_contains "the error names the rule" "$err" "angry"
expect_eq "the failed label import changes nothing" "$(dump "$DB")" "$before"

# --- predictions --------------------------------------------------------------------------
run --db "$DB" import predictions reviews "$D/predictions.jsonl" --json; expect_rc "import predictions" 0
expect_eq "two predictions" "$(jget "$out" 'j["predictions"]')" "2"
echo '{"item": "r3", "model": "m", "label": "furious"}' > "$T/badpred.jsonl"
run --db "$DB" import predictions reviews "$T/badpred.jsonl"; expect_rc "a prediction outside the schema fails" 1
echo '{"item": "nope", "model": "m", "label": "pos"}' > "$T/nopred.jsonl"
run --db "$DB" import predictions reviews "$T/nopred.jsonl"; expect_rc "a prediction for an unknown item fails" 1
expect_contains "the unknown item is named" "$err" "nope"

run --db "$DB" project show reviews --json
expect_eq "counts: items, annotations, predictions" "$(jget "$out" '(j["items"], j["annotations"], j["predictions"])')" "[8, 5, 2]"

# --- export and round trip ----------------------------------------------------------------
run --db "$DB" export reviews --out "$T/e1.jsonl"; expect_rc "export to a file" 0
expect_eq "one line per item" "$(wc -l < "$T/e1.jsonl" | tr -d ' ')" "8"
line=$(grep '"id":"r1"' "$T/e1.jsonl")
expect_eq "annotations carry provenance" "$(jget "$line" '[(a["annotator"], a["guideline_version"], a["schema_version"], a["workflow_stage"]) for a in j["annotations"]]')" '[["ann", 2, 1, "import"], ["bob", 2, 1, "import"]]'
expect_eq "predictions exported beside annotations" "$(jget "$line" '[(p["model"], p["model_version"], p["score"]) for p in j["predictions"]]')" '[["sent-bert", "1.2", 0.93]]'
DB2="$T/restore.db"
"$LO" --db "$DB2" project create reviews --schema "$D/sentiment_schema.json" >/dev/null
run --db "$DB2" import items reviews "$T/e1.jsonl" --json; expect_rc "the export imports into a fresh database" 0
expect_eq "annotations restored" "$(jget "$out" '(j["items_inserted"], j["annotations"], j["predictions"])')" "[8, 5, 2]"
"$LO" --db "$DB2" export reviews --out "$T/e2.jsonl" 2>/dev/null
if cmp -s "$T/e1.jsonl" "$T/e2.jsonl"; then ok "round trip gives identical output"; else ko "round trip gives identical output" "$(diff "$T/e1.jsonl" "$T/e2.jsonl" | head -5)"; fi
run --db "$DB" export reviews --format csv
expect_contains "CSV export has a label column" "$(echo "$out" | head -1)" "item,kind,annotator,label"
expect_contains "CSV rows carry the plain label" "$out" "r1,annotation,ann,pos,"
run --db "$DB" export nowhere --out "$T/none.jsonl"; expect_rc "export of an unknown project fails" 1
[ ! -e "$T/none.jsonl" ] && ok "a failed export leaves no file" || ko "a failed export leaves no file" "file exists"

# --- delete -------------------------------------------------------------------------------
run --db "$DB" project delete reviews; expect_rc "delete without --yes is refused" 2
run --db "$DB" project delete reviews --yes; expect_rc "delete with --yes" 0
run --db "$DB" project show reviews; expect_rc "deleted project is gone" 1
expect_eq "its items are gone too" "$(sqlite3 "$DB" 'select count(*) from items')" "0"

# --- the reference datasets: two commands from a file to a project --------------------------
check_dataset() { # name file items annotations [flags]
  local name=$1 file=$2 items=$3 anns=$4; shift 4
  local db="$T/ref_$name.db"
  "$LO" --db "$db" project create "$name" >/dev/null 2>&1
  run --db "$db" import labels "$name" "$file" "$@"
  expect_rc "import $name" 0
  run --db "$db" project show "$name" --json
  expect_eq "$name: items and annotations" "$(jget "$out" '(j["items"], j["annotations"])')" "[$items, $anns]"
}
check_dataset rte "$REF/crowd/snow2008/rte.standardized.tsv" 800 8000
check_dataset temp "$REF/crowd/snow2008/temp.standardized.tsv" 462 4620
check_dataset wsd "$REF/crowd/snow2008/wsd.standardized.tsv" 177 1770
check_dataset anger "$REF/crowd/snow2008/anger.standardized.tsv" 100 1000 --numeric
check_dataset valence "$REF/crowd/snow2008/valence.standardized.tsv" 100 1000 --numeric
check_dataset product "$REF/crowd/zheng_D_Product/answer.csv" 8315 24945
check_dataset anesthesia "$REF/agreement/dawid_skene1979_anesthesia.csv" 45 315
run --db "$T/ref_rte.db" project show rte --json
expect_eq "rte: gold answers recorded" "$(jget "$out" 'j["gold_items"]')" "800"
expect_eq "rte: inferred schema has the two classes" "$(jget "$out" 'j["schema"]["fields"][0]["classes"]')" '["0", "1"]'
run --db "$T/ref_anger.db" project show anger --json
expect_eq "anger: --numeric infers a rating" "$(jget "$out" 'j["schema"]["fields"][0]["type"]')" "rating"

# --- statistics over a project give the numbers of the file ---------------------------------
RTE="$REF/crowd/snow2008/rte.standardized.tsv"
run --db "$T/ref_rte.db" agree --project rte --metric alpha --json
p_alpha=$(jget "$out" 'j["value"]')
run agree "$RTE" --metric alpha --json
expect_eq "agree --project equals agree on the file" "$p_alpha" "$(jget "$out" 'j["value"]')"
run --db "$T/ref_rte.db" aggregate --project rte --method ds --out "$T/ds.csv" --json
expect_rc "aggregate --project" 0
expect_eq "aggregate --project scores against the project's gold" "$(jget "$out" 'j["accuracy"]["value"]')" "0.9275"
run --db "$T/ref_rte.db" gold --project rte --json; expect_rc "gold --project" 0
run --db "$T/ref_rte.db" agree --project nowhere; expect_rc "agree on an unknown project fails" 1
run --db "$T/ref_rte.db" agree "$RTE" --field label; expect_rc "--field without --project is a usage error" 2

finish
