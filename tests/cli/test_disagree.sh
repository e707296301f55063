#!/usr/bin/env bash
# test_disagree.sh - `labelops disagree`: confusion pairs, uncertain items, annotators against the
# consensus, on a hand-computed file and on Dawid & Skene (1979).
source "$(dirname "$0")/lib.sh"

# i1: cat dog cat; i2: cat x3; i3: dog bird cat; i4: dog dog; i5: bird (see tests/unit/test_disagree.c)
cat >"$T/pets.csv" <<'EOF'
item,annotator,label
i1,a,cat
i1,b,dog
i1,c,cat
i2,a,cat
i2,b,cat
i2,c,cat
i3,a,dog
i3,b,bird
i3,c,cat
i4,a,dog
i4,b,dog
i5,a,bird
EOF

run disagree "$T/pets.csv"
expect_rc "text output succeeds" 0
expect_contains "text lists the top confusion pair" "$out" "cat / dog  2 items (50.0%), 3 disagreeing rating pairs"
expect_contains "text lists the most uncertain item first" "$out" "1. i3  entropy 1.5850"

run disagree "$T/pets.csv" --json
expect_rc "json output succeeds" 0
expect_eq "top pair is cat/dog" "$(jget "$out" 'j["confusion_pairs"][0]["a"]+"/"+j["confusion_pairs"][0]["b"]')" "cat/dog"
expect_eq "top pair items" "$(jget "$out" 'j["confusion_pairs"][0]["items"]')" "2"
expect_eq "top pair rating pairs" "$(jget "$out" 'j["confusion_pairs"][0]["rating_pairs"]')" "3"
expect_eq "items with several labels" "$(jget "$out" 'j["items_multi"]')" "4"
expect_eq "most uncertain item" "$(jget "$out" 'j["uncertain_items"][0]["item"]')" "i3"
expect_near "its entropy is log2(3)" "$(jget "$out" 'j["uncertain_items"][0]["entropy"]')" 1.5849625007 1e-9
expect_near "annotator a agrees on 4 of 5" "$(jget "$out" 'j["annotator_confusion"][0]["agreement"]["value"]')" 0.8 1e-12
expect_eq "annotator b said dog where the consensus is cat" "$(jget "$out" 'j["annotator_confusion"][1]["confusion"][1][2]')" "1"
expect_eq "no NaN in JSON" "$(grep -ci nan <<<"$out")" "0"

run disagree "$T/pets.csv" --json --top 1
expect_eq "--top limits the pairs" "$(jget "$out" 'len(j["confusion_pairs"])')" "1"
expect_eq "--top limits the items" "$(jget "$out" 'len(j["uncertain_items"])')" "1"

# Dawid & Skene (1979): the EM log-likelihood -192.8909 and the published MAP classes
# (18 patients of class 1, 19 of 2, 5 of 3, 3 of 4; 7 ratings each) as the consensus.
run disagree "$REF/agreement/dawid_skene1979_anesthesia.csv" --consensus ds --json
expect_rc "ds consensus succeeds" 0
expect_near "ds log-likelihood" "$(jget "$out" 'j["loglik"]')" -192.8909 1e-4
expect_eq "ds consensus rows are the published MAP classes x 7 ratings" \
  "$(jget "$out" '[sum(sum(a["confusion"][k]) for a in j["annotator_confusion"]) for k in range(4)]')" \
  "[126, 133, 35, 21]"
expect_eq "observer 1's three replicates all count" "$(jget "$out" 'j["annotator_confusion"][0]["compared"]')" "135"
expect_eq "ds entropies are below 1 bit on this data" "$(jget "$out" 'all(u["entropy"] < 1 for u in j["uncertain_items"])')" "true"

# One annotator: nothing to confuse, nothing uncertain, every statistic still defined.
printf 'item,annotator,label\nx,a,1\ny,a,2\n' >"$T/one.csv"
run disagree "$T/one.csv" --json
expect_rc "one annotator succeeds" 0
expect_eq "no confusion pairs" "$(jget "$out" 'len(j["confusion_pairs"])')" "0"
expect_eq "entropy zero" "$(jget "$out" 'j["uncertain_items"][0]["entropy"]')" "0.0"

run disagree "$T/missing.csv" --json
expect_rc "missing file is bad input" 1
expect_contains "error is JSON" "$err" '"error"'
run disagree "$T/pets.csv" --consensus glad
expect_rc "unknown consensus is a usage error" 2
run disagree
expect_rc "no FILE is a usage error" 2
run disagree "$T/pets.csv" --top 0
expect_rc "--top 0 is a usage error" 2
run disagree "$T/pets.csv" --top many --json
expect_rc "--top needs a number" 2

finish
