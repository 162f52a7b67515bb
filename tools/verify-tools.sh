#!/usr/bin/env bash
# The independent verifier's npm packages (docs/verify.md): standard JavaScript tools an
# outside auditor would use, none of the platform's code.
#
#   tools/verify-tools.sh install     # idempotent; prints nothing when already installed
#   tools/verify-tools.sh path        # installs if needed, prints the node_modules folder
#   tools/verify-tools.sh run ARGS... # installs if needed, runs tools/verifier/verify.mjs
#
# canonicalize is pinned to 2.1.0: its 5.x needs Node >= 22 (the machines have Node 20).
set -euo pipefail

PACKAGES=(
  "ethers@6.17.0"
  "multiformats@13.4.1"
  "@openzeppelin/merkle-tree@1.0.8"
  "canonicalize@2.1.0"
)
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${HOTPOT_TOOLS_DIR:-$ROOT/.tools}/verifier"
MARKER="$TOOLS_DIR/.installed"
WANTED="${PACKAGES[*]}"

die() { echo "verify-tools.sh: $*" >&2; exit 1; }

install() {
  # Written only after a complete install, so an interrupted npm run is redone next time.
  if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$WANTED" ]]; then
    return 0
  fi
  command -v node >/dev/null || die "node is not installed (Node >= 20 needed)"
  command -v npm >/dev/null || die "npm is not installed"
  mkdir -p "$TOOLS_DIR"
  echo "verify-tools.sh: installing npm ${WANTED} into $TOOLS_DIR" >&2
  [[ -f "$TOOLS_DIR/package.json" ]] || echo '{"private": true}' >"$TOOLS_DIR/package.json"
  npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --loglevel=error \
    --save-exact "${PACKAGES[@]}" >&2
  echo "$WANTED" >"$MARKER"
}

case "${1:-}" in
  ""|install) install ;;  # no argument: what ./dev test runs before the suites
  path) install; echo "$TOOLS_DIR/node_modules" ;;
  run)
    shift
    install
    # ES modules ignore NODE_PATH: a link to the script beside the packages, run by its
    # link's path, makes its imports resolve from $TOOLS_DIR/node_modules.
    # One link per checkout (the tools folder is shared by every checkout of the repo).
    link="$TOOLS_DIR/verify-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1).mjs"
    ln -sfn "$ROOT/tools/verifier/verify.mjs" "$link"
    exec node --preserve-symlinks --preserve-symlinks-main "$link" "$@"
    ;;
  *) die "usage: $0 install | path | run ARGS..." ;;
esac
