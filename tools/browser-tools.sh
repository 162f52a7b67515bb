#!/usr/bin/env bash
# Installs what the browser suite (tests/browser, `./dev test-browser`) drives: Debian's
# Chromium. Playwright itself is a Python package from the lock; its own browser download
# is never used (it cannot be fetched here, and Debian's build is the one kept patched).
# Fonts for the screenshots come with chromium's recommended fonts-liberation. Idempotent
# and quiet; `apt-get update` runs only when something is missing.
set -euo pipefail

command -v chromium >/dev/null 2>&1 && exit 0

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
echo "browser-tools: installing Debian's chromium" >&2
"${sudo_cmd[@]}" apt-get update -qq >/dev/null
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
command -v chromium >/dev/null
