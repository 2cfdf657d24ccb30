package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// testNow is the clock of the handler tests; the demo data is the week
// before it.
var testNow = time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)

func newTestServer(t *testing.T, cfg Config, q Queries) (*Server, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	s, err := New(cfg, q, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return testNow }
	return s, &logs
}

func demoQueries() *fakeQueries {
	return &fakeQueries{alerts: append(demoAlerts(testNow, 300), hostileAlert(testNow)), health: demoHealth(testNow)}
}

// get serves one request; header pairs are name, value.
func get(t *testing.T, h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	req.Host = "127.0.0.1:8080"
	for i := 0; i+1 < len(header); i += 2 {
		if strings.EqualFold(header[i], "Host") {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func checkSecurityHeaders(t *testing.T, target string, h http.Header) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": csp,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", target, k, got, v)
		}
	}
}

func TestRoutes(t *testing.T) {
	q := demoQueries()
	s, _ := newTestServer(t, DefaultConfig(), q)
	h := s.Handler()
	first := q.alerts[0]
	cases := []struct {
		name, method, target string
		status               int
		ctype                string
	}{
		{"overview", "GET", "/", 200, "text/html"},
		{"overview 7d", "GET", "/?range=7d", 200, "text/html"},
		{"overview custom", "GET", "/?from=2025-01-10T00:00&to=2025-01-15", 200, "text/html"},
		{"brute force", "GET", "/bruteforce?range=30d", 200, "text/html"},
		{"unusual network", "GET", "/unusual-network?range=all", 200, "text/html"},
		{"instances", "GET", "/instances", 200, "text/html"},
		{"instance", "GET", "/instances/" + demoInstances[0] + "?range=7d", 200, "text/html"},
		{"unknown instance", "GET", "/instances/i-nothing", 200, "text/html"},
		{"alerts", "GET", "/alerts?range=7d&band=high&level=5&size=25&page=2", 200, "text/html"},
		{"alert", "GET", "/alerts/" + first.ID, 200, "text/html"},
		{"missing alert", "GET", "/alerts/nope", 404, "text/html"},
		{"health", "GET", "/health", 200, "text/html"},
		{"csv", "GET", "/alerts.csv?range=7d", 200, "text/csv"},
		{"api overview", "GET", "/api/overview?range=7d", 200, "application/json"},
		{"api brute force", "GET", "/api/bruteforce", 200, "application/json"},
		{"api unusual", "GET", "/api/unusual-network", 200, "application/json"},
		{"api instances", "GET", "/api/instances", 200, "application/json"},
		{"api instance", "GET", "/api/instances/" + demoInstances[1], 200, "application/json"},
		{"api alerts", "GET", "/api/alerts?q=ssh", 200, "application/json"},
		{"api alert", "GET", "/api/alerts/" + first.ID, 200, "application/json"},
		{"api missing alert", "GET", "/api/alerts/nope", 404, "application/json"},
		{"api health", "GET", "/api/health", 200, "application/json"},
		{"healthz", "GET", "/healthz", 200, "text/plain"},
		{"app.js", "GET", "/assets/app.js", 200, "text/javascript"},
		{"app.css", "GET", "/assets/app.css", 200, "text/css"},
		{"echarts", "GET", "/assets/vendor/echarts/echarts.min.js", 200, "text/javascript"},
		{"world map", "GET", "/assets/vendor/world-atlas/world.geo.json", 200, "application/json"},
		{"echarts licence", "GET", "/assets/vendor/echarts/LICENSE", 200, "text/plain"},
		{"favicon", "GET", "/favicon.ico", 301, ""},
		{"no page", "GET", "/nope", 404, "text/html"},
		{"no api", "GET", "/api/nope", 404, "application/json"},
		{"post to a page", "POST", "/alerts", 404, "text/html"},
		{"bad range", "GET", "/?range=2w", 400, "text/html"},
		{"bad from", "GET", "/api/overview?from=yesterday", 400, "application/json"},
		{"from after to", "GET", "/?from=2025-01-15&to=2025-01-10", 400, "text/html"},
		{"bad level", "GET", "/api/alerts?level=99", 400, "application/json"},
		{"bad band", "GET", "/alerts?band=severe", 400, "text/html"},
		{"bad page", "GET", "/alerts?page=0", 400, "text/html"},
		{"bad size", "GET", "/alerts.csv?size=-1", 400, "application/json"},
		{"logout", "POST", "/logout", 303, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := get(t, h, c.method, c.target)
			if w.Code != c.status {
				t.Errorf("%s %s: status %d, want %d; body %.300s", c.method, c.target, w.Code, c.status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, c.ctype) {
				t.Errorf("%s: Content-Type %q, want %s", c.target, ct, c.ctype)
			}
			checkSecurityHeaders(t, c.target, w.Header())
		})
	}
}

