#!/usr/bin/env bash
# Blue-green deploy of the API on Kubernetes with a health check and automatic rollback.
#
# Works on what the Helm chart renders with blueGreen.enabled=true: two Deployments,
# <app>-blue and <app>-green (pods labelled color=<color>), and the Service
# <app>-stable whose selector includes `color`. The idle color gets the new image, is
# checked, then receives the traffic; if the public health check fails, traffic goes
# back to the old color, which is still running.
set -euo pipefail

usage() {
  cat <<USAGE
usage: $(basename "$0") [options] VERSION

  VERSION               image tag to deploy (a release or a git sha; never "latest")

options:
  -n, --namespace NS    namespace (default: thehotpotspot)
  -a, --app NAME        Deployment prefix: <release>-api (default: thehotpotspot-api)
  -c, --container NAME  container to give the image (default: api-server)
  -s, --service NAME    Service to switch (default: <app>-stable)
  -i, --image REPO      image repository (default: docker.io/thehotpotspot/api)
  -u, --health-url URL  public health URL (default: https://api.thehotpotspot.com/health)
  -t, --timeout SEC     rollout and health-check timeout (default: 300)
  --keep-old            leave the old color running after success (default: scale to 0)
  -h, --help            this text
USAGE
}

die() {
  echo "blue-green-deploy: error: $*" >&2
  exit 1
}

log() {
  echo "blue-green-deploy: $*"
}

namespace=thehotpotspot
app=thehotpotspot-api
container=api-server
service=""
image=docker.io/thehotpotspot/api
health_url=https://api.thehotpotspot.com/health
timeout=300
keep_old=0
version=""
while (($#)); do
  case "$1" in
    -n|--namespace) namespace="${2:?--namespace needs a value}"; shift 2 ;;
    -a|--app) app="${2:?--app needs a value}"; shift 2 ;;
    -c|--container) container="${2:?--container needs a value}"; shift 2 ;;
    -s|--service) service="${2:?--service needs a value}"; shift 2 ;;
    -i|--image) image="${2:?--image needs a value}"; shift 2 ;;
    -u|--health-url) health_url="${2:?--health-url needs a value}"; shift 2 ;;
    -t|--timeout) timeout="${2:?--timeout needs a value}"; shift 2 ;;
    --keep-old) keep_old=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) [[ -z "${version}" ]] || die "only one VERSION may be given"; version="$1"; shift ;;
  esac
done
[[ -n "${version}" ]] || { usage >&2; exit 2; }
service="${service:-${app}-stable}"
[[ "${version}" != latest ]] || die "refusing to deploy 'latest': give a release or a git sha"
[[ "${timeout}" =~ ^[0-9]+$ ]] || die "--timeout must be a number of seconds"
for tool in kubectl curl; do
  command -v "${tool}" >/dev/null || die "${tool} is not installed"
done

kc=(kubectl --namespace "${namespace}")

current="$("${kc[@]}" get service "${service}" -o jsonpath='{.spec.selector.color}')" \
  || die "cannot read Service ${service} in ${namespace}"
case "${current}" in
  blue) next=green ;;
  green) next=blue ;;
  *) die "Service ${service} has no color selector (got '${current}')" ;;
esac
replicas="$("${kc[@]}" get deployment "${app}-${current}" -o jsonpath='{.spec.replicas}')"
[[ "${replicas}" =~ ^[1-9][0-9]*$ ]] || replicas=3

switch_to() {
  "${kc[@]}" patch service "${service}" --type merge \
    -p "{\"spec\":{\"selector\":{\"color\":\"$1\"}}}" >/dev/null
}

healthy() {
  # Several consecutive successes, so one lucky request through a stale path does not count.
  local deadline=$((SECONDS + timeout)) ok=0
  while ((SECONDS < deadline)); do
    if curl --fail --silent --show-error --max-time 5 --output /dev/null "${health_url}"; then
      ok=$((ok + 1))
      ((ok >= 5)) && return 0
    else
      ok=0
    fi
    sleep 2
  done
  return 1
}

log "deploying ${image}:${version} to ${next} (live: ${current})"
"${kc[@]}" set image "deployment/${app}-${next}" "${container}=${image}:${version}"
"${kc[@]}" scale "deployment/${app}-${next}" --replicas="${replicas}"
if ! "${kc[@]}" rollout status "deployment/${app}-${next}" --timeout="${timeout}s"; then
  die "${app}-${next} did not become ready; traffic stays on ${current}"
fi

log "switching ${service} to ${next}"
switch_to "${next}"

if healthy; then
  log "deployment of ${version} succeeded"
  if ((keep_old == 0)); then
    "${kc[@]}" scale "deployment/${app}-${current}" --replicas=0
  fi
  exit 0
fi

echo "blue-green-deploy: health check of ${health_url} failed; rolling back to ${current}" >&2
switch_to "${current}"
exit 1
