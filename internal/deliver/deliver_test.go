package deliver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/store"
	"github.com/dutywatch/dutywatch/internal/testenv"
)

// fakeIndexer records what it stored, failing the first failFirst calls
// and rejecting the alert ids in reject.
type fakeIndexer struct {
	mu        sync.Mutex
	name      string
	failFirst int
	reject    map[string]bool
	stored    []string
	calls     int
}

func (f *fakeIndexer) Name() string { return f.name }

func (f *fakeIndexer) Deliver(_ context.Context, items []store.OutboxItem) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.failFirst {
		return errors.New("503 service unavailable")
	}
	rej := &Rejected{Reasons: map[string]string{}}
	for _, it := range items {
		if f.reject[it.AlertID] {
			rej.Reasons[it.AlertID] = "mapper_parsing_exception"
			continue
		}
		f.stored = append(f.stored, it.AlertID)
	}
	if len(rej.Reasons) > 0 {
		return fmt.Errorf("bulk: %w", rej)
	}
	return nil
}

// fakeNotifier sends items with level >= 5, failing alert ids in fail.
type fakeNotifier struct {
	mu   sync.Mutex
	name string
	fail map[string]int // remaining failures by alert id
	sent []string
}

func (f *fakeNotifier) Name() string { return f.name }

func (f *fakeNotifier) Notify(_ context.Context, it store.OutboxItem) (Outcome, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if it.Level < 5 {
		return Dropped, "level below 5", nil
	}
	if f.fail[it.AlertID] > 0 {
		f.fail[it.AlertID]--
		return Failed, "", errors.New("500 from receiver")
	}
	f.sent = append(f.sent, it.AlertID)
	return Sent, "", nil
}

// forBackends runs fn on a store of each backend holding n enqueued
// alerts; the PostgreSQL run is skipped without a test server.
func forBackends(t *testing.T, n int, fn func(t *testing.T, st *store.Store)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			dsn := filepath.Join(t.TempDir(), "state.db")
			if backend == "postgres" {
				dsn = testenv.Postgres(t)
			}
			st, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			tx, err := st.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				it := store.OutboxItem{AlertID: fmt.Sprintf("a%03d", i), Time: time.Unix(1700000000, 0), Level: 3 + i%5, RuleID: 100,
					Type: "Recon:EC2/Portscan", Doc: []byte(`{"id":"x"}`)}
				if err := tx.Enqueue(ctx, it); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			fn(t, st)
		})
	}
}

func testConfig() Config {
	c := DefaultConfig("test")
	c.Batch, c.Idle, c.MaxBackoff, c.GiveUp = 7, time.Millisecond, 2*time.Millisecond, 3
	return c
}

func TestDrainDeliversEveryAlertOnce(t *testing.T) {
	forBackends(t, 40, func(t *testing.T, st *store.Store) {
		{
			ctx := context.Background()
			ix := &fakeIndexer{name: "indexer/os", failFirst: 2, reject: map[string]bool{"a010": true}}
			nt := &fakeNotifier{name: "notify/slack", fail: map[string]int{"a012": 1, "a017": 100}}
			d := New(testConfig(), st, []Indexer{ix}, []Notifier{nt}, slog.New(slog.DiscardHandler), nil)
			// Two failed rounds of the indexer are within the 5 attempts.
			if err := d.Drain(ctx, 5); err != nil {
				t.Fatal(err)
			}
			if len(ix.stored) != 39 || slices.Contains(ix.stored, "a010") {
				t.Errorf("indexer stored %d alerts (a010 among them: %v); want 39, not a010", len(ix.stored), slices.Contains(ix.stored, "a010"))
			}
			wantSent := 0
			for i := range 40 {
				if 3+i%5 >= 5 && i != 17 {
					wantSent++
				}
			}
			if len(nt.sent) != wantSent {
				t.Errorf("notifier sent %d; want %d", len(nt.sent), wantSent)
			}
			checkDelivery(t, st, "a010", "indexer/os", "failed")
			checkDelivery(t, st, "a012", "notify/slack", "sent")
			checkDelivery(t, st, "a017", "notify/slack", "failed")
			checkDelivery(t, st, "a000", "notify/slack", "dropped")
			// A second pass finds nothing new: nothing is sent twice.
			if err := d.Drain(ctx, 5); err != nil {
				t.Fatal(err)
			}
			if len(ix.stored) != 39 || len(nt.sent) != wantSent {
				t.Errorf("a second drain delivered again: %d stored, %d sent", len(ix.stored), len(nt.sent))
			}
			left, err := st.ReadOutbox(ctx, "indexer/os", 100)
			if err != nil || len(left) != 0 {
				t.Errorf("outbox after delivery: %d items, %v", len(left), err)
			}
		}
	})
}

func checkDelivery(t *testing.T, st *store.Store, alertID, dest, status string) {
	t.Helper()
	ds, err := st.Deliveries(context.Background(), alertID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Destination == dest {
			if d.Status != status {
				t.Errorf("delivery of %s to %s is %q (%s); want %q", alertID, dest, d.Status, d.Error, status)
			}
			return
		}
	}
	t.Errorf("no delivery of %s to %s recorded", alertID, dest)
}

// TestOneInstanceDeliversAtATime runs two Deliverers (two instances) on
// one store: the lease lets one deliver, and every alert goes out once.
func TestOneInstanceDeliversAtATime(t *testing.T) {
	forBackends(t, 60, func(t *testing.T, st *store.Store) {
		{
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			shared := &fakeNotifier{name: "notify/hook", fail: map[string]int{}}
			var wg sync.WaitGroup
			for _, owner := range []string{"a", "b"} {
				cfg := testConfig()
				cfg.Owner = owner
				d := New(cfg, st, nil, []Notifier{shared}, slog.New(slog.DiscardHandler), nil)
				wg.Go(func() { d.Run(ctx) })
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				shared.mu.Lock()
				shared.mu.Unlock()
				left, _ := st.ReadOutbox(ctx, "notify/hook", 1)
				if len(left) == 0 || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			cancel()
			wg.Wait()
			seen := map[string]bool{}
			for _, id := range shared.sent {
				if seen[id] {
					t.Errorf("alert %s notified twice", id)
				}
				seen[id] = true
			}
			if want := 36; len(seen) != want { // levels 5..7 of 3..7
				t.Errorf("%d alerts notified; want %d", len(seen), want)
			}
		}
	})
}
