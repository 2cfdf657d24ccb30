// Package sqs reads GuardDuty objects named by S3 event notifications in an
// SQS queue, so that several dutywatch instances can share one queue and
// split the objects among them (the AWS-native way to scale out).
//
// Notifications come in three envelopes, detected per message by
// ParseMessage: S3 sending to SQS directly ({"Records":[...]}, keys
// URL-encoded with '+' for space), S3 through SNS (an SNS envelope whose
// "Message" holds the S3 event as a string; raw delivery, if on, gives the
// first form) and EventBridge ("detail-type":"Object Created", keys not
// encoded). A message may name several objects. s3:TestEvent messages,
// non-create events (ObjectRemoved, ...) and objects outside Buckets or
// KeyPrefix are deleted and counted as ignored.
//
// Objects get the scope the S3 source gives them: for keys in GuardDuty's
// native layout "s3://bucket/<...>AWSLogs/<acct>/GuardDuty/<region>/",
// otherwise "s3://bucket/<KeyPrefix>". A polling s3 source over the same
// bucket and path therefore shares the done-set, and no object is
// processed twice across the two modes. Open reads the object with the
// stall and timeout protection of source/s3.
//
// Delivery: at-least-once from SQS, exactly-once given the done-set and
// the pipeline's transactional commit. List yields only objects State says
// are not done; a message whose objects are all done is deleted at once.
// Done deletes a message once every object it names is done, always after
// commit, so a crash at any instant at worst redelivers a message whose
// objects are then found done. Release (for an object the pipeline could
// not fetch) makes the message visible again after a backoff, for any
// instance to retry. A message received more than MaxReceives times is
// left alone, logged once, for the queue's redrive policy to move to its
// dead-letter queue; so is a malformed body, which is evidence. Give the
// queue a redrive policy with maxReceiveCount at most MaxReceives.
//
// State: none of its own beyond the messages in flight, which live in
// memory; the done-set is read through source.State.
//
// Concurrency: List yields at most MaxInFlight objects that are not yet
// Done or released, and waits (at most one long poll, then ends the
// listing) for room, so one instance does not hoard messages. While an
// object is in flight, a goroutine started by List extends its message's
// visibility at about half the timeout, until List has returned and all it
// yielded is Done or released, or List's ctx ends. All methods are safe
// for concurrent use; List calls may overlap.
//
// Stop: when List's ctx ends, a receive in progress is abandoned, List
// returns, and the visibility goroutine stops within one request,
// forgetting the objects still in flight: a Done that comes later (in a
// shutdown grace period) finds nothing to delete, and the message, once
// visible again, is found done and deleted by whichever instance receives
// it. Objects received but not yet handed out are released at once.
package sqs
