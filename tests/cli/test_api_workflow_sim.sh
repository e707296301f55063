#!/usr/bin/env bash
# test_api_workflow_sim.sh - a labeling run simulated through the real server
# (tests/api/test_api_workflow_sim.py, small scale): dynamic overlap and gold against majority
# vote of three on the same simulated answers; near-chance annotators paused. Prints
# "N passed, N failed".
source "$(dirname "$0")/lib.sh"
rm -rf "$T"
exec python3 "$(dirname "$0")/../api/test_api_workflow_sim.py" "$LO"
