package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
)

// progress is what a long poll (a backfill with only_logs_after months
// back) reports while it runs. The sequencer writes it; the reporter reads
// it from its own goroutine.
type progress struct {
	objects, bytes, findings atomic.Int64
	// first and newest are the last-modified times (Unix ms) of the oldest
	// and newest objects committed so far in the poll.
	first, newest atomic.Int64
}

func (p *progress) add(r *result) {
	p.objects.Add(1)
	p.bytes.Add(r.bytesRead)
	p.findings.Add(r.records - r.skipped - r.badRecords)
	if t := r.obj.LastModified.UnixMilli(); !r.obj.LastModified.IsZero() {
		p.first.CompareAndSwap(0, t)
		for old := p.newest.Load(); t > old && !p.newest.CompareAndSwap(old, t); old = p.newest.Load() {
		}
	}
}

// fraction estimates how much of the backlog is done from how far the
// newest committed object is between the first one and now: objects are
// committed in key order, and keys follow time in both layouts.
func (p *progress) fraction(now time.Time) float64 {
	first, newest := p.first.Load(), p.newest.Load()
	span := now.UnixMilli() - first
	if first == 0 || span <= 0 {
		return 0
	}
	return min(1, float64(newest-first)/float64(span))
}

// reportProgress prints the poll's progress every interval until ctx ends:
// a bar redrawn in place when term is a terminal, else a log line. A poll
// shorter than interval prints nothing.
func reportProgress(ctx context.Context, p *progress, interval time.Duration, term io.Writer, log *slog.Logger) {
	if interval <= 0 {
		return
	}
	start := time.Now()
	t := time.NewTicker(interval)
	defer t.Stop()
	drawn := false
	for {
		select {
		case <-ctx.Done():
			if drawn {
				fmt.Fprintln(term)
			}
			return
		case now := <-t.C:
			elapsed := now.Sub(start)
			f := p.fraction(now)
			eta := "unknown"
			if f > 0.001 {
				eta = (time.Duration(float64(elapsed)*(1-f)/f) / time.Second * time.Second).String()
			}
			objects, mb, findings := p.objects.Load(), float64(p.bytes.Load())/1e6, p.findings.Load()
			if term != nil {
				bar := strings.Repeat("#", int(f*30)) + strings.Repeat(".", 30-int(f*30))
				fmt.Fprintf(term, "\r[%s] %3.0f%%  %d objects  %.1f MB  %d findings  %.0f findings/s  ETA %s   ",
					bar, f*100, objects, mb, findings, float64(findings)/elapsed.Seconds(), eta)
				drawn = true
				continue
			}
			log.Info("progress", "done_pct", int(f*100), "objects", objects, "mb", int(mb), "findings", findings,
				"findings_per_s", int(float64(findings)/elapsed.Seconds()), "eta", eta)
		}
	}
}
