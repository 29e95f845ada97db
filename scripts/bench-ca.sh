#!/usr/bin/env bash
# Side-by-side CA benchmark: Isthmus's control plane against Istio's own pilot-discovery, each run out of cluster
# against its own fresh kube-apiserver + etcd (the binaries scripts/kube-binaries.sh lays out), driven by the same
# load client (tools/ca-load: Istio's own CA client, as pilot-agent) with C concurrent clients, each with its own
# ServiceAccount token (TokenRequest API, audience istio-ca, as pilot-agent's), so that every request costs the
# server a TokenReview as in a cluster. Both servers listen on ports away from Istio's defaults (xDS 26010, xDS+CA
# TLS 26012, monitoring 26014, ready 26080, webhooks 26017), so that the benchmark runs beside a test suite.
# Prints one markdown table and writes it to target/bench-ca.md.
#
#   scripts/bench-ca.sh                      # C=16 clients, K=20 s measured after 5 s of warm-up, both servers
#   C=64 K=30 KEY=ecdsa scripts/bench-ca.sh  # P-256 workload keys
#   COUNT=5000 scripts/bench-ca.sh           # a fixed number of requests instead of K seconds
#   SERVERS=isthmus scripts/bench-ca.sh      # one server only
#   scripts/bench-ca.sh signing              # signing alone: openssl speed beside the CA's JMH benchmark
#
# Settings (environment):
#   C, K, COUNT, WARMUP    clients, measured seconds, or a request count (overrides K), warm-up seconds (5)
#   KEY                    the workloads' key type: rsa (RSA-2048, pilot-agent's default) or ecdsa (P-256)
#   SERVERS                "isthmus istiod" (default) or one of them
#   BENCH_MEMORY           memory the JVM sizes itself for (-XX:MaxRAM, default 2048m, istiod's request)
#   ISTHMUS_CA_SIGNATURES  auto (default: BoringSSL through Conscrypt where it loads), native or jdk
#   BENCH_JAVA_OPTS        more JVM options for Isthmus (a flight recording, say)
#   ISTIOD_KUBE_QPS        istiod's --kubernetesApiQPS (default 80, burst twice that): its client-side limit on API
#                          calls, TokenReviews included, so by default it caps istiod near 80 CSRs/s
#   PORT_BASE              26000 (away from the 250xx scripts/bench-xds.sh may use): the ports are PORT_BASE + 10, 12, 14, 17, 80 (and istiod's ControlZ + 876)
#   BENCH_KEEP=1           keep the work folder (logs, kubeconfigs, tokens) for a look afterwards
#
# Needs: a JDK and the Maven wrapper (the script compiles the control plane and its bench classes offline), Go
# (builds tools/ca-load into ~/.isthmus/tools), jq, bc, python3, openssl, curl, and for istiod the pilot-discovery
# binary (scripts/istio-binaries.sh pilot-discovery).
#
# The figures: CSRs/s is successful CreateCertificate calls over the measured phase; latency is per call as the
# client sees it (TLS connection kept, token review and signing included); CPU is the server's user+system time
# over the measured phase (/proc/<pid>/stat: a JVM's JIT and GC threads included), and the API server's, which
# answers the TokenReviews. The client trusts the root each CA publishes in ConfigMap istio-ca-root-cert and checks
# the serving certificate for istiod.istio-system.svc, as pilot-agent does; nothing skips verification.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
C="${C:-16}" K="${K:-20}" COUNT="${COUNT:-0}" WARMUP="${WARMUP:-5}" KEY="${KEY:-rsa}"
SERVERS="${SERVERS:-isthmus istiod}"
MEMORY="${BENCH_MEMORY:-2048m}"
SIGNATURES="${ISTHMUS_CA_SIGNATURES:-auto}"
PORT_BASE="${PORT_BASE:-26000}"
ISTIOD_QPS="${ISTIOD_KUBE_QPS:-80}"
XDS_PORT=$((PORT_BASE + 10)) SECURE_PORT=$((PORT_BASE + 12)) MON_PORT=$((PORT_BASE + 14))
WEBHOOK_PORT=$((PORT_BASE + 17)) READY_PORT=$((PORT_BASE + 80)) CTRLZ_PORT=$((PORT_BASE + 876))
KUBE_VERSION="${KUBE_VERSION:-1.34.4}"
KUBE_BIN="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/${KUBE_VERSION}-linux-amd64"
ISTIO_VERSION="${ISTIO_VERSION:-v0.0.0-20260827124520-eed52ebb66ad}"
PILOT="${ISTIO_BIN_DIR:-$HOME/.isthmus/istio/$ISTIO_VERSION}/pilot-discovery"
TOOLS="${ISTHMUS_TOOLS_DIR:-$HOME/.isthmus/tools}"
NS=bench
export GOFLAGS="${GOFLAGS:--buildvcs=false}" CGO_ENABLED=0

