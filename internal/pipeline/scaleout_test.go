package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/dutywatch/dutywatch/internal/dedup"
	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/store"
)

// TestCorrelationSurvivesRestart splits a correlation (three compromise
// types on one instance) over three runs, each with a new Alerter as after
// a restart: the saved rule state lets the third run raise the alert.
func TestCorrelationSurvivesRestart(t *testing.T) {
	types := []string{"Backdoor:EC2/C&CActivity.B!DNS", "CryptoCurrency:EC2/BitcoinTool.B!DNS", "UnauthorizedAccess:EC2/TorClient"}
	h := newHarness(t, map[string][]byte{})
	newAlerter := testAlerter(t, h, dedup.Options{Policy: dedup.Changes})
	for i, typ := range types {
		h.src.mu.Lock()
		h.src.objects[fmt.Sprintf("a%d", i)] = []byte(version(fmt.Sprintf("c%d", i), typ, "i-1", 8, 1))
		h.src.mu.Unlock()
		h.alerter = newAlerter()
		if _, err := h.poll(context.Background(), SourceOptions{SkipOnError: true}); err != nil {
			t.Fatal(err)
		}
	}
	var correlated int
	for _, a := range readAlerts(t, filepath.Join(h.dir, "alerts.json")) {
		if a.Rule.ID == "100200" {
			correlated++
		}
	}
	if correlated != 1 {
		t.Errorf("%d correlation alerts after three restarts; want 1", correlated)
	}
}

// TestRolledBackCommitReloadsState checks that a state saved in a commit
// that did not hold is not kept in memory.
func TestRolledBackCommitReloadsState(t *testing.T) {
	h := newHarness(t, map[string][]byte{"a0": []byte(version("c0", "Backdoor:EC2/C&CActivity.B!DNS", "i-1", 8, 1))})
	a := testAlerter(t, h, dedup.Options{Policy: dedup.Changes})()
	h.alerter = a
	if _, err := h.poll(context.Background(), SourceOptions{SkipOnError: true}); err != nil {
		t.Fatal(err)
	}
	committed := a.gen
	if committed <= 0 {
		t.Fatalf("generation after a commit = %d", committed)
	}
	ctx := context.Background()
	tx, err := h.store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a.changed = true
	if err := a.saveState(ctx, tx); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	a.rolledBackState()
	tx, err = h.store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := a.syncState(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if a.gen != committed {
		t.Errorf("generation after reload = %d, want %d", a.gen, committed)
	}
}

// TestObjectCommittedElsewhereIsDropped: an object another instance
// committed between this one's listing and its commit adds nothing.
func TestObjectCommittedElsewhereIsDropped(t *testing.T) {
	h := newHarness(t, map[string][]byte{"a": records("a", 3), "b": records("b", 2)})
	h.alerter = testAlerter(t, h, dedup.Options{Policy: dedup.Changes})()
	ctx := context.Background()
	// The "other instance" commits b while this one is fetching.
	h.src.onOpen = func(n int) {
		if n != 1 {
			return
		}
		tx, err := h.store.Begin(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		if err := tx.MarkDone(ctx, store.Done{Object: objectOf("b")}); err != nil {
			t.Error(err)
		}
		if err := tx.Commit(); err != nil {
			t.Error(err)
		}
	}
	h.src.state = neverDone{}
	stats, err := h.poll(ctx, SourceOptions{SkipOnError: true})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Duplicates != 1 || stats.Done != 1 || stats.Events != 3 {
		t.Errorf("stats = done %d, duplicates %d, events %d; want 1, 1, 3", stats.Done, stats.Duplicates, stats.Events)
	}
	if ev := h.events(); ev["b"] != 0 || ev["a"] != 3 {
		t.Errorf("archive events by object = %v; want a only", ev)
	}
}

func objectOf(key string) source.Object {
	return source.Object{Source: "fake", Bucket: "bucket", Key: key, Scope: scope, ETag: "etag"}
}

// neverDone lists everything, as a listing taken before another instance's
// commit would.
type neverDone struct{}

func (neverDone) Cursor(context.Context, string) (string, error)       { return "", nil }
func (neverDone) IsDone(context.Context, string, string) (bool, error) { return false, nil }
