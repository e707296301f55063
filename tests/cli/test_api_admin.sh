#!/usr/bin/env bash
# test_api_admin.sh - runs the administration API tests (tests/api/test_api_admin.py: users,
# vendors, project members, API tokens, the audit log) against the real server, started on a
# free loopback port by the test itself. Prints ok/FAIL lines and "N passed, N failed".
source "$(dirname "$0")/lib.sh"
rm -rf "$T"
exec python3 "$(dirname "$0")/../api/test_api_admin.py" "$LO"
