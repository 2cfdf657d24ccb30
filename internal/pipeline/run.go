package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dutywatch/dutywatch/internal/source"
)

// Scheduled is a source with its options and schedule.
type Scheduled struct {
	Source  source.Source
	Options SourceOptions
	// Next returns the start of the poll after one that started at t.
	Next       func(t time.Time) time.Time
	RunOnStart bool
}

// Once polls every source one time, one after another, and returns their
// stats by source name and every source's error joined: one source failing
// (a stopped source, a listing that failed) does not keep the others from
// their poll.
func (p *Pipeline) Once(ctx context.Context, sources []Scheduled) (map[string]Stats, error) {
	all := make(map[string]Stats, len(sources))
	var errs []error
	for _, s := range sources {
		st, err := p.Poll(ctx, s.Source, s.Options)
		all[s.Source.Name()] = st
		if err != nil {
			errs = append(errs, fmt.Errorf("source %s: %w", s.Source.Name(), err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	return all, errors.Join(errs...)
}

// Run polls each source on its schedule until ctx ends. Each source has
// its own goroutine; Run returns once all of them have finished their
// current poll and committed it.
func (p *Pipeline) Run(ctx context.Context, sources []Scheduled) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, s := range sources {
		g.Go(func() error { return p.loop(ctx, s) })
	}
	err := g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func (p *Pipeline) loop(ctx context.Context, s Scheduled) error {
	log := p.log.With("source", s.Source.Name())
	next := time.Now()
	if !s.RunOnStart {
		next = s.Next(next)
	}
	for {
		wait := time.Until(next)
		if wait > 0 {
			log.Info("next poll", "at", next.Format(time.RFC3339))
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
		start := time.Now()
		stats, err := p.Poll(ctx, s.Source, s.Options)
		if ctx.Err() != nil {
			return nil
		}
		attrs := []any{"objects", stats.Done, "failed", stats.Failed, "events", stats.Events,
			"skipped", stats.Skipped, "took", time.Since(start).Round(time.Millisecond)}
		if err != nil {
			log.Error("poll ended with an error", append(attrs, "err", err)...)
		} else {
			log.Info("poll done", attrs...)
		}
		next = s.Next(start)
		if now := time.Now(); next.Before(now) {
			if next.After(start) { // a continuous source (SQS) asks for no wait
				log.Warn("poll took longer than the interval; starting the next one now")
			}
			next = now
		}
	}
}
