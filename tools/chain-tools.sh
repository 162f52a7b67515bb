#!/usr/bin/env bash
# A local EVM JSON-RPC dev node (anvil, from npm `@foundry-rs/anvil`) for the embedded
# chain, the settlement tests and the settlement benchmark.
#
#   tools/chain-tools.sh install     # idempotent; prints nothing when already installed
#   tools/chain-tools.sh path        # installs if needed, prints the anvil binary's path
#   tools/chain-tools.sh start PORT STATE_FILE
#       installs if needed, then execs anvil in the foreground on 127.0.0.1:PORT with
#       `--state STATE_FILE` (loaded at start, written on SIGINT/SIGTERM).
#
# The npm package ships one binary per platform as an optional dependency
# (@foundry-rs/anvil-linux-amd64, -linux-arm64, -darwin-*), so npm installs only the
# one for this machine's architecture; we look it up in that package's folder.
set -euo pipefail

ANVIL_VERSION="1.7.1"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${HOTPOT_TOOLS_DIR:-$ROOT/.tools}/anvil"
MARKER="$TOOLS_DIR/.installed"

die() { echo "chain-tools.sh: $*" >&2; exit 1; }

platform() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) die "unsupported OS $(uname -s)" ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "unsupported architecture $(uname -m)" ;;
  esac
  echo "$os-$arch"
}

binary() {
  local dir
  dir="$TOOLS_DIR/node_modules/@foundry-rs/anvil-$(platform)"
  local found
  found="$(find "$dir" -type f -name anvil 2>/dev/null | head -n 1)"
  [[ -n "$found" ]] || return 1
  echo "$found"
}

install() {
  if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$ANVIL_VERSION" ]] && binary >/dev/null; then
    return 0
  fi
  command -v npm >/dev/null || die "npm is not installed (needed to fetch @foundry-rs/anvil)"
  mkdir -p "$TOOLS_DIR"
  echo "chain-tools.sh: installing npm @foundry-rs/anvil@$ANVIL_VERSION into $TOOLS_DIR" >&2
  [[ -f "$TOOLS_DIR/package.json" ]] || echo '{"private": true}' >"$TOOLS_DIR/package.json"
  npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --loglevel=error \
    --save-exact "@foundry-rs/anvil@$ANVIL_VERSION" >&2
  local bin
  bin="$(binary)" || die "npm installed no anvil binary for $(platform)"
  chmod +x "$bin"
  "$bin" --version >/dev/null || die "$bin does not run on this machine"
  echo "$ANVIL_VERSION" >"$MARKER"
}

case "${1:-}" in
  ""|install) install ;;  # no argument: what ./dev test runs before the suites
  path) install; binary ;;
  start)
    [[ $# -eq 3 ]] || die "usage: $0 start PORT STATE_FILE"
    install
    mkdir -p "$(dirname "$3")"
    exec "$(binary)" --host 127.0.0.1 --port "$2" --state "$3" --silent
    ;;
  *) die "usage: $0 install | path | start PORT STATE_FILE" ;;
esac
