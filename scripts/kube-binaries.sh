#!/usr/bin/env bash
# Builds the kube-apiserver, etcd and kubectl binaries that fabric8 kube-api-test needs, from source through the
# Go module proxy, and lays them out as ~/.kubeapitest/k8s/<X.Y.Z>-linux-amd64/{kube-apiserver,etcd,kubectl}; beside
# them kube-controller-manager, which the Gateway API conformance test runs (Deployments to Pods, EndpointSlices,
# garbage collection). Idempotent: when the four binaries exist it prints their folder and exits at once.
#
#   scripts/kube-binaries.sh            # build if missing
#   KUBE_VERSION=1.34.4 scripts/kube-binaries.sh
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-1.34.4}"
ETCD_VERSION="${ETCD_VERSION:-3.6.16}"
ROOT="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}"
DEST="$ROOT/k8s/${KUBE_VERSION}-linux-amd64"
WORK="${KUBE_BUILD_DIR:-$ROOT/build}"

log() { printf '[kube-binaries] %s\n' "$*" >&2; }

if [[ -x "$DEST/kube-apiserver" && -x "$DEST/etcd" && -x "$DEST/kubectl" && -x "$DEST/kube-controller-manager" ]]; then
  log "binaries present in $DEST"
  echo "$DEST"
  exit 0
fi
command -v go >/dev/null || { log "Go is needed to build kube-apiserver and etcd offline"; exit 1; }
mkdir -p "$DEST" "$WORK"
export GOFLAGS="${GOFLAGS:--buildvcs=false}" CGO_ENABLED=0

# --- kube-apiserver (and kubectl when none is installed) ------------------------------------------------------------
if [[ ! -x "$DEST/kube-apiserver" || ! -x "$DEST/kube-controller-manager" || ( ! -x "$DEST/kubectl" && -z "$(command -v kubectl || true)" ) ]]; then
  start=$(date +%s)
  mod="$WORK/kube-$KUBE_VERSION"
  mkdir -p "$mod"
  cd "$mod"
  if [[ -f go.mod ]] && ! grep -q kube-controller-manager tools.go; then
    rm -f go.mod go.sum tools.go # made before kube-controller-manager was built here: resolve again with it
  fi
  if [[ ! -f go.mod ]]; then
    log "resolving k8s.io/kubernetes v$KUBE_VERSION"
    gomod=$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    [[ -f "$gomod" ]] || { log "cannot read go.mod of k8s.io/kubernetes v$KUBE_VERSION"; exit 1; }
    staging_version="v0.${KUBE_VERSION#1.}"
    {
      echo "module isthmus.local/kubebuild"
      echo
      grep -E '^go [0-9]' "$gomod"
      echo
      echo "require k8s.io/kubernetes v$KUBE_VERSION"
      echo
      # every staging module the release replaces with ./staging/src/k8s.io/<name> gets its published twin
      grep -E '^\s*k8s.io/[a-z0-9-]+ => \./staging/' "$gomod" | awk -v v="$staging_version" '{print "replace " $1 " => " $1 " " v}'
    } > go.mod
    cat > tools.go <<'GO'
//go:build tools

package kubebuild

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
    log "go mod tidy (downloads the module graph once)"
    go mod tidy >&2
  fi
  version_flags="-s -w -X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${KUBE_VERSION#1.}"
  for component in kube-apiserver kube-controller-manager; do
    if [[ ! -x "$DEST/$component" ]]; then
      log "building $component v$KUBE_VERSION (several minutes on 2 cores)"
      go build -trimpath -ldflags "$version_flags" -o "$DEST/$component.tmp" "k8s.io/kubernetes/cmd/$component"
      mv "$DEST/$component.tmp" "$DEST/$component"
    fi
  done
  if [[ ! -x "$DEST/kubectl" && -z "$(command -v kubectl || true)" ]]; then
    log "building kubectl v$KUBE_VERSION"
    go build -trimpath -ldflags "-s -w" -o "$DEST/kubectl" k8s.io/kubernetes/cmd/kubectl
  fi
  log "kube-apiserver and kube-controller-manager built in $(( $(date +%s) - start ))s"
fi

# --- kubectl ---------------------------------------------------------------------------------------------------------
if [[ ! -x "$DEST/kubectl" ]]; then
  if ! command -v kubectl >/dev/null; then
    (apt-get install -y kubectl >&2 2>&1 || true)
  fi
  ln -sf "$(command -v kubectl)" "$DEST/kubectl"
fi

# --- etcd -----------------------------------------------------------------------------------------------------------
if [[ ! -x "$DEST/etcd" ]]; then
  start=$(date +%s)
  emod="$WORK/etcd-$ETCD_VERSION"
  mkdir -p "$emod"
  cd "$emod"
  if [[ ! -f go.mod ]]; then
    printf 'module isthmus.local/etcdbuild\n\ngo 1.24\n' > go.mod
    printf '//go:build tools\n\npackage etcdbuild\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > tools.go
    go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >&2 && go mod tidy >&2 || rm -f go.mod
  fi
  if [[ -f go.mod ]] && go build -trimpath -ldflags "-s -w" -o "$DEST/etcd.tmp" go.etcd.io/etcd/server/v3 >&2; then
    mv "$DEST/etcd.tmp" "$DEST/etcd"
    log "etcd v$ETCD_VERSION built in $(( $(date +%s) - start ))s"
  else
    log "building etcd failed; falling back to Debian's etcd-server"
    command -v etcd >/dev/null || { apt-get update >&2 && apt-get install -y etcd-server >&2; }
    ln -sf "$(command -v etcd)" "$DEST/etcd"
  fi
fi

"$DEST/kube-apiserver" --version >&2
"$DEST/etcd" --version >&2 | head -1 || true
echo "$DEST"
