package store

import (
	"context"
	"fmt"
	"time"
)

// pruneBatch is how many alerts one retention transaction deletes, so the
// pipeline's commits wait at most one batch.
const pruneBatch = 500

// PruneAlerts deletes the alerts with event time before before, oldest
// first, in batches of one transaction each, and then the stored findings
// whose latest version is older (their alerts are gone too). The delete
// triggers keep the full-text index and the dashboard's counts in step. It returns the
// number of alerts deleted; on error, the batches committed so far stay
// deleted and the count says how many.
func (s *Store) PruneAlerts(ctx context.Context, before time.Time) (int64, error) {
	cut := before.UnixMilli()
	var total int64
	for {
		res, err := s.db.ExecContext(ctx, `DELETE FROM alerts WHERE rowid IN (
			SELECT rowid FROM alerts WHERE event_time < ? ORDER BY event_time LIMIT ?)`, cut, pruneBatch)
		if err != nil {
			return total, fmt.Errorf("prune alerts before %s: %w", before.UTC().Format(time.RFC3339), err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("prune alerts: %w", err)
		}
		total += n
		if n < pruneBatch {
			break
		}
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM findings WHERE updated_at < ?`, cut); err != nil {
		return total, fmt.Errorf("prune findings before %s: %w", before.UTC().Format(time.RFC3339), err)
	}
	return total, nil
}
