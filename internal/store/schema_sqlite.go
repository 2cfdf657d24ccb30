package store

// sqliteMigrations are the SQLite schema's migrations, applied in order;
// the index+1 is the schema version (PRAGMA user_version). Never edit a
// released migration: add a new one. alerts_fts has no insert trigger:
// Commit indexes a batch's new alerts at once (ftsAdd).
func sqliteMigrations() []string {
	return []string{
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
		`CREATE TABLE engine_state (
		name       TEXT PRIMARY KEY,
		gen        INTEGER NOT NULL,
		data       BLOB NOT NULL,
		updated_at INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE outbox (
		seq      INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, even when pruned empty
		alert_id TEXT NOT NULL,
		ts       INTEGER NOT NULL,
		level    INTEGER NOT NULL,
		rule_id  INTEGER NOT NULL,
		type     TEXT NOT NULL,
		doc      BLOB NOT NULL
	);
	CREATE TABLE outbox_cursors (
		destination TEXT PRIMARY KEY,
		seq         INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE leases (
		name       TEXT PRIMARY KEY,
		owner      TEXT NOT NULL,
		expires_at INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE deliveries (
		destination TEXT NOT NULL,
		alert_id    TEXT NOT NULL,
		status      TEXT NOT NULL,
		error       TEXT NOT NULL,
		attempts    INTEGER NOT NULL,
		at          INTEGER NOT NULL,
		PRIMARY KEY (destination, alert_id)
	) WITHOUT ROWID;
	CREATE INDEX deliveries_by_alert ON deliveries (alert_id);`,
	}
}
