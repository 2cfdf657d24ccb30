// Package store is dutywatch's embedded state store: an SQLite database
// (pure-Go driver, WAL) that records which objects are done, the cursor of
// every scope, objects that failed with their error, and the committed byte
// offset of each JSON-lines sink.
//
// Delivery: transactional. A Tx marks objects done, advances their scopes'
// cursors and records sink offsets in one SQLite transaction, so "object
// done" and "its events written" become true together or not at all.
//
// State: one file (Config.Path) plus its -wal and -shm companions. Schema
// changes are numbered migrations applied at Open.
//
// Concurrency: Store methods are safe for concurrent use. A Tx belongs to one
// goroutine, ends in Commit or Rollback and is never reused. SQLite allows
// one writer at a time; Begin waits for it.
//
// Stop: Close waits for nothing in flight; callers end their Tx first.
package store