func TestQueryErrorIsA500WithoutDetails(t *testing.T) {
	q := demoQueries()
	q.err = errors.New("database is locked: secret-path /var/lib/x")
	s, logs := newTestServer(t, DefaultConfig(), q)
	for _, target := range []string{"/", "/api/overview", "/alerts.csv", "/health", "/instances/i-1"} {
		w := get(t, s.Handler(), "GET", target)
		if w.Code != 500 {
			t.Errorf("%s: status %d, want 500", target, w.Code)
		}
		if strings.Contains(w.Body.String(), "secret-path") {
			t.Errorf("%s: the answer shows the query error", target)
		}
		checkSecurityHeaders(t, target, w.Header())
	}
	if !strings.Contains(logs.String(), "secret-path") {
		t.Error("the query error is not logged")
	}
}

func TestDefaultRangeAndCustomRange(t *testing.T) {
	q := demoQueries()
	cfg := DefaultConfig()
	cfg.DefaultRange = "all"
	s, _ := newTestServer(t, cfg, q)
	var all, day overviewView
	decode(t, get(t, s.Handler(), "GET", "/api/overview"), &all)
	decode(t, get(t, s.Handler(), "GET", "/api/overview?range=24h"), &day)
	if all.Total != int64(len(q.alerts)) || all.Time.Range != "all" {
		t.Errorf("default range: %d alerts in %q, want %d in all", all.Total, all.Time.Range, len(q.alerts))
	}
	if day.Total == 0 || day.Total >= all.Total {
		t.Errorf("24h: %d alerts of %d", day.Total, all.Total)
	}
	if day.Time.From == nil || !day.Time.From.Equal(testNow.Add(-24*time.Hour)) || day.Time.To != nil {
		t.Errorf("24h range: %+v", day.Time)
	}
	var custom overviewView
	decode(t, get(t, s.Handler(), "GET", "/api/overview?from=2025-01-15T10:00&to=2025-01-15T11:00:00Z"), &custom)
	if custom.Time.Range != "custom" || custom.Total >= day.Total {
		t.Errorf("custom: %d alerts, range %+v", custom.Total, custom.Time)
	}
	if _, err := New(Config{DefaultRange: "1y"}, q, nil); err == nil {
		t.Error("New accepts default range 1y")
	}
}

func decode(t *testing.T, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %T: %v", v, err)
	}
}

