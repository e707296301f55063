#!/usr/bin/env bash
# test_workflow.sh - `labelops workflow`: a project's workflow from the command line, acting
# as named users: label, review with a reject, rework, accept, overlap 2, completion with the
# final label, the item's history, idempotent submit, flags and the manager's queue, pause,
# bad configurations named by field; the JSONL and CSV exports carry the workflow's outcome.
source "$(dirname "$0")/lib.sh"

lease_of() { jget "$1" 'j["task"]["lease"]'; }
# An item's state as a manager or admin learns it (an annotator is shown none: decisions/0008).
state_as() { "$LO" workflow history "$1" "$2" ${3:+--as "$3"} | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }

run init; expect_rc "init" 0
cat >"$T/schema.json" <<'JSON'
{"fields":[{"name":"label","type":"single_choice","classes":["a","b","c"]}]}
JSON
run project create p --schema "$T/schema.json"; expect_rc "project with a schema" 0
for i in 1 2 3; do echo "{\"id\":\"i$i\",\"text\":\"item $i\"}"; done >"$T/items.jsonl"
run import items p "$T/items.jsonl"; expect_rc "items imported" 0
for u in ann1:annotator ann2:annotator rev1:reviewer boss:manager; do
  name=${u%%:*}; role=${u##*:}
  echo "pw-$name-0123456789" | "$LO" user add --role "$role" "$name" >/dev/null
  "$LO" member add p "$name" --role "$role" >/dev/null
done

# --- configuration --------------------------------------------------------------------------
echo '{"review":{"mode":"sometimes"}}' >"$T/bad.json"
run workflow set p "$T/bad.json" --json
expect_rc "a bad review mode is refused" 1
expect_eq "the error names the field" "$(jget "$out$err" 'j["error"]["field"]')" "review.mode"
run workflow next p --as ann1
expect_rc "no task before a workflow is set" 1
expect_contains "the error says to set one" "$err" "no workflow yet"
echo '{"overlap":{"k":2},"review":{"mode":"all"},"rework":{"max_rounds":2}}' >"$T/wf.json"
run workflow set p "$T/wf.json"
expect_rc "workflow set" 0
expect_eq "every item joined the queue" "$(jget "$out" 'j["tasks_added"]')" "3"
expect_eq "defaults filled in" "$(jget "$out" 'j["lease_seconds"]')" "600"

# --- label, reject, rework, accept ---------------------------------------------------------
run workflow next p --as ann1; t1=$out
expect_eq "ann1 gets the oldest item" "$(jget "$t1" 'j["task"]["item"]["external_id"]')" "i1"
expect_eq "a fresh label task" "$(jget "$t1" 'j["task"]["kind"]')" "label"
run workflow next p --as ann1
expect_eq "asking again returns the same lease" "$(lease_of "$out")" "$(lease_of "$t1")"
run workflow submit "$(lease_of "$t1")" --as ann1 --value '{"label":"x"}' --json
expect_rc "a value outside the schema is refused" 1
expect_eq "the error names value.label" "$(jget "$out$err" 'j["error"]["field"]')" "value.label"
run workflow submit "$(lease_of "$t1")" --as ann1 --value '{"label":"a"}' --idempotency-key k1
expect_rc "submit" 0; first=$out
item1=$(jget "$t1" 'j["task"]["item"]["id"]')
expect_eq "the annotator's submit answer has no item_state" "$(jget "$out" '"item_state" in j')" "false"
expect_eq "the label waits for review" "$(state_as p "$item1" boss)" "in_review"
run workflow history p "$item1" --as ann1
expect_eq "the annotator's history has no state" "$(jget "$out" 'j["state"]')" "null"
expect_eq "nor the item_to_review their submit caused" "$(jget "$out" '[e["kind"] for e in j["events"]]')" "[]"
run workflow submit "$(lease_of "$t1")" --as ann1 --value '{"label":"c"}' --idempotency-key k1
expect_eq "a repeated submit returns the first answer" "$out" "$first"
run workflow submit "$(lease_of "$t1")" --as ann1 --value '{"label":"c"}'
expect_rc "a second submit of the lease is refused" 1
expect_contains "it says why" "$err" "submitted already"

run workflow next p --as ann1 --kind review
expect_rc "an annotator may not review" 1
run workflow next p --as rev1 --kind review; r1=$out
expect_eq "the reviewer sees ann1's label" "$(jget "$r1" 'j["task"]["labels"][0]["value"]["label"]')" "a"
run workflow submit "$(lease_of "$r1")" --as rev1 --verdict reject --reasons nonsense
expect_rc "an unknown reason code is refused" 1
run workflow submit "$(lease_of "$r1")" --as rev1 --verdict reject --reasons wrong_label --comment "it is b"
expect_eq "rejected: back to its annotator" "$(jget "$out" 'j["item_state"]')" "rework"
run workflow next p --as ann1; t2=$out
expect_eq "ann1's rework comes first" "$(jget "$t2" 'j["task"]["kind"]')" "rework"
expect_eq "with the reviewer's reasons" "$(jget "$t2" 'j["task"]["previous"]["reasons"]')" '["wrong_label"]'
expect_eq "and comment" "$(jget "$t2" 'j["task"]["previous"]["comment"]')" "it is b"
expect_eq "beside the previous label" "$(jget "$t2" 'j["task"]["previous"]["value"]["label"]')" "a"
run workflow submit "$(lease_of "$t2")" --as ann1 --value '{"label":"b"}'
expect_eq "the rework answer has no item_state either" "$(jget "$out" '"item_state" in j')" "false"
expect_eq "the rework goes to review" "$(state_as p "$item1" boss)" "in_review"
run workflow history p "$item1" --as ann1
expect_eq "the annotator's history: their rework, without the item's states" \
  "$(jget "$out" '[(e["kind"], "from" in e["payload"], "to" in e["payload"]) for e in j["events"]]')" '[["item_rework_submitted", false, false]]'
run workflow next p --as rev1 --kind review
run workflow submit "$(lease_of "$out")" --as rev1 --verdict accept
expect_eq "accepted, one more label wanted" "$(jget "$out" 'j["item_state"]')" "queued"

# --- overlap 2: ann1 never gets i1 again, ann2 does ----------------------------------------
run workflow next p --as ann1
expect_eq "ann1 moves on to another item" "$(jget "$out" 'j["task"]["item"]["external_id"]')" "i2"
run workflow skip "$(lease_of "$out")" --as ann1 --reason later
expect_rc "skip" 0
run workflow next p --as ann1
expect_eq "a skipped item is not offered again" "$(jget "$out" 'j["task"]["item"]["external_id"]')" "i3"
run workflow next p --as ann2; t3=$out
expect_eq "ann2 gets i1" "$(jget "$t3" 'j["task"]["item"]["external_id"]')" "i1"
expect_eq "without the others' labels" "$(jget "$t3" 'j["task"]["labels"]')" "[]"
run workflow submit "$(lease_of "$t3")" --as ann2 --value '{"label":"b"}'
run workflow next p --as rev1 --kind review
run workflow submit "$(lease_of "$out")" --as rev1 --verdict accept
expect_eq "two agreeing labels complete the item" "$(jget "$out" 'j["item_state"]')" "complete"
run workflow history p "$item1"
expect_eq "the final label" "$(jget "$out" 'j["final"]["value"]["label"]')" "b"
expect_eq "by majority" "$(jget "$out" 'j["final"]["method"]')" "majority"
expect_eq "every transition recorded" "$(jget "$out" '[e["kind"] for e in j["events"] if e["kind"].startswith("item_")]')" \
  '["item_to_review", "item_rejected", "item_rework_submitted", "item_accepted", "item_to_review", "item_accepted", "item_complete"]'
expect_eq "with who did it" "$(jget "$out" '[e["actor"] for e in j["events"] if e["kind"]=="item_rejected"]')" '["rev1"]'

# --- the export carries the workflow's outcome ----------------------------------------------
run export p --out "$T/p.jsonl"
expect_rc "export of a workflow project" 0
expect_eq "each item's state and final label in the export" \
  "$(python3 -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; i=[x for x in r if x['id']=='i1'][0]; print(i['workflow']['state'], i['workflow']['final']['label'], i['workflow']['method'])" "$T/p.jsonl")" "complete b majority"
