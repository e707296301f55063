#!/usr/bin/env bash
# test_api_matrix.sh - the authorization matrix (tests/api/test_api_matrix.py): every route x
# every kind of caller against the real server on a fresh database, the status checked against
# docs/access.md and the database unchanged after every denied write. Prints ok/FAIL lines and
# "N passed, N failed".
source "$(dirname "$0")/lib.sh"
rm -rf "$T"
exec python3 "$(dirname "$0")/../api/test_api_matrix.py" "$LO"
