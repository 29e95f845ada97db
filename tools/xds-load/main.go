// Command xds-load opens many sidecar-like Delta ADS streams against an xDS server (Isthmus's control
// plane or Istio's pilot-discovery, plaintext port 15010) and times how long the server takes to bring
// every proxy to a given state. It subscribes as Envoy does: wildcard CDS and LDS, EDS by the names of the
// EDS clusters, RDS by the route names of the HTTP connection managers, and ACKs every response with its
// nonce. It runs three phases and prints one JSON object on stdout:
//
//   - initial: from opening the streams until every proxy holds CDS, LDS and every EDS and RDS resource it
//     subscribed to;
//   - add: after running -add-cmd (which creates a Service and its endpoints), until every proxy holds the
//     new Service's cluster, its endpoints, and a route whose virtual host names the Service's host;
//   - change: after running -change-cmd (which moves one endpoint to -change-ip), until every proxy's EDS
//     for -change-host holds the new address.
//
// For each phase it reports the time to the last proxy, the median proxy, and the bytes (serialized
// response size) and responses received per proxy from the phase's start until one quiet second after its
// last proxy.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	typeCluster  = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
	typeListener = "type.googleapis.com/envoy.config.listener.v3.Listener"
	typeEndpoint = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
	typeRoute    = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
)

var (
	addr         = flag.String("addr", "127.0.0.1:15010", "plaintext xDS address")
	proxies      = flag.Int("proxies", 100, "number of proxies (streams, each on its own connection)")
	namespace    = flag.String("namespace", "bench", "the proxies' namespace")
	istioVersion = flag.String("istio-version", "1.29.0", "ISTIO_VERSION the proxies announce")
	timeout      = flag.Duration("timeout", 5*time.Minute, "longest wait of one phase")
	addCmd       = flag.String("add-cmd", "", "shell command that creates the new Service and its endpoints")
	addHost      = flag.String("add-host", "", "host name of the new Service")
	addPort      = flag.Int("add-port", 80, "port of the new Service")
	changeCmd    = flag.String("change-cmd", "", "shell command that moves one endpoint")
	changeHost   = flag.String("change-host", "", "host name of the Service whose endpoint moves")
	changePort   = flag.Int("change-port", 80, "port of that Service")
	changeIP     = flag.String("change-ip", "", "the endpoint's new address")
	settle       = flag.Duration("settle", time.Second, "quiet time counted after a phase's last proxy")
	reconnect    = flag.Bool("reconnect", true, "reconnect a stream the server ends (else the run fails)")
	serverPid    = flag.Int("server-pid", 0, "the server's process: its CPU time per phase and its peak RSS are reported")
)

// watch is what a phase waits for, set before its change is made.
type watch struct {
	cluster string // a cluster name that must be present in CDS
	eds     string // an EDS resource that must hold endpoints (and, when ip is set, that address)
	ip      string
	domain  string // a virtual host domain some route configuration must hold
}

type proxy struct {
	id     int
	node   *core.Node
	stream discovery.AggregatedDiscoveryService_DeltaAggregatedResourcesClient

	mu        sync.Mutex
	clusters  map[string]string   // cluster name → EDS service name ("" when not EDS)
	listeners map[string][]string // listener name → its RDS route names
	edsSeen   map[string]bool     // subscribed EDS names → received at least once
	rdsSeen   map[string]bool
	ldsAsked  bool
	cdsDone   bool
	ldsDone   bool

	w                          *watch
	gotCluster, gotEDS, gotRDS bool
	done                       chan struct{} // closed when the current phase's condition holds
	doneAt                     time.Time

	bytes      atomic.Int64
	responses  atomic.Int64
	nacks      atomic.Int64
	reconnects atomic.Int64
}

