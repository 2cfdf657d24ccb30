// Package store is dutywatch's embedded state store: an SQLite database
// (pure-Go driver, WAL) that records which objects are done, the cursor of
// every scope, objects that failed with their error, the committed byte
// offset of each JSON-lines sink, and the findings and alerts the dashboard
// shows.
//
// Delivery: transactional. A Tx marks objects done, advances their scopes'
// cursors, records sink offsets and stores findings and alerts in one
// SQLite transaction, so "object done" and "its events written" become true
// together or not at all.
//
// State: one file (Config.Path) plus its -wal and -shm companions. Schema
// changes are numbered migrations applied at Open.
//
// Dashboard: the queries (query*.go) read count tables rather than the
// alerts: alert_counts_5m, _hour and _day count alerts per (dim, bucket,
// label) and alert_counts_total per (dim, label); query_schema.go says
// which labels an alert has (the alert_labels view). The counts are kept
// exact in batches: PutAlert remembers the rowids it inserted and Commit
// counts them (one upsert per changed count) and adds them to the
// full-text index (alerts_fts) before committing. Deletes and updates of
// labelled or indexed columns, which are rare, go through triggers. Alerts
// must therefore be inserted with PutAlert; a bulk insert in SQL must
// recount (rollupFill) and rebuild the index.
//
// Search: alerts_fts tokenizes on unicode61 with '.', '-' and '_' as word
// characters, so IPs, instance ids and domains are single words while a
// finding type's parts ("UnauthorizedAccess", "EC2", "SSHBruteForce") are
// words of their own.
//
// Retention: PruneAlerts deletes alerts older than a cutoff in batches of
// one transaction each (the triggers uncount them), then the findings whose
// latest version is older.
//
// Concurrency: Store methods are safe for concurrent use. A Tx belongs to one
// goroutine, ends in Commit or Rollback and is never reused. SQLite allows
// one writer at a time: writes use a single connection and Begin waits for
// it. The dashboard's queries use a separate pool of read-only connections
// (mode=ro), each query in a snapshot transaction, so reads wait neither for
// the writer nor for each other and never see an uncommitted Tx.
//
// Stop: Close waits for nothing in flight; callers end their Tx first.
package store