func TestAPIShapes(t *testing.T) {
	q := demoQueries()
	s, _ := newTestServer(t, DefaultConfig(), q)
	h := s.Handler()

	var o overviewView
	decode(t, get(t, h, "GET", "/api/overview?range=7d"), &o)
	var bandsSeen []string
	for _, c := range o.ByBand {
		bandsSeen = append(bandsSeen, c.Label)
	}
	if strings.Join(bandsSeen, ",") != "low,medium,high,critical" {
		t.Errorf("by_band %v", bandsSeen)
	}
	for _, l := range o.ByBandTime.Series {
		if len(l.Values) != len(o.ByBandTime.Buckets) {
			t.Errorf("series %s has %d values for %d buckets", l.Label, len(l.Values), len(o.ByBandTime.Buckets))
		}
	}

	var p alertsView
	decode(t, get(t, h, "GET", "/api/alerts?range=7d&size=10&page=2"), &p)
	if p.Page != 2 || p.Size != 10 || len(p.Alerts) != 10 || p.Total != int64(len(q.alerts)) || p.Pages != (len(q.alerts)+9)/10 {
		t.Errorf("page: page %d size %d alerts %d total %d pages %d", p.Page, p.Size, len(p.Alerts), p.Total, p.Pages)
	}
	if p.Alerts[0].Event != nil {
		t.Error("the list carries the event JSON")
	}

	var a apiAlert
	decode(t, get(t, h, "GET", "/api/alerts/"+q.alerts[3].ID), &a)
	var ev map[string]any
	if err := json.Unmarshal(a.Event, &ev); err != nil || ev["integration"] != "aws" {
		t.Errorf("event %s: %v", a.Event, err)
	}
	if a.Band != bandOf(q.alerts[3].Severity) || a.Remote.Lat == nil {
		t.Errorf("alert: band %q, remote %+v", a.Band, a.Remote)
	}

	var empty overviewView
	s2, _ := newTestServer(t, DefaultConfig(), &fakeQueries{})
	w := get(t, s2.Handler(), "GET", "/api/overview")
	decode(t, w, &empty)
	if strings.Contains(w.Body.String(), "null") {
		t.Errorf("empty overview has nulls: %s", w.Body)
	}
}

func TestServeStopsWhenContextEnds(t *testing.T) {
	s, _ := newTestServer(t, DefaultConfig(), demoQueries())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Errorf("healthz: %d %q", resp.StatusCode, body)
	}
	http.DefaultClient.CloseIdleConnections()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v after cancel, want nil", err)
	}
}

func TestRunReportsListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s, _ := newTestServer(t, Config{Addr: ln.Addr().String()}, demoQueries())
	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Errorf("Run on a busy port = %v", err)
	}
}

func TestMetricsMounted(t *testing.T) {
	m := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "dutywatch_up 1\n") })
	s, _ := newTestServer(t, Config{Token: "metrics-token-123456", Metrics: m}, demoQueries())
	if w := get(t, s.Handler(), "GET", "/metrics"); w.Code != 401 {
		t.Errorf("/metrics without token: %d", w.Code)
	}
	w := get(t, s.Handler(), "GET", "/metrics", "Authorization", "Bearer metrics-token-123456")
	if w.Code != 200 || w.Body.String() != "dutywatch_up 1\n" {
		t.Errorf("/metrics: %d %q", w.Code, w.Body)
	}
	s2, _ := newTestServer(t, DefaultConfig(), demoQueries())
	if w := get(t, s2.Handler(), "GET", "/metrics"); w.Code != 404 {
		t.Errorf("/metrics with no handler: %d", w.Code)
	}
}

func TestParams(t *testing.T) {
	cases := []struct {
		name, query string
		key         string
		from, to    time.Time
		err         string
	}{
		{"default", "", "24h", testNow.Add(-24 * time.Hour), time.Time{}, ""},
		{"1h", "range=1h", "1h", testNow.Add(-time.Hour), time.Time{}, ""},
		{"all", "range=all", "all", time.Time{}, time.Time{}, ""},
		{"custom minutes", "from=2025-01-01T10:30&to=2025-01-02", "custom",
			time.Date(2025, 1, 1, 10, 30, 0, 0, time.UTC), time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), ""},
		{"rfc3339 with zone", "from=2025-01-01T10:30:00%2B02:00", "custom", time.Date(2025, 1, 1, 8, 30, 0, 0, time.UTC), time.Time{}, ""},
		{"epoch ms", "to=1736942400000", "custom", time.Time{}, time.UnixMilli(1736942400000).UTC(), ""},
		{"custom wins over range", "range=1h&from=2025-01-01", "custom", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, ""},
		{"bad range", "range=week", "", time.Time{}, time.Time{}, "range: want"},
		{"bad from", "from=monday", "", time.Time{}, time.Time{}, "from: want"},
		{"empty window", "from=2025-01-02&to=2025-01-02", "", time.Time{}, time.Time{}, "must be before"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, _ := url.ParseQuery(c.query)
			got, err := parseTimeSel(v, testNow, "24h")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Key != c.key || !got.From.Equal(c.from) || !got.To.Equal(c.to) {
				t.Errorf("got %+v, want %s %v %v", got, c.key, c.from, c.to)
			}
			// Links keep the selection.
			again, err := parseTimeSel(got.values(), testNow, "7d")
			if err != nil || again.Key != got.Key || !again.From.Equal(got.From.Truncate(time.Minute)) && got.Key == "custom" {
				t.Errorf("round trip %v: %+v, %v", got.values(), again, err)
			}
		})
	}
}

