// Package deliver moves alerts from the store's outbox to the outputs that
// run beside the local files: indexers (OpenSearch, Elasticsearch) and
// notifications (webhook, Slack, email).
//
// Delivery: the pipeline enqueues each alert in the same transaction that
// commits it, so an alert is in the outbox exactly when it is committed.
// Each destination has its own cursor in the store; it advances only after
// the destination took the items, so delivery is at least once. Indexers
// make that exactly once by indexing each alert under its own id;
// notifications look up the store's delivery record before sending, so a
// retry after a crash does not send twice unless the crash fell between
// the send and its record.
//
// Concurrency: several instances sharing one store run a loop per
// destination each, but only the holder of the destination's lease
// delivers; the others wait and take over when the lease expires. Within
// an instance each destination has one goroutine, so items go out in
// commit order.
//
// Failures: a batch that fails is retried with a growing backoff and the
// cursor held, so nothing is skipped while an indexer is down. Items an
// indexer refuses for good (mapping errors) and notifications that keep
// failing past GiveUp rounds are recorded as failed and passed.
//
// Stop: Run returns when its context ends, after the batch in hand.
package deliver
