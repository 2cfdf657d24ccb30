package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dutywatch/dutywatch/internal/source"
)

// Tx is one state transaction. It must end in Commit or Rollback, is not
// safe for concurrent use and must not be reused afterwards.
type Tx struct {
	tx    *sql.Tx
	now   time.Time
	store *Store
	// stmts are the store's prepared statements bound to tx, made on first use.
	stmts map[string]*sql.Stmt
	// added are the rowids of the alerts PutAlert inserted, which Commit
	// counts into the rollups.
	added []int64
}

// stmt returns the prepared statement name bound to the transaction.
func (t *Tx) stmt(ctx context.Context, name string) *sql.Stmt {
	if st, ok := t.stmts[name]; ok {
		return st
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	st := t.tx.StmtContext(ctx, t.store.stmts[name])
	t.stmts[name] = st
	return st
}

// Begin starts a write transaction. On PostgreSQL it first takes the
// store-wide advisory lock, held until Commit or Rollback, so the write
// transactions of every instance sharing the database run one at a time,
// as SQLite's single writer runs them (see doc.go, Concurrency).
func (s *Store) Begin(ctx context.Context) (*Tx, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin state transaction: %w", err)
	}
	return &Tx{tx: tx, now: time.Now(), store: s}, nil
}

// beginWrite starts a database transaction that holds the write lock.
func (s *Store) beginWrite(ctx context.Context) (*sql.Tx, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if s.d.lockTx != "" {
		if _, err := tx.ExecContext(ctx, s.d.lockTx); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("take write lock: %w", err)
		}
	}
	return tx, nil
}

// exec runs query, in the store's dialect, in the transaction.
func (t *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.store.q(query), args...)
}

// queryRow runs query, in the store's dialect, in the transaction.
func (t *Tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.store.q(query), args...)
}

// IsDone reports whether key was committed in scope, by this or by any
// other instance: on PostgreSQL the write lock orders the transaction after
// every commit before it. The pipeline uses it to drop an object another
// instance committed first (an SQS redelivery).
func (t *Tx) IsDone(ctx context.Context, scope, key string) (bool, error) {
	var one int
	err := t.queryRow(ctx, `SELECT 1 FROM objects_done WHERE scope = ? AND key = ?`, scope, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read done %s %s: %w", scope, key, err)
	}
	return true, nil
}

// LoadState returns the engine state saved under name and its generation;
// ok is false when none was saved.
func (t *Tx) LoadState(ctx context.Context, name string) (gen int64, data []byte, ok bool, err error) {
	err = t.queryRow(ctx, `SELECT gen, data FROM engine_state WHERE name = ?`, name).Scan(&gen, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, fmt.Errorf("load state %s: %w", name, err)
	}
	return gen, data, true, nil
}

// SaveState saves data under name and returns its new generation: 1 for
// the first save, one more on each save after.
func (t *Tx) SaveState(ctx context.Context, name string, data []byte) (gen int64, err error) {
	if data == nil {
		data = []byte{}
	}
	err = t.queryRow(ctx, `INSERT INTO engine_state AS s (name, gen, data, updated_at) VALUES (?, 1, ?, ?)
		ON CONFLICT (name) DO UPDATE SET gen = s.gen + 1, data = excluded.data, updated_at = excluded.updated_at
		RETURNING gen`, name, data, t.now.UnixMilli()).Scan(&gen)
	if err != nil {
		return 0, fmt.Errorf("save state %s: %w", name, err)
	}
	return gen, nil
}

// Done describes a processed object for MarkDone.
type Done struct {
	Object  source.Object
	Records int64
	Events  int64
	// Partial is set when a data error cut the object short: the records
	// before the error are committed and the error is kept in the failures.
	Partial bool
}

// MarkDone records d.Object as done, advances its scope's cursor to its key
// when that key is greater, and clears any earlier failure of the object
// unless the object is partial.
func (t *Tx) MarkDone(ctx context.Context, d Done) error {
	o := d.Object
	_, err := t.exec(ctx, `INSERT INTO objects_done
		(scope, key, source, bucket, etag, size, records, events, partial, done_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.Scope, o.Key, o.Source, o.Bucket, o.ETag, o.Size, d.Records, d.Events, d.Partial, t.now.UnixMilli())
	if err != nil {
		return fmt.Errorf("mark %s done: %w", o.URI(), err)
	}
	_, err = t.exec(ctx, `INSERT INTO cursors (scope, source, key, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (scope) DO UPDATE SET key = excluded.key, updated_at = excluded.updated_at
		WHERE excluded.key > cursors.key`,
		o.Scope, o.Source, o.Key, t.now.UnixMilli())
	if err != nil {
		return fmt.Errorf("advance cursor %s: %w", o.Scope, err)
	}
	if !d.Partial {
		if _, err := t.exec(ctx, `DELETE FROM objects_failed WHERE scope = ? AND key = ?`, o.Scope, o.Key); err != nil {
			return fmt.Errorf("clear failure of %s: %w", o.URI(), err)
		}
	}
	return nil
}

// RecordFailure records that o failed with cause and returns how many times
// it has failed so far. transient failures are retried on later polls;
// permanent ones stay for the operator to see.
func (t *Tx) RecordFailure(ctx context.Context, o source.Object, cause error, transient bool) (int, error) {
	var attempts int
	err := t.queryRow(ctx, `INSERT INTO objects_failed
		(scope, key, source, bucket, account, region, etag, size, error, transient, attempts, first_at, last_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
		ON CONFLICT (scope, key) DO UPDATE SET error = excluded.error, transient = excluded.transient,
			etag = excluded.etag, size = excluded.size,
			attempts = objects_failed.attempts + 1, last_at = excluded.last_at
		RETURNING attempts`,
		o.Scope, o.Key, o.Source, o.Bucket, o.Account, o.Region, o.ETag, o.Size,
		cause.Error(), transient, t.now.UnixMilli(), t.now.UnixMilli()).Scan(&attempts)
	if err != nil {
		return 0, fmt.Errorf("record failure of %s: %w", o.URI(), err)
	}
	return attempts, nil
}

// SetSinkOffset records the committed byte offset of a JSON-lines sink.
func (t *Tx) SetSinkOffset(ctx context.Context, sink string, offset int64) error {
	_, err := t.exec(ctx, `INSERT INTO sink_offsets (sink, "offset") VALUES (?, ?)
		ON CONFLICT (sink) DO UPDATE SET "offset" = excluded."offset"`, sink, offset)
	if err != nil {
		return fmt.Errorf("record offset of %s: %w", sink, err)
	}
	return nil
}

// Commit makes the transaction durable.
func (t *Tx) Commit() error {
	if err := t.countAdded(context.Background()); err != nil {
		t.tx.Rollback()
		return fmt.Errorf("commit state: %w", err)
	}
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("commit state: %w", err)
	}
	return nil
}

// Rollback discards the transaction. It is safe to call after Commit.
func (t *Tx) Rollback() error {
	err := t.tx.Rollback()
	if err == sql.ErrTxDone {
		return nil
	}
	return err
}

// sqlTx is a database transaction that rebinds its queries to the store's
// dialect, for the Store's own short writes.
type sqlTx struct {
	tx *sql.Tx
	s  *Store
}

func (t *sqlTx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.s.q(query), args...)
}

func (t *sqlTx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.s.q(query), args...)
}

// write runs fn in a write transaction (holding the write lock on
// PostgreSQL) and commits it if fn returns nil.
func (s *Store) write(ctx context.Context, fn func(tx *sqlTx) error) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(&sqlTx{tx: tx, s: s}); err != nil {
		return err
	}
	return tx.Commit()
}
