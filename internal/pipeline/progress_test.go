package pipeline

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/source"
)

func TestProgressFraction(t *testing.T) {
	now := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	var p progress
	if f := p.fraction(now); f != 0 {
		t.Errorf("fraction with nothing done = %v", f)
	}
	for _, at := range []time.Time{now.AddDate(0, -6, 0), now.AddDate(0, -3, 0)} {
		p.add(&result{obj: source.Object{LastModified: at}, records: 10, bytesRead: 100})
	}
	if f := p.fraction(now); f < 0.49 || f > 0.51 {
		t.Errorf("half-way through six months: fraction %v", f)
	}
	if p.objects.Load() != 2 || p.findings.Load() != 20 || p.bytes.Load() != 200 {
		t.Errorf("counters = %d objects, %d findings, %d bytes", p.objects.Load(), p.findings.Load(), p.bytes.Load())
	}
}

// syncBuffer is a bytes.Buffer safe for the reporter and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestProgressBarOnATerminal(t *testing.T) {
	var p progress
	now := time.Now()
	p.add(&result{obj: source.Object{LastModified: now.Add(-10 * time.Hour)}, records: 5})
	p.add(&result{obj: source.Object{LastModified: now.Add(-5 * time.Hour)}, records: 5})
	var term syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		reportProgress(ctx, &p, time.Millisecond, &term, slog.New(slog.DiscardHandler))
		close(done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(term.String(), "ETA") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // polling a condition with a failing deadline
	}
	cancel()
	<-done
	out := term.String()
	if !strings.Contains(out, "\r[#############") || !strings.Contains(out, "2 objects") || !strings.Contains(out, "10 findings") {
		t.Errorf("progress bar = %q", out)
	}
}
