package opensearch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/dutywatch/dutywatch/internal/source"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// logBuffer collects log output from any goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// harness is an Output on a fakeCluster, with its waits recorded instead
// of slept.
type harness struct {
	out   *Output
	logs  *logBuffer
	mu    sync.Mutex
	waits []time.Duration
}

func (h *harness) waited() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Duration(nil), h.waits...)
}

// newHarness builds an Output for f with cfg's zero fields defaulted; the
// template is installed by New unless cfg says otherwise.
func newHarness(t *testing.T, f *fakeCluster, edit func(*Config)) (*harness, error) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.URLs = []string{f.URL()}
	cfg.MaxRetries = 3
	if edit != nil {
		edit(&cfg)
	}
	h := &harness{logs: &logBuffer{}}
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// New waits between template retries before the harness can replace
	// wait, so build without the template first and install it after.
	tmpl := cfg.Template
	cfg.Template = false
	out, err := New(t.Context(), cfg, log)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { out.Close() })
	out.wait = func(ctx context.Context, d time.Duration) error {
		h.mu.Lock()
		h.waits = append(h.waits, d)
		h.mu.Unlock()
		return ctx.Err()
	}
	out.jitter = func(n int64) int64 { return n - 1 } // the longest wait
	h.out = out
	if tmpl {
		out.cfg.Template = true
		out.tmplDone = false
		if err := out.ensureTemplate(t.Context()); err != nil && !errors.Is(err, source.ErrTransient) {
			return h, err
		}
	}
	return h, nil
}

