#!/usr/bin/env bash
# test_agree.sh - `labelops agree`: every input shape, every metric, published values, undefined
# cases as null + reason, weights, the bootstrap interval, per-annotator output and errors.
source "$(dirname "$0")/lib.sh"
A="$REF/agreement"

# no_nan NAME: the last output parses as strict JSON (NaN and Infinity are not JSON).
no_nan() {
  if python3 -c 'import json,sys; json.loads(sys.stdin.read(), parse_constant=lambda c: sys.exit(1))' <<<"$out"; then
    ok "$1"
  else
    ko "$1" "output is not strict JSON: ${out:0:200}"
  fi
}

# --- Krippendorff (2011) data C, coders in rows (wide, transposed) ---------------------------
run agree "$A/krippendorff2011_C_coders_x_units.csv" --input wide --metric alpha --level ordinal --json
expect_rc "alpha ordinal on data C succeeds" 0
expect_near "alpha ordinal data C (Krippendorff 2011)" "$(jget "$out" 'j["value"]')" 0.8153875 5e-8
expect_eq "alpha reports its level" "$(jget "$out" 'j["level"]')" "ordinal"
expect_eq "unit 12 is not pairable" "$(jget "$out" 'j["pairable"]')" "40"
expect_eq "items" "$(jget "$out" 'j["items"]')" "12"
expect_eq "annotators" "$(jget "$out" 'j["annotators"]')" "4"

run agree "$A/krippendorff2011_C_coders_x_units.csv" --input wide --metric all --json
expect_rc "metric all succeeds" 0
expect_eq "all: alpha at four levels for numeric labels" \
  "$(jget "$out" '",".join(o["level"] for o in j if o["metric"]=="alpha")')" "nominal,ordinal,interval,ratio"
expect_near "all: alpha ratio" "$(jget "$out" '[o["value"] for o in j if o.get("level")=="ratio"][0]')" 0.7974028 5e-8
expect_eq "all: cohen with four annotators is null" "$(jget "$out" '[o["value"] for o in j if o["metric"]=="cohen"][0]')" "null"
expect_contains "all: cohen gives a reason" "$(jget "$out" '[o["reason"] for o in j if o["metric"]=="cohen"][0]')" "exactly two annotators"
expect_eq "all: fleiss with varying raters is null" "$(jget "$out" '[o["value"] for o in j if o["metric"]=="fleiss"][0]')" "null"
expect_contains "all: fleiss says why" "$(jget "$out" '[o["reason"] for o in j if o["metric"]=="fleiss"][0]')" "varies"
no_nan "no NaN in JSON"

# --- irrCAC cac.raw4raters (data C, coders in columns): the irrCAC README values ------------
f="$A/irrCAC_cac_raw4raters.csv"
for pair in "percent 0.8181818 1e-7" "ac1 0.77544 5e-6" "bp 0.77273 5e-6" "conger 0.76282 5e-6"; do
  set -- $pair
  run agree "$f" --input wide --metric "$1" --json
  expect_near "irrCAC raw4raters $1" "$(jget "$out" 'j["value"]')" "$2" "$3"
done
run agree "$f" --input wide --metric fleiss --json
expect_near "fleiss: Gwet's generalisation reported beside null" "$(jget "$out" 'j["generalized"]')" 0.76117 5e-6

# --- Fleiss (1971), wide without an item column ---------------------------------------------
run agree "$A/fleiss1971_diagnoses_raw.csv" --input wide --metric fleiss --json
expect_near "Fleiss 1971 kappa" "$(jget "$out" 'j["value"]')" 0.4302445 5e-8
expect_near "Fleiss 1971 category 3" "$(jget "$out" 'j["per_category"][2]["value"]')" 0.520 5e-4
run agree "$A/fleiss1971_diagnoses_raw.csv" --input wide --metric alpha --json
expect_near "Fleiss 1971 alpha nominal (complete data)" "$(jget "$out" 'j["value"]')" 0.4334098 5e-8
run agree "$A/fleiss1971_diagnoses_raw.csv" --input wide --metric fleiss
expect_rc "text output succeeds" 0
expect_contains "text shows fleiss" "$out" "fleiss"
expect_contains "text shows the value" "$out" "0.430245"

