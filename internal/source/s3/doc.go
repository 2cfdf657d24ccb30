// Package s3 reads GuardDuty objects from an S3 bucket (or an S3-compatible
// store) in the Firehose or the native export layout (package layout), with
// the AWS SDK for Go v2.
//
// NewClient builds the client: credentials as the AWS CLI finds them (the
// default chain, a shared-config profile, static keys), optionally an
// assumed role (external id, duration, session name "dutywatch", custom STS
// endpoint) whose credentials are cached and refreshed before they expire;
// a custom endpoint with path-style addressing; the SDK's standard retryer
// with 10 attempts. Secrets are never logged.
//
// Listing. With Layout Auto, ListObjectsV2(Prefix=PATH+"AWSLogs/",
// Delimiter="/", MaxKeys=1) returning anything means native, otherwise
// Firehose; the answer sticks once seen. Every cursor is per scope, never
// per bucket:
//
//   - Firehose: one scope, "s3://bucket/PATH". The listing starts
//     (StartAfter) LookBack (default 2h) before the hour folder of the
//     scope's cursor, or at the OnlyLogsAfter day, or today 00:00 UTC on a
//     first run. Firehose names objects after their oldest record and
//     writes them minutes later, so keys at or below the cursor are
//     yielded when the done-set says they are not done; Wazuh loses them.
//   - Native: accounts are discovered under PATH+"AWSLogs/"+PathSuffix
//     (and inside o-xxxx organization folders), then each account's own
//     regions; one scope per (account, region),
//     "s3://bucket/.../AWSLogs/<acct>/GuardDuty/<region>/", each with its
//     own cursor (wazuh#27781 came from a shared one). Names are random
//     UUIDs, so whole day folders are listed from NativeLookBackDays
//     (default 1) before the cursor's day, and every key at or below the
//     cursor is checked against the done-set.
//
// Keys that fit no layout (folder markers, stray files) are skipped; a
// scope's listing stops at the first key whose folder cannot be a time
// folder, so processing-failed/ and AWSLogs/ beside Firehose folders are
// never paged through. A poll therefore costs O(new + look-back) keys, not
// O(history); Stats counts the requests to show it.
//
// Errors name the operation and the object ("get s3://bucket/key: ...").
// Throttling (SlowDown, 503), 5xx, timeouts, connection resets, KMS
// throttling and an exhausted retry quota are wrapped with
// source.ErrTransient, also when they break a body mid-stream. Access,
// KMS (naming the key ARN when S3 gives it) and credential errors are
// permanent and say so before the SDK's text.
//
// State: none of its own. List reads State.Cursor per scope and
// State.IsDone for keys at or below the cursor; the pipeline commits each
// object and moves the cursor to the greatest committed key. The done-set
// may be pruned by age as long as what is kept covers the look-back
// window.
//
// Delivery: at-least-once; exactly-once given the pipeline's transactional
// commit. Done deletes the object (Remove, Wazuh remove_from_bucket); the
// pipeline calls it only after commit.
//
// Concurrency: all methods are safe for concurrent use and the source
// starts no goroutines; Open may run from many workers at once. Each list
// or delete call is bounded by RequestTimeout; for Open, only the wait for
// the response is, and the body streams under the caller's context until
// Close.
package s3
