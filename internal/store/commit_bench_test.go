package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/dedup"
	"github.com/dutywatch/dutywatch/internal/testenv"
)

// Shape of one BenchmarkCommit batch: the pipeline's commit of 64 objects
// with about 100 findings each.
const (
	benchObjects  = 64
	benchFindings = 100
)

// BenchmarkCommit measures the write path on each backend: one Tx that
// marks 64 objects done and, for each of their 100 findings, reads and
// writes the stored finding (the update-dedup decision), stores the alert
// and enqueues it, then commits (rollups counted at Commit). It reports
// alerts per second and the milliseconds one commit takes from Begin to the
// end of Commit (the time it holds the write lock on PostgreSQL), of which
// flush-ms is Commit's own part. Each object's findings are prefetched, as
// the pipeline does. Run it briefly, e.g. -benchtime=3x.
func BenchmarkCommit(b *testing.B) {
	for _, be := range []struct {
		name string
		dsn  func(b *testing.B) string
	}{
		{"sqlite", func(b *testing.B) string { return b.TempDir() + "/state.db" }},
		{"postgres", func(b *testing.B) string { return testenv.Postgres(b) }},
	} {
		b.Run(be.name, func(b *testing.B) { benchCommits(b, opener(b, be.dsn(b))()) })
	}
}

// BenchmarkWrite1M is BenchmarkCommit's SQLite part on the store of
// the query benchmarks (openBenchStore: a million alerts, or
// DUTYWATCH_BENCH_ALERTS): how commits slow down as the store grows. It
// deletes what it added at the end (through the triggers, which takes a
// while), so that a DUTYWATCH_BENCH_DB store can be used again.
func BenchmarkWrite1M(b *testing.B) {
	ctx := context.Background()
	s := openBenchStore(b)
	var last int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(rowid), 0) FROM alerts`).Scan(&last); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		for _, q := range []string{`DELETE FROM alerts WHERE rowid > ?`, `DELETE FROM outbox`, `DELETE FROM findings`,
			`DELETE FROM objects_done`, `DELETE FROM cursors`} {
			if _, err := s.db.ExecContext(ctx, strings.Replace(q, "?", strconv.FormatInt(last, 10), 1)); err != nil {
				b.Error(err)
			}
		}
	})
	benchCommits(b, s)
}

// benchCommits runs b.N commits of BenchmarkCommit's shape into s.
func benchCommits(b *testing.B, s *Store) {
	ctx := context.Background()
	w := newGenWorld(11)
	at := benchEnd.Add(-time.Hour)
	var seconds, flush float64
	for i := range b.N {
		b.StopTimer()
		batch := make([]Alert, benchObjects*benchFindings)
		for j := range batch {
			batch[j] = w.alert(i*len(batch)+j, at.Add(time.Duration(j)*time.Millisecond))
		}
		b.StartTimer()
		start := time.Now()
		f, err := commitBatch(ctx, s, i, batch)
		if err != nil {
			b.Fatal(err)
		}
		seconds += time.Since(start).Seconds()
		flush += f.Seconds()
	}
	b.ReportMetric(float64(b.N*benchObjects*benchFindings)/seconds, "alerts/s")
	b.ReportMetric(seconds*1000/float64(b.N), "commit-ms")
	b.ReportMetric(flush*1000/float64(b.N), "flush-ms")
}

// commitBatch is one pipeline commit of benchObjects objects. It returns
// how long Commit took.
func commitBatch(ctx context.Context, s *Store, batch int, as []Alert) (time.Duration, error) {
	tx, err := s.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	for k, a := range as {
		if k%benchFindings == 0 {
			if err := tx.PrefetchFindings(ctx, findingKeys(as[k:min(k+benchFindings, len(as))])); err != nil {
				return 0, err
			}
		}
		f, ok, err := tx.Finding(ctx, a.FindingKey)
		if err != nil {
			return 0, err
		}
		if !ok {
			f = Finding{Key: a.FindingKey, ID: a.FindingID, Type: a.Type, Instance: a.InstanceID, FirstSeen: a.Time}
		}
		f.State.Latest = dedup.Version{Severity: a.Severity, UpdatedAt: a.EventTime, Count: a.Count, Actor: a.RemoteIP}
		f.AlertID, f.Alerts, f.LastSeen, f.Raw = a.ID, f.Alerts+1, a.Time, a.Data
		if err := tx.PutFinding(ctx, f); err != nil {
			return 0, err
		}
		if err := tx.PutAlert(ctx, a); err != nil {
			return 0, err
		}
		it := OutboxItem{AlertID: a.ID, Time: a.Time, Level: a.Level, RuleID: a.RuleID, Type: a.Type, Doc: a.Data}
		if err := tx.Enqueue(ctx, it); err != nil {
			return 0, err
		}
		if k%benchFindings == benchFindings-1 {
			o := obj("bench", fmt.Sprintf("%06d/%03d", batch, k/benchFindings))
			if err := tx.MarkDone(ctx, Done{Object: o, Records: benchFindings, Events: benchFindings}); err != nil {
				return 0, err
			}
		}
	}
	start := time.Now()
	err = tx.Commit()
	return time.Since(start), err
}

// findingKeys returns the finding keys of as.
func findingKeys(as []Alert) []string {
	keys := make([]string, len(as))
	for i, a := range as {
		keys[i] = a.FindingKey
	}
	return keys
}