func TestAlertQuery(t *testing.T) {
	v, _ := url.ParseQuery("level=7&band=HIGH&type=+Recon:EC2/Portscan+&account=1&region=eu-west-1&instance=i-1&rule=100100&q=ssh+22&page=3&size=100")
	f, page, size, err := parseAlertQuery(v)
	if err != nil {
		t.Fatal(err)
	}
	want := alertQuery{MinLevel: 7, Band: "high", Type: "Recon:EC2/Portscan", Account: "1", Region: "eu-west-1",
		InstanceID: "i-1", RuleID: 100100, Text: "ssh 22"}
	if f != want || page != 3 || size != 100 {
		t.Errorf("got %+v page %d size %d", f, page, size)
	}
	sf := f.storeFilter(timeSel{Key: "all"}, page, size)
	if sf.Offset != 200 || sf.Limit != 100 || sf.Band != "high" || sf.Text != "ssh 22" {
		t.Errorf("store filter %+v", sf)
	}
	again, _, _, err := parseAlertQuery(f.values())
	if err != nil || again != f {
		t.Errorf("round trip: %+v %v", again, err)
	}
	for _, bad := range []string{"level=x", "level=17", "size=501", "page=-1", "band=red", "rule=1e3"} {
		v, _ := url.ParseQuery(bad)
		if _, _, _, err := parseAlertQuery(v); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestMitreURL(t *testing.T) {
	cases := map[string]string{
		"T1110":                           "https://attack.mitre.org/techniques/T1110/",
		"T1110.001":                       "https://attack.mitre.org/techniques/T1110/001/",
		"T1110.1":                         "",
		"T110":                            "",
		"t1110":                           "",
		"T1110/../../x":                   "",
		"javascript:alert(1)":             "",
		"T9999\"><img src=x>":             "",
		"TA0001":                          "",
		"T1110.001.002":                   "",
		"T1110." + strings.Repeat("0", 3): "https://attack.mitre.org/techniques/T1110/000/",
	}
	for id, want := range cases {
		if got := mitreURL(id); got != want {
			t.Errorf("mitreURL(%q) = %q, want %q", id, got, want)
		}
	}
}

func TestUnescapeHTML(t *testing.T) {
	in := `{"a": "\u003cscript\u003e \u0026 \\u003c", "b": "\"\u003e"}`
	want := `{"a": "<script> & \\u003c", "b": "\">"}`
	got := string(unescapeHTML([]byte(in)))
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	var x, y any
	if json.Unmarshal([]byte(in), &x) != nil || json.Unmarshal([]byte(got), &y) != nil {
		t.Fatal("not JSON")
	}
	if b1, _ := json.Marshal(x); !bytes.Equal(b1, func() []byte { b, _ := json.Marshal(y); return b }()) {
		t.Errorf("values differ: %v %v", x, y)
	}
}

func TestNum(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4321: "-4,321"} {
		if got := num(n); got != want {
			t.Errorf("num(%d) = %q, want %q", n, got, want)
		}
	}
}