# --- counts ----------------------------------------------------------------------------------
run agree "$A/fleiss_wikipedia_counts.csv" --input counts --metric fleiss --json
expect_near "Wikipedia Fleiss kappa" "$(jget "$out" 'j["value"]')" 0.2099307 5e-8
expect_near "Wikipedia Fleiss P-bar" "$(jget "$out" 'j["observed"]')" 0.3780220 5e-8
expect_eq "counts: annotators = raters per item" "$(jget "$out" 'j["annotators"]')" "14"
run agree "$A/irrCAC_distrib_6raters.csv" --input counts --json
expect_near "distrib6 ac1" "$(jget "$out" '[o["value"] for o in j if o["metric"]=="ac1"][0]')" 0.4448007 1e-7
expect_near "distrib6 alpha" "$(jget "$out" '[o["value"] for o in j if o["metric"]=="alpha"][0]')" 0.4204384 1e-7
expect_near "distrib6 bp" "$(jget "$out" '[o["value"] for o in j if o["metric"]=="bp"][0]')" 0.4388889 1e-7
expect_eq "counts: only nominal alpha for named categories" "$(jget "$out" 'len([o for o in j if o["metric"]=="alpha"])')" "1"
run agree "$A/irrCAC_cac_dist4cat.csv" --input counts --metric ac1 --json
expect_near "dist4cat ac1 (Group column left out)" "$(jget "$out" 'j["value"]')" 0.3518903 1e-7

# --- table -----------------------------------------------------------------------------------
run agree "$A/irrCAC_cont3x3abstractors.csv" --input table --json
for pair in "cohen 0.7964094" "scott 0.7962397" "ac1 0.8493305" "bp 0.835" "alpha 0.7972585" "percent 0.89"; do
  set -- $pair
  expect_near "cont3x3 $1" "$(jget "$out" "[o['value'] for o in j if o['metric']=='$1'][0]")" "$2" 1e-7
done
run agree "$A/cohen1968_weighted_proportions.csv" --input table --n-obs 200 --metric cohen --json
expect_near "Cohen 1968 unweighted" "$(jget "$out" 'j["value"]')" 0.4915254 5e-8
expect_eq "n-obs gives the item count" "$(jget "$out" 'j["items"]')" "200"
printf '0,1,3\n1,0,6\n3,6,0\n' >"$T/w1968.csv"
printf 'a,b,c\n0,1,3\n1,0,6\n3,6,0\n' >"$T/w1968h.csv"
run agree "$A/cohen1968_weighted_proportions.csv" --input table --n-obs 200 --metric cohen --weights "$T/w1968h.csv" --json
expect_near "Cohen 1968 weighted, disagreement weight file" "$(jget "$out" 'j["value"]')" 0.3478261 5e-8
expect_eq "weights are named in the output" "$(jget "$out" 'j["weights"]')" "$T/w1968h.csv"

# --- weighted kappa on two raters (long format built from irr's anxiety data) -----------------
python3 - "$A/irr_anxiety_raw.csv" >"$T/anx2.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
print("item,annotator,label")
for i, r in enumerate(rows[1:], 1):
    print(f"s{i},rater1,{r[0]}")
    print(f"s{i},rater2,{r[1]}")
EOF
run agree "$T/anx2.csv" --metric cohen --weights linear --json
expect_near "anxiety linear weighted kappa (irr kappa2 equal)" "$(jget "$out" 'j["value"]')" 0.1891892 5e-8
run agree "$T/anx2.csv" --metric cohen --weights quadratic --json
expect_near "anxiety quadratic weighted kappa (irr kappa2 squared)" "$(jget "$out" 'j["value"]')" 0.2967651 5e-8
run agree "$A/irr_anxiety_raw.csv" --input wide --metric alpha --level interval --json
expect_near "anxiety alpha interval" "$(jget "$out" 'j["value"]')" 0.1700986 5e-8