func main() {
	flag.Parse()
	ps := make([]*proxy, *proxies)
	for i := range ps {
		ps[i] = newProxy(i)
	}
	out["proxies"], out["addr"] = *proxies, *addr

	// initial configuration
	for _, p := range ps {
		p.startPhase(nil)
	}
	cpu0 := cpuSeconds()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, len(ps))
	for _, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.run(); err != nil {
				errs <- fmt.Errorf("proxy %d: %w", p.id, err)
			}
		}()
	}
	out["initial"] = waitPhase("initial", ps, start, cpu0, errs)

	if *addCmd != "" {
		w := &watch{
			cluster: fmt.Sprintf("outbound|%d||%s", *addPort, *addHost),
			domain:  *addHost,
		}
		w.eds = w.cluster
		out["add"] = change("add", ps, w, *addCmd, errs)
	}
	if *changeCmd != "" {
		name := fmt.Sprintf("outbound|%d||%s", *changePort, *changeHost)
		out["change"] = change("change", ps, &watch{eds: name, ip: *changeIP}, *changeCmd, errs)
	}
	ps[0].mu.Lock()
	var other []string
	for n := range ps[0].clusters {
		if !strings.HasPrefix(n, "outbound|") {
			other = append(other, n)
		}
	}
	ps[0].mu.Unlock()
	sort.Strings(other)
	out["other_clusters"] = other
	finish(0)
}

// out is the result printed at the end, also when a phase fails.
var out = map[string]any{}

// finish prints the result and exits: 0 when every phase completed, 3 when one failed (the JSON says which).
func finish(code int) {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
	os.Exit(code)
}

// fail records why a phase did not complete, with what the server had done by then, and finishes.
func fail(phase string, ps []*proxy, start time.Time, cpu0 float64, msg string) {
	fmt.Fprintf(os.Stderr, "xds-load: %s: %s\n", phase, msg)
	done := 0
	for _, p := range ps {
		if p.count(func(p *proxy) int {
			if p.doneAt.IsZero() {
				return 0
			}
			return 1
		}) == 1 {
			done++
		}
	}
	for _, p := range ps[:min(3, len(ps))] {
		fmt.Fprintf(os.Stderr, "  proxy %d: %s\n", p.id, p.describe())
	}
	out["failed"] = fmt.Sprintf("%s: %s (%d of %d proxies done after %.0f s)", phase, msg, done, len(ps), time.Since(start).Seconds())
	out[phase] = map[string]any{
		"proxies_done": done,
		"cpu_seconds":  cpuSeconds() - cpu0,
		"vmhwm_kib":    procStatus("VmHWM"),
		"vmrss_kib":    procStatus("VmRSS"),
	}
	finish(3)
}

func change(phase string, ps []*proxy, w *watch, cmd string, errs chan error) map[string]any {
	for _, p := range ps {
		p.startPhase(w)
	}
	cpu0 := cpuSeconds()
	start := time.Now()
	c := exec.Command("sh", "-c", cmd)
	c.Stdout, c.Stderr = os.Stderr, os.Stderr
	if err := c.Run(); err != nil {
		fail(phase, ps, start, cpu0, fmt.Sprintf("%s: %v", cmd, err))
	}
	cmdTime := time.Since(start)
	r := waitPhase(phase, ps, start, cpu0, errs)
	r["cmd_seconds"] = cmdTime.Seconds()
	return r
}

// waitPhase waits until every proxy is done (or the timeout), then one quiet period, and summarizes.
func waitPhase(phase string, ps []*proxy, start time.Time, cpu0 float64, errs chan error) map[string]any {
	b0 := make([]int64, len(ps))
	r0 := make([]int64, len(ps))
	for i, p := range ps {
		b0[i], r0[i] = p.bytes.Load(), p.responses.Load()
	}
	deadline := time.After(*timeout)
	for _, p := range ps {
		select {
		case <-p.done:
		case err := <-errs:
			fail(phase, ps, start, cpu0, err.Error())
		case <-deadline:
			fail(phase, ps, start, cpu0, "timed out after "+timeout.String())
		}
	}
	time.Sleep(*settle)
	times := make([]float64, len(ps))
	var bytes, resps, nacks, reconnects int64
	for i, p := range ps {
		p.mu.Lock()
		times[i] = p.doneAt.Sub(start).Seconds()
		p.mu.Unlock()
		bytes += p.bytes.Load() - b0[i]
		resps += p.responses.Load() - r0[i]
		nacks += p.nacks.Load()
		reconnects += p.reconnects.Load()
	}
	sort.Float64s(times)
	n := float64(len(ps))
	return map[string]any{
		"all_seconds":         times[len(times)-1],
		"median_seconds":      times[len(times)/2],
		"bytes_per_proxy":     float64(bytes) / n,
		"responses_per_proxy": float64(resps) / n,
		"nacks":               nacks,
		"reconnects":          reconnects,
		"cpu_seconds":         cpuSeconds() - cpu0,
		"vmhwm_kib":           procStatus("VmHWM"),
		"vmrss_kib":           procStatus("VmRSS"),
		"clusters":            ps[0].count(func(p *proxy) int { return len(p.clusters) }),
		"listeners":           ps[0].count(func(p *proxy) int { return len(p.listeners) }),
		"eds":                 ps[0].count(func(p *proxy) int { return len(p.edsSeen) }),
		"routes":              ps[0].count(func(p *proxy) int { return len(p.rdsSeen) }),
	}
}