expect_eq "a rejected label is marked in the export" \
  "$(python3 -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; i=[x for x in r if x['id']=='i1'][0]; print([a.get('status','active') for a in i['annotations']])" "$T/p.jsonl")" "['rejected', 'active', 'active']"
run project create p-copy --schema "$T/schema.json"
run import items p-copy "$T/p.jsonl"
expect_rc "the export reads back as items" 0

# --- the CSV export carries the same outcome, in columns after the old ones ------------------
# csvq FILE EXPR: a Python expression over rows (csv.DictReader of FILE) and jl (the JSONL
# export's items by id).
csvq() {
  python3 -c "import csv,json,sys
rows=list(csv.DictReader(open(sys.argv[1], newline='')))
jl={}
for l in open(sys.argv[2]):
    x=json.loads(l); jl[x['id']]=x
print(eval(sys.argv[3]))" "$1" "$T/p.jsonl" "$2"
}
run export p --format csv --out "$T/p.csv"
expect_rc "CSV export of a workflow project" 0
expect_eq "the CSV header keeps its columns and ends with the workflow's" "$(head -1 "$T/p.csv")" \
  "item,kind,annotator,label,value,score,created,guideline_version,schema_version,workflow_stage,lease_id,working_seconds,source,gold,data,status,item_state,final,final_confidence,final_method"
