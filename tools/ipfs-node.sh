#!/usr/bin/env bash
# A real IPFS node that speaks the Kubo RPC API, for tests and local runs.
#
# It is js-ipfs (npm `ipfs`, pinned below) run offline on loopback: no Swarm
# listeners, no bootstrap peers, no delegates, so it never dials the network.
#
#   tools/ipfs-node.sh install                       # idempotent; fast when present
#   tools/ipfs-node.sh start REPO_DIR API_PORT GATEWAY_PORT
#       installs if needed, inits REPO_DIR once, then execs the daemon in the
#       foreground (stop it with SIGTERM/SIGINT).
set -euo pipefail

IPFS_VERSION="0.66.1"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${HOTPOT_TOOLS_DIR:-$ROOT/.tools}/ipfs"
CLI="$TOOLS_DIR/node_modules/ipfs/src/cli.js"
POLYFILL="$TOOLS_DIR/polyfill.mjs"

die() { echo "ipfs-node.sh: $*" >&2; exit 1; }

require_node() {
  command -v node >/dev/null || die "node is not installed (Node >= 20 needed)"
  command -v npm >/dev/null || die "npm is not installed"
}

# Written only after a complete install, so an interrupted npm run is redone next time.
MARKER="$TOOLS_DIR/.installed"

installed_version() {
  [[ -f "$MARKER" ]] && cat "$MARKER"
  return 0
}

write_polyfill() {
  # js-ipfs 0.66 dependencies call Promise.withResolvers, which Node 20 lacks.
  cat >"$POLYFILL.tmp" <<'JS'
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve
    let reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
JS
  mv "$POLYFILL.tmp" "$POLYFILL"
}

install() {
  require_node
  mkdir -p "$TOOLS_DIR"
  if [[ "$(installed_version)" != "$IPFS_VERSION" ]]; then
    echo "ipfs-node.sh: installing npm ipfs@$IPFS_VERSION into $TOOLS_DIR" >&2
    [[ -f "$TOOLS_DIR/package.json" ]] || echo '{"private": true}' >"$TOOLS_DIR/package.json"
    npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --loglevel=error \
      --save-exact "ipfs@$IPFS_VERSION" >&2
    write_polyfill
    echo "$IPFS_VERSION" >"$MARKER"
  fi
  [[ -f "$POLYFILL" ]] || write_polyfill
}

run_cli() {
  IPFS_PATH="$REPO_DIR" node --import "$POLYFILL" "$CLI" "$@"
}

# The repo config: everything on loopback, nothing that reaches the network.
write_config() {
  local api_port="$1" gateway_port="$2"
  cat <<JSON
{
  "Addresses": {
    "Swarm": [],
    "Announce": [],
    "NoAnnounce": [],
    "API": "/ip4/127.0.0.1/tcp/$api_port",
    "Gateway": "/ip4/127.0.0.1/tcp/$gateway_port",
    "RPC": "",
    "Delegates": []
  },
  "Bootstrap": [],
  "Discovery": {
    "MDNS": { "Enabled": false },
    "webRTCStar": { "Enabled": false }
  }
}
JSON
}

start() {
  [[ $# -eq 3 ]] || die "usage: $0 start REPO_DIR API_PORT GATEWAY_PORT"
  REPO_DIR="$1"
  local api_port="$2" gateway_port="$3"
  install
  if [[ ! -f "$REPO_DIR/config" ]]; then
    mkdir -p "$REPO_DIR"
    # RPC is js-ipfs's own gRPC listener: left empty, so it is not started.
    write_config "$api_port" "$gateway_port" >"$REPO_DIR.init.json"
    run_cli init --algorithm ed25519 --empty-repo "$REPO_DIR.init.json" >&2
    rm -f "$REPO_DIR.init.json"
  fi
  exec env IPFS_PATH="$REPO_DIR" node --import "$POLYFILL" "$CLI" daemon --offline
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  *) die "usage: $0 install | start REPO_DIR API_PORT GATEWAY_PORT" ;;
esac