func newProxy(i int) *proxy {
	ip := fmt.Sprintf("10.%d.%d.%d", 100+i/65536, (i/256)%256, i%256)
	pod := fmt.Sprintf("load-%d", i)
	ns := *namespace
	meta, err := structpb.NewStruct(map[string]any{
		"ISTIO_VERSION":         *istioVersion,
		"CLUSTER_ID":            "Kubernetes",
		"NAMESPACE":             ns,
		"NAME":                  pod,
		"POD_NAME":              pod,
		"INSTANCE_IPS":          ip,
		"SERVICE_ACCOUNT":       "default",
		"MESH_ID":               "cluster.local",
		"WORKLOAD_NAME":         "load",
		"OWNER":                 "kubernetes://apis/apps/v1/namespaces/" + ns + "/deployments/load",
		"INTERCEPTION_MODE":     "REDIRECT",
		"ENVOY_STATUS_PORT":     15021,
		"ENVOY_PROMETHEUS_PORT": 15090,
		"LABELS":                map[string]any{"app": "load", "service.istio.io/canonical-name": "load"},
		"ANNOTATIONS":           map[string]any{"sidecar.istio.io/status": "{}"},
		"PLATFORM_METADATA":     map[string]any{},
		"PROXY_CONFIG": map[string]any{
			"discoveryAddress":         *addr,
			"proxyMetadata":            map[string]any{},
			"statusPort":               15020,
			"serviceCluster":           "istio-proxy",
			"drainDuration":            "45s",
			"terminationDrainDuration": "5s",
		},
	})
	if err != nil {
		panic(err)
	}
	return &proxy{
		id: i,
		node: &core.Node{
			Id:            fmt.Sprintf("sidecar~%s~%s.%s~%s.svc.cluster.local", ip, pod, ns, ns),
			Cluster:       "load." + ns,
			Metadata:      meta,
			UserAgentName: "envoy",
		},
		clusters:  map[string]string{},
		listeners: map[string][]string{},
		edsSeen:   map[string]bool{},
		rdsSeen:   map[string]bool{},
	}
}

func (p *proxy) startPhase(w *watch) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.w = w
	p.gotCluster, p.gotEDS, p.gotRDS = false, false, false
	p.done = make(chan struct{})
	p.doneAt = time.Time{}
	if w != nil {
		// the state may already hold the watched resource only when the change did nothing
		p.check()
	}
}

func (p *proxy) describe() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	missEDS, missRDS := 0, 0
	for _, s := range p.edsSeen {
		if !s {
			missEDS++
		}
	}
	for _, s := range p.rdsSeen {
		if !s {
			missRDS++
		}
	}
	return fmt.Sprintf("cds=%v lds=%v clusters=%d listeners=%d eds=%d (missing %d) rds=%d (missing %d) watch cluster=%v eds=%v rds=%v",
		p.cdsDone, p.ldsDone, len(p.clusters), len(p.listeners), len(p.edsSeen), missEDS, len(p.rdsSeen), missRDS,
		p.gotCluster, p.gotEDS, p.gotRDS)
}

