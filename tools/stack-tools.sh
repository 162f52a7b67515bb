#!/usr/bin/env bash
# Installs every server the local stack (`./dev stack up`, tools/stack/) runs: Debian's
# nginx, PostgreSQL, Redis, Prometheus, Alertmanager and the three exporters, plus anvil
# and the js-ipfs node through their own scripts (npm). moto (the S3 endpoint) is a pip
# requirement of the project venv (requirements/deploy.txt).
# Idempotent and quiet; `apt-get update` runs only when a package is missing, and the
# packages' own system services are kept from starting (the stack starts its own).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

debs=(
  nginx-light openssl
  postgresql-15 postgresql-client
  redis-server
  prometheus prometheus-alertmanager
  prometheus-postgres-exporter prometheus-redis-exporter prometheus-node-exporter
  awscli
)

missing=()
for pkg in "${debs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("${pkg}")
  fi
done

if ((${#missing[@]})); then
  sudo_cmd=()
  [[ "$(id -u)" == 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d 101 keeps the packages' postinst from starting system daemons on the
  # ports the stack (or the machine's own servers) use.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [[ ! -e "${policy}" ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "${policy}" >/dev/null
    "${sudo_cmd[@]}" chmod +x "${policy}"
    created_policy=1
  fi
  cleanup() { if [[ "${created_policy}" == 1 ]]; then "${sudo_cmd[@]}" rm -f "${policy}"; fi; }
  trap cleanup EXIT
  echo "stack-tools: installing ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update -qq >/dev/null
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash "${root}/tools/chain-tools.sh" install
bash "${root}/tools/ipfs-node.sh" install
