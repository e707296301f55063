#!/usr/bin/env bash
# test_api_ui.sh - what the server does for the browser UI (tests/api/test_api_ui.py): the UI's
# files and their headers, --web-dir, the media route and its confinement to --media-root.
# Prints ok/FAIL lines and "N passed, N failed".
source "$(dirname "$0")/lib.sh"
rm -rf "$T"
exec python3 "$(dirname "$0")/../api/test_api_ui.py" "$LO"
