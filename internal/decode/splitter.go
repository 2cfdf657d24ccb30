package decode

import (
	"bytes"
	"fmt"
	"io"
)

// DefaultMaxRecordBytes is the record size limit when Options.MaxRecordBytes
// is zero.
const DefaultMaxRecordBytes = 64 << 20

const (
	initialBufSize = 256 << 10
	// minRead is the least free space fill asks the reader to fill.
	minRead = 32 << 10
)

// Options tune a Splitter or a Reader. The zero value is ready to use.
type Options struct {
	// MaxRecordBytes bounds one record; a longer one is an error wrapping
	// ErrRecordTooLarge. Zero means DefaultMaxRecordBytes.
	MaxRecordBytes int
	// TempDir is where a Reader spools a zip object; "" means os.TempDir().
	TempDir string

	// bufSize sets the splitter's first buffer size, so tests can cross
	// buffer boundaries with small inputs; zero means initialBufSize.
	bufSize int
}

func (o Options) maxRecord() int {
	if o.MaxRecordBytes <= 0 {
		return DefaultMaxRecordBytes
	}
	return o.MaxRecordBytes
}

// Record is one top-level JSON value, or one element of a top-level array.
type Record struct {
	// Data holds the value's bytes exactly as they appear in the stream. It
	// is valid until the next call to Next.
	Data []byte
	// Offset is the decompressed byte offset of Data[0]: within the stream
	// for a Splitter, cumulative across entries for a zip object, so it is
	// unique within one object.
	Offset int64
}

// Where the splitter is between records.
const (
	stTop        = iota // whitespace, '{', '[' or the end
	stArrayFirst        // after '[': whitespace, ']' or an element
	stArrayElem         // after ',': whitespace or an element
	stArrayNext         // after an element: whitespace, ',' or ']'
)

// structural marks the bytes the record scanner stops at outside strings.
var structural = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}

// Splitter yields the top-level JSON values of a stream: objects and arrays
// concatenated with nothing or any JSON whitespace between them. A top-level
// array is opened and each of its elements (an object or an array) is one
// record. A UTF-8 byte order mark at the start is skipped.
//
// It finds the end of each value by tracking strings, escapes and bracket
// nesting; it does not validate what lies between (numbers, literals, commas
// and colons inside a record), which is left to the parser of the record.
// A Splitter is not safe for concurrent use.
type Splitter struct {
	r       io.Reader
	max     int
	bufSize int // first buffer size
	minRead int // least free space fill asks the reader to fill

	buf []byte
	// pos is the scan position, start the first byte of the record being
	// scanned (or pos between records), end the end of buffered data.
	start, pos, end int
	off             int64 // stream offset of buf[0]
	origin          int64 // added to record offsets (zip entries)
	total           int64 // bytes read from r
	rerr            error // sticky error from r, io.EOF included

	state     int
	arrayOff  int64 // stream offset of the open top-level array
	bomDone   bool
	inString  bool
	depth     int
	stack     []uint64 // bit per nesting level: 1 for '[', 0 for '{'
	zeroReads int

	rec Record
	err error
}

// NewSplitter returns a Splitter reading r.
func NewSplitter(r io.Reader, opt Options) *Splitter {
	s := &Splitter{max: opt.maxRecord(), bufSize: initialBufSize, minRead: minRead, stack: make([]uint64, 4)}
	if opt.bufSize > 0 {
		s.bufSize, s.minRead = opt.bufSize, max(1, opt.bufSize/4)
	}
	s.bufSize = min(s.bufSize, s.max+s.minRead)
	s.Reset(r, 0)
	return s
}

// Reset makes s read a new stream from r, keeping its buffer. origin is
// added to every Record.Offset (not to error offsets).
func (s *Splitter) Reset(r io.Reader, origin int64) {
	*s = Splitter{r: r, max: s.max, bufSize: s.bufSize, minRead: s.minRead,
		buf: s.buf[:cap(s.buf)], stack: s.stack, origin: origin}
	if len(s.buf) == 0 {
		s.buf = make([]byte, s.bufSize)
	}
}

