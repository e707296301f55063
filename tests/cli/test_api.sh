#!/usr/bin/env bash
# test_api.sh - runs the HTTP API tests (tests/api/test_api.py) against the real server, started
# on a free loopback port by the test itself. Prints ok/FAIL lines and "N passed, N failed".
source "$(dirname "$0")/lib.sh"
rm -rf "$T"
exec python3 "$(dirname "$0")/../api/test_api.py" "$LO"
