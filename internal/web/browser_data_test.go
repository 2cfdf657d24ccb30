//go:build e2e

package web

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/store"
	"github.com/dutywatch/dutywatch/internal/testenv"
)

// browserIDs names things the pages link to.
type browserIDs struct {
	instance string // the most attacked instance
	alert    string // a brute-force alert
	hostile  store.Alert
}

// eachBackend runs a browser test over a SQLite store and over a
// PostgreSQL one (skipped without a test server, failed under CI=true).
func eachBackend(t *testing.T, test func(t *testing.T, backend string)) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { test(t, backend) })
	}
}

// browserQueries builds a store of backend ("sqlite" in a temporary
// folder, or a fresh PostgreSQL database) holding the demo alerts, the
// hostile alert and some source health, and returns what the server reads.
func browserQueries(t *testing.T, now time.Time, backend string) (Queries, browserIDs) {
	t.Helper()
	alerts := append(demoAlerts(now, 600), hostileAlert(now))
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
	fillStore(t, st, alerts, now)
	ids := browserIDs{hostile: alerts[len(alerts)-1]}
	top := tally(alerts, 1, func(a store.Alert) string { return a.InstanceID })
	ids.instance = top[0].Label
	for _, a := range alerts {
		if a.RuleID == 100100 {
			ids.alert = a.ID
			break
		}
	}
	return st, ids
}

// fillStore writes alerts and a little source state into st, the way the
// pipeline does.
func fillStore(t *testing.T, st *store.Store, alerts []store.Alert, now time.Time) {
	t.Helper()
	ctx := context.Background()
	tx, err := st.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, a := range alerts {
		if err := tx.PutAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	obj := func(i int) source.Object {
		return source.Object{Source: "guardduty-firehose", Bucket: "corp-guardduty", Scope: "s3://corp-guardduty/firehose/",
			Key: "firehose/" + now.Add(time.Duration(i-40)*time.Minute).Format("2006/01/02/15") + "/guardduty-1-" +
				now.Add(time.Duration(i-40)*time.Minute).Format("2006-01-02-15-04-05") + "-9f2c.gz"}
	}
	for i := range 40 {
		if err := tx.MarkDone(ctx, store.Done{Object: obj(i), Records: 25, Events: 27, Partial: i == 7}); err != nil {
			t.Fatal(err)
		}
	}
	bad := obj(41)
	bad.Key = "firehose/" + now.Format("2006/01/02/15") + "/guardduty-1-corrupt.gz"
	if _, err := tx.RecordFailure(ctx, bad, errors.New(bad.Key+": byte 1834: gzip: invalid checksum"), false); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordPoll(ctx, "guardduty-firehose", now.Add(-time.Minute), nil); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordPoll(ctx, "guardduty-export", now.Add(-3*time.Minute),
		errors.New("list s3://corp-export/AWSLogs/: operation error S3: ListObjectsV2, https response error StatusCode: 503, SlowDown")); err != nil {
		t.Fatal(err)
	}
}
