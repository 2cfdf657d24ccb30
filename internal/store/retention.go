package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// pruneBatch is how many alerts one retention transaction deletes, so the
// pipeline's commits wait at most one batch.
const pruneBatch = 500

// PruneAlerts deletes the alerts with event time before before, oldest
// first, in batches of one transaction each, with their deliveries, and
// then the stored findings whose latest version is older (their alerts are
// gone too). The delete triggers keep the full-text index and the
// dashboard's counts in step. It returns the number of alerts deleted; on
// error, the batches committed so far stay deleted and the count says how
// many.
func (s *Store) PruneAlerts(ctx context.Context, before time.Time) (int64, error) {
	cut := before.UnixMilli()
	var total int64
	for {
		n, err := s.pruneAlertBatch(ctx, cut)
		total += n
		if err != nil {
			return total, fmt.Errorf("prune alerts before %s: %w", before.UTC().Format(time.RFC3339), err)
		}
		if n < pruneBatch {
			break
		}
	}
	err := s.write(ctx, func(tx *sqlTx) error {
		_, err := tx.exec(ctx, `DELETE FROM findings WHERE updated_at < ?`, cut)
		return err
	})
	if err != nil {
		return total, fmt.Errorf("prune findings before %s: %w", before.UTC().Format(time.RFC3339), err)
	}
	return total, nil
}

// pruneAlertBatch deletes the oldest pruneBatch alerts before cut and their
// deliveries in one write transaction.
func (s *Store) pruneAlertBatch(ctx context.Context, cut int64) (int64, error) {
	var ids []string
	err := s.write(ctx, func(tx *sqlTx) error {
		rows, err := tx.query(ctx, `DELETE FROM alerts WHERE rowid IN (
			SELECT rowid FROM alerts WHERE event_time < ? ORDER BY event_time LIMIT ?) RETURNING id`, cut, pruneBatch)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		list, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `DELETE FROM deliveries WHERE alert_id IN (`+s.d.jsonStrings(1)+`)`, string(list))
		return err
	})
	if err != nil {
		return 0, err
	}
	return int64(len(ids)), nil
}
