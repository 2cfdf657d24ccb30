package store

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/dutywatch/dutywatch/internal/dedup"
)

// TestInstancesShareOneDatabase runs two Stores on one database, as two
// instances, each committing transactions at the same time that read, change
// and write the same finding, engine state and rollup counts, and enqueue
// an outbox item carrying the finding's count as it read it. Serialized
// commits must give what serial commits give: no lost update, rollups
// equal to a recount, and outbox sequence numbers in commit order (the
// counts they carry strictly increase).
func TestInstancesShareOneDatabase(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		const perInstance = 25
		var g errgroup.Group
		for inst := range 2 {
			s := open()
			g.Go(func() error {
				for i := range perInstance {
					if err := bumpFinding(ctx, s, fmt.Sprintf("i%d-%02d", inst, i)); err != nil {
						return err
					}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		s := open()
		const total = 2 * perInstance
		tx, err := s.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		f, ok, err := tx.Finding(ctx, "arn:shared")
		if err != nil || !ok || f.Alerts != total || f.State.Latest.Count != total {
			t.Errorf("finding after %d updates: alerts %d count %d (%v, %v)", total, f.Alerts, f.State.Latest.Count, ok, err)
		}
		if gen, _, _, err := tx.LoadState(ctx, "corr"); gen != total || err != nil {
			t.Errorf("state generation %d, %v; want %d", gen, err, total)
		}
		tx.Rollback() // SQLite's one write connection is needed below
		checkRollups(t, s)
		if got := dumpRows(t, s.db, `SELECT dim, 0, label, n FROM alert_counts_total WHERE dim = 2`); got != fmt.Sprintf("2 0 \"T\" %d\n", total) {
			t.Errorf("type total: %s", got)
		}
		items, err := s.ReadOutbox(ctx, "os", 1000)
		if err != nil || len(items) != total {
			t.Fatalf("outbox: %d items, %v; want %d", len(items), err, total)
		}
		for i, it := range items {
			if n, _ := strconv.Atoi(string(it.Doc)); n != i {
				t.Fatalf("outbox item %d (seq %d) was committed after %d others: seq order is not commit order", i, it.Seq, n)
			}
		}
	})
}

// bumpFinding is one instance's transaction: it counts one more alert on
// the shared finding, stores that alert, saves the engine state and
// enqueues the finding's count as it read it.
func bumpFinding(ctx context.Context, s *Store, alertID string) error {
	tx, err := s.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	f, ok, err := tx.Finding(ctx, "arn:shared")
	if err != nil {
		return err
	}
	if !ok {
		f = Finding{Key: "arn:shared", Type: "T", Raw: []byte("{}"), State: dedup.State{Latest: dedup.Version{UpdatedAt: t0}}}
	}
	seen := f.Alerts
	f.Alerts++
	f.State.Latest.Count++
	f.AlertID = alertID
	if err := tx.PutFinding(ctx, f); err != nil {
		return err
	}
	a := Alert{ID: alertID, EventTime: t0, Type: "T", Severity: 8, InstanceID: "i-1", RemoteIP: "198.51.100.1", Data: []byte("{}")}
	if err := tx.PutAlert(ctx, a); err != nil {
		return err
	}
	if _, err := tx.SaveState(ctx, "corr", []byte(alertID)); err != nil {
		return err
	}
	if err := tx.Enqueue(ctx, OutboxItem{AlertID: alertID, Time: t0, Type: "T", Doc: []byte(strconv.Itoa(seen))}); err != nil {
		return err
	}
	if err := tx.MarkDone(ctx, Done{Object: obj("sc", alertID)}); err != nil {
		return err
	}
	return tx.Commit()
}
