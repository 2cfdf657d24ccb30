// Package jsonl writes a JSON-lines file (archives.json, alerts.json) that is
// exactly-once across crashes.
//
// Delivery: transactional together with the state store. The caller appends
// a batch, calls Sync, records the returned offset in the same store
// transaction that marks the batch's objects done, and commits. At start,
// Open truncates the file to the last committed offset, so lines written by a
// batch whose transaction never committed disappear, and every committed line
// is there exactly once.
//
// State: the file itself; its committed length lives in the store.
//
// Concurrency: a File is used by one goroutine (the pipeline's committer).
package jsonl