log() { printf '[bench-ca] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# --- the control plane's classes and bench classes, compiled offline; the classpath goes to a file ------------------
classpath() {
  local cpfile="$ROOT/controlplane/target/bench-classpath.txt"
  log "compiling the control plane and its benchmarks (offline)"
  (cd "$ROOT" && ./mvnw -o -B -q -Pbench -pl controlplane -am test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test) >&2 || die "build failed"
  echo "$ROOT/controlplane/target/test-classes:$ROOT/controlplane/target/classes:$(cat "$cpfile")"
}

# --- signing alone: openssl speed beside the CA's JMH benchmark ------------------------------------------------------
if [[ "${1:-}" == signing ]]; then
  CP="$(classpath)"
  TABLE="$ROOT/target/bench-ca-signing.md"
  mkdir -p "$ROOT/target"
  # openssl speed divides by CPU time unless -elapsed; JMH reports wall-clock throughput, so on a shared machine the
  # two are compared on wall-clock time, with openssl run before and after the JMH run and averaged.
  speed() { # speed [-elapsed]: "RSA P256" signatures per second
    local out
    out="$(openssl speed "$@" -seconds 3 rsa2048 ecdsap256 2>/dev/null)"
    echo "$(awk '/^rsa 2048 bits/ {print $(NF-1)}' <<<"$out") $(awk '/ecdsa \(nistp256\)/ {print $(NF-1)}' <<<"$out")"
  }
  log "openssl speed -elapsed -seconds 3 rsa2048 ecdsap256 (one core), and by CPU time"
  load0="$(cut -d' ' -f1-3 /proc/loadavg)"
  read -r cpu_rsa cpu_ec < <(speed)
  read -r wall1_rsa wall1_ec < <(speed -elapsed)
  log "JMH CaSigningBenchmark (one thread; a fork per CA key × provider)"
  java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dbench.heap=false -cp "$CP" \
    dev.isthmus.controlplane.bench.BenchMain ${JMH_ARGS:--f 1 -wi 3 -w 2s -i 5 -r 2s} -rf json \
    -rff "$ROOT/target/bench-ca-jmh.json" CaSigningBenchmark >&2
  read -r wall2_rsa wall2_ec < <(speed -elapsed)
  ossl_rsa=$(echo "($wall1_rsa + $wall2_rsa) / 2" | bc -l) ossl_ec=$(echo "($wall1_ec + $wall2_ec) / 2" | bc -l)
  score() { # score BENCH CAKEY PROVIDER
    jq -r --arg b "dev.isthmus.controlplane.bench.CaSigningBenchmark.$1" --arg k "$2" --arg p "$3" \
      '.[] | select(.benchmark == $b and .params.caKey == $k and .params.signatures == $p) | .primaryMetric.score' \
      "$ROOT/target/bench-ca-jmh.json"
  }
  pct() { printf '%.0f%%' "$(echo "100 * $1 / $2" | bc -l)"; }
  {
    echo "CA signing on one thread, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $load0 before / $(cut -d' ' -f1-3 /proc/loadavg) after;" \
      "$(openssl version | cut -d' ' -f1-2); JMH ${JMH_ARGS:--f 1 -wi 3 -w 2s -i 5 -r 2s}"
    echo
    echo "| operations/s | RSA-2048 CA | P-256 CA |"
    echo "|---|---:|---:|"
    printf '| openssl speed, sign, by CPU time (its default) | %.0f | %.0f |\n' "$cpu_rsa" "$cpu_ec"
    printf '| openssl speed -elapsed, sign, before / after the JMH run | %.0f / %.0f | %.0f / %.0f |\n' \
      "$wall1_rsa" "$wall2_rsa" "$wall1_ec" "$wall2_ec"
    for p in native jdk; do
      name=$([[ $p == native ]] && echo "BoringSSL (Conscrypt)" || echo "JDK")
      r=$(score sign RSA_2048 "$p") e=$(score sign ECDSA_P256 "$p")
      printf '| %s: sign a TBS certificate (of openssl -elapsed) | %.0f (%s) | %.0f (%s) |\n' "$name" "$r" "$(pct "$r" "$ossl_rsa")" "$e" "$(pct "$e" "$ossl_ec")"
      r=$(score issue RSA_2048 "$p") e=$(score issue ECDSA_P256 "$p")
      printf '| %s: issue from a PEM CSR (parse, verify, build, sign, PEM) | %.0f | %.0f |\n' "$name" "$r" "$e"
    done
  } | tee "$TABLE"
  log "written to $TABLE"
  exit 0
fi

for tool in jq openssl curl go bc python3 java; do command -v "$tool" >/dev/null || die "$tool is needed"; done
KUBECTL="$KUBE_BIN/kubectl"
[[ -x "$KUBECTL" ]] || KUBECTL="$(command -v kubectl)" || die "kubectl is needed"
[[ -x "$KUBE_BIN/kube-apiserver" && -x "$KUBE_BIN/etcd" ]] || die "no kube-apiserver/etcd in $KUBE_BIN: run scripts/kube-binaries.sh"
if [[ " $SERVERS " == *" istiod "* && ! -x "$PILOT" ]]; then
  die "no $PILOT: scripts/istio-binaries.sh pilot-discovery"
fi
for port in $XDS_PORT $SECURE_PORT $MON_PORT $WEBHOOK_PORT $READY_PORT $CTRLZ_PORT; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then die "port $port is taken: set PORT_BASE"; fi
done
if [[ " $SERVERS " == *" isthmus "* ]]; then CP="$(classpath)"; fi

# --- the load client, built like tools/xds-load: named after a hash of its sources -----------------------------------
SRC="$ROOT/tools/ca-load"
hash="$(cat "$SRC/go.mod" "$SRC/go.sum" "$SRC"/*.go | sha256sum | cut -c1-12)"
LOAD="$TOOLS/ca-load-$hash"
if [[ ! -x "$LOAD" ]]; then
  mkdir -p "$TOOLS"
  log "building ca-load ($hash)"
  (cd "$SRC" && go build -trimpath -ldflags "-s -w" -o "$LOAD.tmp" .) >&2
  mv "$LOAD.tmp" "$LOAD"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-ca.XXXXXX")"
PIDS=()
cleanup() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}"; done
  if [[ -z "${BENCH_KEEP:-}" ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
measure="$([[ $COUNT -gt 0 ]] && echo "$COUNT requests" || echo "$K s")"
log "work folder $WORK; C=$C clients, $KEY keys, $measure after ${WARMUP} s of warm-up"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

stop_pid() { # stop_pid PID: ends one process this script started, waits for it, and forgets it
  kill "$1" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  forget "$1"
}
forget() {
  local kept=() p
  for p in "${PIDS[@]}"; do [[ "$p" == "$1" ]] || kept+=("$p"); done
  PIDS=("${kept[@]}")
}

cat >"$WORK/mesh.yaml" <<'MESH'
trustDomain: cluster.local
rootNamespace: istio-system
defaultConfig:
  discoveryAddress: istiod.istio-system.svc:15012
MESH
{
  cat <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: istio-system}
---
apiVersion: v1
kind: Namespace
metadata: {name: $NS}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
$(sed 's/^/    /' "$WORK/mesh.yaml")
EOF
  for ((i = 0; i < C; i++)); do
    printf -- '---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa-%d, namespace: %s}\n' "$i" "$NS"
  done
} >"$WORK/base.yaml"

# --- a fresh API server (as scripts/bench-xds.sh) --------------------------------------------------------------------
start_cluster() { # start_cluster DIR: sets ETCD_PID and API_PID, writes DIR/kubeconfig
  local dir=$1
  mkdir -p "$dir/etcd" "$dir/certs"
  local etcd_port peer_port api_port token
  etcd_port=$(free_port) peer_port=$(free_port) api_port=$(free_port)
  token=$(openssl rand -hex 16)
  openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null
  openssl rsa -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null
  echo "$token,admin,admin,system:masters" >"$dir/tokens.csv"
  "$KUBE_BIN/etcd" --data-dir "$dir/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" --initial-cluster "default=http://127.0.0.1:$peer_port" \
    --unsafe-no-fsync >"$dir/etcd.log" 2>&1 &
  ETCD_PID=$!
  PIDS+=("$ETCD_PID")
  "$KUBE_BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" --bind-address 127.0.0.1 \
    --advertise-address 127.0.0.1 --secure-port "$api_port" --cert-dir "$dir/certs" \
    --token-auth-file "$dir/tokens.csv" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$dir/sa.pub" --service-account-signing-key-file "$dir/sa.key" \
    --service-cluster-ip-range 10.96.0.0/12 --disable-admission-plugins ServiceAccount \
    >"$dir/apiserver.log" 2>&1 &
  API_PID=$!
  PIDS+=("$API_PID")
  cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: bench, cluster: {server: "https://127.0.0.1:$api_port", insecure-skip-tls-verify: true}}]
