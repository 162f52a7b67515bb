#!/usr/bin/env bash
# Installs the non-Python tools the monitoring tests need: Prometheus + promtool (rule unit
# tests, config checks, the end-to-end scrape), and Alertmanager's amtool (config check).
# Idempotent and quiet; `apt-get update` runs only when something is missing.
set -euo pipefail

# command on PATH -> Debian package that ships it
declare -A wanted=(
  [prometheus]=prometheus
  [promtool]=prometheus
  [amtool]=prometheus-alertmanager
)

missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

# unique package names, stable order
mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq >/dev/null
# policy-rc.d 101 keeps the packages' postinst from starting system daemons we do not want
# (the tests start their own Prometheus on a free loopback port).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
  "${sudo_cmd[@]}" chmod +x "$policy"
  created_policy=1
fi
cleanup() { if [ "$created_policy" -eq 1 ]; then "${sudo_cmd[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
