#!/usr/bin/env bash
# CLI cold start, side by side: `isthmus manifest generate` against `istioctl manifest generate` (Istio's own, built
# by scripts/istio-binaries.sh) on the same machine, in one hyperfine run. Each command is a fresh process; the first
# warm-up run of bin/isthmus writes its class-data-sharing archive.
#
#   scripts/bench-cli.sh                 # default profile
#   RUNS=20 scripts/bench-cli.sh --set profile=demo
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v hyperfine >/dev/null || { echo "bench-cli: hyperfine is needed (Debian package hyperfine)" >&2; exit 1; }
istio_dir="$(bash scripts/istio-binaries.sh)"
[[ -f cli/target/isthmus-cli-0.1.0-SNAPSHOT-runner.jar ]] || ./mvnw -B -q -o -DskipTests -pl cli -am package
args=("$@")
hyperfine -N --warmup 2 --runs "${RUNS:-10}" --export-markdown "${OUT:-target/bench-cli.md}" \
  -n "isthmus manifest generate" "bin/isthmus manifest generate ${args[*]:-}" \
  -n "istioctl manifest generate" "$istio_dir/istioctl manifest generate ${args[*]:-}"
