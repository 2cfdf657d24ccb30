package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/dedup"
)

// inTx runs fn in a transaction of s and commits it.
func inTx(t *testing.T, s *Store, fn func(ctx context.Context, tx *Tx) error) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := fn(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func finding(key string, firstSeen time.Time, alerts int) Finding {
	return Finding{Key: key, Type: "T", Raw: []byte(`{"n":` + strconv.Itoa(alerts) + `}`), Alerts: alerts,
		FirstSeen: firstSeen, LastSeen: firstSeen.Add(time.Duration(alerts) * time.Minute),
		State: dedup.State{Latest: dedup.Version{UpdatedAt: firstSeen, Count: int64(alerts)}}}
}

// TestFindingsReadTheirWrites checks that Finding sees the PutFinding
// calls before it in the Tx (last one wins, the first FirstSeen stays, as
// the upsert has it), whether the finding was read, prefetched or neither
// first, and that Commit stores what Finding showed.
func TestFindingsReadTheirWrites(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		s := open()
		day1, day2 := t0, t0.Add(24*time.Hour)
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			return errors.Join(tx.PutFinding(ctx, finding("stored", day1, 1)), tx.PutFinding(ctx, finding("stored2", day1, 1)))
		})
		want := map[string]Finding{}
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			if err := tx.PrefetchFindings(ctx, []string{"stored2", "new", "new", "stored2"}); err != nil {
				return err
			}
			if _, ok, err := tx.Finding(ctx, "new"); ok || err != nil {
				t.Errorf("prefetched unknown finding: %v, %v", ok, err)
			}
			for _, c := range []struct {
				name, key string
				first     time.Time // FirstSeen Finding must give
			}{
				{"put over a stored finding, unread", "stored", day1},
				{"put over a prefetched finding", "stored2", day1},
				{"put of a new finding", "new", day2},
			} {
				for n := 2; n <= 3; n++ { // put twice: the last wins
					if err := tx.PutFinding(ctx, finding(c.key, day2, n)); err != nil {
						return err
					}
				}
				got, ok, err := tx.Finding(ctx, c.key)
				w := finding(c.key, day2, 3)
				w.FirstSeen = c.first
				w = asStored(w)
				if err != nil || !ok || fmt.Sprint(got) != fmt.Sprint(w) {
					t.Errorf("%s: Finding = %+v, %v, %v; want %+v", c.name, got, ok, err, w)
				}
				want[c.key] = w
			}
			return nil
		})
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			for key, w := range want {
				if got, ok, err := tx.Finding(ctx, key); err != nil || !ok || fmt.Sprint(got) != fmt.Sprint(w) {
					t.Errorf("committed %s = %+v, %v, %v; want %+v", key, got, ok, err, w)
				}
			}
			return nil
		})
	})
}

// TestFindingIsACopy checks that neither the caller's Raw after PutFinding
// nor a Raw that Finding returned reach the buffered finding.
func TestFindingIsACopy(t *testing.T) {
	s := openSQLiteTest(t)
	inTx(t, s, func(ctx context.Context, tx *Tx) error {
		f := finding("k", t0, 1)
		if err := tx.PutFinding(ctx, f); err != nil {
			return err
		}
		f.Raw[0] = 'X'
		got, _, _ := tx.Finding(ctx, "k")
		got.Raw[1] = 'Y'
		if got, _, _ := tx.Finding(ctx, "k"); string(got.Raw) != `{"n":1}` {
			t.Errorf("Raw = %s; want the one put", got.Raw)
		}
		return nil
	})
}