expect_eq "each label's status in the CSV" \
  "$(csvq "$T/p.csv" "[(r['annotator'], r['label'], r['status']) for r in rows if r['item']=='i1']")" \
  "[('ann1', 'a', 'rejected'), ('ann1', 'b', 'active'), ('ann2', 'b', 'active')]"
expect_eq "the complete item's state, final label, confidence and method on each of its rows" \
  "$(csvq "$T/p.csv" "sorted({(r['item_state'], json.dumps(json.loads(r['final'])), float(r['final_confidence']), r['final_method']) for r in rows if r['item']=='i1'})")" \
  "[('complete', '{\"label\": \"b\"}', 1.0, 'majority')]"
expect_eq "an item still queued: its state, and no final label" \
  "$(csvq "$T/p.csv" "[(r['kind'], r['item_state'], r['final'], r['final_confidence'], r['final_method']) for r in rows if r['item']=='i2']")" \
  "[('item', 'queued', '', '', '')]"
expect_eq "every CSV row says what the JSONL export's workflow object says" \
  "$(csvq "$T/p.csv" "[r['item'] for r in rows if (r['item_state'], json.loads(r['final']) if r['final'] else None, float(r['final_confidence']) if r['final_confidence'] else None, r['final_method'] or None) != tuple(jl[r['item']]['workflow'][k] for k in ('state','final','confidence','method'))] or 'all agree'")" \
  "all agree"
run export p-copy --format csv --out "$T/copy.csv"
expect_eq "without a workflow the five columns are empty" \
  "$(csvq "$T/copy.csv" "sorted({(r['status'], r['item_state'], r['final'], r['final_confidence'], r['final_method']) for r in rows})")" \
  "[('', '', '', '', '')]"
expect_eq "and the rows are the same rows" "$(csvq "$T/copy.csv" "len(rows)")" "$(csvq "$T/p.csv" "len(rows)")"

# --- flags, the manager's queue, pause ------------------------------------------------------
run workflow next p --as ann2; t4=$out
run workflow flag "$(lease_of "$t4")" --as ann2 --reason broken_data --comment "empty text"
expect_eq "the annotator's flag answer has no item_state" "$(jget "$out" '"item_state" in j')" "false"
expect_eq "a flagged item leaves the queue" "$(state_as p "$(jget "$t4" 'j["task"]["item"]["id"]')" boss)" "escalated"
run workflow queue p
expect_eq "the manager sees the flag" "$(jget "$out" '[f["reason"] for f in j["flagged"]]')" '["broken_data"]'
flagged=$(jget "$out" 'j["flagged"][0]["item"]')
run workflow requeue p "$flagged" --comment fixed
expect_eq "requeued" "$(jget "$out" 'j["item_state"]')" "queued"
run workflow pause p ann2 --reason "checking"
expect_rc "pause" 0
run workflow next p --as ann2
expect_eq "a paused annotator gets no task" "$(jget "$out" 'j["reason"]')" "paused"
run workflow resume p ann2
run workflow next p --as ann2
expect_eq "resumed: tasks again" "$(jget "$out" 'j["task"]["kind"]')" "label"
run workflow me p --as ann1
expect_eq "me: labels this week" "$(jget "$out" 'j["week"]["labels"]')" "2"
expect_eq "me: the reviewer's feedback" "$(jget "$out" '[f["verdict"] for f in j["feedback"]]')" '["accept", "reject"]'
expect_eq "me: an annotator gets no project counts, nor review or adjudication queues" \
  "$(jget "$out" '[j["counts"], j["queue"]["review"], j["queue"]["adjudicate"]]')" "[null, 0, 0]"