users: [{name: admin, user: {token: "$token"}}]
contexts: [{name: bench, context: {cluster: bench, user: admin}}]
current-context: bench
EOF
  for _ in $(seq 120); do
    if curl -skf -H "Authorization: Bearer $token" "https://127.0.0.1:$api_port/readyz" >/dev/null; then
      return 0
    fi
    kill -0 "$API_PID" 2>/dev/null || die "kube-apiserver exited: $(tail -5 "$dir/apiserver.log")"
    sleep 0.5
  done
  die "kube-apiserver not ready after 60 s: $(tail -5 "$dir/apiserver.log")"
}

populate() { # populate DIR: CRDs, namespaces, mesh config, C ServiceAccounts and a token for each
  local dir=$1 kc="$1/kubeconfig"
  "$KUBECTL" --kubeconfig "$kc" apply --server-side -f "$ROOT/crds/manifests/" >/dev/null
  "$KUBECTL" --kubeconfig "$kc" wait --for condition=established --timeout=60s crd --all >/dev/null
  "$KUBECTL" --kubeconfig "$kc" create -f "$WORK/base.yaml" >/dev/null
  mkdir -p "$dir/tokens"
  for ((i = 0; i < C; i++)); do
    "$KUBECTL" --kubeconfig "$kc" -n "$NS" create token "sa-$i" --audience istio-ca --duration 1h \
      >"$dir/tokens/$i"
  done
  log "API server populated: $C ServiceAccounts, tokens for audience istio-ca"
}

