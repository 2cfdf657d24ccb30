package deliver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/dutywatch/dutywatch/internal/store"
)

// Outbox is what delivery needs of the store; *store.Store implements it.
type Outbox interface {
	ReadOutbox(ctx context.Context, destination string, limit int) ([]store.OutboxItem, error)
	AckOutbox(ctx context.Context, destination string, seq int64) error
	PruneOutbox(ctx context.Context, destinations []string) (int64, error)
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	RecordDelivery(ctx context.Context, d store.Delivery) error
	Deliveries(ctx context.Context, alertID string) ([]store.Delivery, error)
}

// Indexer takes batches; a nil error means every item is stored.
type Indexer interface {
	Name() string
	Deliver(ctx context.Context, items []store.OutboxItem) error
}

// Rejected is returned (wrapped) by an Indexer when some items were refused
// for good; the others were stored. Those items are recorded and passed.
type Rejected struct {
	// Reasons by alert id.
	Reasons map[string]string
}

func (e *Rejected) Error() string {
	return fmt.Sprintf("%d alerts rejected for good", len(e.Reasons))
}

// Outcome is what a Notifier did with one item.
type Outcome int

// Outcomes.
const (
	Sent Outcome = iota
	// Dropped items were filtered out or over the rate limit.
	Dropped
	// Failed items could not be sent after the notifier's own retries.
	Failed
)

// Notifier sends one item at a time.
type Notifier interface {
	Name() string
	Notify(ctx context.Context, it store.OutboxItem) (Outcome, string, error)
}

// Config tunes the delivery loops.
type Config struct {
	// Owner names this instance in leases.
	Owner string
	// Batch is how many items one read takes.
	Batch int
	// Idle is how long a loop waits when the outbox is empty.
	Idle time.Duration
	// LeaseTTL is how long a lease lasts unless renewed.
	LeaseTTL time.Duration
	// MaxBackoff caps the wait between retries of a failing batch.
	MaxBackoff time.Duration
	// GiveUp is how many rounds a notification is retried before it is
	// recorded as failed and passed.
	GiveUp int
	// PruneEvery is how often delivered items are deleted.
	PruneEvery time.Duration
}

// DefaultConfig returns the defaults.
func DefaultConfig(owner string) Config {
	return Config{Owner: owner, Batch: 500, Idle: time.Second, LeaseTTL: 30 * time.Second,
		MaxBackoff: 5 * time.Minute, GiveUp: 8, PruneEvery: time.Minute}
}

// Deliverer runs one loop per destination.
type Deliverer struct {
	cfg       Config
	box       Outbox
	indexers  []Indexer
	notifiers []Notifier
	log       *slog.Logger
	delivered *prometheus.CounterVec
	failures  *prometheus.CounterVec
}

// New returns a Deliverer; reg may be nil.
func New(cfg Config, box Outbox, indexers []Indexer, notifiers []Notifier, log *slog.Logger, reg prometheus.Registerer) *Deliverer {
	d := &Deliverer{cfg: cfg, box: box, indexers: indexers, notifiers: notifiers, log: log,
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "dutywatch", Subsystem: "deliver",
			Name: "alerts_total", Help: "Alerts handed to outputs, by destination and status (sent, dropped, failed)."},
			[]string{"destination", "status"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "dutywatch", Subsystem: "deliver",
			Name: "errors_total", Help: "Failed delivery attempts, by destination."}, []string{"destination"}),
	}
	if reg != nil {
		reg.MustRegister(d.delivered, d.failures)
	}
	return d
}