expect_eq "me: nor, with gold feedback off, their gold record beyond today's start" \
  "$(jget "$out" 'j["gold"]["as_of"].endswith("T00:00:00.000Z")')" "true"
expect_eq "me: queue.label is what they could still be given (they had i1, i2 and i3)" \
  "$(jget "$out" 'j["queue"]["label"]')" "0"
run workflow me p --as boss
expect_eq "me: a manager's has the project counts and the live gold record" \
  "$(jget "$out" '[sorted(j["counts"]), "as_of" in j["gold"]]')" \
  '[["adjudication", "complete", "escalated", "in_review", "queued", "rework"], false]'

# --- consolidation by inference over the project ----------------------------------------
run workflow consolidate p --method nonsense --json
expect_rc "an unknown method is refused" 1
expect_eq "naming the method" "$(jget "$out$err" 'j["error"]["field"]')" "method"
run workflow consolidate p --method ds
expect_rc "Dawid-Skene over the project" 0
expect_eq "the complete item is re-decided" "$(jget "$out" 'j["items_updated"]')" "1"
run workflow history p "$item1"
expect_eq "its final label records the method" "$(jget "$out" 'j["final"]["method"]')" "ds"
expect_eq "and keeps the agreed label" "$(jget "$out" 'j["final"]["value"]["label"]')" "b"

# --- skills, languages and caps -------------------------------------------------------------
run project create sk --schema "$T/schema.json"
cat >"$T/sk.jsonl" <<'JSONL'
{"id":"med1","text":"x","skills":["medical"]}
{"id":"de1","text":"y","language":"de"}
{"id":"plain1","text":"z"}
{"id":"plain2","text":"w"}
JSONL
run import items sk "$T/sk.jsonl"
for u in ann1 ann2; do "$LO" member add sk "$u" --role annotator >/dev/null; done
echo '{}' >"$T/wf0.json"; run workflow set sk "$T/wf0.json"
run workflow annotator sk ann2 --skills medical --languages de,fr
expect_eq "skills and languages set" "$(jget "$out" '[j["skills"], j["languages"]]')" '[["medical"], ["de", "fr"]]'
run workflow annotator sk ann1 --skills 'a,b' --cap 1
run workflow annotator sk ann1 --skills 'x,' --cap -1
expect_rc "a negative cap is refused" 1
expect_contains "naming cap_per_day" "$err" "cap_per_day"
run workflow next sk --as ann1
expect_eq "an item needing a skill the annotator lacks is passed over" "$(jget "$out" 'j["task"]["item"]["external_id"]')" "plain1"
run workflow submit "$(lease_of "$out")" --as ann1 --value '{"label":"a"}'
run workflow next sk --as ann1
expect_eq "the daily cap stops the annotator" "$(jget "$out" 'j["reason"]')" "cap"
run workflow next sk --as ann2
expect_eq "the skilled annotator gets the medical item" "$(jget "$out" 'j["task"]["item"]["external_id"]')" "med1"
run workflow submit "$(lease_of "$out")" --as ann2 --value '{"label":"a"}'
run workflow next sk --as ann2
expect_eq "and the German one" "$(jget "$out" 'j["task"]["item"]["external_id"]')" "de1"
run workflow annotators sk
expect_eq "the annotators with their figures" "$(jget "$out" 'sorted((a["user"], a["labels"], a["cap_per_day"]) for a in j["annotators"])')" '[["ann1", 1, 1], ["ann2", 1, 0]]'

