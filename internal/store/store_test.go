package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/dedup"
	"github.com/dutywatch/dutywatch/internal/source"
)

// openSQLiteTest opens a store in a fresh SQLite file, for the tests of
// SQLite's own machinery.
func openSQLiteTest(t *testing.T) *Store {
	t.Helper()
	return opener(t, filepath.Join(t.TempDir(), "state.db"))()
}

func obj(scope, key string) source.Object {
	return source.Object{Source: "src", Bucket: "b", Scope: scope, Key: key, ETag: "e", Size: 10}
}

func TestCursorOnlyMovesForward(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		for _, key := range []string{"p/2024/01/01/02/b", "p/2024/01/01/01/a", "p/2024/01/01/03/c"} {
			tx, err := s.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.MarkDone(ctx, Done{Object: obj("s3://b/p/", key)}); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Cursor(ctx, "s3://b/p/")
		if err != nil || got != "p/2024/01/01/03/c" {
			t.Fatalf("cursor = %q, %v; want the greatest key", got, err)
		}
		if c, _ := s.Cursor(ctx, "other"); c != "" {
			t.Errorf("cursor of an unknown scope = %q", c)
		}
		for key, want := range map[string]bool{"p/2024/01/01/01/a": true, "p/2024/01/01/04/d": false} {
			if done, err := s.IsDone(ctx, "s3://b/p/", key); err != nil || done != want {
				t.Errorf("IsDone(%s) = %v, %v; want %v", key, done, err, want)
			}
		}
	})
}

func TestRollbackLeavesNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		tx, _ := s.Begin(ctx)
		tx.MarkDone(ctx, Done{Object: obj("sc", "k")})
		tx.SetSinkOffset(ctx, "archives", 99)
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if done, _ := s.IsDone(ctx, "sc", "k"); done {
			t.Error("rolled-back object is done")
		}
		if off, _ := s.SinkOffset(ctx, "archives"); off != 0 {
			t.Errorf("rolled-back offset = %d", off)
		}
	})
}

func TestFailuresAndRetry(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		fetch, data := obj("sc", "fetch"), obj("sc", "data")
		for i := range 3 {
			tx, _ := s.Begin(ctx)
			if n, err := tx.RecordFailure(ctx, fetch, errors.New("SlowDown"), true); err != nil || n != i+1 {
				t.Fatalf("RecordFailure = %d, %v; want attempt %d", n, err, i+1)
			}
			if _, err := tx.RecordFailure(ctx, data, errors.New("byte 7: bad gzip"), false); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		retry, err := s.Retryable(ctx, "src", 10)
		if err != nil || len(retry) != 1 || retry[0].Key != "fetch" || retry[0].ETag != "e" {
			t.Fatalf("Retryable = %+v, %v; want only the transient failure", retry, err)
		}
		if retry, _ := s.Retryable(ctx, "src", 3); len(retry) != 0 {
			t.Errorf("an object past its attempts is still retried: %+v", retry)
		}
		fails, err := s.Failures(ctx)
		if err != nil || len(fails) != 2 || fails[0].Attempts != 3 {
			t.Fatalf("Failures = %+v, %v", fails, err)
		}
		// Success clears a failure; a partial success keeps it on record.
		tx, _ := s.Begin(ctx)
		tx.MarkDone(ctx, Done{Object: fetch})
		tx.MarkDone(ctx, Done{Object: data, Partial: true, Records: 3})
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		fails, _ = s.Failures(ctx)
		if len(fails) != 1 || fails[0].Object.Key != "data" {
			t.Errorf("after success, failures = %+v; want only the partial one", fails)
		}
		c, err := s.Count(ctx, "")
		if err != nil || c.Done != 2 || c.Partial != 1 || c.Records != 3 || c.Failed != 0 {
			t.Errorf("Count = %+v, %v", c, err)
		}
	})
}

func TestReopenKeepsStateAndPrunes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		tx, _ := s.Begin(ctx)
		tx.MarkDone(ctx, Done{Object: obj("sc", "k")})
		tx.SetSinkOffset(ctx, "archives", 1234)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		s.Close()
		s2 := open()
		if off, _ := s2.SinkOffset(ctx, "archives"); off != 1234 {
			t.Errorf("offset after reopen = %d", off)
		}
		if n, err := s2.PruneDone(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
			t.Errorf("PruneDone = %d, %v", n, err)
		}
		if c, _ := s2.Cursor(ctx, "sc"); c != "k" {
			t.Errorf("pruning the done-set moved the cursor: %q", c)
		}
	})
}

func TestFindingRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		t0 := time.Date(2025, 1, 15, 1, 2, 3, 4e6, time.UTC)
		want := Finding{Key: "arn:f", ID: "f", Type: "Recon:EC2/Portscan", Title: "t", Account: "1", Region: "r", Instance: "i-1",
			AlertID: "a1", Alerts: 2, FirstSeen: t0, LastSeen: t0.Add(time.Hour), Raw: []byte(`{"id":"f"}`)}
		want.State.Latest = dedup.Version{Severity: 5, UpdatedAt: t0, Count: 3, Actor: "198.51.100.1", Resource: "i-1"}
		want.State.Alerted = dedup.Version{Severity: 2, UpdatedAt: t0.Add(-time.Hour), Count: 1, Actor: "x", Resource: "i-1"}
		want.State.HasAlerted = true
		tx, _ := s.Begin(ctx)
		if _, ok, err := tx.Finding(ctx, "arn:f"); ok || err != nil {
			t.Fatalf("unknown finding: ok %v err %v", ok, err)
		}
		if err := tx.PutFinding(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, ok, err := tx.Finding(ctx, "arn:f")
		if err != nil || !ok {
			t.Fatalf("Finding: %v %v", ok, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
		}
		tx.Rollback()
	})
}

func TestAlertsAreSearchable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		tx, _ := s.Begin(ctx)
		a := Alert{ID: "a1", Time: time.Now(), EventTime: time.Now(), RuleID: 100205, Level: 10,
			Description: "SSH brute force against i-0abc from 198.51.100.7", Type: "UnauthorizedAccess:EC2/SSHBruteForce",
			InstanceID: "i-0abc", RemoteIP: "198.51.100.7", Domain: "evil.example.com", HasGeo: true, Lat: 1, Lon: 2, Data: []byte(`{}`)}
		for range 2 { // a replay changes nothing
			if err := tx.PutAlert(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.UpdateAlertCount(ctx, "a1", 7); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		for _, text := range []string{"198.51.100.7", "i-0abc", "evil.example.com", "brute"} {
			if page, err := s.Alerts(ctx, AlertFilter{Text: text}); err != nil || page.Total != 1 {
				t.Errorf("search %s: %d alerts, %v", text, page.Total, err)
			}
		}
		// A type's parts are words of their own; the whole type still matches
		// as a phrase.
		for _, text := range []string{"SSHBruteForce", "sshbruteforce", "EC2", "UnauthorizedAccess",
			"UnauthorizedAccess:EC2/SSHBruteForce", "EC2/SSHBruteForce"} {
			if page, err := s.Alerts(ctx, AlertFilter{Text: text}); err != nil || page.Total != 1 {
				t.Errorf("search %q: %d alerts, %v; want 1", text, page.Total, err)
			}
		}
		var count int64
		s.db.QueryRowContext(ctx, `SELECT count FROM alerts WHERE id = 'a1'`).Scan(&count)
		if count != 7 {
			t.Errorf("count = %d; want 7", count)
		}
	})
}

// TestReadsDoNotWaitForWriter reads the dashboard while a write transaction
// is open: the read pool answers at once, from the last committed state.
func TestReadsDoNotWaitForWriter(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		putAlerts(t, s, Alert{ID: "old", EventTime: t0, Severity: 8, Type: "T", Data: []byte(`{}`)})
		tx, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if err := tx.PutAlert(ctx, Alert{ID: "new", EventTime: t0, Severity: 8, Type: "T", Data: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		ov, err := s.Overview(ctx, TimeRange{}, 5)
		if err != nil || ov.Total != 1 {
			t.Errorf("overview during a write: total %d, %v; want 1", ov.Total, err)
		}
		if _, ok, err := s.Alert(ctx, "old"); !ok || err != nil {
			t.Errorf("alert during a write: %t, %v", ok, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if ov, err = s.Overview(ctx, TimeRange{}, 5); err != nil || ov.Total != 2 {
			t.Errorf("overview after the write: total %d, %v; want 2", ov.Total, err)
		}
	})
}
