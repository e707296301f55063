#!/usr/bin/env bash
# install-deps.sh - installs what labelops needs to build, test and benchmark on Debian 12.
# Runs apt-get only when something is missing, so a warm machine starts at once.
set -euo pipefail

PACKAGES=(
  build-essential meson ninja-build pkg-config
  libjansson-dev libsqlite3-dev libsodium-dev libmicrohttpd-dev
  sqlite3 python3 python3-numpy python3-yaml time
  clang libclang-rt-14-dev wrk
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# The browser tests run playwright-core (npm) under Node.js: any node with npm will do (a
# nodesource nodejs brings its own npm; Debian's needs the npm package).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
