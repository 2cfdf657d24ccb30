package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/store"
)

// sequence commits results in listing order, batching consecutive ready
// results into one transaction. It returns ErrStopped (wrapped) when a
// failure must stop the source, and any commit error.
func (p *Pipeline) sequence(ctx context.Context, src source.Source, results <-chan *result, opt SourceOptions, stats *Stats, prog *progress, log *slog.Logger) error {
	waiting := make(map[int]*result)
	want := 0
	for r := range results {
		waiting[r.seq] = r
		// Take every result already waiting, so that a commit carries
		// as many objects as are ready: each commit has a fixed cost
		// (a sync, a transaction, a lock shared with other instances).
	drain:
		for {
			select {
			case more, ok := <-results:
				if !ok {
					break drain
				}
				waiting[more.seq] = more
			default:
				break drain
			}
		}
		var batch []*result
		var size, records int64
		for next, ok := waiting[want]; ok; next, ok = waiting[want] {
			delete(waiting, want)
			want++
			batch = append(batch, next)
			size += next.out.Len()
			records += next.records
			if len(batch) >= p.cfg.BatchObjects || records >= p.cfg.BatchRecords || size >= p.cfg.BatchBytes {
				if err := p.commitBatch(ctx, src, batch, opt, stats, prog, log); err != nil {
					closeAll(waiting)
					return err
				}
				batch, size, records = nil, 0, 0
			}
		}
		if err := p.commitBatch(ctx, src, batch, opt, stats, prog, log); err != nil {
			closeAll(waiting)
			return err
		}
	}
	return nil
}

func closeAll(waiting map[int]*result) {
	for _, r := range waiting {
		r.close()
	}
}

// commitBatch writes the batch's lines to the archive, syncs it, and
// commits the batch's state in one transaction. Without SkipOnError the
// batch is cut at its first failure, which is recorded, and ErrStopped
// returned; canceled objects cut the batch the same way, silently.
func (p *Pipeline) commitBatch(ctx context.Context, src source.Source, batch []*result, opt SourceOptions, stats *Stats, prog *progress, log *slog.Logger) (err error) {
	if len(batch) == 0 {
		return nil
	}
	defer func() {
		for _, r := range batch {
			r.close()
		}
	}()
	var stop error
	_, queued := src.(queueSource)
	for i, r := range batch {
		if r.kind == failCanceled || (r.kind != failNone && !opt.SkipOnError && !queued) {
			if r.kind != failCanceled {
				stop = fmt.Errorf("%w: %w", ErrStopped, r.err)
			}
			batch = batch[:i+1]
			break
		}
	}

	p.commitMu.Lock()
	defer p.commitMu.Unlock()
	// ctx may be canceled during shutdown; a batch that is ready still
	// commits, so the transaction is never split by a signal.
	ctx = context.WithoutCancel(ctx)
	start := p.archive.Size()
	var alertsStart int64
	if p.alerter != nil {
		alertsStart = p.alerter.out.Size()
	}
	tx, err := p.store.Begin(ctx)
	if err != nil {
		return err
	}
	finished := false
	defer func() {
		if !finished {
			tx.Rollback()
			if p.alerter != nil {
				p.alerter.rolledBackState()
			}
			if rerr := p.archive.Rewind(start); rerr != nil {
				err = errors.Join(err, rerr)
			}
			if p.alerter != nil {
				if rerr := p.alerter.out.Rewind(alertsStart); rerr != nil {
					err = errors.Join(err, rerr)
				}
			}
		}
	}()
	if p.alerter != nil {
		if err := p.alerter.syncState(ctx, tx); err != nil {
			return err
		}
	}
	var committed []*result
	for _, r := range batch {
		keep, err := p.stage(ctx, tx, r, opt)
		if err != nil {
			return err
		}
		if keep {
			committed = append(committed, r)
		}
	}
	offset, err := p.archive.Sync()
	if err != nil {
		return err
	}
	if err := tx.SetSinkOffset(ctx, SinkName(p.cfg.Instance, ArchiveSink), offset); err != nil {
		return err
	}
	if p.alerter != nil {
		alertsOffset, err := p.alerter.out.Sync()
		if err != nil {
			return err
		}
		if err := tx.SetSinkOffset(ctx, SinkName(p.cfg.Instance, AlertSink), alertsOffset); err != nil {
			return err
		}
		if err := p.alerter.saveState(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	finished = true
	if p.alerter != nil {
		p.alerter.committedState()
	}
	for _, r := range batch {
		p.report(r, stats, log)
		prog.add(r)
	}
	// Done hooks (remove_from_bucket, deleting the queue message, ...) run
	// only once the commit holds.
	for _, r := range committed {
		if err := src.Done(ctx, r.obj); err != nil {
			log.Warn("post-commit action failed", "key", r.obj.Key, "err", err)
		}
	}
	if q, ok := src.(queueSource); ok {
		p.release(ctx, q, batch, committed, log)
	}
	return stop
}

// release hands the batch's objects that were not committed back to their
// queue, to be received again after a backoff that grows with attempts.
func (p *Pipeline) release(ctx context.Context, q queueSource, batch, committed []*result, log *slog.Logger) {
	done := make(map[*result]bool, len(committed))
	for _, r := range committed {
		done[r] = true
	}
	for _, r := range batch {
		if done[r] {
			continue
		}
		after := p.cfg.RetryBackoff << min(max(r.attempts, 1), 10)
		if err := q.Release(ctx, r.obj, after); err != nil {
			log.Warn("release object to its queue", "key", r.obj.Key, "err", err)
		}
	}
}

// stage adds r's lines and state to the open transaction and reports
// whether r was marked done.
func (p *Pipeline) stage(ctx context.Context, tx *store.Tx, r *result, opt SourceOptions) (bool, error) {
	if r.kind != failCanceled {
		// Another instance sharing the state (a queue's redelivery, or an
		// overlapping source) may have committed the object since it was
		// listed; its results must not be committed twice.
		done, err := tx.IsDone(ctx, r.obj.Scope, r.obj.Key)
		if err != nil {
			return false, err
		}
		if done {
			r.duplicate = true
			return true, nil
		}
	}
	switch r.kind {
	case failCanceled:
		return false, nil
	case failFetch:
		var err error
		r.attempts, err = tx.RecordFailure(ctx, r.obj, r.err, true)
		return false, err
	case failData:
		var err error
		if r.attempts, err = tx.RecordFailure(ctx, r.obj, r.err, false); err != nil {
			return false, err
		}
		if !opt.SkipOnError {
			r.events = 0 // nothing of the object is committed
			return false, nil
		}
	}
	if r.out.Len() > 0 {
		rd, err := r.out.Reader()
		if err != nil {
			return false, err
		}
		if _, err := p.archive.ReadFrom(rd); err != nil {
			return false, err
		}
	}
	if r.rin != nil && r.rin.Len() > 0 {
		if len(r.findingKeys) > 0 {
			if err := tx.PrefetchFindings(ctx, r.findingKeys); err != nil {
				return false, err
			}
		}
		rd, err := r.rin.Reader()
		if err != nil {
			return false, err
		}
		if err := p.alerter.stage(ctx, tx, r.obj, rd, &r.alerts); err != nil {
			return false, fmt.Errorf("alert on %s: %w", r.obj.URI(), err)
		}
	}
	err := tx.MarkDone(ctx, store.Done{Object: r.obj, Records: r.records, Events: r.events, Partial: r.kind == failData})
	return err == nil, err
}
