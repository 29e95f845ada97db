// Command ca-load drives an Istio CA (Isthmus's control plane or Istio's pilot-discovery) with concurrent
// certificate requests, each client the way pilot-agent makes them: Istio's own CA client
// (security/pkg/nodeagent/caclient/providers/citadel) over TLS, trusting the mesh root the CA publishes (a
// file holding ConfigMap istio-ca-root-cert's root-cert.pem) and checking the serving certificate for
// -san, with the service-account token of its own ServiceAccount in `authorization: Bearer`, so that the
// server reviews every request's token with the Kubernetes TokenReview API.
//
// Client i uses the token in file <tokens>/<i> and asks for spiffe://<trust-domain>/ns/<namespace>/sa/<sa-prefix><i>.
// Each client has its own connection, its own key and a CSR made once before the run (Istio's
// pki/util.GenCSR, RSA-2048 as pilot-agent by default, -key ecdsa for P-256), so that the client's own CPU
// goes to gRPC and TLS rather than to key generation.
//
// It runs a warm-up (-warmup, excluded from the figures), then the measured phase: -duration, or until
// -count requests have completed. It prints one JSON object: requests, errors, seconds, csrs_per_second,
// p50_ms, p99_ms and, with -server-pid (-apiserver-pid), the server's (the API server's) user+system CPU
// seconds over the measured phase.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"istio.io/istio/pkg/log"
	"istio.io/istio/pkg/security"
	"istio.io/istio/security/pkg/nodeagent/caclient/providers/citadel"
	pkiutil "istio.io/istio/security/pkg/pki/util"
)

var (
	addr        = flag.String("addr", "127.0.0.1:15012", "the CA's TLS gRPC address")
	san         = flag.String("san", "istiod.istio-system.svc", "name the serving certificate must carry")
	rootCert    = flag.String("root-cert", "", "PEM file of the mesh root the serving certificate chains to")
	tokens      = flag.String("tokens", "", "folder with one service-account token per client, files 0..clients-1")
	clients     = flag.Int("clients", 16, "concurrent clients, each with its own connection")
	namespace   = flag.String("namespace", "bench", "the clients' namespace")
	saPrefix    = flag.String("sa-prefix", "sa-", "client i is ServiceAccount <sa-prefix><i>")
	trustDomain = flag.String("trust-domain", "cluster.local", "the mesh's trust domain")
	keyType     = flag.String("key", "rsa", "the workloads' key type: rsa (RSA-2048) or ecdsa (P-256)")
	ttl         = flag.Duration("ttl", 24*time.Hour, "certificate lifetime asked for")
	warmup      = flag.Duration("warmup", 5*time.Second, "warm-up, not measured")
	duration    = flag.Duration("duration", 20*time.Second, "measured phase (unless -count is set)")
	count       = flag.Int("count", 0, "measured phase ends after this many requests (0: -duration)")
	serverPid   = flag.Int("server-pid", 0, "the server's process id, for its CPU time")
	apiPid      = flag.Int("apiserver-pid", 0, "the kube-apiserver's process id, for its CPU time (TokenReviews)")
)

// staticToken is a CredFetcher that hands out one token, as pilot-agent's file-based one would.
type staticToken string

func (t staticToken) GetPlatformCredential() (string, error) { return string(t), nil }
func (t staticToken) GetIdentityProvider() string            { return "" }
func (t staticToken) Stop()                                  {}

type result struct {
	Clients       int     `json:"clients"`
	Key           string  `json:"key"`
	Requests      int64   `json:"requests"`
	Errors        int64   `json:"errors"`
	Seconds       float64 `json:"seconds"`
	CsrsPerSecond float64 `json:"csrs_per_second"`
	P50Ms         float64 `json:"p50_ms"`
	P99Ms         float64 `json:"p99_ms"`
	CPUSeconds    float64 `json:"cpu_seconds,omitempty"`
	APICPUSeconds float64 `json:"apiserver_cpu_seconds,omitempty"`
	WarmupReqs    int64   `json:"warmup_requests"`
	FirstError    string  `json:"first_error,omitempty"`
}

