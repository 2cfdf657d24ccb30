package decode

import (
	"errors"
	"fmt"
)

// Error reports a problem in one object, or in one entry of a zip object,
// at a byte offset of its decompressed stream.
type Error struct {
	// Key names the object ("s3://bucket/key" or a file path); for a zip
	// entry it is "<key>!<entry name>".
	Key string
	// Offset is the byte offset in the decompressed stream named by Key
	// (for a zip entry: within that entry) where the problem was found. For
	// a failing decompressor it is the number of bytes decompressed before
	// the failure.
	Offset int64
	Err    error
}

func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("byte %d: %v", e.Offset, e.Err)
	}
	return fmt.Sprintf("%s: byte %d: %v", e.Key, e.Offset, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

var (
	// ErrFormat means the object is not in any format the Reader knows, or
	// its container (zip, Hadoop-Snappy framing) is malformed.
	ErrFormat = errors.New("bad format")
	// ErrSyntax means the splitter found bytes that cannot be part of a
	// stream of JSON objects and arrays (a scalar at top level, a closing
	// bracket of the wrong kind, a missing comma between array elements).
	ErrSyntax = errors.New("invalid json")
	// ErrRecordTooLarge means one record exceeds Options.MaxRecordBytes.
	ErrRecordTooLarge = errors.New("record too large")
)
