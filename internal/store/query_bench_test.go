package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// benchEnd is where the benchmark's 30 days of alerts end.
var benchEnd = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

const (
	defaultBenchAlerts = 1_000_000
	benchSpan          = 30 * 24 * time.Hour
)

// benchAlerts is how many alerts openBenchStore loads:
// DUTYWATCH_BENCH_ALERTS, by default a million.
func benchAlerts(b *testing.B) int {
	v := os.Getenv("DUTYWATCH_BENCH_ALERTS")
	if v == "" {
		return defaultBenchAlerts
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("DUTYWATCH_BENCH_ALERTS=%q: want a positive number of alerts", v)
	}
	return n
}

// openBenchStore returns an SQLite store holding benchAlerts synthetic
// alerts over the 30 days before benchEnd, bulk-loaded once for the
// benchmark (about two minutes a million; BenchmarkCommit measures the
// normal write path). Set DUTYWATCH_BENCH_DB to a file path to keep the
// store and reuse it in later runs, and DUTYWATCH_BENCH_ALERTS to load
// another number of alerts (e.g. 10000000).
func openBenchStore(b *testing.B) *Store {
	b.Helper()
	ctx := context.Background()
	want := benchAlerts(b)
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
	if n != want {
		if n != 0 {
			b.Fatalf("%s holds %d alerts, not %d: remove it", path, n, want)
		}
		// A big page cache for the load only: the store is reopened
		// below, so the queries run with the default cache. No journal
		// either: in WAL mode the one load transaction would pass through
		// a WAL as large as the store (28 GB at 10M alerts) before being
		// copied into it.
		for _, pragma := range []string{`PRAGMA cache_size = -1000000`, `PRAGMA journal_mode = OFF`} {
			if _, err := s.db.ExecContext(ctx, pragma); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		rate := bulkLoad(b, s, want, 1, benchEnd, benchSpan)
		if _, err := s.db.ExecContext(ctx, `PRAGMA journal_mode = WAL`); err != nil {
			b.Fatal(err)
		}
		b.Logf("bulk-loaded %d alerts in %s (%.0f alerts/s)", want, time.Since(start).Round(time.Second), rate)
	}
	s.Close()
	if fi, err := os.Stat(path); err == nil {
		b.Logf("store %s: %d MB, %d bytes per alert", path, fi.Size()>>20, fi.Size()/int64(want))
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

// BenchmarkOverview1M measures Overview over a million stored alerts (or
// DUTYWATCH_BENCH_ALERTS, see openBenchStore) and reports the median and
// 95th percentile latency. Run it with enough iterations for a
// percentile, e.g. -benchtime=100x.
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
				_, err := s.Alerts(ctx, AlertFilter{Range: r, Text: "against 100.64.0.7"})
				return err
			},
			"Instances": func(ctx context.Context) error { _, err := s.Instances(ctx, r, 50); return err },
			"InstanceStory": func(ctx context.Context) error { // of the busiest instance
				top, err := s.Instances(ctx, r, 1)
				if err == nil && len(top) == 1 {
					_, err = s.InstanceStory(ctx, top[0].Label, r)
				}
				return err
			},
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

// BenchmarkPutAlert measures the write path the pipeline uses, triggers
// included: PutAlert in transactions of 500 alerts.
func BenchmarkPutAlert(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var as []Alert
	genAlerts(100_000, 2, benchEnd, benchSpan, func(a Alert) error { as = append(as, a); return nil })
	tx, err := s.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		a := as[i%len(as)]
		a.ID = fmt.Sprintf("%s-%d", a.ID, i/len(as))
		if err := tx.PutAlert(ctx, a); err != nil {
			b.Fatal(err)
		}
		if i++; i%500 == 0 {
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			if tx, err = s.Begin(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
}
