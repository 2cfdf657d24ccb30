// Package layout knows how GuardDuty objects are named in S3 and in local
// copies of a bucket, in both layouts:
//
//   - Firehose (EventBridge → Kinesis Data Firehose → S3):
//     PATH/YYYY/MM/DD/HH/<stream>-<n>-YYYY-MM-DD-HH-MM-SS-<uuid>[.ext]
//   - native export (GuardDuty publishing destination):
//     PATH/AWSLogs/[<o-org>/]<account>/GuardDuty/<region>/YYYY/MM/DD/<uuid>.jsonl.gz
//
// Parse reads a key into an Info (layout, times, account, region, stream)
// and reports keys that fit neither layout — folder markers, stray files,
// Firehose error output under processing-failed/ — as wrapping ErrNoMatch.
//
// Keys of both layouts sort by time folder, which is what lets a source
// list only the newest folders: FirehoseStartAfter and NativeDayPrefix
// build ListObjectsV2 StartAfter values from a time, and Window turns a
// scope's cursor (its greatest committed key) into the StartAfter of the
// next listing, going back LookBack (Firehose) or LookBackDays (native) so
// that late objects are listed again and checked against the done-set.
//
// The package is pure: no I/O, no state, and every function is safe for
// concurrent use.
package layout