# --- long input: repeats, JSONL, field mapping ------------------------------------------------
run agree "$A/dawid_skene1979_anesthesia.csv" --metric percent --json
expect_rc "Dawid-Skene long file reads" 0
expect_eq "repeated ratings are reported" "$(jget "$out" 'j["ignored_repeats"]')" "90"
expect_eq "first rating per annotator and item: 45 x 5" "$(jget "$out" 'j["pairable"]')" "225"
cat >"$T/l.jsonl" <<'EOF'
{"doc":"d1","who":"ann","tag":"pos"}
{"doc":"d1","who":"bob","tag":"pos"}
{"doc":"d2","who":"ann","tag":"neg"}
{"doc":"d2","who":"bob","tag":"pos"}
{"doc":"d3","who":"ann","tag":"neg"}
{"doc":"d3","who":"bob","tag":"neg"}
EOF
run agree "$T/l.jsonl" --item-field doc --annotator-field who --label-field tag --metric percent --json
expect_near "JSONL with mapped fields" "$(jget "$out" 'j["value"]')" 0.6666666667 1e-9
run agree "$T/l.jsonl" --item-field doc --annotator-field who --label-field tag --json
expect_eq "non-numeric labels: alpha only nominal" "$(jget "$out" 'len([o for o in j if o["metric"]=="alpha"])')" "1"

printf 'id,r1,r2\ni1,a,a\ni2,NA,b\ni3,b,b\ni4,-,-\n' >"$T/na.csv"
run agree "$T/na.csv" --input wide --metric percent --json
expect_near "wide: NA is missing (i2 not pairable, i4 agrees on '-')" "$(jget "$out" 'j["value"]')" 1 0
run agree "$T/na.csv" --input wide --metric percent --missing - --json
expect_near "wide: --missing chooses the marker (NA vs b disagree)" "$(jget "$out" 'j["value"]')" 0.6666666667 1e-9

# --- alpha against a by-definition computation (every ordered pair of values, explicit
# coincidence matrix) on real crowd data: Snow et al. (2008) anger, 100 items x 10 ratings,
# numbers 0..100 with "0" and "00" both present (one value at the metric levels).
cat >"$T/alpha_by_definition.py" <<'PYEOF'
import csv, itertools, sys
from collections import defaultdict
path, level = sys.argv[1], sys.argv[2]
units, seen = {}, set()
for r in csv.DictReader(open(path), delimiter="\t"):
    key = (r["orig_id"], r["!amt_worker_ids"])
    if key in seen:
        continue
    seen.add(key)
    v = r["response"] if level == "nominal" else float(r["response"])
    units.setdefault(r["orig_id"], []).append(v)
o = defaultdict(float)
for u in units.values():
    for i, j in itertools.permutations(range(len(u)), 2):
        o[(u[i], u[j])] += 1 / (len(u) - 1)
nc = defaultdict(float)
for (c, k), v in o.items():
    nc[c] += v
n = sum(nc.values())
vals = sorted(nc, key=str) if level == "nominal" else sorted(nc)
rank = {v: i for i, v in enumerate(vals)}
def d(c, k):
    if c == k:
        return 0
    if level == "nominal":
        return 1
    if level == "interval":
        return (c - k) ** 2
    if level == "ratio":
        return 0 if c + k == 0 else ((c - k) / (c + k)) ** 2
    a, b = sorted((rank[c], rank[k]))
    return (sum(nc[vals[g]] for g in range(a, b + 1)) - (nc[c] + nc[k]) / 2) ** 2
do = sum(v * d(c, k) for (c, k), v in o.items())
de = sum(nc[c] * nc[k] * d(c, k) for c in vals for k in vals)
print(1 - (n - 1) * do / de)
PYEOF
snow="$REF/crowd/snow2008/anger.standardized.tsv"
for lv in nominal ordinal interval ratio; do
  run agree "$snow" --metric alpha --level $lv --json
  want=$(python3 "$T/alpha_by_definition.py" "$snow" "$lv")
  expect_near "Snow anger alpha $lv equals the by-definition value" "$(jget "$out" 'j["value"]')" "$want" 1e-9
done

