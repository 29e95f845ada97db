#!/usr/bin/env bash
# Validates the OLM bundle in bundle/ the way `operator-sdk bundle validate ./bundle --select-optional
# suite=operatorframework` does, with a validator built from source through the Go module proxy.
#
#   scripts/operator-sdk.sh                 # validate ./bundle
#   scripts/operator-sdk.sh path/to/bundle
#   scripts/operator-sdk.sh --strict        # warnings fail too (what .ci/run uses)
#
# It first tries `go install` of operator-sdk itself (OPERATOR_SDK_VERSION). When the module proxy refuses that module
# (it answers 403 for github.com/operator-framework/operator-sdk and for operator-registry here), it builds a small
# driver, kept in this script, around the validators operator-sdk calls: github.com/operator-framework/api
# (OPERATOR_API_VERSION, the version operator-sdk's go.mod pins). The driver runs the same checks in the same order:
#   1. bundle format (what operator-registry's ValidateBundleFormat checks: manifests/ and metadata/ directories,
#      metadata/annotations.yaml with the registry+v1 media type, manifests/, metadata/, package and channels),
#   2. bundle content: BundleValidator, ClusterServiceVersionValidator, CustomResourceDefinitionValidator, and object
#      metadata of any other manifest,
#   3. the optional validators labelled suite=operatorframework: OperatorHubV2Validator, StandardCapabilitiesValidator,
#      StandardCategoriesValidator, AlphaDeprecatedAPIsValidator, GoodPracticesValidator.
# Exits 1 when any error is reported; warnings are printed and counted.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STRICT=false
if [[ "${1:-}" == "--strict" ]]; then
  STRICT=true # CI: a warning fails the run as an error does
  shift
fi
BUNDLE="${1:-./bundle}"
OPERATOR_SDK_VERSION="${OPERATOR_SDK_VERSION:-v1.42.0}"
OPERATOR_API_VERSION="${OPERATOR_API_VERSION:-v0.34.0}"
TOOLS="${ISTHMUS_TOOLS_DIR:-$ROOT/target/tools}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}" CGO_ENABLED=0

log() { printf '[operator-sdk.sh] %s\n' "$*" >&2; }
# Runs a validator; with --strict, also fails when it printed a warning.
validate() {
  if [[ "$STRICT" != true ]]; then
    exec "$@"
  fi
  local out rc=0
  out="$("$@" 2>&1)" || rc=$?
  printf '%s\n' "$out"
  if [[ $rc -ne 0 ]]; then
    exit "$rc"
  fi
  if grep -Eq '^(WARN|WARNING)|[1-9][0-9]* warnings' <<<"$out"; then
    log "--strict: the bundle has warnings"
    exit 1
  fi
  exit 0
}
command -v go >/dev/null || { log "Go is needed to build the bundle validator"; exit 2; }
mkdir -p "$TOOLS"
cd "$ROOT"

if [[ -x "$TOOLS/operator-sdk" ]]; then
  validate "$TOOLS/operator-sdk" bundle validate "$BUNDLE" --select-optional suite=operatorframework
fi
if GOBIN="$TOOLS" go install "github.com/operator-framework/operator-sdk/cmd/operator-sdk@$OPERATOR_SDK_VERSION" 2>"$TOOLS/operator-sdk-install.log"; then
  validate "$TOOLS/operator-sdk" bundle validate "$BUNDLE" --select-optional suite=operatorframework
fi
if grep -q '403 Forbidden' "$TOOLS/operator-sdk-install.log"; then
  log "operator-sdk $OPERATOR_SDK_VERSION cannot be installed here: the Go module proxy refuses the module (403 Forbidden)"
else
  log "operator-sdk $OPERATOR_SDK_VERSION cannot be installed here: $(head -n1 "$TOOLS/operator-sdk-install.log")"
fi
log "using the validators operator-sdk runs, from github.com/operator-framework/api $OPERATOR_API_VERSION"

DRIVER="$TOOLS/bundle-validate-$OPERATOR_API_VERSION"
if [[ ! -x "$DRIVER" ]]; then
  SRC="$TOOLS/bundle-validate-src"
  rm -rf "$SRC"
  mkdir -p "$SRC"
  cat >"$SRC/main.go" <<'GO'
// Command bundle-validate validates an OLM registry+v1 bundle directory with the validators of
// github.com/operator-framework/api, in the order operator-sdk's `bundle validate` applies them.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	apimanifests "github.com/operator-framework/api/pkg/manifests"
	apivalidation "github.com/operator-framework/api/pkg/validation"
	apierrors "github.com/operator-framework/api/pkg/validation/errors"
	interfaces "github.com/operator-framework/api/pkg/validation/interfaces"
	"sigs.k8s.io/yaml"
)

