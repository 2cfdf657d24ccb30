package testenv

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// FaultKind is a kind of failure FaultProxy injects.
type FaultKind int

const (
	// FaultSlowDown answers 503 with an S3 SlowDown XML error body,
	// without asking the upstream.
	FaultSlowDown FaultKind = iota
	// FaultDelay holds the request back for FaultConfig.Delay, or until
	// the client gives up, then forwards it.
	FaultDelay
	// FaultReset sends the status, headers and part of the body, then
	// resets the connection (TCP RST).
	FaultReset
	// FaultTruncate announces the full Content-Length, sends only part of
	// the body and closes the connection (FIN).
	FaultTruncate

	numFaultKinds
)

// AllFaults returns every FaultKind.
func AllFaults() []FaultKind {
	return []FaultKind{FaultSlowDown, FaultDelay, FaultReset, FaultTruncate}
}

func (k FaultKind) String() string {
	switch k {
	case FaultSlowDown:
		return "slowdown"
	case FaultDelay:
		return "delay"
	case FaultReset:
		return "reset"
	case FaultTruncate:
		return "truncate"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Op is the kind of S3 request, told from a path-style request's method,
// path and query.
type Op int

const (
	OpList  Op = iota // ListObjectsV2 (GET /bucket?list-type=2)
	OpGet             // GetObject (GET /bucket/key)
	OpPut             // PutObject and other PUTs and POSTs
	OpOther           // anything else: HEAD, DELETE, bucket-level GETs
	numOps
)

func (o Op) String() string {
	switch o {
	case OpList:
		return "list"
	case OpGet:
		return "get"
	case OpPut:
		return "put"
	case OpOther:
		return "other"
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// FaultConfig says which faults FaultProxy injects. The zero value injects
// none: the proxy only forwards and counts.
type FaultConfig struct {
	// Seed seeds the random choices. The sequence of choices is
	// reproducible; which request meets which choice depends on the order
	// in which concurrent requests arrive.
	Seed uint64
	// GetRate and ListRate are the probabilities that a GetObject or a
	// ListObjectsV2 request meets a fault. Other requests never do.
	GetRate, ListRate float64
	// Kinds are the faults to choose from, uniformly. Empty: AllFaults().
	Kinds []FaultKind
	// Delay is how long FaultDelay holds a request back. Default 5s.
	Delay time.Duration
}

// ProxyCounts counts what a FaultProxy saw.
type ProxyCounts struct {
	// Requests counts requests by Op, faulted ones included.
	Requests [numOps]int
	// Faults counts injected faults by FaultKind.
	Faults [numFaultKinds]int
	// Abandoned counts delayed requests whose client gave up (timed out)
	// before the delay ended.
	Abandoned int
}

// TotalFaults returns the number of faults of every kind.
func (c ProxyCounts) TotalFaults() int {
	n := 0
	for _, f := range c.Faults {
		n += f
	}
	return n
}

// Sub returns the counts of c minus those of before, for a window of
// requests.
func (c ProxyCounts) Sub(before ProxyCounts) ProxyCounts {
	for i := range c.Requests {
		c.Requests[i] -= before.Requests[i]
	}
	for i := range c.Faults {
		c.Faults[i] -= before.Faults[i]
	}
	c.Abandoned -= before.Abandoned
	return c
}

func (c ProxyCounts) String() string {
	var b strings.Builder
	for op := range numOps {
		fmt.Fprintf(&b, "%s=%d ", op, c.Requests[op])
	}
	b.WriteString("faults:")
	for k := range numFaultKinds {
		fmt.Fprintf(&b, " %s=%d", k, c.Faults[k])
	}
	fmt.Fprintf(&b, " (abandoned delays=%d)", c.Abandoned)
	return b.String()
}

// FaultProxy is an HTTP reverse proxy on a loopback port in front of an
// S3-compatible upstream that injects faults at random and counts
// requests. It forwards the Host header, the path (escaping included)
// and the query exactly, so SigV4 signatures made for the proxy's
// address verify upstream. Requests are told apart by their path-style
// form only. The bodies of faulted responses are held in memory.
type FaultProxy struct {
	// URL is the proxy's base URL, "http://127.0.0.1:PORT".
	URL string

	cfg       FaultConfig
	upstream  *url.URL
	transport *http.Transport
	server    *http.Server
	stop      context.CancelFunc
	closeOnce sync.Once
	served    chan struct{}
	// handlers counts requests in flight, so Close can wait for them.
	handlers sync.WaitGroup

	// mu guards the fields below.
	mu     sync.Mutex
	closed bool
	rng    *rand.Rand
	counts ProxyCounts
}

// NewFaultProxy starts a FaultProxy in front of upstream (a base URL such
// as S3Server.Endpoint) and closes it when t ends.
func NewFaultProxy(t testing.TB, upstream string, cfg FaultConfig) *FaultProxy {
	t.Helper()
	p, err := StartFaultProxy(upstream, cfg)
	if err != nil {
		t.Fatalf("start fault proxy: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// StartFaultProxy starts a FaultProxy in front of upstream. The caller
// must Close it.
func StartFaultProxy(upstream string, cfg FaultConfig) (*FaultProxy, error) {
	u, err := url.Parse(upstream)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("upstream %q is not a base URL", upstream)
	}
	if len(cfg.Kinds) == 0 {
		cfg.Kinds = AllFaults()
	}
	if cfg.Delay <= 0 {
		cfg.Delay = 5 * time.Second
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	p := &FaultProxy{
		URL:      "http://" + l.Addr().String(),
		cfg:      cfg,
		upstream: u,
		// No compression: the proxy must not change bodies or lengths.
		transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64},
		stop:      stop,
		served:    make(chan struct{}),
		rng:       rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
	}
	p.server = &http.Server{
		Handler:     http.HandlerFunc(p.serve),
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	go func() {
		defer close(p.served)
		_ = p.server.Serve(l) // ErrServerClosed after Close
	}()
	return p, nil
}

// Close stops the proxy: it ends delayed requests, closes every
// connection and waits for its goroutines. Close may be called more than
// once.
func (p *FaultProxy) Close() {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.stop()
		_ = p.server.Close() // closes the listener and every tracked connection
		<-p.served
		p.handlers.Wait()
		p.transport.CloseIdleConnections()
	})
}

// Counts returns what the proxy has seen so far.
func (p *FaultProxy) Counts() ProxyCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts
}

// classify tells which S3 operation a path-style request is.
func classify(r *http.Request) Op {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPut || r.Method == http.MethodPost:
		return OpPut
	case r.Method != http.MethodGet || bucket == "":
		return OpOther
	case key == "" && q.Get("list-type") == "2":
		return OpList
	case key == "":
		return OpOther
	}
	for _, sub := range objectSubresources {
		if q.Has(sub) {
			return OpOther
		}
	}
	return OpGet // the SDK adds x-id=GetObject; partNumber, versionId too
}

// objectSubresources are queries that make a GET on a key something
// other than GetObject.
var objectSubresources = []string{"acl", "attributes", "legal-hold", "retention", "tagging", "torrent", "uploadId"}

// begin counts a request of kind op in, unless the proxy is closed.
func (p *FaultProxy) begin(op Op) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.handlers.Add(1)
	p.counts.Requests[op]++
	return true
}

// decide picks the fault of a request of kind op, if any.
func (p *FaultProxy) decide(op Op) (FaultKind, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var rate float64
	switch op {
	case OpGet:
		rate = p.cfg.GetRate
	case OpList:
		rate = p.cfg.ListRate
	}
	if rate <= 0 || p.rng.Float64() >= rate {
		return 0, false
	}
	return p.cfg.Kinds[p.rng.IntN(len(p.cfg.Kinds))], true
}

func (p *FaultProxy) count(k FaultKind) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts.Faults[k]++
}

// cutPoint picks how many of n body bytes a reset or truncated response
// sends: at least one byte short of n.
func (p *FaultProxy) cutPoint(n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rng.IntN(n)
}

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	op := classify(r)
	if !p.begin(op) {
		http.Error(w, "fault proxy: closed", http.StatusServiceUnavailable)
		return
	}
	defer p.handlers.Done()
	kind, fault := p.decide(op)
	if !fault {
		p.forward(w, r)
		return
	}
	switch kind {
	case FaultSlowDown:
		p.count(kind)
		slowDown(w, r)
	case FaultDelay:
		p.count(kind)
		t := time.NewTimer(p.cfg.Delay)
		defer t.Stop()
		select {
		case <-t.C:
			p.forward(w, r)
		case <-r.Context().Done(): // the client gave up, or Close
			p.mu.Lock()
			p.counts.Abandoned++
			p.mu.Unlock()
		}
	case FaultReset, FaultTruncate:
		p.cut(w, r, kind)
	}
}

