#!/usr/bin/env bash
# Side-by-side xDS benchmark: Isthmus's control plane against Istio's own pilot-discovery, each run out of
# cluster against its own fresh kube-apiserver + etcd (the binaries scripts/kube-binaries.sh lays out), loaded
# with N Services of M endpoints each, and served to P sidecar-like Delta ADS clients (tools/xds-load) on
# the plaintext xDS port (127.0.0.1:15010; both servers take pilot-discovery's address flags). Prints one markdown table and writes it to target/bench-xds.md.
#
#   scripts/bench-xds.sh                           # N=100 M=10 P=100, both servers
#   N=1000 M=10 P=1000 scripts/bench-xds.sh
#   SERVERS=isthmus scripts/bench-xds.sh           # one server only
#
# Settings (environment):
#   N, M, P                       services, endpoints per service, proxies
#   SERVERS                       "isthmus istiod" (default) or one of them
#   BENCH_MEMORY                  the servers' memory limit (default 2048m, istiod's Deployment request): each server
#                                 runs in a memory cgroup with that limit when this machine lets one be made (as a
#                                 container's limit: the JVM sizes its heap to 75% of it, -XX:MaxRAMPercentage=75 as
#                                 in the image, and a server over the limit is killed), else the JVM is told it
#                                 with -XX:MaxRAM and nothing enforces it
#   PILOT_MAX_REQUESTS_PER_SECOND new xDS streams per second, the same for both servers (default 1000: the
#                                 stock min(15 + 5 × cores, 100) would make the initial phase measure the limit)
#   BENCH_PORT_OFFSET             added to every server port (default 0: Istio's 15010/15012/15014/15017/8080), so
#                                 that the benchmark can run beside something that holds those
#   BENCH_TIMEOUT                 longest wait of one phase (300s); a phase that times out is reported as failed
#   BENCH_JAVA_OPTS               more JVM options for Isthmus (a profile: -XX:StartFlightRecording=filename=…)
#   BENCH_CHANGE_PREFIX           a command run just before the endpoint change (PID: the server's pid), to profile
#                                 that phase alone, e.g. "jcmd PID JFR.start settings=profile duration=12s
#                                 filename=/tmp/change.jfr"; its time counts in the change's command time
#   BENCH_KEEP=1                  keep the work folder (logs, kubeconfigs) for a look afterwards
#
# Needs: the operator runner jar (./mvnw -o -B -q -pl operator -am package -DskipTests), Go (builds
# tools/xds-load into ~/.isthmus/tools), kubectl, jq, bc, python3, openssl, curl, and for istiod the
# pilot-discovery binary (scripts/istio-binaries.sh pilot-discovery).
#
# The figures: times are from the start of a phase (the streams opening, or the kubectl command that makes the
# change) until the last proxy holds the result (see tools/xds-load/main.go); bytes are the serialized size of
# the Delta responses a proxy received from the phase's start until one quiet second after its end; CPU is the
# server's user+system time over the same span (/proc/<pid>/stat: a JVM's JIT and GC threads included); peak RSS
# is the server's VmHWM. Single runs, no warm-up: the JVM's first phase includes its JIT warm-up.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${N:-100}" M="${M:-10}" P="${P:-100}"
SERVERS="${SERVERS:-isthmus istiod}"
MEMORY="${BENCH_MEMORY:-2048m}"
RPS="${PILOT_MAX_REQUESTS_PER_SECOND:-1000}"
TIMEOUT="${BENCH_TIMEOUT:-300s}"
KUBE_VERSION="${KUBE_VERSION:-1.34.4}"
KUBE_BIN="${KUBE_API_TEST_DIR:-$HOME/.kubeapitest}/k8s/${KUBE_VERSION}-linux-amd64"
ISTIO_VERSION="${ISTIO_VERSION:-v0.0.0-20260827124520-eed52ebb66ad}"
PILOT="${ISTIO_BIN_DIR:-$HOME/.isthmus/istio/$ISTIO_VERSION}/pilot-discovery"
TOOLS="${ISTHMUS_TOOLS_DIR:-$HOME/.isthmus/tools}"
NS=bench
export GOFLAGS="${GOFLAGS:--buildvcs=false}" CGO_ENABLED=0

