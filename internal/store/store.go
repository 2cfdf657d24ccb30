package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Store is the SQLite state store. Create it with Open.
type Store struct {
	db *sql.DB
	// ro is a pool of read-only connections for the dashboard's queries,
	// which WAL lets read a snapshot while db writes.
	ro *sql.DB
	// stmts are the hot statements, prepared once: a 31-column insert
	// costs more to parse than to run.
	stmts map[string]*sql.Stmt
}

// migrations are applied in order; the index+1 is the schema version. Never
// edit a released migration: add a new one. alerts_fts has no insert
// trigger: Commit indexes a batch's new alerts at once (ftsAdd).
var migrations = []string{
	`CREATE TABLE objects_done (
		scope    TEXT NOT NULL,
		key      TEXT NOT NULL,
		source   TEXT NOT NULL,
		bucket   TEXT NOT NULL,
		etag     TEXT NOT NULL,
		size     INTEGER NOT NULL,
		records  INTEGER NOT NULL,
		events   INTEGER NOT NULL,
		partial  INTEGER NOT NULL DEFAULT 0,
		done_at  INTEGER NOT NULL,
		PRIMARY KEY (scope, key)
	) WITHOUT ROWID;
	CREATE INDEX objects_done_by_time ON objects_done (done_at);
	CREATE TABLE cursors (
		scope      TEXT PRIMARY KEY,
		source     TEXT NOT NULL,
		key        TEXT NOT NULL,
		updated_at INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE objects_failed (
		scope       TEXT NOT NULL,
		key         TEXT NOT NULL,
		source      TEXT NOT NULL,
		bucket      TEXT NOT NULL,
		account     TEXT NOT NULL,
		region      TEXT NOT NULL,
		etag        TEXT NOT NULL,
		size        INTEGER NOT NULL,
		error       TEXT NOT NULL,
		transient   INTEGER NOT NULL,
		attempts    INTEGER NOT NULL,
		first_at    INTEGER NOT NULL,
		last_at     INTEGER NOT NULL,
		PRIMARY KEY (scope, key)
	) WITHOUT ROWID;
	CREATE TABLE sink_offsets (
		sink   TEXT PRIMARY KEY,
		offset INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE source_polls (
		source      TEXT PRIMARY KEY,
		last_poll   INTEGER NOT NULL,
		last_error  TEXT NOT NULL
	) WITHOUT ROWID;`,
	`CREATE TABLE findings (
		key               TEXT NOT NULL UNIQUE,
		id                TEXT NOT NULL,
		type              TEXT NOT NULL,
		title             TEXT NOT NULL,
		account           TEXT NOT NULL,
		region            TEXT NOT NULL,
		instance_id       TEXT NOT NULL,
		severity          REAL NOT NULL,
		count             INTEGER NOT NULL,
		updated_at        INTEGER NOT NULL,
		actor             TEXT NOT NULL,
		resource          TEXT NOT NULL,
		sample            INTEGER NOT NULL,
		archived          INTEGER NOT NULL,
		alerted           INTEGER NOT NULL,
		alerted_severity  REAL NOT NULL,
		alerted_updated   INTEGER NOT NULL,
		alerted_count     INTEGER NOT NULL,
		alerted_actor     TEXT NOT NULL,
		alerted_resource  TEXT NOT NULL,
		alert_id          TEXT NOT NULL,
		alerts            INTEGER NOT NULL,
		first_seen        INTEGER NOT NULL,
		last_seen         INTEGER NOT NULL,
		raw               BLOB NOT NULL
	);
	CREATE INDEX findings_by_instance ON findings (instance_id, updated_at);
	CREATE INDEX findings_by_type ON findings (type, updated_at);`,
	`CREATE TABLE alerts (
		id             TEXT PRIMARY KEY,
		ts             INTEGER NOT NULL,
		event_time     INTEGER NOT NULL,
		rule_id        INTEGER NOT NULL,
		level          INTEGER NOT NULL,
		description    TEXT NOT NULL,
		groups         TEXT NOT NULL,
		mitre          TEXT NOT NULL,
		finding_key    TEXT NOT NULL,
		finding_id     TEXT NOT NULL,
		type           TEXT NOT NULL,
		title          TEXT NOT NULL,
		severity       REAL NOT NULL,
		account        TEXT NOT NULL,
		region         TEXT NOT NULL,
		instance_id    TEXT NOT NULL,
		principal      TEXT NOT NULL,
		remote_ip      TEXT NOT NULL,
		remote_country TEXT NOT NULL,
		remote_city    TEXT NOT NULL,
		remote_asn     TEXT NOT NULL,
		remote_org     TEXT NOT NULL,
		lat            REAL,
		lon            REAL,
		local_port     INTEGER NOT NULL,
		api            TEXT NOT NULL,
		domain         TEXT NOT NULL,
		count          INTEGER NOT NULL,
		source         TEXT NOT NULL,
		object         TEXT NOT NULL,
		data           BLOB NOT NULL
	);
	CREATE INDEX alerts_by_time ON alerts (event_time);
	CREATE INDEX alerts_by_level ON alerts (level, event_time);
	CREATE INDEX alerts_by_type ON alerts (type, event_time);
	CREATE INDEX alerts_by_instance ON alerts (instance_id, event_time);
	CREATE INDEX alerts_by_remote_ip ON alerts (remote_ip, event_time);
	CREATE INDEX alerts_by_rule ON alerts (rule_id, event_time);
	CREATE INDEX alerts_by_finding ON alerts (finding_key);
	CREATE VIRTUAL TABLE alerts_fts USING fts5 (
		description, title, type, instance_id, principal, remote_ip, domain, api,
		content = 'alerts', content_rowid = 'rowid', tokenize = "unicode61 tokenchars '.-_'"
	);
	CREATE TRIGGER alerts_fts_delete AFTER DELETE ON alerts BEGIN
		INSERT INTO alerts_fts (alerts_fts, rowid, description, title, type, instance_id, principal, remote_ip, domain, api)
		VALUES ('delete', old.rowid, old.description, old.title, old.type, old.instance_id, old.principal, old.remote_ip, old.domain, old.api);
	END;`,
	migrationDashboard, // query_schema.go
}

