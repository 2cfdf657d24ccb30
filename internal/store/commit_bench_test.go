package store

import (
	"context"
	"fmt"
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
// alerts per second. Run it briefly, e.g. -benchtime=3x.
func BenchmarkCommit(b *testing.B) {
	for _, be := range []struct {
		name string
		dsn  func(b *testing.B) string
	}{
		{"sqlite", func(b *testing.B) string { return b.TempDir() + "/state.db" }},
		{"postgres", func(b *testing.B) string { return testenv.Postgres(b) }},
	} {
		b.Run(be.name, func(b *testing.B) {
			ctx := context.Background()
			s := opener(b, be.dsn(b))()
			w := newGenWorld(11)
			at := benchEnd.Add(-time.Hour)
			var seconds float64
			for i := range b.N {
				b.StopTimer()
				batch := make([]Alert, benchObjects*benchFindings)
				for j := range batch {
					batch[j] = w.alert(i*len(batch)+j, at.Add(time.Duration(j)*time.Millisecond))
				}
				b.StartTimer()
				start := time.Now()
				if err := commitBatch(ctx, s, i, batch); err != nil {
					b.Fatal(err)
				}
				seconds += time.Since(start).Seconds()
			}
			b.ReportMetric(float64(b.N*benchObjects*benchFindings)/seconds, "alerts/s")
		})
	}
}

// commitBatch is one pipeline commit of benchObjects objects.
func commitBatch(ctx context.Context, s *Store, batch int, as []Alert) error {
	tx, err := s.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for k, a := range as {
		f, ok, err := tx.Finding(ctx, a.FindingKey)
		if err != nil {
			return err
		}
		if !ok {
			f = Finding{Key: a.FindingKey, ID: a.FindingID, Type: a.Type, Instance: a.InstanceID, FirstSeen: a.Time}
		}
		f.State.Latest = dedup.Version{Severity: a.Severity, UpdatedAt: a.EventTime, Count: a.Count, Actor: a.RemoteIP}
		f.AlertID, f.Alerts, f.LastSeen, f.Raw = a.ID, f.Alerts+1, a.Time, a.Data
		if err := tx.PutFinding(ctx, f); err != nil {
			return err
		}
		if err := tx.PutAlert(ctx, a); err != nil {
			return err
		}
		it := OutboxItem{AlertID: a.ID, Time: a.Time, Level: a.Level, RuleID: a.RuleID, Type: a.Type, Doc: a.Data}
		if err := tx.Enqueue(ctx, it); err != nil {
			return err
		}
		if k%benchFindings == benchFindings-1 {
			o := obj("bench", fmt.Sprintf("%06d/%03d", batch, k/benchFindings))
			if err := tx.MarkDone(ctx, Done{Object: o, Records: benchFindings, Events: benchFindings}); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}
