package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/dedup"
	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/source/dir"
	s3source "github.com/dutywatch/dutywatch/internal/source/s3"
	"github.com/dutywatch/dutywatch/internal/store"
	"github.com/dutywatch/dutywatch/internal/testenv"
	"github.com/dutywatch/dutywatch/ruleset"
)

// benchCorpus is the generated corpus of the whole-pipeline benchmarks:
// Firehose, gzip, 100 findings per object.
func benchCorpus() generator.Config {
	g := generator.DefaultConfig()
	g.Findings, g.PerObject, g.Prefix, g.Span = 20000, 100, "firehose/", 20*time.Hour
	return g
}

// benchPipeline runs one fresh poll of the corpus per iteration and reports
// findings/s and MB/s (compressed and decompressed).
func benchPipeline(b *testing.B, newSource func(st *store.Store) source.Source, sum generator.Summary, alerting bool) {
	ctx := context.Background()
	var stats Stats
	var elapsed time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		dir := b.TempDir()
		st, err := store.Open(ctx, filepath.Join(dir, "state.db"))
		if err != nil {
			b.Fatal(err)
		}
		archives, err := OpenArchive(ctx, st, filepath.Join(dir, "archives.json"))
		if err != nil {
			b.Fatal(err)
		}
		cfg := DefaultConfig()
		cfg.SpoolDir = dir
		var alerter *Alerter
		if alerting {
			rs, err := ruleset.New()
			if err != nil {
				b.Fatal(err)
			}
			out, err := OpenAlerts(ctx, st, filepath.Join(dir, "alerts.json"))
			if err != nil {
				b.Fatal(err)
			}
			defer out.Close()
			alerter = NewAlerter(AlerterConfig{Rules: rs, Derived: true, Dedup: dedup.Options{Policy: dedup.Changes}, Host: "bench"}, out, slog.New(slog.DiscardHandler))
		}
		p := New(cfg, st, archives, alerter, slog.New(slog.DiscardHandler), nil)
		src := newSource(st)
		b.StartTimer()
		began := time.Now()
		stats, err = p.Poll(ctx, src, SourceOptions{SkipOnError: true})
		elapsed += time.Since(began)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if stats.Events != int64(sum.Events) {
			b.Fatalf("poll wrote %d events; want %d", stats.Events, sum.Events)
		}
		archives.Close()
		st.Close()
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(sum.Records)*n/elapsed.Seconds(), "findings/s")
	b.ReportMetric(float64(stats.Events)*n/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(stats.BytesRead)*n/1e6/elapsed.Seconds(), "MB/s")
	b.ReportMetric(float64(stats.BytesDecoded)*n/1e6/elapsed.Seconds(), "decodedMB/s")
}

func BenchmarkPipelineDir(b *testing.B)       { benchPipelineDir(b, false) }
func BenchmarkPipelineDirAlerts(b *testing.B) { benchPipelineDir(b, true) }

func benchPipelineDir(b *testing.B, alerting bool) {
	root := b.TempDir()
	sum, err := generator.Generate(context.Background(), benchCorpus(), &generator.DirWriter{Root: root})
	if err != nil {
		b.Fatal(err)
	}
	benchPipeline(b, func(st *store.Store) source.Source {
		c := dir.DefaultConfig()
		c.Name, c.Root, c.Path = "bench", root, "firehose/"
		src, err := dir.New(c, st, slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		return src
	}, sum, alerting)
}

func BenchmarkPipelineS3(b *testing.B) {
	srv := testenv.VersityGW(b)
	srv.CreateBucket(b, "bench")
	g := benchCorpus()
	sum, err := generator.Generate(context.Background(), g, &generator.S3Writer{Client: srv.Client, Bucket: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	benchPipeline(b, func(st *store.Store) source.Source {
		c := s3source.DefaultConfig()
		c.Name, c.Bucket, c.Path, c.OnlyLogsAfter = "bench", "bench", "firehose/", g.Start
		src, err := s3source.New(c, srv.Client, st, slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(fmt.Errorf("s3 source: %w", err))
		}
		return src
	}, sum, false)
}