log() { printf '[bench-xds] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

for tool in jq openssl curl go bc python3; do command -v "$tool" >/dev/null || die "$tool is needed"; done
KUBECTL="$KUBE_BIN/kubectl"
[[ -x "$KUBECTL" ]] || KUBECTL="$(command -v kubectl)" || die "kubectl is needed"
[[ -x "$KUBE_BIN/kube-apiserver" && -x "$KUBE_BIN/etcd" ]] || die "no kube-apiserver/etcd in $KUBE_BIN: run scripts/kube-binaries.sh"
JAR="$(ls "$ROOT"/operator/target/isthmus-operator-*-runner.jar 2>/dev/null | head -1 || true)"
if [[ " $SERVERS " == *" isthmus "* && -z "$JAR" ]]; then
  die "no operator runner jar: ./mvnw -o -B -q -pl operator -am package -DskipTests"
fi
if [[ " $SERVERS " == *" istiod "* && ! -x "$PILOT" ]]; then
  die "no $PILOT: scripts/istio-binaries.sh pilot-discovery"
fi
OFF="${BENCH_PORT_OFFSET:-0}"
XDS=$((15010 + OFF)) SXDS=$((15012 + OFF)) MON=$((15014 + OFF)) HOOKS=$((15017 + OFF)) READY=$((8080 + OFF))
SERVER_FLAGS=(--grpcAddr "127.0.0.1:$XDS" --secureGRPCAddr "127.0.0.1:$SXDS" --httpAddr "127.0.0.1:$READY"
  --monitoringAddr "127.0.0.1:$MON" --httpsAddr "127.0.0.1:$HOOKS" --keepaliveMaxServerConnectionAge 30m)
for port in $XDS $SXDS $MON $HOOKS $READY; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then die "port $port is taken: another control plane runs here"; fi
done

# --- the load client, built like tools/envoy-validate: named after a hash of its sources -----------------------------
SRC="$ROOT/tools/xds-load"
hash="$(cat "$SRC/go.mod" "$SRC/go.sum" "$SRC"/*.go | sha256sum | cut -c1-12)"
LOAD="$TOOLS/xds-load-$hash"
if [[ ! -x "$LOAD" ]]; then
  mkdir -p "$TOOLS"
  log "building xds-load ($hash)"
  (cd "$SRC" && go build -trimpath -ldflags "-s -w" -o "$LOAD.tmp" .) >&2
  mv "$LOAD.tmp" "$LOAD"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-xds.XXXXXX")"
PIDS=()
cleanup() {
  local i
  # newest first: the client, the server, then the API server and etcd
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}"; done
  if [[ -z "${BENCH_KEEP:-}" ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
  for i in "${CGROUPS[@]}"; do rmdir "$i" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log "work folder $WORK; N=$N services × M=$M endpoints, P=$P proxies"

# limit_memory PID: puts the process in a fresh memory cgroup limited to $MEMORY; prints how (the table says it)
CGROUP_PARENT=""
if [[ -w /sys/fs/cgroup/cgroup.subtree_control ]] || [[ -d /sys/fs/cgroup/memory ]]; then
  own="$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)"
  if [[ -n "$own" && -w "/sys/fs/cgroup/memory$own" ]]; then CGROUP_PARENT="/sys/fs/cgroup/memory$own"; fi
fi
memory_bytes() { numfmt --from=iec "$(tr 'a-z' 'A-Z' <<<"${MEMORY%[bB]}")"; }
cgroup_for() { # cgroup_for NAME: makes the cgroup a server of that name runs in; prints its folder or nothing
  [[ -n "$CGROUP_PARENT" ]] || return 0
  local cg="$CGROUP_PARENT/bench-xds-$1-$$"
  mkdir -p "$cg" && memory_bytes >"$cg/memory.limit_in_bytes" && echo "$cg"
}
CGROUPS=()
enter_cgroup() { [[ -z "$1" ]] || echo "$BASHPID" >"$1/cgroup.procs"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# stop_pid PID: ends one process this script started, waits for it, and forgets it (its number may be reused)
stop_pid() {
  kill "$1" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  forget "$1"
}
forget() { # forget PID: drops a process that has ended from the list cleanup stops
  local kept=() p
  for p in "${PIDS[@]}"; do [[ "$p" == "$1" ]] || kept+=("$p"); done
  PIDS=("${kept[@]}")
}

# --- workload objects, written once and created in each fresh API server ---------------------------------------------
ip_of() { # ip_of INDEX BASE: the INDEX-th address of 10.BASE.0.0/16.. upwards
  local i=$1 base=$2
  echo "10.$((base + i / 65536)).$(((i / 256) % 256)).$((i % 256))"
}
write_service() { # write_service NAME FIRST_ENDPOINT_INDEX
  local name=$1 first=$2
  cat <<EOF
---
apiVersion: v1
kind: Service
metadata: {name: $name, namespace: $NS, labels: {app: $name}}
spec:
  selector: {app: $name}
  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: $name-1, namespace: $NS, labels: {kubernetes.io/service-name: $name, endpointslice.kubernetes.io/managed-by: bench-xds}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
EOF
  for ((e = 0; e < M; e++)); do
    echo "- {addresses: [\"$(ip_of $((first + e)) 200)\"], conditions: {ready: true}}"
  done
}
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
$(sed 's/^/    /' <<'MESH'
trustDomain: cluster.local
rootNamespace: istio-system
defaultConfig:
  discoveryAddress: istiod.istio-system.svc:15012
MESH
)
EOF
} >"$WORK/base.yaml"
cat >"$WORK/mesh.yaml" <<'MESH'
trustDomain: cluster.local
rootNamespace: istio-system
defaultConfig:
  discoveryAddress: istiod.istio-system.svc:15012
MESH
: >"$WORK/services.yaml"
for ((s = 0; s < N; s++)); do write_service "svc-$s" $((s * M)) >>"$WORK/services.yaml"; done
write_service svc-new $((N * M)) >"$WORK/new.yaml"
NEW_HOST="svc-new.$NS.svc.cluster.local"
CHANGE_HOST="svc-0.$NS.svc.cluster.local"
CHANGE_IP="10.254.0.1"

# --- a fresh API server ----------------------------------------------------------------------------------------------
# start_cluster DIR: etcd on loopback with a data folder in DIR, kube-apiserver with a service-account key made here
# and a static admin token; writes DIR/kubeconfig; sets ETCD_PID and API_PID.
start_cluster() {
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

populate() { # populate DIR
  local kc="$1/kubeconfig" start
  start=$(date +%s.%N)
  "$KUBECTL" --kubeconfig "$kc" apply --server-side -f "$ROOT/crds/manifests/" >/dev/null
  "$KUBECTL" --kubeconfig "$kc" wait --for condition=established --timeout=60s crd --all >/dev/null
  "$KUBECTL" --kubeconfig "$kc" create -f "$WORK/base.yaml" >/dev/null
  "$KUBECTL" --kubeconfig "$kc" create -f "$WORK/services.yaml" >/dev/null
  log "API server populated: CRDs, $N services, $((N * M)) endpoints in $(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)") s"
}

cpu_of() { # user+system CPU seconds of a process
  awk '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / 100 }' "/proc/$1/stat"
}

# --- one server ------------------------------------------------------------------------------------------------------
run_server() { # run_server isthmus|istiod
  local name=$1 dir="$WORK/$1"
  mkdir -p "$dir/cwd"
  log "[$name] starting a fresh kube-apiserver + etcd"
  start_cluster "$dir"
  populate "$dir"
  local kc="$dir/kubeconfig" pid start cg jvm_memory=()
  cg="$(cgroup_for "$name")"
  if [[ -n "$cg" ]]; then CGROUPS+=("$cg"); else jvm_memory=(-XX:MaxRAM="$MEMORY"); fi
  start=$(date +%s.%N)
  case $name in
    isthmus)
      (cd "$dir/cwd" && enter_cgroup "$cg" && KUBECONFIG="$kc" PILOT_MAX_REQUESTS_PER_SECOND="$RPS" \
        POD_NAMESPACE=istio-system exec java "${jvm_memory[@]}" -XX:MaxRAMPercentage=75 ${BENCH_JAVA_OPTS:-} -jar "$JAR" discovery "${SERVER_FLAGS[@]}") \
        >"$dir/server.log" 2>&1 &
      pid=$!
      ;;
    istiod)
      (cd "$dir/cwd" && enter_cgroup "$cg" && KUBECONFIG="$kc" PILOT_MAX_REQUESTS_PER_SECOND="$RPS" \
        POD_NAMESPACE=istio-system POD_NAME=istiod-bench REVISION=default CLUSTER_ID=Kubernetes JWT_POLICY=third-party-jwt \
        PILOT_CERT_PROVIDER=istiod ISTIOD_CUSTOM_HOST=localhost,127.0.0.1 \
        INJECTION_WEBHOOK_CONFIG_NAME="" VALIDATION_WEBHOOK_CONFIG_NAME="" \
        exec "$PILOT" discovery --kubeconfig "$kc" --meshConfig "$WORK/mesh.yaml" --domain cluster.local \
        "${SERVER_FLAGS[@]}") \
        >"$dir/server.log" 2>&1 &
      pid=$!
      ;;
  esac
  PIDS+=("$pid")
  local ready=""
  for _ in $(seq 1200); do
    if curl -sf "http://127.0.0.1:$READY/ready" >/dev/null 2>&1; then ready=1; break; fi
    kill -0 "$pid" 2>/dev/null || die "[$name] exited: $(tail -20 "$dir/server.log")"
    sleep 0.1
  done
  [[ -n "$ready" ]] || die "[$name] not ready after 120 s: $(tail -20 "$dir/server.log")"
  local ready_s cpu_ready
  ready_s=$(echo "$(date +%s.%N) - $start" | bc)
  cpu_ready=$(cpu_of "$pid")
  log "[$name] ready in $(printf '%.1f' "$ready_s") s (pid $pid); $P proxies connect"

  local patch='[{"op":"replace","path":"/endpoints/0/addresses/0","value":"'"$CHANGE_IP"'"}]'
  local rc=0
  "$LOAD" -addr "127.0.0.1:$XDS" -proxies "$P" -namespace "$NS" -server-pid "$pid" -timeout "$TIMEOUT" \
    -add-cmd "'$KUBECTL' --kubeconfig '$kc' create -f '$WORK/new.yaml' >/dev/null" -add-host "$NEW_HOST" \
    -change-cmd "${BENCH_CHANGE_PREFIX:+$(echo "$BENCH_CHANGE_PREFIX" | sed "s/PID/$pid/g");} '$KUBECTL' --kubeconfig '$kc' -n $NS patch endpointslice svc-0-1 --type=json -p '$patch' >/dev/null" \
    -change-host "$CHANGE_HOST" -change-ip "$CHANGE_IP" \
    >"$dir/load.json" 2>"$dir/load.log" &
  local load_pid=$!
  PIDS+=("$load_pid")
  wait "$load_pid" || rc=$?
  forget "$load_pid"
  # 3: a phase failed and the JSON says which; anything else is the client's own failure
  [[ $rc == 0 || $rc == 3 ]] || die "[$name] load client failed ($rc): $(tail -20 "$dir/load.log")"
  jq --arg r "$ready_s" --arg c "$cpu_ready" '. + {ready_seconds: ($r|tonumber), ready_cpu_seconds: ($c|tonumber)}' \
    "$dir/load.json" >"$WORK/$name.json"
  log "[$name] done: $(jq -c '{initial: .initial.all_seconds, add: .add.all_seconds, change: .change.all_seconds, failed}' "$WORK/$name.json")"
  stop_pid "$pid"
  stop_pid "$API_PID"
  stop_pid "$ETCD_PID"
}

for server in $SERVERS; do run_server "$server"; done

# --- the table -------------------------------------------------------------------------------------------------------
get() { # get SERVER JQ_PATH
  [[ -f "$WORK/$1.json" ]] && jq -r "$2 // empty" "$WORK/$1.json" || true
}
row() { # row LABEL JQ_PATH SCALE FORMAT
  local label=$1 path=$2 scale=$3 fmt=$4 a b ratio="–"
  a=$(get isthmus "$path") b=$(get istiod "$path")
  [[ -n "$a" ]] && a=$(echo "$a / $scale" | bc -l) && a=$(printf "$fmt" "$a") || a="–"
  [[ -n "$b" ]] && b=$(echo "$b / $scale" | bc -l) && b=$(printf "$fmt" "$b") || b="–"
  if [[ "$a" != "–" && "$b" != "–" ]] && [[ "$(echo "$b != 0" | bc -l)" == 1 ]]; then
    ratio=$(printf '%.2f' "$(echo "$a / $b" | bc -l)")
  fi
  echo "| $label | $a | $b | $ratio |"
}
TABLE="$ROOT/target/bench-xds.md"
mkdir -p "$ROOT/target"
{
  echo "xDS benchmark, N=$N services × M=$M endpoints, P=$P Delta ADS proxies on 127.0.0.1:$XDS," \
    "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores; PILOT_MAX_REQUESTS_PER_SECOND=$RPS; $(if [[ -n "$CGROUP_PARENT" ]]; then echo "each server in a memory cgroup limited to $MEMORY, JVM -XX:MaxRAMPercentage=75"; else echo "JVM -XX:MaxRAM=$MEMORY -XX:MaxRAMPercentage=75 (no memory cgroup here: not enforced)"; fi)"
  echo
  echo "| figure | Isthmus | istiod | Isthmus/istiod |"
  echo "|---|---:|---:|---:|"
  row "start until /ready (s)" .ready_seconds 1 '%.2f'
  row "CPU until /ready (s)" .ready_cpu_seconds 1 '%.2f'
  row "initial config, all $P proxies (s)" .initial.all_seconds 1 '%.3f'
  row "initial config, median proxy (s)" .initial.median_seconds 1 '%.3f'
  row "initial config, KiB per proxy" .initial.bytes_per_proxy 1024 '%.1f'
  row "initial config, responses per proxy" .initial.responses_per_proxy 1 '%.1f'
  row "initial config, server CPU (s)" .initial.cpu_seconds 1 '%.2f'
  row "new service: kubectl create (s, included below)" .add.cmd_seconds 1 '%.3f'
  row "new service CDS+EDS+RDS, all proxies (s)" .add.all_seconds 1 '%.3f'
  row "new service, KiB per proxy" .add.bytes_per_proxy 1024 '%.1f'
  row "new service, responses per proxy" .add.responses_per_proxy 1 '%.1f'
  row "new service, server CPU (s)" .add.cpu_seconds 1 '%.2f'
  row "endpoint change: kubectl patch (s, included below)" .change.cmd_seconds 1 '%.3f'
  row "endpoint change EDS, all proxies (s)" .change.all_seconds 1 '%.3f'
  row "endpoint change, KiB per proxy" .change.bytes_per_proxy 1024 '%.1f'
  row "endpoint change, responses per proxy" .change.responses_per_proxy 1 '%.1f'
  row "endpoint change, server CPU (s)" .change.cpu_seconds 1 '%.2f'
  row "peak RSS, VmHWM (MiB)" '[.initial.vmhwm_kib, .add.vmhwm_kib, .change.vmhwm_kib] | max' 1024 '%.0f'
  row "NACKs sent by the proxies" .change.nacks 1 '%.0f'
  row "streams reconnected after the server ended them" '[.initial.reconnects, .add.reconnects, .change.reconnects] | max' 1 '%.0f'
  row "proxy 0 holds: clusters" .change.clusters 1 '%.0f'
  row "proxy 0 holds: listeners" .change.listeners 1 '%.0f'
  row "proxy 0 holds: EDS resources" .change.eds 1 '%.0f'
  row "proxy 0 holds: route configurations" .change.routes 1 '%.0f'
  echo
  for server in isthmus istiod; do
    [[ -f "$WORK/$server.json" ]] || continue
    echo "$server: clusters other than outbound|…: $(jq -r '(.other_clusters // []) | join(", ")' "$WORK/$server.json")"
    jq -r '.failed // empty | "\(.)"' "$WORK/$server.json" | sed "s/^/$server FAILED: /"
  done
} | tee "$TABLE"
log "written to $TABLE"