func mustHarness(t *testing.T, f *fakeCluster, edit func(*Config)) *harness {
	t.Helper()
	h, err := newHarness(t, f, edit)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

var day1 = time.Date(2025, 3, 9, 23, 59, 59, 0, time.FixedZone("CET", 3600)) // 22:59:59 UTC
var day2 = time.Date(2025, 3, 10, 0, 30, 0, 0, time.UTC)

// alertItem is an item with a small alerts.json-shaped line.
func alertItem(id string, ts time.Time) Item {
	doc := fmt.Sprintf(`{"timestamp":%q,"rule":{"level":6,"description":"AWS GuardDuty: PORT_PROBE","id":"80302","firedtimes":1,"mail":false,"groups":["amazon","aws","aws_guardduty"]},"agent":{"id":"000","name":"mgr"},"manager":{"name":"mgr"},"id":%q,"decoder":{"name":"json"},"data":{"integration":"aws","aws":{"severity":5,"type":"Recon:EC2/PortProbeUnprotectedPort"}},"location":"Wazuh-AWS"}`+"\n",
		ts.Format("2006-01-02T15:04:05.000-0700"), id)
	return Item{AlertID: id, Time: ts, Doc: []byte(doc)}
}

func TestDeliverIndexesEveryAlert(t *testing.T) {
	f := newFakeCluster(t)
	h := mustHarness(t, f, nil)
	items := []Item{alertItem("a1", day1), alertItem("a2", day2), alertItem("a3", day2)}
	if err := h.out.Deliver(t.Context(), items); err != nil {
		t.Fatal(err)
	}
	bulks, docs, _, _ := f.snapshot()
	if len(bulks) != 1 {
		t.Fatalf("%d bulk requests, want 1", len(bulks))
	}
	if q := bulks[0].query; q != "" {
		t.Errorf("query %q, want none", q)
	}
	if ct := bulks[0].contentType; ct != "application/x-ndjson" {
		t.Errorf("Content-Type %q, want application/x-ndjson", ct)
	}
	want := map[string]string{"a1": "wazuh-alerts-4.x-2025.03.09", "a2": "wazuh-alerts-4.x-2025.03.10", "a3": "wazuh-alerts-4.x-2025.03.10"}
	for i, a := range bulks[0].actions {
		if a.ID != items[i].AlertID {
			t.Errorf("action %d: _id %q, want %q", i, a.ID, items[i].AlertID)
		}
		if a.Index != want[a.ID] {
			t.Errorf("%s: _index %q, want %q", a.ID, a.Index, want[a.ID])
		}
		if !bytes.Equal(a.Source, bytes.TrimSuffix(items[i].Doc, []byte("\n"))) {
			t.Errorf("%s: source differs from Doc:\n%s\n%s", a.ID, a.Source, items[i].Doc)
		}
	}
	if n := len(docs["wazuh-alerts-4.x-2025.03.10"]); n != 2 {
		t.Errorf("%d docs in 2025.03.10, want 2", n)
	}
	if s := h.out.Stats(); s.Indexed != 3 || s.Retries != 0 || s.Failed != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestDeliverRetriesWholeRequest(t *testing.T) {
	for _, tc := range []struct {
		name     string
		statuses []int
	}{
		{"429 then ok", []int{429}},
		{"503 then ok", []int{503}},
		{"502 html from a proxy then ok", []int{502}},
		{"504 twice then ok", []int{504, 504}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCluster(t)
			h := mustHarness(t, f, func(c *Config) { c.Backoff = 100 * time.Millisecond })
			f.set(func(f *fakeCluster) { f.bulkStatus = tc.statuses })
			if err := h.out.Deliver(t.Context(), []Item{alertItem("a1", day1), alertItem("a2", day1)}); err != nil {
				t.Fatal(err)
			}
			bulks, docs, _, _ := f.snapshot()
			if len(bulks) != len(tc.statuses)+1 {
				t.Errorf("%d bulk requests, want %d", len(bulks), len(tc.statuses)+1)
			}
			if n := len(docs["wazuh-alerts-4.x-2025.03.09"]); n != 2 {
				t.Errorf("%d docs, want 2", n)
			}
			if s := h.out.Stats(); s.Retries != int64(len(tc.statuses)) || s.Indexed != 2 {
				t.Errorf("stats %+v", s)
			}
			w := h.waited()
			for i, d := range w {
				if want := 100 * time.Millisecond << i; d != want {
					t.Errorf("wait %d is %v, want %v (doubling, full jitter pinned)", i, d, want)
				}
			}
		})
	}
}

func TestDeliverGivesUpAfterMaxRetries(t *testing.T) {
	f := newFakeCluster(t)
	h := mustHarness(t, f, func(c *Config) { c.MaxRetries = 2 })
	f.set(func(f *fakeCluster) { f.bulkStatus = []int{503, 503, 503, 503} })
	err := h.out.Deliver(t.Context(), []Item{alertItem("a1", day1)})
	if err == nil {
		t.Fatal("no error")
	}
	var be *BulkError
	if errors.As(err, &be) {
		t.Errorf("got *BulkError for a transient failure: %v", err)
	}
	if !errors.Is(err, source.ErrTransient) {
		t.Errorf("error %v does not wrap source.ErrTransient", err)
	}
	bulks, _, _, _ := f.snapshot()
	if len(bulks) != 3 {
		t.Errorf("%d bulk requests, want 3 (1 + MaxRetries)", len(bulks))
	}
	if s := h.out.Stats(); s.Retries != 2 || s.Indexed != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestDeliverPartialFailure(t *testing.T) {
	f := newFakeCluster(t)
	h := mustHarness(t, f, nil)
	f.set(func(f *fakeCluster) {
		f.itemStatus["b"] = []int{429}
		f.itemStatus["c"] = []int{400}
		f.itemStatus["d"] = []int{503}
	})
	items := []Item{alertItem("a", day1), alertItem("b", day1), alertItem("c", day1), alertItem("d", day2)}
	err := h.out.Deliver(t.Context(), items)
	var be *BulkError
	if !errors.As(err, &be) {
		t.Fatalf("got %v, want *BulkError", err)
	}
	if len(be.Items) != 1 || be.Items[0].AlertID != "c" || be.Items[0].Status != 400 ||
		be.Items[0].Type != "mapper_parsing_exception" || be.Items[0].Index != "wazuh-alerts-4.x-2025.03.09" {
		t.Errorf("BulkError items %+v", be.Items)
	}
	if !strings.Contains(be.Error(), "c in wazuh-alerts-4.x-2025.03.09: 400 mapper_parsing_exception") ||
		!strings.Contains(be.Error(), `caused by illegal_argument_exception: For input string: "many"`) {
		t.Errorf("error text %q", be.Error())
	}
	bulks, docs, _, _ := f.snapshot()
	if len(bulks) != 2 {
		t.Fatalf("%d bulk requests, want 2", len(bulks))
	}
	var resent []string
	for _, a := range bulks[1].actions {
		resent = append(resent, a.ID)
	}
	if strings.Join(resent, ",") != "b,d" {
		t.Errorf("retry sent %v, want only b,d", resent)
	}
	for id, idx := range map[string]string{"a": "2025.03.09", "b": "2025.03.09", "d": "2025.03.10"} {
		if _, ok := docs["wazuh-alerts-4.x-"+idx][id]; !ok {
			t.Errorf("%s not indexed", id)
		}
	}
	if _, ok := docs["wazuh-alerts-4.x-2025.03.09"]["c"]; ok {
		t.Error("c indexed")
	}
	if s := h.out.Stats(); s.Indexed != 3 || s.Retries != 1 || s.Failed != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestDeliverItemForbiddenIsNotBulkError(t *testing.T) {
	f := newFakeCluster(t)
	h := mustHarness(t, f, nil)
	f.set(func(f *fakeCluster) { f.itemStatus["b"] = []int{403} })
	err := h.out.Deliver(t.Context(), []Item{alertItem("a", day1), alertItem("b", day1)})
	var be *BulkError
	if err == nil || errors.As(err, &be) || errors.Is(err, source.ErrTransient) {
		t.Fatalf("got %v, want a plain error: a blocked index is not the document's fault", err)
	}
	if !strings.Contains(err.Error(), "cluster_block_exception") {
		t.Errorf("error %q does not say why", err)
	}
}

func TestDeliverItemRetriesExhausted(t *testing.T) {
	f := newFakeCluster(t)
	h := mustHarness(t, f, func(c *Config) { c.MaxRetries = 1 })
	f.set(func(f *fakeCluster) { f.itemStatus["b"] = []int{429, 429} })
	err := h.out.Deliver(t.Context(), []Item{alertItem("a", day1), alertItem("b", day1)})
	var be *BulkError
	if err == nil || errors.As(err, &be) || !errors.Is(err, source.ErrTransient) {
		t.Fatalf("got %v, want a transient error", err)
	}
	if !strings.Contains(err.Error(), "1 of 1 items: 429 rejected_execution_exception") {
		t.Errorf("error %q", err)
	}
}

func TestDeliverStopsWhenContextEnds(t *testing.T) {
	t.Run("during backoff", func(t *testing.T) {
		f := newFakeCluster(t)
		h := mustHarness(t, f, func(c *Config) { c.MaxRetries = 100 })
		f.set(func(f *fakeCluster) { f.bulkStatus = []int{429, 429, 429, 429} })
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		h.out.wait = func(ctx context.Context, _ time.Duration) error {
			cancel()
			return ctx.Err()
		}
		err := h.out.Deliver(ctx, []Item{alertItem("a", day1)})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		if bulks, _, _, _ := f.snapshot(); len(bulks) != 1 {
			t.Errorf("%d bulk requests after cancel, want 1", len(bulks))
		}
	})
	t.Run("during a request", func(t *testing.T) {
		f := newFakeCluster(t)
		h := mustHarness(t, f, nil)
		arrived, release := make(chan struct{}), make(chan struct{})
		defer close(release)
		f.set(func(f *fakeCluster) { f.hold, f.release = arrived, release })
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- h.out.Deliver(ctx, []Item{alertItem("a", day1)}) }()
		select {
		case <-arrived:
		case <-time.After(10 * time.Second):
			t.Fatal("bulk request never arrived")
		}
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Deliver did not return after cancel")
		}
		if s := h.out.Stats(); s.Retries != 0 {
			t.Errorf("retried after cancel: %+v", s)
		}
	})
}

func TestRedeliveryOverwrites(t *testing.T) {
	f := newFakeCluster(t)
	h := mustHarness(t, f, nil)
	items := []Item{alertItem("a", day1), alertItem("b", day2)}
	for range 2 {
		if err := h.out.Deliver(t.Context(), items); err != nil {
			t.Fatal(err)
		}
	}
	bulks, docs, _, _ := f.snapshot()
	if len(bulks) != 2 || !bytes.Equal(bulks[0].body, bulks[1].body) {
		t.Fatalf("re-delivery sent a different body:\n%s\n%s", bulks[0].body, bulks[1].body)
	}
	n := 0
	for _, m := range docs {
		n += len(m)
	}
	if n != 2 {
		t.Errorf("%d documents after two deliveries, want 2", n)
	}
}

func TestDeliverRejectsBadItemsLocally(t *testing.T) {
	f := newFakeCluster(t)
	h := mustHarness(t, f, nil)
	multiline := Item{AlertID: "multi", Time: day1, Doc: []byte("{\n  \"rule\": {\"id\": \"1\"}\n}\n")}
	items := []Item{
		alertItem("good", day1),
		{AlertID: "notjson", Time: day1, Doc: []byte(`{"rule":`)},
		{AlertID: "array", Time: day1, Doc: []byte(`[1,2]`)},
		{AlertID: "", Time: day1, Doc: []byte(`{}`)},
		{AlertID: "notime", Doc: []byte(`{}`)},
		{AlertID: strings.Repeat("x", 513), Time: day1, Doc: []byte(`{}`)},
		multiline,
	}
	err := h.out.Deliver(t.Context(), items)
	var be *BulkError
	if !errors.As(err, &be) {
		t.Fatalf("got %v, want *BulkError", err)
	}
	var ids []string
	for _, it := range be.Items {
		if it.Status != 0 {
			t.Errorf("%s: status %d for an item never sent", it.AlertID, it.Status)
		}
		ids = append(ids, it.AlertID)
	}
	if got := strings.Join(ids, ","); got != "notjson,array,,notime,"+strings.Repeat("x", 513) {
		t.Errorf("rejected %q", got)
	}
	_, docs, _, _ := f.snapshot()
	if got := string(docs["wazuh-alerts-4.x-2025.03.09"]["multi"]); got != `{"rule":{"id":"1"}}` {
		t.Errorf("multi-line doc sent as %q", got)
	}
	if _, ok := docs["wazuh-alerts-4.x-2025.03.09"]["good"]; !ok {
		t.Error("good not indexed")
	}
}

func TestDeliverSplitsBySize(t *testing.T) {
	f := newFakeCluster(t)
	const limit = 1200
	h := mustHarness(t, f, func(c *Config) { c.MaxBulkBytes = limit })
	var items []Item
	for i := range 10 {
		items = append(items, alertItem(fmt.Sprintf("id-%02d", i), day2))
	}
	big := alertItem("big", day2)
	big.Doc = append(bytes.TrimSuffix(big.Doc, []byte("}\n")), []byte(`,"pad":"`+strings.Repeat("p", 2*limit)+`"}`)...)
	items = append(items, big, alertItem("after", day2))
	if err := h.out.Deliver(t.Context(), items); err != nil {
		t.Fatal(err)
	}
	bulks, docs, _, _ := f.snapshot()
	if len(bulks) < 4 {
		t.Errorf("%d bulk requests, want the batch split", len(bulks))
	}
	var order []string
	for i, b := range bulks {
		if len(b.body) > limit && len(b.actions) > 1 {
			t.Errorf("request %d is %d bytes with %d actions, over the %d limit", i, len(b.body), len(b.actions), limit)
		}
		for _, a := range b.actions {
			order = append(order, a.ID)
		}
	}
	var want []string
	for _, it := range items {
		want = append(want, it.AlertID)
	}
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Errorf("sent %v, want %v", order, want)
	}
	if n := len(docs["wazuh-alerts-4.x-2025.03.10"]); n != len(items) {
		t.Errorf("%d docs, want %d", n, len(items))
	}
}

