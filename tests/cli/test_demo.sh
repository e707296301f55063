#!/usr/bin/env bash
# test_demo.sh - the README's demo, scripts/demo.sh (tests/api/test_demo.py): it runs to the end,
# its printed passwords sign in, the annotator has something to label in every browser project.
# Prints ok/FAIL lines and "N passed, N failed".
source "$(dirname "$0")/lib.sh"
rm -rf "$T"
exec python3 "$(dirname "$0")/../api/test_demo.py" "$LO"
