package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/dedup"
)

// checkRollups compares every rollup table with a count from scratch of
// alert_labels, which is what the triggers must maintain.
func checkRollups(t *testing.T, s *Store) {
	t.Helper()
	for _, c := range []struct{ table, want string }{
		{`SELECT dim, bucket, label, n FROM alert_counts_5m ORDER BY 1, 2, 3`,
			`SELECT dim, t - ((t % 300000) + 300000) % 300000, label, count(*) FROM alert_labels
				GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`},
		{`SELECT dim, bucket, label, n FROM alert_counts_hour ORDER BY 1, 2, 3`,
			`SELECT dim, t - ((t % 3600000) + 3600000) % 3600000, label, count(*) FROM alert_labels
				GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`},
		{`SELECT dim, bucket, label, n FROM alert_counts_day ORDER BY 1, 2, 3`,
			`SELECT dim, t - ((t % 86400000) + 86400000) % 86400000, label, count(*) FROM alert_labels
				WHERE dim IN (2, 4, 5, 6, 7, 8) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`},
		{`SELECT dim, 0, label, n FROM alert_counts_total ORDER BY 1, 2, 3`,
			`SELECT dim, 0, label, count(*) FROM alert_labels WHERE dim IN (2, 4, 5, 6, 7, 8) GROUP BY 1, 3 ORDER BY 1, 2, 3`},
	} {
		got, want := dumpRows(t, s.db, c.table), dumpRows(t, s.db, c.want)
		if got != want {
			t.Errorf("%s differs from a recount:\n got %.600s\nwant %.600s", c.table, got, want)
		}
	}
}

// checkFTS checks the full-text index: SQLite's integrity check of
// alerts_fts; on PostgreSQL, that the search column PutAlert computed
// (alertWords) is what alert_words gives for every alert.
func checkFTS(ctx context.Context, s *Store) error {
	if s.Backend() != "sqlite" {
		var n int
		err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM alerts WHERE search IS DISTINCT FROM
			alert_words(ARRAY[description, title, type, instance_id, principal, remote_ip, domain, api])`).Scan(&n)
		if err == nil && n > 0 {
			err = fmt.Errorf("%d alerts have a search column alert_words does not give", n)
		}
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO alerts_fts (alerts_fts, rank) VALUES ('integrity-check', 1)`)
	return err
}

func dumpRows(t *testing.T, db *sql.DB, query string) string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var dim, bucket, n int64
		var label string
		if err := rows.Scan(&dim, &bucket, &label, &n); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d %d %q %d\n", dim, bucket, label, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRollupsFollowWrites(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		r := rand.New(rand.NewPCG(1, 2))
		as := randomAlerts(r, 400, t0, 3*24*time.Hour)
		putAlerts(t, s, as...)
		putAlerts(t, s, as[:50]...) // replays change nothing
		checkRollups(t, s)
		if n := dumpRows(t, s.db, `SELECT 1, 1, 'x', count(*) FROM alert_counts_hour WHERE dim = 1`); n == "1 1 \"x\" 0\n" {
			t.Fatal("no band counts at all")
		}
		for _, stmt := range []string{
			`UPDATE alerts SET severity = 9.5, groups = 'gd_new,aws', event_time = event_time + 3600000, remote_ip = 'zzmoved' WHERE rowid % 7 = 0`,
			`UPDATE alerts SET remote_ip = '', lat = NULL, remote_asn = '64999' WHERE rowid % 5 = 0`,
			`UPDATE alerts SET count = count + 1, description = 'x' WHERE rowid % 3 = 0`,
			`DELETE FROM alerts WHERE rowid % 4 = 0`,
		} {
			if _, err := s.db.ExecContext(ctx, stmt); err != nil {
				t.Fatal(err)
			}
			checkRollups(t, s)
			if err := checkFTS(ctx, s); err != nil {
				t.Fatalf("full-text index inconsistent after %s: %v", stmt, err)
			}
		}
		if page, err := s.Alerts(ctx, AlertFilter{Text: "zzmoved"}); err != nil || page.Total == 0 {
			t.Errorf("search for an updated value: %d, %v", page.Total, err)
		}
	})
}

