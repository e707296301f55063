#!/usr/bin/env bash
# test_aggregate.sh - `labelops aggregate`: outputs, published values through the CLI, errors.
. "$(dirname "$0")/lib.sh"

DS79="$REF/agreement/dawid_skene1979_anesthesia.csv"
DP="$REF/crowd/zheng_D_Product"

# Dawid & Skene (1979): converged log-likelihood -192.8909, patient 2 is class 4.
run aggregate "$DS79" --method ds --out "$T/ds.csv" --posteriors-out "$T/post.csv" \
    --annotators-out "$T/ann.csv" --json
expect_rc "ds 1979 runs" 0
expect_near "ds 1979 log-likelihood" "$(jget "$out" 'j["log_likelihood"]["value"]')" -192.8909 5e-5
expect_eq "ds 1979 converged" "$(jget "$out" 'j["converged"]')" "true"
expect_eq "labels header" "$(head -1 "$T/ds.csv")" "item,label,confidence"
expect_eq "patient 2 is class 4" "$(grep '^2,' "$T/ds.csv" | cut -d, -f2)" "4"
expect_eq "posteriors header" "$(head -1 "$T/post.csv")" "item,1,2,3,4"
expect_eq "45 items written" "$(tail -n +2 "$T/ds.csv" | wc -l)" "45"
expect_contains "annotators carry confusion cells" "$(head -1 "$T/ann.csv")" "p(1|1)"

# The README accuracy table: majority vote and Dawid-Skene on D_Product.
run aggregate "$DP/answer.csv" --gold "$DP/truth.csv" --method mv --out "$T/mv.csv" --json
expect_rc "mv D_Product runs" 0
expect_eq "mv accuracy matched" "$(jget "$out" 'j["accuracy"]["matched"]')" "7455"
expect_eq "mv log-likelihood is null" "$(jget "$out" 'j["log_likelihood"]["value"]')" "null"
expect_contains "mv says why" "$out" '"reason"'
run aggregate "$DP/answer.csv" --gold "$DP/truth.csv" --method ds --out "$T/dp.csv"
expect_contains "ds D_Product accuracy in text" "$out" "accuracy against gold 0.9397 (7814 of 8315"

# Options reach the library.
run aggregate "$DS79" --method ds --out "$T/x.csv" --max-iter 3 --json
expect_eq "max-iter caps iterations" "$(jget "$out" 'j["iterations"]')" "3"
expect_eq "not converged at the cap" "$(jget "$out" 'j["converged"]')" "false"
run aggregate "$REF/crowd/snow2008/rte.standardized.tsv" --method glad --out "$T/g.csv" --json
expect_rc "glad on TSV runs" 0
run aggregate "$REF/crowd/snow2008/rte.standardized.tsv" --method mace --restarts 2 --seed 5 \
    --out "$T/m1.csv"
run aggregate "$REF/crowd/snow2008/rte.standardized.tsv" --method mace --restarts 2 --seed 5 \
    --out "$T/m2.csv"
expect_eq "mace with a seed is deterministic" "$(cmp -s "$T/m1.csv" "$T/m2.csv"; echo $?)" "0"

# Errors: usage is 2, bad input is 1, JSON errors under --json.
run aggregate "$DS79" --method nope --out "$T/x.csv"
expect_rc "unknown method is a usage error" 2
run aggregate "$DS79" --method ds
expect_rc "missing --out is a usage error" 2
run aggregate "$DS79" --method ds --out "$T/x.csv" --tol abc
expect_rc "malformed --tol is a usage error" 2
run aggregate "$T/missing.csv" --method ds --out "$T/x.csv" --json
expect_rc "missing file is bad input" 1
expect_contains "error is JSON" "$err" '{"error":'
run aggregate "$DS79" --method wmv --out "$T/x.csv" --json
expect_rc "wmv without gold is bad input" 1
expect_contains "wmv says it needs gold" "$err" "gold"

finish
