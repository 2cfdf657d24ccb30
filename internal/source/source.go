// Package source defines what every source of GuardDuty objects provides: a
// listing of objects not yet done, a streamed body per object, and a hook
// that runs once an object's results are committed.
package source

import (
	"context"
	"errors"
	"io"
	"iter"
	"time"
)

// Object is one stored file of findings: an S3 object or a local file.
type Object struct {
	// Source is the configured name of the source that listed the object.
	Source string
	// Bucket is the S3 bucket, or the root folder of a dir source.
	Bucket string
	// Key is the S3 key, or the path relative to the root folder, with '/'.
	Key string
	// Scope names the cursor the object belongs to: one per
	// (bucket, path, account, region), e.g. "s3://b/firehose/" or
	// "s3://b/AWSLogs/123456789012/GuardDuty/us-east-1/".
	Scope string
	// Account and Region come from the key in the native layout; empty in
	// the Firehose layout.
	Account string
	Region  string
	Size    int64
	ETag    string
	// LastModified is the store's modification time.
	LastModified time.Time
}

// URI names the object in errors and logs: "s3://bucket/key" or a file path.
func (o Object) URI() string {
	if o.Bucket == "" {
		return o.Key
	}
	if len(o.Bucket) > 0 && o.Bucket[0] == '/' {
		return o.Bucket + "/" + o.Key
	}
	return "s3://" + o.Bucket + "/" + o.Key
}

// Source lists and opens objects. Implementations: source/s3, source/dir.
type Source interface {
	// Name is the configured source name, used in state and metrics.
	Name() string
	// List yields the objects not yet done, in key order within each
	// scope. An error ends the listing.
	List(ctx context.Context) iter.Seq2[Object, error]
	// Open streams the body of o.
	Open(ctx context.Context, o Object) (io.ReadCloser, error)
	// Done runs after o's results are committed (e.g. remove_from_bucket).
	Done(ctx context.Context, o Object) error
}

// State is what a source reads from the state store to list only new
// objects. It is declared here, where it is used; package store implements it.
type State interface {
	// Cursor returns the greatest key committed in scope, or "" if none.
	Cursor(ctx context.Context, scope string) (string, error)
	// IsDone reports whether key has been committed in scope.
	IsDone(ctx context.Context, scope, key string) (bool, error)
}

// ErrTransient marks an error worth retrying with backoff (throttling,
// timeouts, resets); wrap it with fmt.Errorf("...: %w: %w", ErrTransient, err).
var ErrTransient = errors.New("transient")
