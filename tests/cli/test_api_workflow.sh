#!/usr/bin/env bash
# test_api_workflow.sh - the workflow routes (tests/api/test_api_workflow.py) against the real
# server: configuration, tasks and leases, review and rework, overlap, adjudication, flags and the
# manager's queue, gold and pauses, annotation edits, idempotent submits, pre-labels. Prints
# ok/FAIL lines and "N passed, N failed".
source "$(dirname "$0")/lib.sh"
rm -rf "$T"
exec python3 "$(dirname "$0")/../api/test_api_workflow.py" "$LO"