# --- lot-based review: a full lot's Z1.4 sample decides it ----------------------------------
lot_project() { # lot_project NAME: 8 items, lots of 8 at AQL 6.5, every item labeled by ann1
  run project create "$1" --schema "$T/schema.json"
  for i in 1 2 3 4 5 6 7 8; do echo "{\"id\":\"$1-$i\",\"text\":\"t$i\"}"; done >"$T/$1.jsonl"
  run import items "$1" "$T/$1.jsonl"
  for u in ann1 rev1; do "$LO" member add "$1" "$u" --role "$([ "$u" = rev1 ] && echo reviewer || echo annotator)" >/dev/null; done
  echo '{"review":{"mode":"lot","lot_size":8,"aql":6.5}}' >"$T/lot.json"
  run workflow set "$1" "$T/lot.json"
  for i in 1 2 3 4 5 6 7 8; do
    run workflow next "$1" --as ann1
    run workflow submit "$(lease_of "$out")" --as ann1 --value '{"label":"a"}'
  done
}
review_all() { # review_all PROJECT VERDICT...: reviews what is offered; prints how many
  local n=0 v
  for v in "${@:2}"; do
    run workflow next "$1" --as rev1 --kind review
    [ "$(jget "$out" 'j["task"] is not None')" = true ] || break
    if [ "$v" = reject ]; then
      run workflow submit "$(lease_of "$out")" --as rev1 --verdict reject --reasons wrong_label
    else
      run workflow submit "$(lease_of "$out")" --as rev1 --verdict accept
    fi
    n=$((n + 1))
  done
  echo "$n"
}
echo '{"review":{"mode":"lot","aql":3}}' >"$T/badlot.json"
run workflow set p "$T/badlot.json" --json
expect_eq "an AQL outside Z1.4 is refused" "$(jget "$out$err" 'j["error"]["field"]')" "review.aql"
lot_project lotok
run workflow queue lotok
sample=$(python3 -c "import sqlite3; print(sqlite3.connect('$LABELOPS_DB').execute(\"select sample from lots l join projects p on p.id=l.project_id where p.name='lotok'\").fetchone()[0])")
expect_eq "a closed lot offers only its sample to reviewers" "$(review_all lotok accept accept accept accept accept accept accept accept accept)" "$sample"
expect_eq "the sample is smaller than the lot" "$([ "$sample" -lt 8 ] && echo yes)" "yes"
run workflow queue lotok
expect_eq "an accepted lot completes all its items" "$(jget "$out" 'j["counts"]["complete"]')" "8"
expect_eq "the queue shows the lot's verdict" "$(jget "$out" '[(l["state"], l["items"], l["defects"]) for l in j["lots"]]')" '[["accepted", 8, 0]]'
lot_project lotbad
expect_eq "a defect in the sample rejects the lot" "$(review_all lotbad reject accept accept accept accept accept accept accept accept accept)" "8"
run workflow history lotbad "$(python3 -c "import sqlite3; print(sqlite3.connect('$LABELOPS_DB').execute(\"select t.item_id from tasks t join projects p on p.id=t.project_id where p.name='lotbad' and t.state='complete' limit 1\").fetchone()[0])")"
expect_contains "a rejected lot sends every item to review" "$(jget "$out" '[e["kind"] for e in j["events"]]')" "item_accepted"

# --- items past the turnaround goal rise above every priority ---------------------------------
run project create late --schema "$T/schema.json" --turnaround 0.001
echo '{"id":"old","text":"waiting"}' >"$T/old.jsonl"
echo '{"id":"urgent","text":"new","priority":5}' >"$T/new.jsonl"
"$LO" member add late ann1 --role annotator >/dev/null
run import items late "$T/old.jsonl"
run workflow set late "$T/wf0.json"
sleep 4
run import items late "$T/new.jsonl"
run workflow next late --as ann1
expect_eq "the overdue item comes before a higher priority" "$(jget "$out" 'j["task"]["item"]["external_id"]')" "old"
run workflow queue late
expect_eq "and is reported" "$(jget "$out" '[o["item"] for o in j["overdue"]] != []')" "true"

# --- boxes with overlap 2: merged by consensus; an object only one drew is a tie -------------
cat >"$T/boxes.json" <<'JSON'
{"fields":[{"name":"objects","type":"boxes","classes":["car","tree"]}]}
JSON
run project create img --schema "$T/boxes.json"; expect_rc "a boxes project" 0
for i in 1 2; do echo "{\"id\":\"photo$i\",\"image\":\"p$i.png\",\"width\":200,\"height\":100}"; done >"$T/img.jsonl"
run import items img "$T/img.jsonl"
for u in ann1 ann2; do "$LO" member add img "$u" --role annotator >/dev/null; done
echo '{"overlap":{"k":2}}' >"$T/wf2.json"
run workflow set img "$T/wf2.json"; expect_rc "workflow on the boxes project" 0
img_item() { python3 -c "import sqlite3; print(sqlite3.connect('$LABELOPS_DB').execute(\"select i.id from items i join projects p on p.id=i.project_id where p.name='img' and i.external_id='$1'\").fetchone()[0])"; }
photo1=$(img_item photo1); photo2=$(img_item photo2)
# Each annotator labels both photos: on photo1 both draw the car (a little apart) and ann1 also
# a tree; on photo2 both draw the car only.
for u in ann1 ann2; do
  for _ in 1 2; do
    run workflow next img --as "$u"
    ext=$(jget "$out" 'j["task"]["item"]["external_id"]')
    x=10; [ "$u" = ann2 ] && x=12
    extra=""; [ "$u:$ext" = ann1:photo1 ] && extra=',{"x":150,"y":50,"w":10,"h":10,"label":"tree"}'
    run workflow submit "$(lease_of "$out")" --as "$u" --value "{\"objects\":[{\"x\":$x,\"y\":10,\"w\":40,\"h\":20,\"label\":\"car\"}$extra]}"
    expect_rc "$u labels $ext" 0
  done
done
expect_eq "two labels that agree on every object: complete" "$(state_as img "$photo2")" "complete"
run workflow history img "$photo2"
expect_eq "boxes merged by consensus" "$(jget "$out" 'j["final"]["method"]')" "consensus"
expect_eq "the car both drew, averaged" \
  "$(jget "$out" '[(b["label"], b["x"], b["w"]) for b in j["final"]["value"]["objects"]]')" '[["car", 11.0, 40.0]]'
expect_eq "a tree only one of two drew is a tie: adjudication" "$(state_as img "$photo1")" "adjudication"
run workflow history img "$photo1"
expect_contains "the event says so" "$out" "item_to_adjudication"
"$LO" member add img rev1 --role reviewer >/dev/null
run workflow next img --as rev1 --kind adjudicate
expect_eq "the adjudicator is given photo1" "$(jget "$out" 'j["task"]["item"]["external_id"]')" "photo1"
expect_eq "with both labels" "$(jget "$out" 'len(j["task"]["labels"])')" "2"
expect_eq "and the merge to start from: the car both drew, not the tree" \
  "$(jget "$out" '[(b["label"], b["x"]) for b in j["task"]["merged"]["objects"]]')" '[["car", 11.0]]'
# Overlap 3 on a third photo: the tree one of three drew is outvoted and dropped.
echo '{"id":"photo3","image":"p3.png","width":200,"height":100}' >"$T/img3.jsonl"
echo '{"overlap":{"k":3}}' >"$T/wf3.json"
run workflow set img "$T/wf3.json"; expect_rc "overlap 3 on the boxes project" 0
run import items img "$T/img3.jsonl"; expect_rc "a third photo" 0
photo3=$(img_item photo3)
echo "pw-ann3-0123456789" | "$LO" user add --role annotator ann3 >/dev/null
"$LO" member add img ann3 --role annotator >/dev/null
for u in ann1 ann2 ann3; do
  run workflow next img --as "$u"
  expect_eq "$u is given photo3" "$(jget "$out" 'j["task"]["item"]["external_id"]')" "photo3"
  extra=""; [ "$u" = ann1 ] && extra=',{"x":150,"y":50,"w":10,"h":10,"label":"tree"}'
  run workflow submit "$(lease_of "$out")" --as "$u" --value "{\"objects\":[{\"x\":10,\"y\":10,\"w\":40,\"h\":20,\"label\":\"car\"}$extra]}"
done
expect_eq "three labels, the tree one of three: complete" "$(state_as img "$photo3")" "complete"
run workflow history img "$photo3"
expect_eq "the tree dropped, the car kept" \
  "$(jget "$out" '[b["label"] for b in j["final"]["value"]["objects"]]')" '["car"]'
# With adjudicate_on any_disagreement, one of three leaving out an object is enough.
echo '{"id":"photo4","image":"p4.png","width":200,"height":100}' >"$T/img4.jsonl"
echo '{"overlap":{"k":3},"adjudicate_on":"any_disagreement"}' >"$T/wf4.json"
run workflow set img "$T/wf4.json"; expect_rc "any_disagreement on the boxes project" 0
run import items img "$T/img4.jsonl"
photo4=$(img_item photo4)
for u in ann1 ann2 ann3; do
  run workflow next img --as "$u"
  extra=""; [ "$u" = ann1 ] && extra=',{"x":150,"y":50,"w":10,"h":10,"label":"tree"}'
  run workflow submit "$(lease_of "$out")" --as "$u" --value "{\"objects\":[{\"x\":10,\"y\":10,\"w\":40,\"h\":20,\"label\":\"car\"}$extra]}"
done
expect_eq "any_disagreement: the tree one of three drew sends it to adjudication" "$(state_as img "$photo4")" "adjudication"

finish
