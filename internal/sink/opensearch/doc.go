// Package opensearch indexes alerts into OpenSearch (the Wazuh indexer) or
// Elasticsearch 7/8, where Wazuh's Filebeat module would put them: daily
// indices <prefix>YYYY.MM.DD (default prefix "wazuh-alerts-4.x-", found by
// the Wazuh dashboard's wazuh-alerts-* index pattern), under an index
// template whose mappings give dutywatch's alert fields the types Wazuh's
// template gives them (template/alerts.json).
//
// Each batch goes out as _bulk requests of at most MaxBulkBytes, built
// here as NDJSON and sent with the official client's Bulk call. The
// client's BulkIndexer is not used: it queues documents to its own
// goroutines, flushes on its own schedule and reports items through
// callbacks, so "this batch is all indexed, or here is why not" would
// have to be rebuilt on top of it, and it does not retry single items.
//
// Delivery: idempotent, complete-or-error. Every alert is indexed with
// _id = its alert ID, so a batch delivered twice overwrites, never
// duplicates. Deliver returns nil only when every item is acknowledged;
// *BulkError only when every item is acknowledged except those it names,
// rejected for good (mapping or parse errors); any other error leaves the
// batch to be delivered again. Transient failures (HTTP 408/429/5xx,
// connection errors, timeouts, and items rejected with 429 or 5xx) are
// retried with exponential backoff and jitter, only the failed items,
// up to MaxRetries times.
//
// State: none here; the caller's outbox cursor says what was delivered.
// The template is installed by New, or before the first delivery when
// the cluster was unreachable at start.
//
// Concurrency: Deliver, EnsureTemplate and Stats are safe for concurrent
// use. Close must not overlap other calls. The client keeps background
// goroutines (connection health) that Close stops.
//
// Stop: Deliver returns when ctx ends, with ctx's error; the items of an
// interrupted request may or may not be indexed, which re-delivery makes
// harmless.
package opensearch
