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
//
// The many small writes of a batch (PutFinding, PutAlert,
// UpdateAlertCount, Enqueue, MarkDone, SetSinkOffset) are buffered in the
// Tx and written by Commit with a few multi-row statements (batch.go), so
// a commit costs a few round trips to PostgreSQL instead of several per
// alert, and holds the write lock that much shorter. The Tx's reads see
// its buffered writes (Finding, IsDone), and the result is what the calls
// one by one would have left; but an error a write would have returned
// (a constraint, a text PostgreSQL refuses) is returned by Commit.
type Tx struct {
	tx    *sql.Tx
	now   time.Time
	store *Store
	// stmts are the store's prepared statements bound to tx, made on first use.
	stmts map[string]*sql.Stmt

	// findings are the findings the Tx read or put; putFindings the keys
	// of those put, in order.
	findings    map[string]*findingEntry
	putFindings []string
	// alerts are the rows PutAlert buffered, alertAt their index by id.
	alerts  [][]any
	alertAt map[string]int
	// countsBefore are the count updates of alerts not buffered, to apply
	// before the inserts; countsAfter those of buffered alerts, in case
	// the insert finds the alert stored already.
	countsBefore, countsAfter map[string]int64
	// labelled are the labelled columns of alerts, by the same index.
	labelled []labelled
	// added are the alerts Commit inserted, which it counts into the
	// rollups.
	added []addedAlert
	// outbox are the rows Enqueue buffered, in order.
	outbox [][]any
	// done are the objects MarkDone buffered; doneSet has their (scope, key).
	done    []Done
	doneSet map[[2]string]bool
	// sinks are the offsets SetSinkOffset buffered, in first-set order.
	sinks   []string
	offsets map[string]int64
	// buffered is about how many bytes of findings, alerts and outbox
	// items are buffered (see spill).
	buffered int64
}

// defaultSpillBytes is Store.spillBytes: a few hundred findings and
// alerts, enough for set-based writes to pay off.
const defaultSpillBytes = 8 << 20

// buffer notes n more bytes buffered and spills the buffers past the
// store's bound.
func (t *Tx) buffer(ctx context.Context, n int) error {
	t.buffered += int64(n)
	if t.buffered < t.store.spillBytes {
		return nil
	}
	return t.spill(ctx)
}