// run keeps the proxy connected: as Envoy does, it reconnects after a second when the stream ends, and
// subscribes afresh (the state held is dropped, so the next responses are full ones).
func (p *proxy) run() error {
	for {
		err := p.runOnce()
		if !*reconnect {
			return err
		}
		n := p.reconnects.Add(1)
		if n == 1 {
			fmt.Fprintf(os.Stderr, "xds-load: proxy %d reconnects: %v\n", p.id, err)
		}
		p.mu.Lock()
		p.clusters, p.listeners = map[string]string{}, map[string][]string{}
		p.edsSeen, p.rdsSeen = map[string]bool{}, map[string]bool{}
		p.ldsAsked, p.cdsDone, p.ldsDone = false, false, false
		p.mu.Unlock()
		time.Sleep(time.Second)
	}
}

func (p *proxy) runOnce() error {
	conn, err := grpc.NewClient(*addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20)))
	if err != nil {
		return err
	}
	defer conn.Close()
	p.stream, err = discovery.NewAggregatedDiscoveryServiceClient(conn).DeltaAggregatedResources(context.Background())
	if err != nil {
		return err
	}
	if err := p.send(&discovery.DeltaDiscoveryRequest{Node: p.node, TypeUrl: typeCluster}); err != nil {
		return err
	}
	for {
		resp, err := p.stream.Recv()
		if err != nil {
			return err
		}
		p.bytes.Add(int64(proto.Size(resp)))
		p.responses.Add(1)
		if err := p.handle(resp); err != nil {
			return err
		}
	}
}

func (p *proxy) send(r *discovery.DeltaDiscoveryRequest) error { return p.stream.Send(r) }

// handle applies one response, sends the subscriptions it implies before its ACK (as Envoy does), and ACKs.
func (p *proxy) handle(resp *discovery.DeltaDiscoveryResponse) error {
	var follow []*discovery.DeltaDiscoveryRequest
	var nack error
	p.mu.Lock()
	switch resp.TypeUrl {
	case typeCluster:
		for _, r := range resp.Resources {
			c := &cluster.Cluster{}
			if err := r.Resource.UnmarshalTo(c); err != nil {
				nack = err
				break
			}
			eds := ""
			if c.GetType() == cluster.Cluster_EDS {
				eds = c.GetEdsClusterConfig().GetServiceName()
				if eds == "" {
					eds = c.Name
				}
			}
			p.clusters[r.Name] = eds
		}
		for _, n := range resp.RemovedResources {
			delete(p.clusters, n)
		}
		want := map[string]bool{}
		for _, eds := range p.clusters {
			if eds != "" {
				want[eds] = true
			}
		}
		if sub, unsub := diff(p.edsSeen, want); len(sub)+len(unsub) > 0 {
			follow = append(follow, &discovery.DeltaDiscoveryRequest{TypeUrl: typeEndpoint, ResourceNamesSubscribe: sub, ResourceNamesUnsubscribe: unsub})
		}
		p.cdsDone = true
		if !p.ldsAsked {
			p.ldsAsked = true
			defer func() { _ = p.send(&discovery.DeltaDiscoveryRequest{TypeUrl: typeListener}) }()
		}
	case typeListener:
		for _, r := range resp.Resources {
			l := &listener.Listener{}
			if err := r.Resource.UnmarshalTo(l); err != nil {
				nack = err
				break
			}
			p.listeners[r.Name] = routeNames(l)
		}
		for _, n := range resp.RemovedResources {
			delete(p.listeners, n)
		}
		want := map[string]bool{}
		for _, rs := range p.listeners {
			for _, r := range rs {
				want[r] = true
			}
		}
		if sub, unsub := diff(p.rdsSeen, want); len(sub)+len(unsub) > 0 {
			follow = append(follow, &discovery.DeltaDiscoveryRequest{TypeUrl: typeRoute, ResourceNamesSubscribe: sub, ResourceNamesUnsubscribe: unsub})
		}
		p.ldsDone = true
	case typeEndpoint:
		for _, r := range resp.Resources {
			cla := &endpoint.ClusterLoadAssignment{}
			if err := r.Resource.UnmarshalTo(cla); err != nil {
				nack = err
				break
			}
			if _, ok := p.edsSeen[r.Name]; ok {
				p.edsSeen[r.Name] = true
			}
			if p.w != nil && p.w.eds == r.Name && hasEndpoint(cla, p.w.ip) {
				p.gotEDS = true
			}
		}
	case typeRoute:
		for _, r := range resp.Resources {
			rc := &route.RouteConfiguration{}
			if err := r.Resource.UnmarshalTo(rc); err != nil {
				nack = err
				break
			}
			if _, ok := p.rdsSeen[r.Name]; ok {
				p.rdsSeen[r.Name] = true
			}
			if p.w != nil && p.w.domain != "" && hasDomain(rc, p.w.domain) {
				p.gotRDS = true
			}
		}
	}
	if p.w != nil && p.w.cluster != "" {
		if _, ok := p.clusters[p.w.cluster]; ok {
			p.gotCluster = true
		}
	}
	p.check()
	p.mu.Unlock()

	for _, f := range follow {
		if err := p.send(f); err != nil {
			return err
		}
	}
	ack := &discovery.DeltaDiscoveryRequest{TypeUrl: resp.TypeUrl, ResponseNonce: resp.Nonce}
	if nack != nil {
		p.nacks.Add(1)
		ack.ErrorDetail = statusOf(nack)
	}
	return p.send(ack)
}

