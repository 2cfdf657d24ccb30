package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" driver
	_ "modernc.org/sqlite"           // registers the "sqlite" driver
)

// Store is the state store, on SQLite or PostgreSQL. Create it with Open.
type Store struct {
	d  *dialect
	db *sql.DB
	// ro is a pool of read-only connections for the dashboard's queries,
	// which read a snapshot while db writes.
	ro *sql.DB
	// stmts are the hot statements, prepared once: a 31-column insert
	// costs more to parse than to run.
	stmts map[string]*sql.Stmt
	// bound maps query texts to their PostgreSQL form (see q).
	bound sync.Map
	// now is the clock of leases; tests replace it.
	now func() time.Time
	// ckpt copies SQLite's WAL into the database file (checkpoint.go);
	// nil on PostgreSQL.
	ckpt *checkpointer
	// spillBytes bounds the writes a Tx buffers (see Tx.spill); tests
	// lower it.
	spillBytes int64
}

// Open opens the store named by dsn and applies migrations. A dsn starting
// with postgres:// or postgresql:// is a PostgreSQL database that several
// instances may share; anything else is the path of an SQLite file,
// created (with its folder) if needed.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if isPostgresDSN(dsn) {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create state folder: %w", err)
		}
	}
	// synchronous(FULL): a commit survives power loss, which exactly-once
	// needs because the sinks fsync before the commit that records them.
	// No automatic checkpoints: the checkpointer runs them beside the
	// writer (checkpoint.go); the WAL is cut back to 256 MB, about what a
	// large commit writes, when it starts over. An 8 MB page cache: the
	// pages a commit touches are in the OS's cache anyway, and the
	// process's memory stays flat (a 64 MB cache made commits into a
	// million alerts some 20% faster, at 56 MB more resident memory).
	// Temporary files (statement journals of the set-based inserts, which
	// grow with the pages an insert touches in a large store) stay files,
	// in the OS's cache, rather than the process's memory.
	file := "file:" + (&url.URL{Path: path}).EscapedPath()
	dsn := file + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=cache_size(-8192)&_pragma=foreign_keys(ON)&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit(268435456)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	// One connection: SQLite has one writer anyway, and a single connection
	// keeps reads inside a Tx consistent with its writes.
	db.SetMaxOpenConns(1)
	s := &Store{d: sqliteDialect(), db: db, now: time.Now, spillBytes: defaultSpillBytes}
	if err := s.setUp(ctx); err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	// The read pool opens after the migrations, so it finds the file in
	// WAL mode. Its transactions are deferred: they take no lock until
	// they read, and never the write lock.
	s.ro, err = sql.Open("sqlite", file+"?mode=ro&_pragma=busy_timeout(10000)&_pragma=cache_size(-8192)&_pragma=temp_store(memory)")
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open state %s for reading: %w", path, err)
	}
	s.ro.SetMaxOpenConns(readConns)
	s.ro.SetMaxIdleConns(readConns)
	if s.ckpt, err = startCheckpointer(file + "?_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)"); err != nil {
		s.Close()
		return nil, fmt.Errorf("open state %s for checkpoints: %w", path, err)
	}
	return s, nil
}

// openPostgres opens a PostgreSQL store. Writers serialize on an advisory
// lock (Begin), so the write pool needs only a few connections: one for the
// Tx, the others for the Store's own short writes and reads.
func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	name := redactDSN(dsn)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", name, err)
	}
	// The write connections plan every statement for its arguments. pgx
	// prepares statements once per connection, and PostgreSQL switches a
	// prepared statement to a generic plan that it keeps until the next
	// autoanalyze: one made while a table was nearly empty (on a new
	// database) reads the whole table where an index finds a few rows
	// (PrefetchFindings' key = ANY(...)).
	if _, ok := cfg.RuntimeParams["plan_cache_mode"]; !ok {
		cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(writeConns)
	db.SetMaxIdleConns(writeConns)
	s := &Store{d: postgresDialect(), db: db, now: time.Now, spillBytes: defaultSpillBytes}
	if err := s.setUp(ctx); err != nil {
		return nil, fmt.Errorf("open state %s: %w", name, err)
	}
	if s.ro, err = sql.Open("pgx", dsn); err != nil {
		s.Close()
		return nil, fmt.Errorf("open state %s for reading: %w", name, err)
	}
	s.ro.SetMaxOpenConns(readConns)
	s.ro.SetMaxIdleConns(readConns)
	return s, nil
}

// redactDSN returns dsn without its password, for errors and logs.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres database"
	}
	return u.Redacted()
}

// setUp migrates and prepares a newly opened store, closing it on error.
func (s *Store) setUp(ctx context.Context) error {
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return fmt.Errorf("migrate: %w", err)
	}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return fmt.Errorf("prepare statements: %w", err)
	}
	return nil
}

// Pool sizes: dashboard pages run at once without waiting for each other
// or for the writer; writes (PostgreSQL) need a Tx and a few short ones.
const (
	readConns  = 4
	writeConns = 4
)

// Backend returns "sqlite" or "postgres".
func (s *Store) Backend() string { return s.d.name }

// Close stops the checkpoints and closes the database.
func (s *Store) Close() error {
	var errs []error
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.stop())
	}
	for _, st := range s.stmts {
		st.Close()
	}
	if s.ro != nil {
		errs = append(errs, s.ro.Close())
	}
	return errors.Join(append(errs, s.db.Close())...)
}

func (s *Store) prepare(ctx context.Context) error {
	hot := hotStatements(s.d)
	s.stmts = make(map[string]*sql.Stmt, len(hot))
	for name, q := range hot {
		st, err := s.db.PrepareContext(ctx, s.q(q))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		s.stmts[name] = st
	}
	return nil
}

// Cursor returns the greatest key committed in scope, or "".
func (s *Store) Cursor(ctx context.Context, scope string) (string, error) {
	var key string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT key FROM cursors WHERE scope = ?`), scope).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read cursor %s: %w", scope, err)
	}
	return key, nil
}

// IsDone reports whether key was committed in scope.
func (s *Store) IsDone(ctx context.Context, scope, key string) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT 1 FROM objects_done WHERE scope = ? AND key = ?`), scope, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read done %s %s: %w", scope, key, err)
	}
	return true, nil
}

// SinkOffset returns the committed byte offset of a JSON-lines sink.
func (s *Store) SinkOffset(ctx context.Context, sink string) (int64, error) {
	var off int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT "offset" FROM sink_offsets WHERE sink = ?`), sink).Scan(&off)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read offset of %s: %w", sink, err)
	}
	return off, nil
}

// PruneDone forgets done objects committed before cutoff. Cursors and the
// look-back window keep old keys from being listed again, so the done-set
// only needs to cover the look-back window; pruning keeps state bounded.
func (s *Store) PruneDone(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM objects_done WHERE done_at < ?`), cutoff.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune done objects: %w", err)
	}
	return res.RowsAffected()
}

// RecordPoll stores the time and outcome of a source's last poll.
func (s *Store) RecordPoll(ctx context.Context, source string, at time.Time, pollErr error) error {
	msg := ""
	if pollErr != nil {
		msg = pollErr.Error()
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO source_polls (source, last_poll, last_error) VALUES (?, ?, ?)
		ON CONFLICT (source) DO UPDATE SET last_poll = excluded.last_poll, last_error = excluded.last_error`),
		source, at.UnixMilli(), msg)
	if err != nil {
		return fmt.Errorf("record poll of %s: %w", source, err)
	}
	return nil
}
