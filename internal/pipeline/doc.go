// Package pipeline moves objects from a source through decode and normalize
// into the JSON-lines sinks and the state store.
//
// One poll of a source: a lister goroutine feeds the objects to retry and the
// newly listed ones, numbered in listing order, to Config.Workers workers.
// Each worker fetches, decodes and normalizes one object into a spool (memory
// up to Config.SpoolBytes while the budget shared by all spools,
// Config.SpoolMemory, lasts, then a temporary file); with rules, it also
// decodes each event for them, so that the sequencer only evaluates. The
// sequencer, in the
// goroutine that called Poll, takes results in any order and commits them in
// listing order, several consecutive objects per transaction (bounded by
// Config.BatchObjects, BatchRecords and BatchBytes): append their
// lines to the sink, fsync, then mark them done, advance their cursors and
// record the sink's offset in one store transaction.
//
// Delivery: exactly once into the JSON-lines sink. A crash between the sink
// write and the commit leaves lines past the committed offset, which the
// sink drops at the next start; a crash after the commit leaves the objects
// done. Event ids are deterministic.
//
// Errors: a transient error (throttling, reset, truncated body) is retried
// with backoff inside the poll, then recorded and retried on later polls
// (Config.MaxAttempts). A data error (corrupt compression, bad JSON) names the
// object and byte offset; with SkipOnError the records before it are kept,
// the object is marked done as partial and the error recorded; without it
// the poll stops at that object and nothing at or after it is committed.
// A failed object is never marked done without its error on record.
//
// State: none of its own; cursors, done-sets and failures are in the store.
//
// Concurrency: Poll may be called for different sources at the same time;
// commits are serialized. Stop: when ctx ends, no new object is started,
// objects in flight finish and are committed (under a context that ignores
// the cancellation, bounded by Config.ShutdownGrace), and Poll returns.
package pipeline
