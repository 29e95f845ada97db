#!/usr/bin/env bash
# Builds Istio's own binaries used as test peers (pilot-agent, and on request istioctl and pilot-discovery) from
# source through the Go module proxy, at the Istio commit the conformance corpora come from, into
# ~/.isthmus/istio/<version>/. Never committed. Idempotent: when the binaries exist it prints their folder at once.
# Next to pilot-agent goes Envoy's bootstrap template (envoy_bootstrap_tmpl.json), which the proxy image ships in
# /var/lib/istio/envoy/ and the agent reads to write Envoy's bootstrap.
#
#   scripts/istio-binaries.sh                       # pilot-agent
#   scripts/istio-binaries.sh pilot-agent istioctl  # several
set -euo pipefail

ISTIO_VERSION="${ISTIO_VERSION:-v0.0.0-20260827124520-eed52ebb66ad}"
DEST="${ISTIO_BIN_DIR:-$HOME/.isthmus/istio/$ISTIO_VERSION}"
log() { printf '[istio-binaries] %s\n' "$*" >&2; }

declare -A PKG=(
  [pilot-agent]=pilot/cmd/pilot-agent
  [pilot-discovery]=pilot/cmd/pilot-discovery
  [istioctl]=istioctl/cmd/istioctl
)
wanted=("$@")
[[ ${#wanted[@]} -gt 0 ]] || wanted=(pilot-agent)

mkdir -p "$DEST"
for bin in "${wanted[@]}"; do
  pkg="${PKG[$bin]:-}"
  [[ -n "$pkg" ]] || { log "unknown binary $bin (one of: ${!PKG[*]})"; exit 1; }
  if [[ -x "$DEST/$bin" && ( "$bin" != pilot-agent || -f "$DEST/envoy_bootstrap_tmpl.json" ) ]]; then
    log "$bin present in $DEST"
    continue
  fi
  command -v go >/dev/null || { log "Go is needed to build $bin"; exit 1; }
  if [[ ! -x "$DEST/$bin" ]]; then
    start=$(date +%s)
    log "building $bin from istio.io/istio@$ISTIO_VERSION (minutes the first time)"
    GOFLAGS="${GOFLAGS:--buildvcs=false}" CGO_ENABLED=0 GOBIN="$DEST" go install "istio.io/istio/$pkg@$ISTIO_VERSION"
    log "$bin built in $(( $(date +%s) - start )) s"
  fi
  if [[ "$bin" == pilot-agent ]]; then
    src=$(go mod download -json "istio.io/istio@$ISTIO_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    [[ -f "$src/tools/packaging/common/envoy_bootstrap.json" ]] || { log "cannot find Envoy's bootstrap template in $src"; exit 1; }
    # the proxy image's Dockerfile copies it to /var/lib/istio/envoy/envoy_bootstrap_tmpl.json
    install -m 0644 "$src/tools/packaging/common/envoy_bootstrap.json" "$DEST/envoy_bootstrap_tmpl.json"
  fi
done
echo "$DEST"