// Record returns the record found by the last successful Next.
func (s *Splitter) Record() Record { return s.rec }

// Err returns nil after a clean end of stream, otherwise an *Error (with
// an empty Key) whose Offset is relative to the stream.
func (s *Splitter) Err() error {
	if s.err == io.EOF {
		return nil
	}
	return s.err
}

// Decoded returns the number of bytes read from the stream so far.
func (s *Splitter) Decoded() int64 { return s.total }

// Next finds the next record and reports whether there is one.
func (s *Splitter) Next() bool {
	if s.err != nil {
		return false
	}
	if err := s.next(); err != nil {
		s.err = err
		s.rec = Record{}
		return false
	}
	return true
}

func (s *Splitter) next() error {
	for {
		found, err := s.between()
		if err != nil {
			return err
		}
		if found {
			break
		}
		if err := s.fill(s.pos); err != nil {
			if s.pos < s.end {
				continue // bytes held back for the BOM check
			}
			return s.endBetween(err)
		}
	}
	s.start = s.pos
	s.depth = 0
	s.inString = false
	for {
		done, err := s.scan()
		if err != nil {
			return err
		}
		if s.pos-s.start > s.max {
			return s.errorAt(s.start, fmt.Errorf("%w: more than %d bytes", ErrRecordTooLarge, s.max))
		}
		if done {
			break
		}
		if err := s.fill(s.start); err != nil {
			if err == io.EOF {
				return s.errorAt(s.end, fmt.Errorf("record at byte %d not closed: %w",
					s.off+int64(s.start), io.ErrUnexpectedEOF))
			}
			return s.readError(err)
		}
	}
	s.rec = Record{Data: s.buf[s.start:s.pos:s.pos], Offset: s.origin + s.off + int64(s.start)}
	if s.state != stTop {
		s.state = stArrayNext
	}
	s.start = s.pos
	return nil
}

// endBetween turns the error that ended the stream between records into
// the error Next reports: io.EOF for a clean end.
func (s *Splitter) endBetween(err error) error {
	if err != io.EOF {
		return s.readError(err)
	}
	if s.state == stTop {
		return io.EOF
	}
	return s.errorAt(s.end, fmt.Errorf("array at byte %d not closed: %w", s.arrayOff, io.ErrUnexpectedEOF))
}

// between consumes whitespace and top-level array punctuation. It reports
// true with s.pos at the first byte of a record, or false having consumed
// all buffered bytes.
func (s *Splitter) between() (bool, error) {
	if !s.bomDone {
		if s.end-s.pos < 3 && s.rerr == nil {
			return false, nil
		}
		if bytes.HasPrefix(s.buf[s.pos:s.end], []byte("\xef\xbb\xbf")) {
			s.pos += 3
		}
		s.bomDone = true
	}
	buf := s.buf[:s.end]
	for p := s.pos; p < len(buf); p++ {
		c := buf[p]
		if c == ' ' || c == '\n' || c == '\r' || c == '\t' {
			continue
		}
		var want string
		switch s.state {
		case stTop:
			switch c {
			case '{':
				s.pos = p
				return true, nil
			case '[':
				s.state = stArrayFirst
				s.arrayOff = s.off + int64(p)
				continue
			}
			want = "at top level, want an object or array"
		case stArrayFirst, stArrayElem:
			switch {
			case c == '{' || c == '[':
				s.pos = p
				return true, nil
			case c == ']' && s.state == stArrayFirst:
				s.state = stTop
				continue
			}
			want = "in array, want an object or array element"
		case stArrayNext:
			switch c {
			case ',':
				s.state = stArrayElem
				continue
			case ']':
				s.state = stTop
				continue
			}
			want = "after array element, want ',' or ']'"
		}
		s.pos = p
		return false, s.errorAt(p, fmt.Errorf("%w: unexpected %s %s", ErrSyntax, quoteByte(c), want))
	}
	s.pos = len(buf)
	return false, nil
}

