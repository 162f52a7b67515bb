#!/usr/bin/env bash
# Installs the non-Python tools `./dev bench` needs: wrk (HTTP load generator, LuaJIT
# scripts) and pgbench (the database baseline; Debian ships it in postgresql-client).
# anvil comes from tools/chain-tools.sh. Idempotent and quiet; `apt-get update` runs only
# when something is missing.
set -euo pipefail

# command on PATH -> Debian package that ships it
declare -A wanted=(
  [wrk]=wrk
  [pgbench]=postgresql-client
)

missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq >/dev/null
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
