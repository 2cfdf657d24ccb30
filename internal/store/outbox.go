package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// OutboxItem is one alert waiting for the outputs (OpenSearch,
// notifications), written in the same commit as the alert.
type OutboxItem struct {
	Seq     int64 // assigned by the store, increasing in commit order
	AlertID string
	Time    time.Time // alert time
	Level   int
	RuleID  int
	Type    string // finding type
	Doc     []byte // the alert as alerts.json has it (one JSON object)
}

// Enqueue adds it to the outbox; the store assigns it.Seq. Sequence
// numbers increase in commit order because write transactions are
// serialized (SQLite's one writer, PostgreSQL's write lock taken by
// Begin): no transaction can take a number while another that took a
// smaller one is still open. So a reader that has seen seq n never later
// finds a newly committed item with a smaller seq, and a destination's
// cursor never skips one. Numbers of rolled-back transactions are gaps.
// Items are written at Commit, numbered in the order Enqueue saw them.
func (t *Tx) Enqueue(ctx context.Context, it OutboxItem) error {
	doc := bytes.Clone(it.Doc) // the caller may reuse it.Doc
	if doc == nil {
		doc = []byte{}
	}
	t.outbox = append(t.outbox, []any{it.AlertID, it.Time.UnixMilli(), int64(it.Level), int64(it.RuleID), it.Type, doc})
	return t.buffer(ctx, len(doc)+bufferedRowBytes)
}

// outboxInsert writes buffered outbox items. Rows are inserted, and so
// numbered, in the order of the list.
var outboxInsert = rowsStmt{
	query: `INSERT {or fail} INTO outbox (alert_id, ts, level, rule_id, type, doc) SELECT * FROM {rows}`,
	types: []string{"text", "int8", "int8", "int8", "text", "bytea"},
}

// flushOutbox writes the items Enqueue buffered.
func (t *Tx) flushOutbox(ctx context.Context) error {
	if err := t.execRows(ctx, outboxInsert, t.outbox, nil); err != nil {
		return fmt.Errorf("enqueue %d alerts: %w", len(t.outbox), err)
	}
	return nil
}

// ReadOutbox returns up to limit items after destination's cursor, in seq
// order.
func (s *Store) ReadOutbox(ctx context.Context, destination string, limit int) ([]OutboxItem, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT seq, alert_id, ts, level, rule_id, type, doc FROM outbox
		WHERE seq > coalesce((SELECT seq FROM outbox_cursors WHERE destination = ?), 0)
		ORDER BY seq LIMIT ?`), destination, max(limit, 0))
	if err != nil {
		return nil, fmt.Errorf("read outbox for %s: %w", destination, err)
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		var it OutboxItem
		var ts int64
		if err := rows.Scan(&it.Seq, &it.AlertID, &ts, &it.Level, &it.RuleID, &it.Type, &it.Doc); err != nil {
			return nil, fmt.Errorf("read outbox for %s: %w", destination, err)
		}
		it.Time = millis(ts)
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read outbox for %s: %w", destination, err)
	}
	return out, nil
}

// AckOutbox moves destination's cursor to seq; a cursor never moves back.
func (s *Store) AckOutbox(ctx context.Context, destination string, seq int64) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO outbox_cursors (destination, seq) VALUES (?, ?)
		ON CONFLICT (destination) DO UPDATE SET seq = excluded.seq WHERE excluded.seq > outbox_cursors.seq`),
		destination, seq)
	if err != nil {
		return fmt.Errorf("acknowledge outbox of %s up to %d: %w", destination, seq, err)
	}
	return nil
}

// PruneOutbox deletes the items every one of destinations has
// acknowledged (seq up to the smallest of their cursors) and returns how
// many. A destination with no cursor yet has acknowledged nothing, so it
// keeps everything; so does an empty list.
func (s *Store) PruneOutbox(ctx context.Context, destinations []string) (int64, error) {
	if len(destinations) == 0 {
		return 0, nil
	}
	var floor int64
	for i, d := range destinations {
		var seq int64
		err := s.db.QueryRowContext(ctx, s.q(`SELECT seq FROM outbox_cursors WHERE destination = ?`), d).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("prune outbox: read cursor of %s: %w", d, err)
		}
		if i == 0 || seq < floor {
			floor = seq
		}
	}
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM outbox WHERE seq <= ?`), floor)
	if err != nil {
		return 0, fmt.Errorf("prune outbox up to %d: %w", floor, err)
	}
	return res.RowsAffected()
}

// AcquireLease takes or renews the lease name for owner until ttl from now
// and reports whether owner holds it: true when the lease was free,
// expired or already owner's. Expiry compares the clocks of the instances,
// so ttl must be well above their skew.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	now := s.now()
	var holder string
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
			WHERE leases.owner = excluded.owner OR leases.expires_at <= ?
		RETURNING owner`), name, owner, now.Add(ttl).UnixMilli(), now.UnixMilli()).Scan(&holder)
	if errors.Is(err, sql.ErrNoRows) { // held by another owner
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return holder == owner, nil
}

// Delivery is the outcome of sending one alert to one destination.
type Delivery struct {
	Destination, AlertID string
	Status               string // "sent", "failed" or "dropped" (filtered or rate-limited)
	Error                string
	Attempts             int
	At                   time.Time
}

// RecordDelivery stores d, replacing the earlier outcome of the same
// destination and alert.
func (s *Store) RecordDelivery(ctx context.Context, d Delivery) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO deliveries (destination, alert_id, status, error, attempts, at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (destination, alert_id) DO UPDATE SET status = excluded.status, error = excluded.error,
			attempts = excluded.attempts, at = excluded.at`),
		d.Destination, d.AlertID, d.Status, d.Error, d.Attempts, d.At.UnixMilli())
	if err != nil {
		return fmt.Errorf("record delivery of %s to %s: %w", d.AlertID, d.Destination, err)
	}
	return nil
}

// Deliveries returns the outcomes recorded for an alert, by destination.
func (s *Store) Deliveries(ctx context.Context, alertID string) ([]Delivery, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT destination, status, error, attempts, at FROM deliveries
		WHERE alert_id = ? ORDER BY destination`), alertID)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of %s: %w", alertID, err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d := Delivery{AlertID: alertID}
		var at int64
		if err := rows.Scan(&d.Destination, &d.Status, &d.Error, &d.Attempts, &at); err != nil {
			return nil, fmt.Errorf("read delivery of %s: %w", alertID, err)
		}
		d.At = millis(at)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deliveries of %s: %w", alertID, err)
	}
	return out, nil
}
