// Package doctor checks, for each configured source, everything that has
// to hold for the source to read findings, and says how to fix what does
// not: the checks behind "dutywatch doctor".
//
// For an s3 source (CheckS3), in order:
//
//   - credentials: the credentials the S3 client signs with are resolved
//     (an assumed role included) and STS GetCallerIdentity names their
//     account and ARN. The STS client is built from the S3 client's own
//     options (credentials cache, HTTP client, region, retryer), so it
//     checks exactly the chain the source uses; sts_endpoint is honoured.
//     For an S3-compatible store (a service_endpoint outside AWS, no
//     sts_endpoint) the identity is not asked: the bucket check tests the
//     keys.
//   - bucket: ListObjectsV2 with MaxKeys=1 on the path. A bucket in another
//     region is named from the x-amz-bucket-region header or the error
//     text ("set region: eu-west-1").
//   - clock: the Date header of the first response, against the local
//     clock; warn past 5 minutes, fail past 15 (SigV4's limit).
//   - layout: detected as the source does (anything under PATH/AWSLogs/
//     means native); for native, the accounts (organization folders
//     included) and each account's own regions, and the filters applied.
//   - objects: the oldest and newest object (per account for native),
//     found by descending the oldest or newest year, month, day (and hour)
//     folders with a '/' delimiter, never by listing everything; warns
//     when the newest is older than Options.StaleAfter or before
//     only_logs_after.
//   - read: the newest object read end to end as the pipeline reads it
//     (compression sniffed, records split, each parsed as a finding); a
//     failure names the object and the byte offset, a KMS denial the key.
//
// A dir source (CheckDir) gets folder (root and path readable), layout,
// objects and read.
//
// Each failed check carries a fix: the IAM action and resource to grant
// ("grant kms:Decrypt on key arn:… to arn:aws:iam::…:role/…"), the option
// to set, the command to run. Secrets never appear in a report; access
// key ids do.
//
// The checks only read: they never write, delete or move anything, and
// keep no state. Each request is bounded by Options.RequestTimeout with
// Options.MaxAttempts attempts; the walks stop after 2,000 listings.
//
// Concurrency: CheckS3 and CheckDir may run concurrently for different
// sources; each runs its requests one at a time and starts no goroutines.
package doctor
