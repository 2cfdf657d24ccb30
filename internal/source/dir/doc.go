// Package dir reads GuardDuty objects from a local folder tree laid out like
// a bucket — a copy made with "aws s3 sync", a mounted share, test data —
// in the Firehose or the native export layout (package layout). The layout
// is detected as S3 sources do: an AWSLogs/ folder under Root/Path means
// native.
//
// Files are listed in the order S3 would list their keys (sorted by the
// full slash path, not by directory walk order), per scope: one scope for
// a Firehose path ("dir:///abs/root/path/"), one per native account and
// region ("dir:///abs/root/path/AWSLogs/<acct>/GuardDuty/<region>/").
// Object.Bucket is the absolute root and Object.Key the slash path below
// it. Only time folders (YYYY/MM/DD[/HH]) are walked, so error output such
// as processing-failed/ is never read; dot files (temp files of sync
// tools) and files that fit no layout are skipped.
//
// State: the source keeps none of its own. Each poll reads the scope's
// cursor (greatest committed key) and walks from the listing window of
// layout.Window: LookBack hours (Firehose) or NativeLookBackDays day
// folders (native) behind it, never before OnlyLogsAfter; whole folders
// before the window are not opened. A file at or below the cursor is
// yielded only if State.IsDone says it is not done (a late copy); files
// above it are new. With no cursor and no OnlyLogsAfter, the whole tree is
// read (unlike S3, which starts today): a local folder holds what the user
// put there.
//
// Delivery: at-least-once; exactly-once given the pipeline's transactional
// commit. Done removes the file when Remove is set, and only then.
//
// Concurrency: all methods are safe for concurrent use; the source starts
// no goroutines. Open and Done resolve keys inside Root only (os.Root), so
// a key cannot escape the folder.
package dir
