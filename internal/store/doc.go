// Package store is dutywatch's state store: an SQLite database (pure-Go
// driver, WAL) or, in scale-out mode, a PostgreSQL database shared by
// several instances. It records which objects are done, the cursor of
// every scope, objects that failed with their error, the committed byte
// offset of each JSON-lines sink, the findings and alerts the dashboard
// shows, the correlation engine's state, and the outbox of alerts for the
// outputs with each destination's cursor, leases and delivery outcomes.
//
// Backends: Open takes a postgres:// or postgresql:// DSN for PostgreSQL
// and anything else as an SQLite path; Backend says which. One Store type
// serves both: the SQL is written once with ? placeholders (rebound to $N
// for PostgreSQL once per query text) and only the fragments that differ
// switch (dialect.go). schema_postgres.go lists the schema differences.
//
// Delivery: transactional. A Tx marks objects done, advances their scopes'
// cursors, records sink offsets, stores findings and alerts and enqueues
// the alerts for the outputs in one transaction, so "object done" and "its
// events written" become true together or not at all. A Tx buffers these
// writes and Commit writes each table's rows with one statement (a few
// on SQLite, batch.go); its reads (Finding, IsDone) see them, and
// PrefetchFindings reads many findings in one query, so a commit costs a
// few round trips to PostgreSQL, not several per alert. The outputs read the
// outbox after the commit (ReadOutbox), acknowledge per destination
// (AckOutbox) and so deliver at least once.
//
// State: SQLite, one file (Config.Path) plus its -wal and -shm companions
// (a commit appends to the WAL; a goroutine of the Store copies it into
// the file in the background, checkpoint.go, so the WAL stays bounded);
// PostgreSQL, the tables of the database the DSN names. Schema changes are
// numbered migrations per backend applied at Open (PRAGMA user_version;
// the schema_version table, under an advisory lock so that instances
// starting at once do not race).
//
// Dashboard: the queries (query*.go) read count tables rather than the
// alerts: alert_counts_5m, _hour and _day count alerts per (dim, bucket,
// label) and alert_counts_total per (dim, label); query_schema.go says
// which labels an alert has (the alert_labels view). The counts are kept
// exact in batches: Commit inserts the alerts PutAlert buffered, labels
// the ones it inserted in Go exactly as the view does (labels.go; the rare
// alert whose label Go cannot be sure of is counted by SQL over the
// view), adds them up per count over the whole batch and writes each
// rollup table with one set-based upsert, and adds them to the full-text
// index (alerts_fts) before committing. Deletes and updates of
// labelled or indexed columns, which are rare, go through triggers. Alerts
// must therefore be inserted with PutAlert; a bulk insert in SQL must
// recount (rollupFill) and rebuild the index.
//
// Search: alerts_fts tokenizes on unicode61 with '.', '-' and '_' as word
// characters, so IPs, instance ids and domains are single words while a
// finding type's parts ("UnauthorizedAccess", "EC2", "SSHBruteForce") are
// words of their own. On PostgreSQL a tsvector column (GIN index) holds
// the same words: PutAlert computes it (alertWords, search.go), and
// triggers run the SQL function alert_words, which splits alike, for
// inserts that leave it out and for updates. Both backends answer the same
// searches.
//
// Retention: PruneAlerts deletes alerts older than a cutoff, with their
// deliveries, in batches of one transaction each (the triggers uncount
// them), then the findings whose latest version is older. PruneOutbox
// deletes the outbox items every destination has acknowledged.
//
// Concurrency: Store methods are safe for concurrent use. A Tx belongs to one
// goroutine, ends in Commit or Rollback and is never reused. Write
// transactions are serialized. SQLite allows one writer at a time: writes
// use a single connection and Begin waits for it. On PostgreSQL, Begin's
// first statement is pg_advisory_xact_lock on a fixed key, held to Commit or
// Rollback, so the write transactions of all instances sharing the database
// run one at a time exactly as SQLite's do: the read-modify-write steps (the
// update-dedup decision Finding then PutFinding, the rollup counts, cursors,
// engine state, outbox sequence numbers) stay correct across instances, a
// Tx sees every commit made before it began (Tx.IsDone drops an object
// another instance committed first), and outbox numbers increase in commit
// order. PruneAlerts takes the same lock per batch. The short writes outside
// a Tx (polls, acknowledgements, leases, deliveries) are single upserts and
// take no lock. The dashboard's queries take no lock: they use a separate
// pool of read-only connections (SQLite mode=ro; PostgreSQL REPEATABLE READ
// READ ONLY), each page in one snapshot transaction, so reads wait neither
// for the writers nor for each other and never see an uncommitted Tx.
//
// Stop: Close stops the SQLite checkpointer (started by Open) and waits for
// its checkpoint in progress; it waits for nothing else in flight, so
// callers end their Tx first.
package store