func TestPruneAlerts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		r := rand.New(rand.NewPCG(5, 5))
		as := randomAlerts(r, 5000, t0, 4*24*time.Hour)
		cut := t0.Add(2*24*time.Hour + 7*time.Hour + 13*time.Minute + 1)
		as = append(as,
			Alert{ID: "old", EventTime: cut.Add(-time.Millisecond), Description: "zzoldsecret", InstanceID: "i-old"},
			Alert{ID: "new", EventTime: cut, Description: "zznewsecret", InstanceID: "i-new"})
		putAlerts(t, s, as...)
		var wantGone int64
		var kept []Alert
		for _, a := range as {
			if a.EventTime.Before(cut.Truncate(time.Millisecond)) {
				wantGone++
			} else {
				kept = append(kept, a)
			}
		}
		tx, _ := s.Begin(ctx)
		for key, at := range map[string]time.Time{"arn:old": cut.Add(-time.Hour), "arn:new": cut.Add(time.Hour)} {
			f := Finding{Key: key, Instance: "i-1", Raw: []byte("{}"), State: dedup.State{Latest: dedup.Version{UpdatedAt: at}}}
			if err := tx.PutFinding(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}

		n, err := s.PruneAlerts(ctx, cut)
		if err != nil || n != wantGone {
			t.Fatalf("PruneAlerts = %d, %v; want %d", n, err, wantGone)
		}
		if got := countRows(t, s, "alerts"); got != int64(len(kept)) {
			t.Errorf("%d alerts left; want %d", got, len(kept))
		}
		if err := checkFTS(ctx, s); err != nil {
			t.Errorf("full-text index inconsistent after pruning: %v", err)
		}
		for text, want := range map[string]int64{"zzoldsecret": 0, "zznewsecret": 1, "i-old": 0} {
			if page, err := s.Alerts(ctx, AlertFilter{Text: text}); err != nil || page.Total != want {
				t.Errorf("search %s after pruning: %d, %v; want %d", text, page.Total, err, want)
			}
		}
		checkRollups(t, s)
		for _, rg := range []TimeRange{{}, {From: t0, To: cut.Add(5 * time.Hour)}, {From: cut.Add(-3 * time.Hour), To: cut.Add(26 * time.Hour)}} {
			got, err := s.Overview(ctx, rg, 5)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", modelOverview(kept, rg, 5)); g != w {
				t.Errorf("overview %v after pruning:\n got %s\nwant %s", rg, g, w)
			}
		}
		if got := dumpRows(t, s.db, `SELECT 0, 0, key, 0 FROM findings`); got != "0 0 \"arn:new\" 0\n" {
			t.Errorf("findings after pruning: %s", got)
		}
		if n, err := s.PruneAlerts(ctx, cut); n != 0 || err != nil {
			t.Errorf("pruning again = %d, %v", n, err)
		}
	})
}

// TestMigrationFillsRollups opens a store written before the dashboard
// migration: the migration must count the alerts already there.
func TestMigrationFillsRollups(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range sqliteMigrations()[:3] {
		if _, err := db.ExecContext(ctx, m); err != nil {
			t.Fatalf("migration %d: %v", i+1, err)
		}
	}
	if _, err := db.ExecContext(ctx, `PRAGMA user_version = 3`); err != nil {
		t.Fatal(err)
	}
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ins, err := (&Tx{tx: sqlTx}).prepareAlertInsert(ctx)
	if err != nil {
		t.Fatal(err)
	}
	as := randomAlerts(rand.New(rand.NewPCG(8, 8)), 300, t0, 2*24*time.Hour)
	for _, a := range as {
		if err := ins.put(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	ins.close()
	if err := sqlTx.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkRollups(t, s)
	rg := TimeRange{From: t0.Add(90 * time.Minute), To: t0.Add(40 * time.Hour)}
	got, err := s.Overview(ctx, rg, 10)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", modelOverview(as, rg, 10)); g != w {
		t.Errorf("overview after migration:\n got %s\nwant %s", g, w)
	}
}

func TestBulkLoadMatchesPutAlert(t *testing.T) {
	ctx := context.Background()
	slow, fast := openSQLiteTest(t), openSQLiteTest(t)
	end := t0.Add(3 * 24 * time.Hour)
	bulkAlerts(t, slow, 3000, 4, end, 3*24*time.Hour)
	bulkLoad(t, fast, 3000, 4, end, 3*24*time.Hour)
	checkRollups(t, fast)
	for _, table := range []string{"alert_counts_5m", "alert_counts_hour", "alert_counts_day"} {
		q := `SELECT dim, bucket, label, n FROM ` + table + ` ORDER BY 1, 2, 3`
		if dumpRows(t, slow.db, q) != dumpRows(t, fast.db, q) {
			t.Errorf("%s differs", table)
		}
	}
	if _, err := fast.db.ExecContext(ctx, `INSERT INTO alerts_fts (alerts_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Errorf("full-text index after a bulk load: %v", err)
	}
	var schema [2]string
	for i, s := range []*Store{slow, fast} {
		schema[i] = dumpRows(t, s.db, `SELECT 0, 0, type || ' ' || name || ' ' || coalesce(sql, ''), 0 FROM sqlite_schema ORDER BY name`)
	}
	if schema[0] != schema[1] {
		t.Errorf("schema after a bulk load:\n%s\nwant\n%s", schema[1], schema[0])
	}
	f := AlertFilter{Text: "against 100.64.0.3", Limit: 1000}
	a, err1 := slow.Alerts(ctx, f)
	b, err2 := fast.Alerts(ctx, f)
	if err1 != nil || err2 != nil || a.Total == 0 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("search differs: %d vs %d (%v, %v)", a.Total, b.Total, err1, err2)
	}
}
