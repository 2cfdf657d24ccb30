package pipeline

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/store"
)

// fakeSource serves objects from memory and lists those not done.
type fakeSource struct {
	state source.State
	// mu guards the fields below.
	mu      sync.Mutex
	objects map[string][]byte
	// failOpen makes Open fail with the error this many more times.
	failOpen map[string]int
	openErr  error
	// cutBody serves only this many bytes of the body, announcing the full size.
	cutBody map[string]int
	opened  int
	onOpen  func(opened int)
}

var _ source.Source = (*fakeSource)(nil)

const scope = "fake://bucket/"

func (f *fakeSource) Name() string { return "fake" }

func (f *fakeSource) List(ctx context.Context) iter.Seq2[source.Object, error] {
	return func(yield func(source.Object, error) bool) {
		f.mu.Lock()
		keys := make([]string, 0, len(f.objects))
		for k := range f.objects {
			keys = append(keys, k)
		}
		f.mu.Unlock()
		sort.Strings(keys)
		for _, k := range keys {
			done, err := f.state.IsDone(ctx, scope, k)
			if err != nil {
				yield(source.Object{}, err)
				return
			}
			if done {
				continue
			}
			f.mu.Lock()
			size := len(f.objects[k])
			f.mu.Unlock()
			if !yield(source.Object{Source: "fake", Bucket: "bucket", Key: k, Scope: scope, Size: int64(size), ETag: "etag"}, nil) {
				return
			}
		}
	}
}

func (f *fakeSource) Open(_ context.Context, o source.Object) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened++
	if f.onOpen != nil {
		f.onOpen(f.opened)
	}
	if f.failOpen[o.Key] > 0 {
		f.failOpen[o.Key]--
		return nil, f.openErr
	}
	body := f.objects[o.Key]
	if n, ok := f.cutBody[o.Key]; ok {
		body = body[:n]
	}
	return io.NopCloser(bytes.NewReader(body)), nil
}

func (f *fakeSource) Done(context.Context, source.Object) error { return nil }

func envelope(id string, typ string) string {
	return fmt.Sprintf(`{"version":"0","id":"ev-%s","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"111122223333","time":"2024-05-01T13:05:12Z","region":"us-east-1","resources":[],"detail":{"schemaVersion":"2.0","accountId":"111122223333","region":"us-east-1","partition":"aws","id":"%s","arn":"arn:aws:guardduty:us-east-1:111122223333:detector/d/finding/%s","type":"%s","resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-0abc"}},"service":{"serviceName":"guardduty","action":{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"connectionDirection":"INBOUND","remoteIpDetails":{"ipAddressV4":"198.51.100.7"}}},"count":1,"archived":false},"severity":5,"createdAt":"2024-05-01T13:00:00.000Z","updatedAt":"2024-05-01T13:00:00.000Z","title":"t"}}`, id, id, id, typ)
}

func records(prefix string, n int) []byte {
	var b strings.Builder
	for i := range n {
		b.WriteString(envelope(fmt.Sprintf("%s%02d", prefix, i), "UnauthorizedAccess:EC2/SSHBruteForce"))
	}
	return []byte(b.String())
}

func gz(t *testing.T, p []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(p)
	w.Close()
	return buf.Bytes()
}

type harness struct {
	t       *testing.T
	dir     string
	store   *store.Store
	src     *fakeSource
	archive string
	alerter *Alerter
}

func newHarness(t *testing.T, objects map[string][]byte) *harness {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &harness{t: t, dir: dir, store: st, archive: filepath.Join(dir, "archives.json"),
		src: &fakeSource{state: st, objects: objects, failOpen: map[string]int{}, cutBody: map[string]int{}}}
}

func (h *harness) poll(ctx context.Context, opt SourceOptions) (Stats, error) {
	h.t.Helper()
	archives, err := OpenArchive(context.Background(), h.store, h.archive)
	if err != nil {
		h.t.Fatal(err)
	}
	defer archives.Close()
	cfg := DefaultConfig()
	cfg.Workers = 3
	cfg.BatchObjects = 2
	cfg.RetryBackoff = time.Millisecond
	cfg.SpoolBytes = 512 // exercise spilling to a file
	cfg.SpoolDir = h.dir
	p := New(cfg, h.store, archives, h.alerter, slog.New(slog.DiscardHandler), nil)
	return p.Poll(ctx, h.src, opt)
}