func main() {
	flag.Parse()
	// Istio's CA client logs every failed request; the first error is reported in the JSON instead.
	logOpts := log.DefaultOptions()
	logOpts.SetDefaultOutputLevel(log.OverrideScopeName, log.NoneLevel)
	_ = log.Configure(logOpts)
	if *rootCert == "" || *tokens == "" {
		fail("-root-cert and -tokens are required")
	}
	csrs := make([][]byte, *clients)
	conns := make([]*citadel.CitadelClient, *clients)
	var prep sync.WaitGroup
	var prepErr atomic.Value
	for i := 0; i < *clients; i++ {
		prep.Add(1)
		go func(i int) {
			defer prep.Done()
			token, err := os.ReadFile(filepath.Join(*tokens, strconv.Itoa(i)))
			if err != nil {
				prepErr.Store(err)
				return
			}
			id := fmt.Sprintf("spiffe://%s/ns/%s/sa/%s%d", *trustDomain, *namespace, *saPrefix, i)
			opts := pkiutil.CertOptions{Host: id, RSAKeySize: 2048}
			if *keyType == "ecdsa" {
				opts = pkiutil.CertOptions{Host: id, ECSigAlg: pkiutil.EcdsaSigAlg, ECCCurve: pkiutil.P256Curve}
			}
			csr, _, err := pkiutil.GenCSR(opts)
			if err != nil {
				prepErr.Store(err)
				return
			}
			csrs[i] = csr
			c, err := citadel.NewCitadelClient(&security.Options{
				CAEndpoint:    *addr,
				CAEndpointSAN: *san,
				ClusterID:     "Kubernetes",
				CredFetcher:   staticToken(strings.TrimSpace(string(token))),
			}, &citadel.TLSOptions{RootCert: *rootCert})
			if err != nil {
				prepErr.Store(err)
				return
			}
			conns[i] = c
		}(i)
	}
	prep.Wait()
	if err, ok := prepErr.Load().(error); ok {
		fail(err.Error())
	}
	ttlSeconds := int64(ttl.Seconds())

	// phase 0: warm-up; phase 1: measured; phase 2: stop
	var phase atomic.Int32
	var measured, warm, errs atomic.Int64
	var firstErr atomic.Value
	lat := make([][]time.Duration, *clients)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < *clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			for {
				p := phase.Load()
				if p == 2 {
					return
				}
				t := time.Now()
				_, err := conns[i].CSRSign(csrs[i], ttlSeconds)
				d := time.Since(t)
				if phase.Load() != p {
					continue // straddled a phase change: counted in neither
				}
				if p == 0 {
					warm.Add(1)
					continue
				}
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat[i] = append(lat[i], d)
				if n := measured.Add(1); *count > 0 && n >= int64(*count) {
					phase.CompareAndSwap(1, 2)
				}
			}
		}(i)
	}
	close(start)
	time.Sleep(*warmup)
	cpu0, api0 := cpuSeconds(*serverPid), cpuSeconds(*apiPid)
	t0 := time.Now()
	phase.Store(1)
	if *count > 0 {
		for phase.Load() == 1 {
			time.Sleep(10 * time.Millisecond)
		}
	} else {
		time.Sleep(*duration)
		phase.Store(2)
	}
	elapsed := time.Since(t0).Seconds()
	cpu1, api1 := cpuSeconds(*serverPid), cpuSeconds(*apiPid)
	wg.Wait()
	for _, c := range conns {
		c.Close()
	}

	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	r := result{
		Clients: *clients, Key: *keyType, Requests: int64(len(all)), Errors: errs.Load(), Seconds: elapsed,
		CsrsPerSecond: float64(len(all)) / elapsed, WarmupReqs: warm.Load(),
		P50Ms: quantile(all, 0.50), P99Ms: quantile(all, 0.99),
	}
	if *serverPid > 0 {
		r.CPUSeconds = cpu1 - cpu0
	}
	if *apiPid > 0 {
		r.APICPUSeconds = api1 - api0
	}
	if e, ok := firstErr.Load().(string); ok {
		r.FirstError = e
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	if len(all) == 0 {
		os.Exit(3)
	}
}

func quantile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)-1))
	return float64(sorted[i].Microseconds()) / 1000
}

// cpuSeconds is the user+system CPU time of a process, all its threads, from /proc/<pid>/stat.
func cpuSeconds(pid int) float64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndex(s, ")")+2:])
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "ca-load:", msg)
	os.Exit(2)
}
