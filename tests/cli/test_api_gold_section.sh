#!/usr/bin/env bash
# test_api_gold_section.sh - a gold item's guideline section (tests/api/test_api_gold_section.py):
# imported with the item, given in the gold feedback of a submit, refused when bad (line and
# field named, nothing imported), kept by export and re-import.
# Prints ok/FAIL lines and "N passed, N failed".
source "$(dirname "$0")/lib.sh"
rm -rf "$T"
exec python3 "$(dirname "$0")/../api/test_api_gold_section.py" "$LO"
