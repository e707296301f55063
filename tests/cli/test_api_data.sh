#!/usr/bin/env bash
# test_api_data.sh - the data routes of a project (tests/api/test_api_data.py) against the real
# server: items, guidelines, agreement, aggregation. Prints ok/FAIL lines and "N passed, N failed".
source "$(dirname "$0")/lib.sh"
rm -rf "$T"
exec python3 "$(dirname "$0")/../api/test_api_data.py" "$LO"