cpu_of() { awk '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / 100 }' "/proc/$1/stat"; }

run_server() { # run_server isthmus|istiod
  local name=$1 dir="$WORK/$1"
  mkdir -p "$dir/cwd"
  log "[$name] starting a fresh kube-apiserver + etcd"
  start_cluster "$dir"
  populate "$dir"
  local kc="$dir/kubeconfig" pid start
  start=$(date +%s.%N)
  case $name in
    isthmus)
      (cd "$dir/cwd" && KUBECONFIG="$kc" POD_NAMESPACE=istio-system ISTHMUS_CA_SIGNATURES="$SIGNATURES" \
        exec java -XX:MaxRAM="$MEMORY" -XX:MaxRAMPercentage=75 ${BENCH_JAVA_OPTS:-} -cp "$CP" \
        dev.isthmus.controlplane.bench.CaBenchServer "$XDS_PORT" "$SECURE_PORT" "$MON_PORT" "$READY_PORT" \
        "$WEBHOOK_PORT") >"$dir/server.log" 2>&1 &
      pid=$!
      ;;
    istiod)
      (cd "$dir/cwd" && KUBECONFIG="$kc" POD_NAMESPACE=istio-system \
        POD_NAME=istiod-bench REVISION=default CLUSTER_ID=Kubernetes JWT_POLICY=third-party-jwt \
        PILOT_CERT_PROVIDER=istiod ISTIOD_CUSTOM_HOST=localhost,127.0.0.1 \
        INJECTION_WEBHOOK_CONFIG_NAME="" VALIDATION_WEBHOOK_CONFIG_NAME="" \
        exec "$PILOT" discovery --kubeconfig "$kc" --meshConfig "$WORK/mesh.yaml" --domain cluster.local \
        --grpcAddr "127.0.0.1:$XDS_PORT" --secureGRPCAddr "127.0.0.1:$SECURE_PORT" \
        --httpAddr "127.0.0.1:$READY_PORT" --monitoringAddr "127.0.0.1:$MON_PORT" \
        --httpsAddr "127.0.0.1:$WEBHOOK_PORT" --ctrlz_port "$CTRLZ_PORT" --keepaliveMaxServerConnectionAge 30m \
        --kubernetesApiQPS "$ISTIOD_QPS" --kubernetesApiBurst "$((ISTIOD_QPS * 2))") \
        >"$dir/server.log" 2>&1 &
      pid=$!
      ;;
  esac
  PIDS+=("$pid")
  local ready=""
  for _ in $(seq 1200); do
    if curl -sf "http://127.0.0.1:$READY_PORT/ready" >/dev/null 2>&1; then ready=1; break; fi
    kill -0 "$pid" 2>/dev/null || die "[$name] exited: $(tail -20 "$dir/server.log")"
    sleep 0.1
  done
  [[ -n "$ready" ]] || die "[$name] not ready after 120 s: $(tail -20 "$dir/server.log")"
  local ready_s
  ready_s=$(echo "$(date +%s.%N) - $start" | bc)
  # the root the CA publishes to every namespace, as pilot-agent mounts it
  for _ in $(seq 600); do
    if "$KUBECTL" --kubeconfig "$kc" -n "$NS" get configmap istio-ca-root-cert -o jsonpath='{.data.root-cert\.pem}' \
      >"$dir/root-cert.pem" 2>/dev/null && [[ -s "$dir/root-cert.pem" ]]; then break; fi
    sleep 0.1
  done
  [[ -s "$dir/root-cert.pem" ]] || die "[$name] no ConfigMap istio-ca-root-cert in $NS after 60 s"
  log "[$name] ready in $(printf '%.1f' "$ready_s") s (pid $pid); $C clients, $measure"
  local rc=0
  "$LOAD" -addr "127.0.0.1:$SECURE_PORT" -san istiod.istio-system.svc -root-cert "$dir/root-cert.pem" \
    -tokens "$dir/tokens" -clients "$C" -namespace "$NS" -sa-prefix sa- -key "$KEY" \
    -warmup "${WARMUP}s" -duration "${K}s" -count "$COUNT" -server-pid "$pid" -apiserver-pid "$API_PID" \
    >"$dir/load.json" 2>"$dir/load.log" || rc=$?
  [[ $rc == 0 || $rc == 3 ]] || die "[$name] load client failed ($rc): $(tail -20 "$dir/load.log")"
  jq --arg r "$ready_s" '. + {ready_seconds: ($r|tonumber)}' "$dir/load.json" >"$WORK/$name.json"
  if [[ $name == isthmus ]]; then
    sed -n 's/.*CA signatures: \(.*\)$/\1/p' "$dir/server.log" | head -1 >"$WORK/isthmus.signatures"
  fi
  log "[$name] done: $(cat "$WORK/$name.json")"
  stop_pid "$pid"
  stop_pid "$API_PID"
  stop_pid "$ETCD_PID"
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for server in $SERVERS; do run_server "$server"; done