func TestBackoffDoublesAndCaps(t *testing.T) {
	most := func(n int64) int64 { return n - 1 }
	least := func(int64) int64 { return 0 }
	for n, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second} {
		if got := backoff(time.Second, n, most); got != want {
			t.Errorf("retry %d: longest wait %v, want %v", n, got, want)
		}
		if got := backoff(time.Second, n, least); got != want/2 {
			t.Errorf("retry %d: shortest wait %v, want %v", n, got, want/2)
		}
	}
	if got := backoff(time.Minute, 3, most); got != time.Minute {
		t.Errorf("a base over the cap: %v, want 1m", got)
	}
}

func TestNameAndEmptyBatch(t *testing.T) {
	f := newFakeCluster(t)
	h := mustHarness(t, f, func(c *Config) { c.Template = false })
	if h.out.Name() != "opensearch" {
		t.Errorf("Name %q", h.out.Name())
	}
	if err := h.out.Deliver(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if _, _, _, paths := f.snapshot(); len(paths) != 0 {
		t.Errorf("requests for an empty batch: %v", paths)
	}
}

func TestDeliverThroughPipeline(t *testing.T) {
	f := newFakeCluster(t)
	h := mustHarness(t, f, func(c *Config) { c.Pipeline = "filebeat-7.10.2-wazuh-alerts-pipeline" })
	if err := h.out.Deliver(t.Context(), []Item{alertItem("a", day1)}); err != nil {
		t.Fatal(err)
	}
	if bulks, _, _, _ := f.snapshot(); bulks[0].query != "pipeline=filebeat-7.10.2-wazuh-alerts-pipeline" {
		t.Errorf("query %q", bulks[0].query)
	}
}