// TestBufferedAlerts checks PutAlert and UpdateAlertCount in one Tx: the
// first of two alerts with one id wins, a replay of a stored alert changes
// nothing but its count, counts never go down, and updates before an
// alert is put do not apply to it (as the calls one by one would do).
func TestBufferedAlerts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		s := open()
		alert := func(id, desc string, count int64) Alert {
			return Alert{ID: id, Time: t0, EventTime: t0, Type: "Recon:EC2/Portscan", Severity: 5, Description: desc,
				InstanceID: "i-1", Count: count, Data: []byte(`{}`)}
		}
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			return tx.PutAlert(ctx, alert("stored", "first", 5))
		})
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			return errors.Join(
				tx.UpdateAlertCount(ctx, "later", 50), // not stored yet: no effect
				tx.PutAlert(ctx, alert("later", "later", 2)),
				tx.PutAlert(ctx, alert("dup", "first", 1)),
				tx.PutAlert(ctx, alert("dup", "second", 9)), // ignored
				tx.UpdateAlertCount(ctx, "dup", 4),
				tx.UpdateAlertCount(ctx, "dup", 3), // never down
				tx.PutAlert(ctx, alert("stored", "replay", 1)),
				tx.UpdateAlertCount(ctx, "stored", 8), // a replay: applies to the stored alert
				tx.UpdateAlertCount(ctx, "stored", 6),
				tx.UpdateAlertCount(ctx, "unknown", 6),
			)
		})
		rows, err := s.db.Query(`SELECT id, description, count FROM alerts ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var id, desc string
			var count int64
			if err := rows.Scan(&id, &desc, &count); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s %s %d", id, desc, count))
		}
		if want := "dup first 4|later later 2|stored first 8"; strings.Join(got, "|") != want {
			t.Errorf("alerts = %q; want %q", strings.Join(got, "|"), want)
		}
		checkRollups(t, s)
		if err := checkFTS(context.Background(), s); err != nil {
			t.Error(err)
		}
	})
}

// TestLargeBatch commits more rows than one SQLite statement takes, so
// Commit writes them in chunks; all of them, counted and indexed.
func TestLargeBatch(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		s := open()
		const n = 2*sqliteMaxRows + 7
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			for i := range n {
				id := fmt.Sprintf("a%04d", i)
				a := Alert{ID: id, Time: t0, EventTime: t0.Add(time.Duration(i) * time.Minute), Type: "T", Severity: 2,
					Description: "word" + id, RemoteIP: fmt.Sprintf("198.51.100.%d", i%250), Data: []byte(id)}
				if err := errors.Join(tx.PutAlert(ctx, a), tx.PutFinding(ctx, finding("f"+id, t0, 1)),
					tx.Enqueue(ctx, OutboxItem{AlertID: id, Doc: []byte(id)})); err != nil {
					return err
				}
			}
			return nil
		})
		var alerts, findings int
		s.db.QueryRow(`SELECT (SELECT count(*) FROM alerts), (SELECT count(*) FROM findings)`).Scan(&alerts, &findings)
		if alerts != n || findings != n {
			t.Errorf("stored %d alerts, %d findings; want %d", alerts, findings, n)
		}
		items, err := s.ReadOutbox(context.Background(), "d", 2*n)
		if err != nil || len(items) != n {
			t.Fatalf("outbox: %d items, %v", len(items), err)
		}
		for i, it := range items {
			if want := fmt.Sprintf("a%04d", i); it.AlertID != want || string(it.Doc) != want || (i > 0 && it.Seq <= items[i-1].Seq) {
				t.Fatalf("outbox item %d = %s %q seq %d; want %s in Enqueue order", i, it.AlertID, it.Doc, it.Seq, want)
			}
		}
		checkRollups(t, s)
		if page, err := s.Alerts(context.Background(), AlertFilter{Text: fmt.Sprintf("worda%04d", n-1)}); err != nil || page.Total != 1 {
			t.Errorf("search of the last chunk's alert: %d, %v", page.Total, err)
		}
	})
}

// TestEnqueueCopiesDoc reuses the caller's buffer after Enqueue, as the
// pipeline does: the item keeps what it was given.
func TestEnqueueCopiesDoc(t *testing.T) {
	s := openSQLiteTest(t)
	inTx(t, s, func(ctx context.Context, tx *Tx) error {
		buf := []byte("one")
		if err := tx.Enqueue(ctx, OutboxItem{AlertID: "a", Doc: buf}); err != nil {
			return err
		}
		copy(buf, "two")
		return tx.Enqueue(ctx, OutboxItem{AlertID: "b", Doc: buf})
	})
	items, _ := s.ReadOutbox(context.Background(), "d", 10)
	if len(items) != 2 || string(items[0].Doc) != "one" || string(items[1].Doc) != "two" {
		t.Errorf("outbox = %+v", items)
	}
}

// TestBufferedDone marks several objects of two scopes done in one Tx:
// IsDone sees them at once, each cursor moves to its greatest key, a
// failure recorded after MarkDone stays, and sink offsets keep the last.
func TestBufferedDone(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		s := open()
		ctx := context.Background()
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			_, err := tx.RecordFailure(ctx, obj("a", "k1"), errors.New("old"), true)
			return errors.Join(err, tx.MarkDone(ctx, Done{Object: obj("a", "k9")}))
		})
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			for _, o := range []struct{ scope, key string }{{"a", "k2"}, {"a", "k5"}, {"b", "x1"}, {"a", "k1"}, {"b", "x3"}} {
				if err := tx.MarkDone(ctx, Done{Object: obj(o.scope, o.key)}); err != nil {
					return err
				}
			}
			if done, err := tx.IsDone(ctx, "b", "x3"); !done || err != nil {
				t.Errorf("IsDone of a buffered MarkDone = %v, %v", done, err)
			}
			// Fails again after it was marked done: the failure stays.
			if _, err := tx.RecordFailure(ctx, obj("b", "x1"), errors.New("new"), true); err != nil {
				return err
			}
			return errors.Join(tx.SetSinkOffset(ctx, "s", 10), tx.SetSinkOffset(ctx, "s", 20))
		})
		for scope, want := range map[string]string{"a": "k9", "b": "x3"} {
			if c, err := s.Cursor(ctx, scope); c != want || err != nil {
				t.Errorf("cursor %s = %q, %v; want %q", scope, c, err, want)
			}
		}
		fails, err := s.Failures(ctx)
		if err != nil || len(fails) != 1 || fails[0].Object.Key != "x1" {
			t.Errorf("failures = %+v, %v; want x1's only", fails, err)
		}
		if off, err := s.SinkOffset(ctx, "s"); off != 20 || err != nil {
			t.Errorf("sink offset = %d, %v; want 20", off, err)
		}
	})
}

// TestCommitErrorRollsBack checks that an error a buffered write meets at
// Commit (here marking an object done twice) is returned and leaves
// nothing behind.
func TestCommitErrorRollsBack(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		s := open()
		ctx := context.Background()
		tx, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		tx.PutAlert(ctx, Alert{ID: "a", Time: t0, EventTime: t0, Data: []byte(`{}`)})
		tx.MarkDone(ctx, Done{Object: obj("sc", "k")})
		tx.MarkDone(ctx, Done{Object: obj("sc", "k")})
		if err := tx.Commit(); err == nil {
			t.Fatal("Commit of an object marked done twice succeeded")
		}
		if done, err := s.IsDone(ctx, "sc", "k"); done || err != nil {
			t.Errorf("IsDone after a failed commit = %v, %v", done, err)
		}
		if page, err := s.Alerts(ctx, AlertFilter{}); err != nil || page.Total != 0 {
			t.Errorf("alerts after a failed commit: %d, %v", page.Total, err)
		}
	})
}