# --- the table -------------------------------------------------------------------------------------------------------
get() { [[ -f "$WORK/$1.json" ]] && jq -r "$2 // empty" "$WORK/$1.json" || true; }
row() { # row LABEL JQ_PATH FORMAT
  local label=$1 path=$2 fmt=$3 a b ratio="–"
  a=$(get isthmus "$path") b=$(get istiod "$path")
  [[ -n "$a" ]] && a=$(printf "$fmt" "$a") || a="–"
  [[ -n "$b" ]] && b=$(printf "$fmt" "$b") || b="–"
  if [[ "$a" != "–" && "$b" != "–" ]] && [[ "$(echo "$b != 0" | bc -l)" == 1 ]]; then
    ratio=$(printf '%.2f' "$(echo "$a / $b" | bc -l)")
  fi
  echo "| $label | $a | $b | $ratio |"
}
TABLE="$ROOT/target/bench-ca.md"
mkdir -p "$ROOT/target"
{
  echo "CA benchmark, C=$C concurrent clients (Istio's CA client, TLS, token reviewed per request), $KEY workload keys," \
    "$measure after ${WARMUP} s of warm-up, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average" \
    "$LOAD_BEFORE before / $(cut -d' ' -f1-3 /proc/loadavg) after; Isthmus: JVM -XX:MaxRAM=$MEMORY," \
    "signatures $(cat "$WORK/isthmus.signatures" 2>/dev/null || echo "?"); istiod: --kubernetesApiQPS $ISTIOD_QPS"
  echo
  echo "| figure | Isthmus | istiod | Isthmus/istiod |"
  echo "|---|---:|---:|---:|"
  row "CSRs/s" .csrs_per_second '%.0f'
  row "latency p50 (ms)" .p50_ms '%.1f'
  row "latency p99 (ms)" .p99_ms '%.1f'
  row "server CPU (s)" .cpu_seconds '%.1f'
  row "server CPU per CSR (ms)" '(if .requests > 0 then .cpu_seconds * 1000 / .requests else null end)' '%.2f'
  row "kube-apiserver CPU, TokenReviews (s)" .apiserver_cpu_seconds '%.1f'
  row "requests measured" .requests '%.0f'
  row "errors" .errors '%.0f'
  row "start until /ready (s)" .ready_seconds '%.1f'
  for server in isthmus istiod; do
    [[ -f "$WORK/$server.json" ]] || continue
    jq -r '.first_error // empty' "$WORK/$server.json" | sed "s/^/$server first error: /"
  done
} | tee "$TABLE"
log "written to $TABLE"