// scan advances s.pos through the record that starts at s.start. It
// reports true when the record's outermost bracket closes, or false having
// consumed all buffered bytes (or gone past the size limit).
func (s *Splitter) scan() (bool, error) {
	// Stopping one byte past the limit makes an over-long record an error
	// at the same point however the stream was read.
	buf := s.buf[:min(s.end, s.start+s.max+1)]
	p := s.pos
	for p < len(buf) {
		if s.inString {
			i := bytes.IndexByte(buf[p:], '"')
			if i < 0 {
				p = len(buf)
				break
			}
			q := p + i
			// An odd run of backslashes escapes the quote. The run cannot
			// pass the opening quote, which is in the buffer since s.start.
			n := 0
			for buf[q-1-n] == '\\' {
				n++
			}
			p = q + 1
			s.inString = n&1 == 1
			continue
		}
		c := buf[p]
		for !structural[c] {
			p++
			if p == len(buf) {
				s.pos = p
				return false, nil
			}
			c = buf[p]
		}
		p++
		switch c {
		case '"':
			s.inString = true
		case '{', '[':
			s.push(c == '[')
		default: // '}' or ']'
			if s.depth == 0 || s.top() != (c == ']') {
				s.pos = p - 1
				return false, s.errorAt(p-1, fmt.Errorf("%w: unexpected %s in record at byte %d",
					ErrSyntax, quoteByte(c), s.off+int64(s.start)))
			}
			s.depth--
			if s.depth == 0 {
				s.pos = p
				return true, nil
			}
		}
	}
	s.pos = p
	return false, nil
}

func (s *Splitter) push(array bool) {
	w, b := s.depth>>6, uint(s.depth&63)
	if w == len(s.stack) {
		s.stack = append(s.stack, 0)
	}
	if array {
		s.stack[w] |= 1 << b
	} else {
		s.stack[w] &^= 1 << b
	}
	s.depth++
}

// top reports whether the innermost open bracket is '['.
func (s *Splitter) top() bool {
	d := s.depth - 1
	return s.stack[d>>6]&(1<<uint(d&63)) != 0
}

// fill reads more of the stream, keeping buf[keep:end]. It returns nil if
// it read something, else the reader's error (io.EOF at the end).
func (s *Splitter) fill(keep int) error {
	if s.rerr != nil {
		return s.rerr
	}
	if len(s.buf)-s.end < s.minRead {
		if keep > 0 {
			n := copy(s.buf, s.buf[keep:s.end])
			s.off += int64(keep)
			s.start -= keep
			s.pos -= keep
			s.end = n
		}
		if len(s.buf)-s.end < len(s.buf)/2 {
			// Room for the longest record plus one read is enough.
			size := min(2*len(s.buf), max(s.max+s.minRead, len(s.buf)))
			if size > len(s.buf) {
				nb := make([]byte, size)
				copy(nb, s.buf[:s.end])
				s.buf = nb
			}
		}
	}
	n, err := s.r.Read(s.buf[s.end:])
	s.end += n
	s.total += int64(n)
	if err != nil {
		s.rerr = err
	}
	switch {
	case n > 0:
		s.zeroReads = 0
		return nil
	case err != nil:
		return err
	}
	s.zeroReads++
	if s.zeroReads >= 100 {
		s.rerr = io.ErrNoProgress
		return s.rerr
	}
	return nil
}

// errorAt returns an *Error at buf[p].
func (s *Splitter) errorAt(p int, err error) error {
	return &Error{Offset: s.off + int64(p), Err: err}
}

// readError returns an *Error for a failing reader, at the number of bytes
// read before the failure.
func (s *Splitter) readError(err error) error {
	return &Error{Offset: s.total, Err: err}
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", string(rune(c)))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}
