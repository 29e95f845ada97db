#!/usr/bin/env bash
# Builds Istio's own binaries used as test peers (pilot-agent, and on request istioctl and pilot-discovery) from
# source through the Go module proxy, at the Istio commit the conformance corpora come from, into
# ~/.isthmus/istio/<version>/. Never committed. Idempotent: when the binaries exist it prints their folder at once.
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
  if [[ -x "$DEST/$bin" ]]; then
    log "$bin present in $DEST"
    continue
  fi
  command -v go >/dev/null || { log "Go is needed to build $bin"; exit 1; }
  start=$(date +%s)
  log "building $bin from istio.io/istio@$ISTIO_VERSION (minutes the first time)"
  GOFLAGS="${GOFLAGS:--buildvcs=false}" CGO_ENABLED=0 GOBIN="$DEST" go install "istio.io/istio/$pkg@$ISTIO_VERSION"
  log "$bin built in $(( $(date +%s) - start )) s"
done
echo "$DEST"
