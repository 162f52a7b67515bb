#!/usr/bin/env bash
# Installs what the browser suite (tests/browser, `./dev test-browser`) drives: Debian's
# Chromium, and axe-core (the accessibility engine the suite runs in each page) from the
# npm registry, pinned, into $HOTPOT_TOOLS_DIR. Playwright itself is a Python package from the lock; its own browser download
# is never used (it cannot be fetched here, and Debian's build is the one kept patched).
# Fonts for the screenshots come with chromium's recommended fonts-liberation. Idempotent
# and quiet; `apt-get update` runs only when something is missing.
set -euo pipefail

AXE_VERSION=4.14.1
tools_dir="${HOTPOT_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hotpot/tools}"
axe_dir="$tools_dir/axe-core-$AXE_VERSION"
if [ ! -f "$axe_dir/axe.min.js" ]; then
  command -v npm >/dev/null || { echo "browser-tools: npm is needed for axe-core" >&2; exit 1; }
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null && tar xzf "axe-core-$AXE_VERSION.tgz")
  mkdir -p "$axe_dir"
  cp "$work/package/axe.min.js" "$work/package/LICENSE" "$axe_dir/"
  rm -rf "$work"
fi

command -v chromium >/dev/null 2>&1 && exit 0

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
echo "browser-tools: installing Debian's chromium" >&2
"${sudo_cmd[@]}" apt-get update -qq >/dev/null
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
command -v chromium >/dev/null