// events returns the archive's event ids by log_file, failing on any
// duplicate or malformed line.
func (h *harness) events() map[string]int {
	h.t.Helper()
	f, err := os.Open(h.archive)
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	byFile := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			ID   string `json:"id"`
			Data struct {
				AWS struct {
					LogInfo struct {
						LogFile string `json:"log_file"`
					} `json:"log_info"`
				} `json:"aws"`
			} `json:"data"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			h.t.Fatalf("bad archive line %q: %v", sc.Text(), err)
		}
		if seen[line.ID] {
			h.t.Fatalf("event %s written twice", line.ID)
		}
		seen[line.ID] = true
		byFile[line.Data.AWS.LogInfo.LogFile]++
	}
	return byFile
}

func (h *harness) done(key string) bool {
	d, err := h.store.IsDone(context.Background(), scope, key)
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

func TestPollCommitsEveryEventOnce(t *testing.T) {
	h := newHarness(t, map[string][]byte{
		"a": gz(t, records("a", 5)),
		"b": records("b", 3),
		"c": []byte("\n" + string(records("c", 2)) + "\n\n"),
		"d": []byte(`{"version":"0","detail-type":"GuardDuty Runtime Protection Healthy","source":"aws.guardduty","detail":{}}`),
	})
	ctx := context.Background()
	stats, err := h.poll(ctx, SourceOptions{SkipOnError: true})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Done != 4 || stats.Events != 10 || stats.Skipped != 1 {
		t.Errorf("stats = %+v; want 4 objects, 10 events, 1 skipped", stats)
	}
	want := map[string]int{"a": 5, "b": 3, "c": 2}
	if got := h.events(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events by file = %v; want %v", got, want)
	}
	again, err := h.poll(ctx, SourceOptions{SkipOnError: true})
	if err != nil || again.Done != 0 || again.Events != 0 {
		t.Errorf("second poll = %+v, %v; want nothing new", again, err)
	}
	if got := h.events(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after the second poll events = %v", got)
	}
}

func TestBadObjects(t *testing.T) {
	good := gz(t, records("g", 4))
	truncated := gz(t, records("t", 50))
	truncated = truncated[:len(truncated)/2]
	badJSON := []byte(envelope("j1", "Recon:EC2/Portscan") + `{"version":"0","detail-type":"GuardDuty Finding","detail":{"id":tru}}` + envelope("j2", "Recon:EC2/Portscan"))

	t.Run("skip_on_error keeps what it can and goes on", func(t *testing.T) {
		h := newHarness(t, map[string][]byte{"1-good": good, "2-trunc": truncated, "3-json": badJSON, "4-good": good})
		stats, err := h.poll(context.Background(), SourceOptions{SkipOnError: true})
		if err != nil {
			t.Fatal(err)
		}
		if stats.Failed != 2 || stats.Done != 2 {
			t.Errorf("stats = %+v; want 2 done, 2 failed", stats)
		}
		ev := h.events()
		if ev["1-good"] != 4 || ev["4-good"] != 4 || ev["3-json"] != 2 || ev["2-trunc"] == 0 || ev["2-trunc"] >= 50 {
			t.Errorf("events by file = %v", ev)
		}
		fails, _ := h.store.Failures(context.Background())
		if len(fails) != 2 {
			t.Fatalf("failures = %+v", fails)
		}
		for _, f := range fails {
			if !strings.Contains(f.Error, "s3://bucket/"+f.Object.Key+": byte ") || f.Transient {
				t.Errorf("failure of %s = %q (transient %v); want key, byte offset and permanent", f.Object.Key, f.Error, f.Transient)
			}
		}
		if again, _ := h.poll(context.Background(), SourceOptions{SkipOnError: true}); again.Done+again.Failed != 0 {
			t.Errorf("a partial object was read again: %+v", again)
		}
	})

	t.Run("without skip_on_error nothing at or after the bad object is done", func(t *testing.T) {
		h := newHarness(t, map[string][]byte{"1-good": good, "2-trunc": truncated, "3-good": good, "4-good": good})
		_, err := h.poll(context.Background(), SourceOptions{SkipOnError: false})
		if !errors.Is(err, ErrStopped) || !strings.Contains(err.Error(), "2-trunc: byte ") {
			t.Fatalf("poll error = %v; want ErrStopped naming the key and byte", err)
		}
		for key, want := range map[string]bool{"1-good": true, "2-trunc": false, "3-good": false, "4-good": false} {
			if got := h.done(key); got != want {
				t.Errorf("done(%s) = %v; want %v", key, got, want)
			}
		}
		if ev := h.events(); fmt.Sprint(ev) != fmt.Sprint(map[string]int{"1-good": 4}) {
			t.Errorf("events = %v; want only the first object's", ev)
		}
		// Stuck, but nothing is lost or duplicated: the next poll stops at the same place.
		if _, err := h.poll(context.Background(), SourceOptions{}); !errors.Is(err, ErrStopped) {
			t.Errorf("second poll error = %v", err)
		}
		if ev := h.events(); ev["1-good"] != 4 || len(ev) != 1 {
			t.Errorf("events after the second poll = %v", ev)
		}
	})
}

func TestFetchFailuresAreRetried(t *testing.T) {
	body := gz(t, records("r", 3))
	h := newHarness(t, map[string][]byte{"slow": body, "cut": body, "denied": body})
	h.src.openErr = fmt.Errorf("SlowDown: %w", source.ErrTransient)
	h.src.failOpen["slow"] = 2 // healed by in-poll retries
	h.src.cutBody["cut"] = len(body) - 5
	stats, err := h.poll(context.Background(), SourceOptions{SkipOnError: true})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Done != 2 || stats.Failed != 1 {
		t.Errorf("stats = %+v; want slow and denied done, cut failed", stats)
	}
	if h.done("cut") {
		t.Fatal("an object with a cut body was marked done")
	}
	fails, _ := h.store.Failures(context.Background())
	if len(fails) != 1 || !fails[0].Transient || !strings.Contains(fails[0].Error, "body ended at byte") {
		t.Fatalf("failures = %+v", fails)
	}
	delete(h.src.cutBody, "cut")
	stats, err = h.poll(context.Background(), SourceOptions{SkipOnError: true})
	if err != nil || stats.Done != 1 {
		t.Fatalf("retry poll = %+v, %v", stats, err)
	}
	if ev := h.events(); ev["cut"] != 3 || ev["slow"] != 3 || ev["denied"] != 3 {
		t.Errorf("events = %v", ev)
	}
	if fails, _ := h.store.Failures(context.Background()); len(fails) != 0 {
		t.Errorf("failures after a successful retry = %+v", fails)
	}
}

func TestCanceledPollCommitsWhatIsFinished(t *testing.T) {
	objects := map[string][]byte{}
	for i := range 40 {
		objects[fmt.Sprintf("k%03d", i)] = gz(t, records(fmt.Sprint(i), 20))
	}
	h := newHarness(t, objects)
	ctx, cancel := context.WithCancel(context.Background())
	h.src.onOpen = func(opened int) {
		if opened == 10 {
			cancel() // as SIGTERM would, midway
		}
	}
	if _, err := h.poll(ctx, SourceOptions{SkipOnError: true}); !errors.Is(err, context.Canceled) {
		t.Fatalf("poll of a canceled context = %v", err)
	}
	first := h.events()
	if len(first) == 0 || len(first) >= 40 {
		t.Errorf("the canceled poll committed %d objects; want some but not all", len(first))
	}
	h.src.onOpen = nil
	if _, err := h.poll(context.Background(), SourceOptions{SkipOnError: true}); err != nil {
		t.Fatal(err)
	}
	all := h.events()
	if len(all) != 40 {
		t.Errorf("after restart %d objects have events (first run %d); want 40", len(all), len(first))
	}
	for k, n := range all {
		if n != 20 {
			t.Errorf("%s has %d events; want 20", k, n)
		}
	}
}

func TestMetricsSeries(t *testing.T) {
	h := newHarness(t, map[string][]byte{"a": records("a", 3)})
	reg := prometheus.NewRegistry()
	archives, err := OpenArchive(context.Background(), h.store, h.archive)
	if err != nil {
		t.Fatal(err)
	}
	defer archives.Close()
	p := New(DefaultConfig(), h.store, archives, nil, slog.New(slog.DiscardHandler), NewMetrics(reg))
	if _, err := p.Poll(context.Background(), h.src, SourceOptions{}); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range families {
		got[f.GetName()] = true
	}
	for _, want := range []string{"dutywatch_pipeline_objects_listed_total", "dutywatch_pipeline_objects_done_total",
		"dutywatch_pipeline_findings_total", "dutywatch_pipeline_events_total", "dutywatch_pipeline_bytes_read_total",
		"dutywatch_pipeline_poll_duration_seconds"} {
		if !got[want] {
			t.Errorf("series %s missing; have %v", want, got)
		}
	}
}