// check closes done when the current phase's condition holds; p.mu is held.
func (p *proxy) check() {
	if !p.doneAt.IsZero() {
		return
	}
	ok := false
	if p.w == nil {
		ok = p.cdsDone && p.ldsDone && allSeen(p.edsSeen) && allSeen(p.rdsSeen)
	} else {
		ok = (p.w.cluster == "" || p.gotCluster) && (p.w.eds == "" || p.gotEDS) && (p.w.domain == "" || p.gotRDS)
	}
	if ok {
		p.doneAt = time.Now()
		close(p.done)
	}
}

func allSeen(m map[string]bool) bool {
	for _, s := range m {
		if !s {
			return false
		}
	}
	return true
}

// diff updates the subscription set held to want and returns the names to subscribe and unsubscribe.
func diff(held map[string]bool, want map[string]bool) (sub, unsub []string) {
	for n := range want {
		if _, ok := held[n]; !ok {
			held[n] = false
			sub = append(sub, n)
		}
	}
	for n := range held {
		if !want[n] {
			delete(held, n)
			unsub = append(unsub, n)
		}
	}
	sort.Strings(sub)
	sort.Strings(unsub)
	return sub, unsub
}

func hasEndpoint(cla *endpoint.ClusterLoadAssignment, ip string) bool {
	for _, le := range cla.Endpoints {
		for _, lb := range le.LbEndpoints {
			if ip == "" {
				return true
			}
			if lb.GetEndpoint().GetAddress().GetSocketAddress().GetAddress() == ip {
				return true
			}
		}
	}
	return false
}

func hasDomain(rc *route.RouteConfiguration, domain string) bool {
	for _, vh := range rc.VirtualHosts {
		for _, d := range vh.Domains {
			if d == domain {
				return true
			}
		}
	}
	return false
}

// routeNames lists the RDS route names of a listener's HTTP connection managers.
func routeNames(l *listener.Listener) []string {
	var names []string
	chains := append([]*listener.FilterChain{}, l.FilterChains...)
	if l.DefaultFilterChain != nil {
		chains = append(chains, l.DefaultFilterChain)
	}
	for _, fc := range chains {
		for _, f := range fc.Filters {
			tc := f.GetTypedConfig()
			if tc == nil || tc.TypeUrl != "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager" {
				continue
			}
			m := &hcm.HttpConnectionManager{}
			if err := tc.UnmarshalTo(m); err != nil {
				continue
			}
			if rds := m.GetRds(); rds != nil && rds.RouteConfigName != "" {
				names = append(names, rds.RouteConfigName)
			}
		}
	}
	return names
}

func statusOf(err error) *rpcstatus.Status {
	return &rpcstatus.Status{Code: 3, Message: err.Error()} // INVALID_ARGUMENT
}

// cpuSeconds is the server's user+system CPU time (/proc/<pid>/stat, clock ticks of 1/100 s).
func cpuSeconds() float64 {
	if *serverPid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", *serverPid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	// after "pid (comm) ": state is field 0, utime field 11, stime field 12
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / 100
}

// procStatus reads one kB figure of /proc/<pid>/status.
func procStatus(key string) int64 {
	if *serverPid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", *serverPid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}

// count reads one figure of the proxy's state.
func (p *proxy) count(f func(p *proxy) int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return f(p)
}
