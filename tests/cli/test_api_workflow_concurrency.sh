#!/usr/bin/env bash
# test_api_workflow_concurrency.sh - the workflow's concurrency guarantees against the real server
# (tests/api/test_api_workflow_concurrency.py): 200 annotators asking for a task at once, repeated
# submits with one Idempotency-Key, stale If-Match edits. Prints "N passed, N failed".
source "$(dirname "$0")/lib.sh"
rm -rf "$T"
exec python3 "$(dirname "$0")/../api/test_api_workflow_concurrency.py" "$LO"