# --- undefined cases --------------------------------------------------------------------------
printf 'item,annotator,label\ni1,a,x\ni2,a,y\n' >"$T/one.csv"
run agree "$T/one.csv" --metric alpha --json
expect_rc "one annotator: still exit 0" 0
expect_eq "one annotator: alpha null" "$(jget "$out" 'j["value"]')" "null"
expect_contains "one annotator: reason" "$(jget "$out" 'j["reason"]')" "nothing to compare"
printf 'item,annotator,label\ni1,a,x\ni1,b,x\ni2,a,x\ni2,b,x\n' >"$T/same.csv"
run agree "$T/same.csv" --metric alpha --json
expect_contains "one value: alpha null with a reason" "$(jget "$out" 'j["reason"]')" "one value"
run agree "$T/same.csv" --json --ci 0.9
no_nan "metric all on one value has no NaN"

# --- bootstrap interval -----------------------------------------------------------------------
run agree "$A/fleiss1971_diagnoses_raw.csv" --input wide --metric alpha --ci 0.95 --bootstrap 300 --seed 11 --json
first="$(jget "$out" '[j["ci"]["low"], j["ci"]["high"]]')"
run agree "$A/fleiss1971_diagnoses_raw.csv" --input wide --metric alpha --ci 0.95 --bootstrap 300 --seed 11 --json
expect_eq "bootstrap is deterministic for a seed" "$(jget "$out" '[j["ci"]["low"], j["ci"]["high"]]')" "$first"
expect_eq "interval brackets alpha" "$(jget "$out" 'j["ci"]["low"] < j["value"] < j["ci"]["high"]')" "true"
run agree "$A/fleiss1971_diagnoses_raw.csv" --input wide --metric alpha --ci 0.95 --bootstrap 300 --seed 12 --json
if [ "$(jget "$out" '[j["ci"]["low"], j["ci"]["high"]]')" != "$first" ]; then ok "another seed, another interval"; else ko "another seed, another interval" "same"; fi

# --- per annotator ----------------------------------------------------------------------------
run agree "$T/l.jsonl" --item-field doc --annotator-field who --label-field tag --by-annotator --json
expect_eq "by-annotator names" "$(jget "$out" '",".join(j["annotators"])')" "ann,bob"
expect_near "by-annotator pairwise" "$(jget "$out" 'j["pairwise"][0][1]')" 0.6666666667 1e-9
expect_near "by-annotator vs rest" "$(jget "$out" 'j["vs_rest"][1]["value"]')" 0.6666666667 1e-9
run agree "$T/l.jsonl" --item-field doc --annotator-field who --label-field tag --by-annotator --metric cohen --json
expect_eq "metric and by-annotator together" "$(jget "$out" 'sorted(j.keys())')" '["agreement", "by_annotator"]'

# --- errors -----------------------------------------------------------------------------------
run agree "$T/missing.csv" --json
expect_rc "missing file is exit 1" 1
expect_contains "missing file error is JSON" "$err" '"error"'
run agree "$T/one.csv" --metric kappa
expect_rc "unknown metric is a usage error" 2
run agree "$T/one.csv" --level nominalish
expect_rc "unknown level is a usage error" 2
run agree "$T/one.csv" --input sideways --json
expect_rc "unknown input shape is a usage error" 2
run agree "$T/one.csv" --ci 2
expect_rc "--ci outside (0,1) is a usage error" 2
run agree --project p1
expect_rc "--project on a database without the project is bad input" 1
expect_contains "the missing project is named" "$err" "p1"
run agree --project p1 extra.csv
expect_rc "--project and a FILE together is a usage error" 2
run agree "$A/irrCAC_cont3x3abstractors.csv" --input table --metric cohen --weights "$T/w1968.csv"
expect_rc "weights with a table: 3 classes, 3x3 weights" 0
printf '1,0\n0,1\n' >"$T/w2.csv"
run agree "$A/irrCAC_cont3x3abstractors.csv" --input table --metric cohen --weights "$T/w2.csv" --json
expect_rc "weight matrix of the wrong size is bad input" 1

finish
