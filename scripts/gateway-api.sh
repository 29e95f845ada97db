#!/usr/bin/env bash
# Lays out the Kubernetes Gateway API CRDs of the release Isthmus supports (the one Istio's source at the corpora's
# commit depends on) from the Go module proxy into ~/.isthmus/gateway-api/<version>/{standard,experimental}/, for
# the tests that install them into the test API server and for users installing them by hand
# (kubectl apply -f ~/.isthmus/gateway-api/v1.6.0/standard); beside them the upstream conformance suite of the same
# release, built from tools/gateway-conformance as the suite's own test binary (conformance.test), which
# GatewayApiUpstreamConformanceIT runs. Never committed. Idempotent; prints the folder.
set -euo pipefail

VERSION="${GATEWAY_API_VERSION:-v1.6.0}"
DEST="${GATEWAY_API_DIR:-$HOME/.isthmus/gateway-api/$VERSION}"
log() { printf '[gateway-api] %s\n' "$*" >&2; }

ROOT="$(cd "$(dirname "$0")/.." && pwd)"

conformance() {
  [[ -x "$DEST/conformance.test" ]] && return 0
  log "building the conformance suite of sigs.k8s.io/gateway-api/conformance@$VERSION"
  (cd "$ROOT/tools/gateway-conformance" &&
    GOFLAGS=-buildvcs=false go test -c -o "$DEST/conformance.test.tmp" sigs.k8s.io/gateway-api/conformance >&2)
  mv "$DEST/conformance.test.tmp" "$DEST/conformance.test"
}

if [[ -f "$DEST/standard/gateway.networking.k8s.io_gateways.yaml" ]]; then
  conformance
  echo "$DEST"
  exit 0
fi
log "fetching sigs.k8s.io/gateway-api@$VERSION"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
src="$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/gateway-api@$VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
mkdir -p "$DEST.tmp"
for channel in standard experimental; do
  mkdir -p "$DEST.tmp/$channel"
  # the CRDs only: the validating admission policy beside them needs a newer API server than some clusters have
  for f in "$src/config/crd/$channel"/gateway.networking*.yaml; do
    [[ "$f" == *_vap_* ]] && continue
    install -m 0644 "$f" "$DEST.tmp/$channel/"
  done
done
rm -rf "$DEST"
mv "$DEST.tmp" "$DEST"
log "CRDs in $DEST"
conformance
echo "$DEST"
