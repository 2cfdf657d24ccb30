package guardduty

import (
	"context"
	"sync"
	"time"
)

// pacer spaces calls at least interval apart; a nil pacer or a zero
// interval lets every call through. It is safe for concurrent use.
type pacer struct {
	interval time.Duration
	// mu guards the field below.
	mu   sync.Mutex
	next time.Time // when the next call may start
}

// newPacer returns a pacer for perSecond calls per second; perSecond <= 0
// means no pacing.
func newPacer(perSecond float64) *pacer {
	if perSecond <= 0 {
		return nil
	}
	return &pacer{interval: time.Duration(float64(time.Second) / perSecond)}
}

// wait blocks until the caller's turn, or until ctx ends.
func (p *pacer) wait(ctx context.Context) error {
	if p == nil || p.interval <= 0 {
		return ctx.Err()
	}
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.interval)
	p.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
