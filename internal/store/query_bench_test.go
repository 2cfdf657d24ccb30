package store

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// benchEnd is where the benchmark's 30 days of alerts end.
var benchEnd = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

const (
	benchAlerts = 1_000_000
	benchSpan   = 30 * 24 * time.Hour
)

// openBenchStore returns a store holding benchAlerts synthetic alerts over
// the 30 days before benchEnd, built once for the benchmark (a couple of
// minutes). Set DUTYWATCH_BENCH_DB to a file path to keep the store and
// reuse it in later runs.
func openBenchStore(b *testing.B) *Store {
	b.Helper()
	ctx := context.Background()
	path := os.Getenv("DUTYWATCH_BENCH_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "bench.db")
	}
	s, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM alerts`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	if n != benchAlerts {
		if n != 0 {
			b.Fatalf("%s holds %d alerts, not %d: remove it", path, n, benchAlerts)
		}
		// A big page cache for the load only: the store is reopened
		// below, so the queries run with the default cache.
		if _, err := s.db.ExecContext(ctx, `PRAGMA cache_size = -1000000`); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		rate := bulkAlerts(b, s, benchAlerts, 1, benchEnd, benchSpan)
		if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			b.Fatal(err)
		}
		b.Logf("stored %d alerts in %s: %.0f alerts/s", benchAlerts, time.Since(start).Round(time.Second), rate)
	}
	s.Close()
	if fi, err := os.Stat(path); err == nil {
		b.Logf("store %s: %d MB", path, fi.Size()>>20)
	}
	if s, err = Open(ctx, path); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// benchRanges are the ranges the overview is measured over: the last day,
// the last week and everything.
var benchRanges = []struct {
	name string
	r    TimeRange
}{
	{"24h", TimeRange{From: benchEnd.Add(-24*time.Hour - 17*time.Minute), To: benchEnd.Add(-17 * time.Minute)}},
	{"7d", TimeRange{From: benchEnd.Add(-7*24*time.Hour - 17*time.Minute), To: benchEnd.Add(-17 * time.Minute)}},
	{"all", TimeRange{}},
}

// BenchmarkOverview1M measures Overview over a million stored alerts and
// reports the median and 95th percentile latency. Run it with enough
// iterations for a percentile, e.g. -benchtime=100x.
func BenchmarkOverview1M(b *testing.B) {
	s := openBenchStore(b)
	for _, br := range benchRanges {
		b.Run(br.name, func(b *testing.B) {
			benchLatency(b, func(ctx context.Context) error {
				_, err := s.Overview(ctx, br.r, 10)
				return err
			})
		})
	}
}

// BenchmarkPages1M measures the other dashboard queries on the same store.
func BenchmarkPages1M(b *testing.B) {
	s := openBenchStore(b)
	for _, br := range benchRanges {
		r := br.r
		for name, f := range map[string]func(context.Context) error{
			"BruteForce":     func(ctx context.Context) error { _, err := s.BruteForce(ctx, r, 50); return err },
			"UnusualNetwork": func(ctx context.Context) error { _, err := s.UnusualNetwork(ctx, r, 50); return err },
			"Alerts":         func(ctx context.Context) error { _, err := s.Alerts(ctx, AlertFilter{Range: r}); return err },
			"AlertsText": func(ctx context.Context) error {
				_, err := s.Alerts(ctx, AlertFilter{Range: r, Text: "brute 100.64.0.7"})
				return err
			},
			"Instances": func(ctx context.Context) error { _, err := s.Instances(ctx, r, 50); return err },
		} {
			b.Run(name+"/"+br.name, func(b *testing.B) { benchLatency(b, f) })
		}
	}
}

// benchLatency runs f b.N times and reports p50 and p95 in milliseconds.
func benchLatency(b *testing.B, f func(context.Context) error) {
	ctx := context.Background()
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		if err := f(ctx); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	pct := func(p float64) float64 {
		return float64(took[int(p*float64(len(took)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
}
