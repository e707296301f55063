#!/usr/bin/env bash
# test_audit.sh - `labelops gold`, `sample-plan`, `sample-size` and `drift` run as a user would,
# checked against tests/fixtures/reference/ops-vectors.md and a hand-computed gold file.
source "$(dirname "$0")/lib.sh"

# --- gold ---------------------------------------------------------------------------------
# a: i1 right, i2 wrong; b: i1 right, i2 right, i4 wrong (gold 'q' is no label anyone gave);
# i3 has no gold and is ignored.
cat >"$T/labels.csv" <<'CSV'
item,annotator,label,gold
i1,a,x,x
i2,a,y,x
i3,a,x,
i1,b,x,x
i2,b,x,x
i4,b,z,q
CSV
run gold "$T/labels.csv" --json
expect_rc "gold succeeds" 0
expect_eq "gold items counted" "$(jget "$out" 'j["gold_items"]')" "3"
expect_eq "items without gold counted" "$(jget "$out" 'j["items_without_gold"]')" "1"
expect_eq "b scored 2 of 3" "$(jget "$out" '[j["annotators"][1]["correct"], j["annotators"][1]["total"]]')" "[2, 3]"
expect_eq "few answers keep sampling" "$(jget "$out" 'j["annotators"][0]["sprt"]["decision"]')" "continue"
expect_near "SPRT upper threshold" "$(jget "$out" 'j["sprt"]["upper"]')" 2.9444 5e-5

# 18 of 20 right with a uniform prior: posterior mean 0.8636, P(acc < 0.9) 0.6484 (section 3);
# Wilson interval of 18/20.
{
  echo "item,annotator,label"
  for i in $(seq 1 20); do
    if [ "$i" -le 18 ]; then echo "q$i,ann,good"; else echo "q$i,ann,bad"; fi
  done
} >"$T/ann.csv"
{ echo "item,label"; for i in $(seq 1 20); do echo "q$i,good"; done; } >"$T/gold.csv"
run gold "$T/ann.csv" --gold "$T/gold.csv" --prior 1,1 --target 0.9 --json
expect_rc "gold with --gold file" 0
expect_near "posterior mean 18/20" "$(jget "$out" 'j["annotators"][0]["posterior"]["mean"]')" 0.8636 5e-5
expect_near "P(acc<0.9) 18/20" "$(jget "$out" 'j["annotators"][0]["p_below_target"]')" 0.6484 5e-5
run gold "$T/ann.csv" --gold "$T/gold.csv" --prior 8,2 --target 0.8 --json
expect_near "P(acc<0.8) 18/20 Beta(8,2)" "$(jget "$out" 'j["annotators"][0]["p_below_target"]')" 0.1404 5e-5

run gold "$T/ann.csv" --json
expect_rc "no gold at all is bad input" 1
expect_contains "no gold error is JSON" "$err" '"error"'
run gold "$T/labels.csv" --prior 0,1
expect_rc "bad prior is a usage error" 2

# --- sample-plan ----------------------------------------------------------------------------
run sample-plan --lot 100 --aql 1.5 --json
expect_rc "sample-plan succeeds" 0
expect_eq "F down to G, 32, 1/2" "$(jget "$out" '[j["code_letter"], j["letter"], j["n"], j["ac"], j["re"]]')" '["F", "G", 32, 1, 2]'
run sample-plan --lot 3 --aql 1.0 --json
expect_eq "tiny lot is inspected 100%" "$(jget "$out" '[j["letter"], j["full_inspection"], j["inspect"]]')" '["E", true, 3]'
run sample-plan --lot 1000 --aql 2.5 --severity tightened --json
expect_eq "tightened J 80 3/4" "$(jget "$out" '[j["n"], j["ac"], j["re"]]')" "[80, 3, 4]"
run sample-plan --lot 1000 --aql 0.65 --json
expect_near "Pa(1%) of n=80 Ac=1" "$(jget "$out" '[o["pa"] for o in j["oc"] if abs(o["p"]-0.01)<1e-9][0]')" 0.8088 5e-4
run sample-plan --lot 1000 --aql 2.0
expect_rc "AQL outside the table is a usage error" 2
run sample-plan --lot 1000 --aql 1.0 --level IV
expect_rc "unknown level is a usage error" 2

# --- sample-size ----------------------------------------------------------------------------
run sample-size --margin 0.05 --json
expect_eq "p .5 E .05 -> 385" "$(jget "$out" 'j["n"]')" "385"
run sample-size --margin 0.02 --p 0.95 --population 2000 --json
expect_eq "p .95 E .02 N 2000 -> 372" "$(jget "$out" 'j["n"]')" "372"
run sample-size --zero-defect --defect-rate 0.05 --json
expect_eq "zero-defect 5% -> 59" "$(jget "$out" 'j["n"]')" "59"
run sample-size --margin 1.5
expect_rc "margin out of range is a usage error" 2

# --- drift ----------------------------------------------------------------------------------
run drift --before 460/500 --after 425/500 --json
expect_rc "two-proportion succeeds" 0
expect_near "chi-square 12.04" "$(jget "$out" 'j["chi2"]["value"]')" 12.04 5e-3
expect_near "p 0.000522" "$(jget "$out" 'j["p_value"]["value"]')" 0.000522 5e-7
expect_near "CI low 0.0307" "$(jget "$out" 'j["ci"]["lo"]')" 0.0307 5e-5
run drift --before 5/5 --after 3/3 --json
expect_rc "degenerate proportions still answer" 0
expect_eq "undefined chi-square is null with a reason" "$(jget "$out" '[j["chi2"]["value"], "reason" in j["chi2"]]')" "[null, true]"
expect_contains "never NaN" "$out" '"value":null'
run drift --psi --expected .5,.3,.2 --actual .4,.35,.25 --json
expect_near "PSI 0.0412" "$(jget "$out" 'j["value"]')" 0.0412 5e-5
run drift --psi --expected .5,.3,.2 --actual .5,.5,0 --json
expect_eq "empty bin makes PSI null" "$(jget "$out" 'j["value"]')" "null"
run drift --pchart --pbar 0.04 --n 200 --json
expect_near "p-chart UCL" "$(jget "$out" 'j["ucl"]')" 0.0816 5e-5
run drift --ewma --lambda 0.1 --target 10 --sigma 1 --sigmas 2.7 --series 9.45,7.99 --json
expect_near "EWMA first UCL" "$(jget "$out" 'j["points"][0]["ucl"]')" 10.27 1e-9
run drift --before 1/2 --psi
expect_rc "two modes at once is a usage error" 2
run drift --before 3/2 --after 1/2 --json
expect_rc "count above total is a usage error" 2
expect_contains "usage error is JSON" "$err" '"usage"'

finish