// spill writes the buffered findings, alerts (with their counts and
// full-text terms) and outbox items into the open transaction, as Commit
// would, and forgets them: later reads find them in the tables. It keeps
// the memory of a transaction bounded whatever it carries, such as one
// object of a million findings. The objects done and the sink offsets are
// small and stay for Commit.
func (t *Tx) spill(ctx context.Context) error {
	for _, step := range [...]func(context.Context) error{t.flushFindings, t.flushAlerts, t.countAdded, t.flushOutbox} {
		if err := step(ctx); err != nil {
			return fmt.Errorf("write buffered state: %w", err)
		}
	}
	t.findings, t.putFindings = nil, nil
	t.alerts, t.alertAt, t.labelled, t.added = nil, nil, nil, nil
	t.countsBefore, t.countsAfter = nil, nil
	t.outbox = nil
	t.buffered = 0
	return nil
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
	if t.doneSet[[2]string{scope, key}] {
		return true, nil
	}
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
// unless the object is partial. It is written at Commit; IsDone sees it
// at once.
func (t *Tx) MarkDone(ctx context.Context, d Done) error {
	if t.doneSet == nil {
		t.doneSet = map[[2]string]bool{}
	}
	t.doneSet[[2]string{d.Object.Scope, d.Object.Key}] = true
	t.done = append(t.done, d)
	return nil
}

// Statements that write the objects MarkDone buffered. Each scope's
// cursor moves once, to the greatest of its keys in the database's
// order, as one upsert per object would move it.
var (
	doneInsert = rowsStmt{
		query: `INSERT INTO objects_done (scope, key, source, bucket, etag, size, records, events, partial, done_at)
		SELECT * FROM {rows}`,
		types: []string{"text", "text", "text", "text", "text", "int8", "int8", "int8", "bool", "int8"},
	}
	cursorsAdvance = rowsStmt{
		query: `INSERT INTO cursors (scope, source, key, updated_at)
		SELECT column1, min(column2), max(column3), max(column4) FROM {rows} WHERE true GROUP BY column1
		ON CONFLICT (scope) DO UPDATE SET key = excluded.key, updated_at = excluded.updated_at
		WHERE excluded.key > cursors.key`,
		types: []string{"text", "text", "text", "int8"},
	}
	failuresClear = rowsStmt{
		query: `DELETE FROM objects_failed WHERE (scope, key) IN (SELECT column1, column2 FROM {rows})`,
		types: []string{"text", "text"},
	}
)

// flushDone writes the objects MarkDone buffered.
func (t *Tx) flushDone(ctx context.Context) error {
	if len(t.done) == 0 {
		return nil
	}
	var done, cursors, cleared [][]any
	source := map[string]string{} // a new cursor row takes its scope's first object's source
	for _, d := range t.done {
		o := d.Object
		done = append(done, []any{o.Scope, o.Key, o.Source, o.Bucket, o.ETag, o.Size, d.Records, d.Events, d.Partial,
			t.now.UnixMilli()})
		if _, ok := source[o.Scope]; !ok {
			source[o.Scope] = o.Source
		}
		cursors = append(cursors, []any{o.Scope, source[o.Scope], o.Key, t.now.UnixMilli()})
		if !d.Partial {
			cleared = append(cleared, []any{o.Scope, o.Key})
		}
	}
	if err := t.execRows(ctx, doneInsert, done, nil); err != nil {
		return fmt.Errorf("mark %d objects done: %w", len(done), err)
	}
	if err := t.execRows(ctx, cursorsAdvance, cursors, nil); err != nil {
		return fmt.Errorf("advance cursors: %w", err)
	}
	if err := t.execRows(ctx, failuresClear, cleared, nil); err != nil {
		return fmt.Errorf("clear failures of %d objects: %w", len(cleared), err)
	}
	t.done = t.done[:0]
	return nil
}

// RecordFailure records that o failed with cause and returns how many times
// it has failed so far. transient failures are retried on later polls;
// permanent ones stay for the operator to see.
func (t *Tx) RecordFailure(ctx context.Context, o source.Object, cause error, transient bool) (int, error) {
	if t.doneSet[[2]string{o.Scope, o.Key}] {
		// A buffered MarkDone of o clears its failure: that comes first.
		if err := t.flushDone(ctx); err != nil {
			return 0, err
		}
	}
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
// It is written at Commit.
func (t *Tx) SetSinkOffset(ctx context.Context, sink string, offset int64) error {
	if _, ok := t.offsets[sink]; !ok {
		if t.offsets == nil {
			t.offsets = map[string]int64{}
		}
		t.sinks = append(t.sinks, sink)
	}
	t.offsets[sink] = offset
	return nil
}

// sinksUpsert writes the offsets SetSinkOffset buffered.
var sinksUpsert = rowsStmt{
	query: `INSERT INTO sink_offsets (sink, "offset") SELECT * FROM {rows} WHERE true
		ON CONFLICT (sink) DO UPDATE SET "offset" = excluded."offset"`,
	types: []string{"text", "int8"},
}

// flushSinks writes the offsets SetSinkOffset buffered.
func (t *Tx) flushSinks(ctx context.Context) error {
	rows := make([][]any, len(t.sinks))
	for i, sink := range t.sinks {
		rows[i] = []any{sink, t.offsets[sink]}
	}
	if err := t.execRows(ctx, sinksUpsert, rows, nil); err != nil {
		return fmt.Errorf("record offsets of %d sinks: %w", len(rows), err)
	}
	return nil
}

// Commit writes the buffered writes and makes the transaction durable.
// On error the transaction is rolled back.
func (t *Tx) Commit() error {
	ctx := context.Background()
	steps := [...]func(context.Context) error{
		t.flushFindings, t.flushAlerts, t.countAdded, t.flushOutbox, t.flushDone, t.flushSinks,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			t.tx.Rollback()
			return fmt.Errorf("commit state: %w", err)
		}
	}
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("commit state: %w", err)
	}
	if t.store.ckpt != nil {
		t.store.ckpt.committed()
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
