package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// fixedNow is the clock of every test Notifier.
var fixedNow = time.Date(2025, 1, 15, 10, 42, 0, 0, time.UTC)

// rdpAlert is testdata/alert-rdp.json, one alerts.json line.
func rdpAlert(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "alert-rdp.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rdpItem(t testing.TB) Item {
	return Item{
		AlertID: "5f0c8a1e2b3d4c5e6f708192a3b4c5d6",
		Time:    time.Date(2025, 1, 15, 10, 41, 12, 0, time.UTC),
		Level:   10,
		RuleID:  100210,
		Type:    "UnauthorizedAccess:EC2/RDPBruteForce",
		Doc:     rdpAlert(t),
	}
}

// waits records the delays a Notifier would have slept, without sleeping.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// newTest builds a Notifier with a fixed clock and recorded sleeps; logs
// go to logs when it is not nil.
func newTest(t *testing.T, cfg Destination, logs io.Writer) (*Notifier, *waits) {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	n, err := New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	w := &waits{}
	n.now = func() time.Time { return fixedNow }
	n.sleep = w.sleep
	t.Cleanup(func() { n.Close() })
	return n, w
}

// golden compares got (JSON) with testdata/name, indented.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var ind bytes.Buffer
	if err := json.Indent(&ind, got, "", "  "); err != nil {
		t.Fatalf("payload is not JSON: %v\n%s", err, got)
	}
	ind.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, ind.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(ind.Bytes(), want) {
		t.Errorf("%s differs (run with -update after checking):\ngot:\n%s\nwant:\n%s", name, ind.Bytes(), want)
	}
}
