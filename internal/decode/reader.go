package decode

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
)

// Compression is the format of an object body, found from its first bytes.
type Compression int

// The formats a Reader knows. Unknown is the value before the first Next.
const (
	Unknown Compression = iota
	Plain
	Gzip
	Zip
	Snappy
	HadoopSnappy
)

func (c Compression) String() string {
	switch c {
	case Plain:
		return "plain"
	case Gzip:
		return "gzip"
	case Zip:
		return "zip"
	case Snappy:
		return "snappy"
	case HadoopSnappy:
		return "hadoop-snappy"
	}
	return "unknown"
}

const (
	bodyBufSize = 64 << 10
	// sniffLen is how far sniff looks past leading whitespace for plain JSON.
	sniffLen = 4 << 10
)

var snappyStreamID = []byte("\xff\x06\x00\x00sNaPpY")

// Reader yields the JSON records of one object body, whatever its
// compression. Close it when done, even after an error. A Reader is not
// safe for concurrent use.
type Reader struct {
	key  string
	opt  Options
	body *bodyReader
	comp Compression

	sp        *Splitter
	streamKey string // key in errors: key, or key!entry inside a zip
	zip       *zipSpool
	doneBytes int64 // decompressed bytes of finished zip entries

	started bool
	done    bool
	err     error
}

// NewReader returns a Reader for the body of the object named key (used in
// errors). It does not read until the first Next, and never closes body.
func NewReader(key string, body io.Reader, opt Options) *Reader {
	return &Reader{key: key, opt: opt, body: &bodyReader{r: body}, streamKey: key}
}

// Next advances to the next record and reports whether there is one.
// Records yielded before an error stay valid results; Err tells whether
// the object ended cleanly.
func (r *Reader) Next() bool {
	if r.err != nil || r.done {
		return false
	}
	if !r.started {
		r.started = true
		if err := r.open(); err != nil {
			r.err = err
			return false
		}
	}
	for {
		if r.sp.Next() {
			return true
		}
		if err := r.sp.Err(); err != nil {
			r.err = r.wrap(err)
			return false
		}
		if r.comp != Zip {
			r.done = true
			return false
		}
		ok, err := r.nextEntry()
		if err != nil {
			r.err = err
			return false
		}
		if !ok {
			r.done = true
			return false
		}
	}
}

// Record returns the record found by the last successful Next. Its Data is
// valid until the next call to Next.
func (r *Reader) Record() Record {
	if r.sp == nil {
		return Record{}
	}
	return r.sp.Record()
}

// Err returns nil if the object ended cleanly (or Next was not called yet),
// otherwise an *Error naming the object and the decompressed byte offset.
func (r *Reader) Err() error { return r.err }

// Compression returns the format found by the first Next.
func (r *Reader) Compression() Compression { return r.comp }

// BytesRead returns the number of body bytes read so far.
func (r *Reader) BytesRead() int64 { return r.body.n }

// BytesDecoded returns the number of decompressed bytes read so far.
func (r *Reader) BytesDecoded() int64 {
	if r.sp == nil {
		return 0
	}
	return r.doneBytes + r.sp.Decoded()
}

// Close releases the decompressor and any temporary file. It does not close
// the body. Next returns false after Close.
func (r *Reader) Close() error {
	r.done = true
	if r.zip == nil {
		return nil
	}
	err := r.zip.close()
	r.zip = nil
	return err
}

// open sniffs the format and sets up the splitter on the decompressed stream.
func (r *Reader) open() error {
	br := bufio.NewReaderSize(r.body, bodyBufSize)
	head, err := br.Peek(sniffLen)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return &Error{Key: r.key, Err: err}
	}
	r.comp = sniff(head)
	var dec io.Reader
	switch r.comp {
	case Plain:
		dec = br
	case Gzip:
		gz, err := gzip.NewReader(br)
		if err != nil {
			return r.openError(fmt.Errorf("gunzip: %w", err))
		}
		dec = &opReader{r: gz, op: "gunzip", body: r.body}
	case Snappy:
		dec = &opReader{r: snappy.NewReader(br), op: "decode snappy", body: r.body}
	case HadoopSnappy:
		dec = &opReader{r: &hadoopReader{r: br}, op: "decode hadoop-snappy", body: r.body}
	case Zip:
		z, err := spoolZip(br, r.opt.TempDir)
		if err != nil {
			return r.openError(err)
		}
		r.zip = z
		dec = bytes.NewReader(nil) // Next moves on to the first entry
	default:
		return &Error{Key: r.key, Err: fmt.Errorf("%w: not gzip, zip, snappy, hadoop-snappy or json: starts with %q",
			ErrFormat, head[:min(len(head), 16)])}
	}
	r.sp = NewSplitter(dec, r.opt)
	return nil
}

// openError returns an *Error at offset 0, preferring a failed body read
// as the cause.
func (r *Reader) openError(err error) error {
	if r.body.err != nil && !errors.Is(err, r.body.err) {
		err = r.body.err
	}
	return &Error{Key: r.key, Err: err}
}

// wrap names the stream in a splitter error and prefers a failed body
// read, the root cause, over what a decompressor made of it.
func (r *Reader) wrap(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Offset: r.sp.Decoded(), Err: err}
	}
	e.Key = r.streamKey
	if r.body.err != nil && !errors.Is(e.Err, r.body.err) {
		e.Err = r.body.err
	}
	return e
}

// nextEntry starts the splitter on the next file of the zip archive. It
// reports false after the last one.
func (r *Reader) nextEntry() (bool, error) {
	r.doneBytes += r.sp.Decoded()
	r.sp.Reset(bytes.NewReader(nil), r.doneBytes)
	name, rc, ok, err := r.zip.next()
	if !ok {
		return false, nil
	}
	r.streamKey = r.key + "!" + name
	if err != nil {
		return false, &Error{Key: r.streamKey, Err: fmt.Errorf("unzip: %w", err)}
	}
	r.sp.Reset(&opReader{r: rc, op: "unzip", body: r.body}, r.doneBytes)
	return true, nil
}

// sniff names the format of a body from its first bytes.
func sniff(head []byte) Compression {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return Gzip
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return Zip // the second is an archive with no files
	case bytes.HasPrefix(head, snappyStreamID):
		return Snappy
	case looksPlain(head):
		return Plain
	case looksHadoopSnappy(head):
		return HadoopSnappy
	}
	return Unknown
}

// looksPlain reports whether head, after an optional byte order mark and
// whitespace, starts an object or an array, or is only whitespace.
func looksPlain(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeft(head, " \t\r\n")
	return len(head) == 0 || head[0] == '{' || head[0] == '['
}

// bodyReader counts body bytes and marks the body's own errors, so that a
// decompressor's report of them can be told apart.
type bodyReader struct {
	r   io.Reader
	n   int64
	err error // the first read error other than io.EOF, wrapped
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if err != nil && err != io.EOF {
		if b.err == nil {
			b.err = fmt.Errorf("read body: %w", err)
		}
		err = b.err
	}
	return n, err
}

// opReader prefixes a decompressor's errors with its name, leaving io.EOF
// and the body's errors as they are.
type opReader struct {
	r    io.Reader
	op   string
	body *bodyReader
}

func (o *opReader) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	if err != nil && err != io.EOF && (o.body.err == nil || !errors.Is(err, o.body.err)) {
		err = fmt.Errorf("%s: %w", o.op, err)
	}
	return n, err
}