// Open opens (creating if needed) the store at path and applies migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create state folder: %w", err)
		}
	}
	// synchronous(FULL): a commit survives power loss, which exactly-once
	// needs because the sinks fsync before the commit that records them.
	file := "file:" + (&url.URL{Path: path}).EscapedPath()
	dsn := file + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=cache_size(-16384)&_pragma=temp_store(memory)&_pragma=foreign_keys(ON)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	// One connection: SQLite has one writer anyway, and a single connection
	// keeps reads inside a Tx consistent with its writes.
	db.SetMaxOpenConns(1)
	s := &Store{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate state %s: %w", path, err)
	}
	if err := s.prepare(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare state statements: %w", err)
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
	return s, nil
}

// readConns is the size of the read pool: dashboard pages run at once
// without waiting for each other or for the writer.
const readConns = 4

func (s *Store) migrate(ctx context.Context) error {
	var version int
	if err := s.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	if version > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this dutywatch (%d)", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, i+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	for _, st := range s.stmts {
		st.Close()
	}
	var err error
	if s.ro != nil {
		err = s.ro.Close()
	}
	return errors.Join(s.db.Close(), err)
}

func (s *Store) prepare(ctx context.Context) error {
	s.stmts = make(map[string]*sql.Stmt, len(hotStatements))
	for name, q := range hotStatements {
		st, err := s.db.PrepareContext(ctx, q)
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
	err := s.db.QueryRowContext(ctx, `SELECT key FROM cursors WHERE scope = ?`, scope).Scan(&key)
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
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM objects_done WHERE scope = ? AND key = ?`, scope, key).Scan(&one)
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
	err := s.db.QueryRowContext(ctx, `SELECT offset FROM sink_offsets WHERE sink = ?`, sink).Scan(&off)
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
	res, err := s.db.ExecContext(ctx, `DELETE FROM objects_done WHERE done_at < ?`, cutoff.UnixMilli())
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
	_, err := s.db.ExecContext(ctx, `INSERT INTO source_polls (source, last_poll, last_error) VALUES (?, ?, ?)
		ON CONFLICT (source) DO UPDATE SET last_poll = excluded.last_poll, last_error = excluded.last_error`,
		source, at.UnixMilli(), msg)
	if err != nil {
		return fmt.Errorf("record poll of %s: %w", source, err)
	}
	return nil
}