// Destinations names every destination, as the outbox's cursors know them.
func (d *Deliverer) Destinations() []string {
	var names []string
	for _, ix := range d.indexers {
		names = append(names, ix.Name())
	}
	for _, n := range d.notifiers {
		names = append(names, n.Name())
	}
	return names
}

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) error {
	if len(d.indexers)+len(d.notifiers) == 0 {
		return nil
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, ix := range d.indexers {
		g.Go(func() error { return d.loop(ctx, ix.Name(), d.indexBatch(ix)) })
	}
	for _, n := range d.notifiers {
		g.Go(func() error { return d.loop(ctx, n.Name(), d.notifyBatch(n)) })
	}
	g.Go(func() error { return d.prune(ctx) })
	err := g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// batchFunc delivers items and returns the seq up to which the cursor may
// advance (0: none) and an error when the rest must be retried.
type batchFunc func(ctx context.Context, items []store.OutboxItem) (int64, error)

func (d *Deliverer) loop(ctx context.Context, dest string, deliver batchFunc) error {
	log := d.log.With("destination", dest)
	backoff := time.Second
	for {
		wait := d.cfg.Idle
		ok, err := d.box.AcquireLease(ctx, "deliver/"+dest, d.cfg.Owner, d.cfg.LeaseTTL)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			log.Warn("take the delivery lease", "err", err)
		case !ok:
			wait = d.cfg.LeaseTTL / 3 // another instance delivers
		default:
			wait, backoff = d.round(ctx, dest, deliver, backoff, log)
		}
		if !sleep(ctx, wait) {
			return nil
		}
	}
}

// round delivers one batch and says how long to wait before the next.
func (d *Deliverer) round(ctx context.Context, dest string, deliver batchFunc, backoff time.Duration, log *slog.Logger) (wait, nextBackoff time.Duration) {
	items, err := d.box.ReadOutbox(ctx, dest, d.cfg.Batch)
	if err != nil {
		log.Warn("read the outbox", "err", err)
		return d.cfg.Idle, backoff
	}
	if len(items) == 0 {
		return d.cfg.Idle, time.Second
	}
	upTo, err := deliver(ctx, items)
	if upTo > 0 {
		if aerr := d.box.AckOutbox(context.WithoutCancel(ctx), dest, upTo); aerr != nil {
			log.Warn("advance the outbox cursor", "err", aerr)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return 0, backoff
		}
		d.failures.WithLabelValues(dest).Inc()
		wait := backoff/2 + rand.N(backoff/2+1)
		log.Warn("delivery failed; retrying", "err", err, "in", wait.Round(time.Millisecond))
		return wait, min(backoff*2, d.cfg.MaxBackoff)
	}
	if len(items) == d.cfg.Batch {
		return 0, time.Second // more waiting
	}
	return d.cfg.Idle, time.Second
}

func (d *Deliverer) indexBatch(ix Indexer) batchFunc {
	return func(ctx context.Context, items []store.OutboxItem) (int64, error) {
		last := items[len(items)-1].Seq
		err := ix.Deliver(ctx, items)
		var rej *Rejected
		if err != nil && !errors.As(err, &rej) {
			return 0, err
		}
		for _, it := range items {
			status, reason := "sent", ""
			if rej != nil {
				if r, ok := rej.Reasons[it.AlertID]; ok {
					status, reason = "failed", r
					// Recorded so the health page shows what the indexer refused.
					d.record(ctx, store.Delivery{Destination: ix.Name(), AlertID: it.AlertID, Status: status, Error: reason, Attempts: 1, At: time.Now()})
				}
			}
			d.delivered.WithLabelValues(ix.Name(), status).Inc()
		}
		return last, nil
	}
}

func (d *Deliverer) notifyBatch(n Notifier) batchFunc {
	rounds := map[string]int{} // failed rounds of the item at the cursor
	return func(ctx context.Context, items []store.OutboxItem) (int64, error) {
		var upTo int64
		for _, it := range items {
			if sent, err := d.alreadySent(ctx, n.Name(), it.AlertID); err != nil {
				return upTo, err
			} else if sent {
				upTo = it.Seq
				continue
			}
			outcome, reason, err := n.Notify(ctx, it)
			if ctx.Err() != nil {
				return upTo, ctx.Err()
			}
			rec := store.Delivery{Destination: n.Name(), AlertID: it.AlertID, Attempts: rounds[it.AlertID] + 1, At: time.Now(), Error: reason}
			switch outcome {
			case Sent:
				rec.Status = "sent"
			case Dropped:
				rec.Status = "dropped"
			default:
				rec.Status = "failed"
				if err != nil {
					rec.Error = err.Error()
				}
				rounds[it.AlertID]++
				if rounds[it.AlertID] < d.cfg.GiveUp {
					d.record(ctx, rec)
					return upTo, fmt.Errorf("notify alert %s: %w", it.AlertID, err)
				}
			}
			delete(rounds, it.AlertID)
			d.record(ctx, rec)
			d.delivered.WithLabelValues(n.Name(), rec.Status).Inc()
			upTo = it.Seq
		}
		return upTo, nil
	}
}

func (d *Deliverer) alreadySent(ctx context.Context, dest, alertID string) (bool, error) {
	ds, err := d.box.Deliveries(ctx, alertID)
	if err != nil {
		return false, err
	}
	for _, x := range ds {
		if x.Destination == dest && x.Status == "sent" {
			return true, nil
		}
	}
	return false, nil
}

func (d *Deliverer) record(ctx context.Context, rec store.Delivery) {
	if err := d.box.RecordDelivery(context.WithoutCancel(ctx), rec); err != nil {
		d.log.Warn("record delivery", "destination", rec.Destination, "alert", rec.AlertID, "err", err)
	}
}

func (d *Deliverer) prune(ctx context.Context) error {
	names := d.Destinations()
	for sleep(ctx, d.cfg.PruneEvery) {
		if n, err := d.box.PruneOutbox(ctx, names); err != nil && ctx.Err() == nil {
			d.log.Warn("prune the outbox", "err", err)
		} else if n > 0 {
			d.log.Debug("pruned the outbox", "items", n)
		}
	}
	return nil
}

// sleep waits for d or ctx; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Drain delivers what the outbox holds and returns, for a single pass
// (run --once): each destination until its cursor reaches the end, giving
// up on a destination after attempts failed rounds.
func (d *Deliverer) Drain(ctx context.Context, attempts int) error {
	var errs []error
	drain := func(dest string, deliver batchFunc) {
		failed := 0
		for ctx.Err() == nil {
			items, err := d.box.ReadOutbox(ctx, dest, d.cfg.Batch)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", dest, err))
				return
			}
			if len(items) == 0 {
				return
			}
			upTo, err := deliver(ctx, items)
			if upTo > 0 {
				if err := d.box.AckOutbox(ctx, dest, upTo); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", dest, err))
					return
				}
			}
			if err != nil {
				d.failures.WithLabelValues(dest).Inc()
				if failed++; failed >= attempts {
					errs = append(errs, fmt.Errorf("%s: %w", dest, err))
					return
				}
				sleep(ctx, min(time.Duration(failed)*time.Second, d.cfg.MaxBackoff))
			}
		}
	}
	for _, ix := range d.indexers {
		drain(ix.Name(), d.indexBatch(ix))
	}
	for _, n := range d.notifiers {
		drain(n.Name(), d.notifyBatch(n))
	}
	if len(errs) == 0 {
		if _, err := d.box.PruneOutbox(ctx, d.Destinations()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