// slowDown answers as S3 does when it throttles.
func slowDown(w http.ResponseWriter, r *http.Request) {
	body := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>` +
		`<Resource>` + xmlEscape(r.URL.Path) + `</Resource><RequestId>faultproxy</RequestId></Error>`
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusServiceUnavailable)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, body)
	}
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // a bytes.Buffer does not fail
	return b.String()
}

// hopHeaders are meaningful for one connection only and are not forwarded.
var hopHeaders = []string{
	"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// roundTrip sends r to the upstream with its Host header, escaped path and
// query unchanged.
func (p *FaultProxy) roundTrip(r *http.Request) (*http.Response, error) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = p.upstream.Scheme, p.upstream.Host
	out.Host = r.Host // signed by the client
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	if r.ContentLength == 0 {
		out.Body = nil
	}
	return p.transport.RoundTrip(out)
}

func copyHeader(w http.ResponseWriter, resp *http.Response) {
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	for _, h := range hopHeaders {
		w.Header().Del(h)
	}
}

// forward proxies r unchanged.
func (p *FaultProxy) forward(w http.ResponseWriter, r *http.Request) {
	resp, err := p.roundTrip(r)
	if err != nil {
		http.Error(w, "fault proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	copyHeader(w, resp)
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body) // a client that went away ends the copy
}

// cut forwards r but sends only part of the response's body, then resets
// or closes the connection. An upstream error, or a response with an
// empty body, is passed on whole and not counted as a fault.
func (p *FaultProxy) cut(w http.ResponseWriter, r *http.Request, kind FaultKind) {
	resp, err := p.roundTrip(r)
	if err != nil {
		http.Error(w, "fault proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		http.Error(w, "fault proxy: read upstream body: "+err.Error(), http.StatusBadGateway)
		return
	}
	copyHeader(w, resp)
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	if resp.StatusCode != http.StatusOK || len(body) == 0 || r.Method == http.MethodHead {
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
		return
	}
	p.count(kind)
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body[:p.cutPoint(len(body))])
	rc := http.NewResponseController(w)
	_ = rc.Flush() // Hijack would drop what is still buffered
	conn, _, err := rc.Hijack()
	if err != nil {
		return // the handler's return ends the response short anyway
	}
	if tcp, ok := conn.(*net.TCPConn); ok && kind == FaultReset {
		_ = tcp.SetLinger(0) // Close sends RST instead of FIN
	}
	_ = conn.Close()
}
