package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSpill runs the same transaction on a store that buffers it whole
// and on one that spills after every write: both must store the same
// alerts, counts, findings, outbox, rollups and full-text terms, and the
// Tx must read its own spilled writes.
func TestSpill(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		buffered, spilling := open(), open()
		spilling.spillBytes = 1
		if buffered == spilling {
			t.Fatal("open returned one store twice")
		}
		var dumps []string
		for _, s := range []*Store{buffered, spilling} {
			clearTables(t, s)
			inTx(t, s, func(ctx context.Context, tx *Tx) error { return spillScenario(ctx, t, tx) })
			checkRollups(t, s)
			if err := checkFTS(context.Background(), s); err != nil {
				t.Error(err)
			}
			dumps = append(dumps, dumpState(t, s))
		}
		if dumps[0] != dumps[1] {
			t.Errorf("spilling stored\n%s\nbuffering stored\n%s", dumps[1], dumps[0])
		}
	})
}

func spillScenario(ctx context.Context, t *testing.T, tx *Tx) error {
	alert := func(id, desc string, count int64, at time.Duration) Alert {
		return Alert{ID: id, Time: t0, EventTime: t0.Add(at), Type: "Recon:EC2/Portscan", Severity: 5, Description: desc,
			InstanceID: "i-1", RemoteIP: "198.51.100.9", Count: count, Data: []byte(`{"d":"` + desc + `"}`)}
	}
	var errs []error
	for i := range 20 {
		id := fmt.Sprintf("a%02d", i)
		errs = append(errs,
			tx.PutFinding(ctx, finding("f"+id, t0, 1)),
			tx.PutAlert(ctx, alert(id, "word"+id, 1, time.Duration(i)*time.Hour)),
			tx.Enqueue(ctx, OutboxItem{AlertID: id, Doc: []byte(id)}))
	}
	errs = append(errs,
		tx.PutAlert(ctx, alert("a03", "again", 7, 0)), // the first one wins
		tx.UpdateAlertCount(ctx, "a03", 5),
		tx.UpdateAlertCount(ctx, "a03", 4), // never down
		tx.PutFinding(ctx, finding("fa05", t0.Add(time.Hour), 3)))
	if err := errors.Join(errs...); err != nil {
		return err
	}
	f, ok, err := tx.Finding(ctx, "fa05")
	if err != nil || !ok || f.Alerts != 3 || !f.FirstSeen.Equal(t0) {
		t.Errorf("Finding(fa05) = %+v, %v, %v; want the last put with the first FirstSeen", f, ok, err)
	}
	return nil
}

// clearTables empties the tables spillScenario writes, whatever an
// earlier test of a shared database left.
func clearTables(t *testing.T, s *Store) {
	t.Helper()
	for _, table := range []string{"alerts", "findings", "outbox"} {
		if _, err := s.db.Exec(`DELETE FROM ` + table); err != nil {
			t.Fatal(err)
		}
	}
}

// dumpState lists what spillScenario leaves in the tables.
func dumpState(t *testing.T, s *Store) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id || ' ' || description || ' ' || count FROM alerts ORDER BY id`,
		`SELECT key || ' ' || alerts || ' ' || first_seen FROM findings ORDER BY key`,
		`SELECT alert_id FROM outbox ORDER BY seq`,
	} {
		rows, err := s.db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			b.WriteString(line + "\n")
		}
		rows.Close()
	}
	return b.String()
}
