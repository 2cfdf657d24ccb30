package guardduty

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestPacer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPacer(4) // 250ms apart
		start := time.Now()
		for i := range 5 {
			if err := p.wait(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got, want := time.Since(start), time.Duration(i)*250*time.Millisecond; got != want {
				t.Errorf("call %d at %v, want %v", i, got, want)
			}
		}
		// After a pause the next call goes at once.
		time.Sleep(time.Second)
		before := time.Now()
		if err := p.wait(t.Context()); err != nil || time.Since(before) != 0 {
			t.Errorf("after a pause: waited %v, %v", time.Since(before), err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := p.wait(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("canceled wait: %v", err)
		}
	})
}

func TestNoPacer(t *testing.T) {
	if p := newPacer(-1); p != nil || p.wait(t.Context()) != nil {
		t.Error("negative rate should not pace")
	}
}