var required = []string{
	"operators.operatorframework.io.bundle.mediatype.v1",
	"operators.operatorframework.io.bundle.manifests.v1",
	"operators.operatorframework.io.bundle.metadata.v1",
	"operators.operatorframework.io.bundle.package.v1",
	"operators.operatorframework.io.bundle.channels.v1",
}

func formatErrors(dir string) []string {
	var errs []string
	for _, sub := range []string{"manifests", "metadata"} {
		if st, err := os.Stat(filepath.Join(dir, sub)); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Sprintf("unable to locate %s directory", sub))
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "metadata", "annotations.yaml"))
	if err != nil {
		return append(errs, "could not find metadata/annotations.yaml")
	}
	var file struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		return append(errs, "metadata/annotations.yaml: "+err.Error())
	}
	want := map[string]string{required[0]: "registry+v1", required[1]: "manifests/", required[2]: "metadata/"}
	for _, k := range required {
		v, ok := file.Annotations[k]
		switch {
		case !ok:
			errs = append(errs, fmt.Sprintf("missing annotation %q", k))
		case want[k] != "" && v != want[k]:
			errs = append(errs, fmt.Sprintf("expecting annotation %q to have value %q instead of %q", k, want[k], v))
		case v == "":
			errs = append(errs, fmt.Sprintf("expecting annotation %q to have a non-empty value", k))
		}
	}
	if def, ok := file.Annotations["operators.operatorframework.io.bundle.channel.default.v1"]; ok {
		found := false
		for _, c := range strings.Split(file.Annotations[required[4]], ",") {
			found = found || strings.TrimSpace(c) == def
		}
		if !found {
			errs = append(errs, fmt.Sprintf("default channel %q is not one of the channels", def))
		}
	}
	return errs
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bundle-validate <bundle-dir>")
		os.Exit(2)
	}
	dir := os.Args[1]
	var errs, warns []string
	for _, e := range formatErrors(dir) {
		errs = append(errs, "bundle format: "+e)
	}
	bundle, err := apimanifests.GetBundleFromDir(filepath.Join(dir, "manifests"))
	if err != nil {
		fmt.Printf("ERROR: loading bundle: %v\n", err)
		os.Exit(1)
	}
	results := apivalidation.BundleValidator.Validate(bundle)
	if bundle.CSV == nil {
		errs = append(errs, "no ClusterServiceVersion in bundle")
	} else {
		results = append(results, apivalidation.ClusterServiceVersionValidator.Validate(bundle.CSV)...)
	}
	var crds []interface{}
	for _, crd := range bundle.V1CRDs {
		crds = append(crds, crd)
	}
	for _, crd := range bundle.V1beta1CRDs {
		crds = append(crds, crd)
	}
	if len(crds) > 0 {
		results = append(results, apivalidation.CustomResourceDefinitionValidator.Validate(crds...)...)
	}
	for _, u := range bundle.Objects {
		kind := u.GetObjectKind().GroupVersionKind().Kind
		if kind != "ClusterServiceVersion" && kind != "CustomResourceDefinition" {
			if u.GetName() == "" {
				errs = append(errs, fmt.Sprintf("%s without metadata.name", kind))
			}
		}
	}
	objs := bundle.ObjectsToValidate()
	for _, o := range bundle.Objects {
		objs = append(objs, o)
	}
	objs = append(objs, map[string]string{})
	for _, v := range []interfaces.Validator{
		apivalidation.OperatorHubV2Validator,
		apivalidation.StandardCapabilitiesValidator,
		apivalidation.StandardCategoriesValidator,
		apivalidation.AlphaDeprecatedAPIsValidator,
		apivalidation.GoodPracticesValidator,
	} {
		results = append(results, v.Validate(objs...)...)
	}
	add := func(list *[]string, name string, e apierrors.Error) {
		*list = append(*list, fmt.Sprintf("%s: %s", name, e.Error()))
	}
	for _, r := range results {
		for _, e := range r.Errors {
			add(&errs, r.Name, e)
		}
		for _, w := range r.Warnings {
			add(&warns, r.Name, w)
		}
	}
	sort.Strings(errs)
	sort.Strings(warns)
	for _, e := range errs {
		fmt.Println("ERROR: " + e)
	}
	for _, w := range warns {
		fmt.Println("WARNING: " + w)
	}
	fmt.Printf("%d errors, %d warnings\n", len(errs), len(warns))
	if len(errs) > 0 {
		os.Exit(1)
	}
	fmt.Println("All validation tests have completed successfully")
}
GO
  (
    cd "$SRC"
    go mod init isthmus.dev/bundle-validate >/dev/null 2>&1
    go get "github.com/operator-framework/api@$OPERATOR_API_VERSION" >&2
    go mod tidy >&2
    go build -o "$DRIVER" .
  )
fi
validate "$DRIVER" "$BUNDLE"
