package pipeline

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// spool holds one object's output lines until the sequencer commits them:
// in memory up to limit bytes, then in a temporary file, so that a huge
// object costs disk rather than memory.
type spool struct {
	dir   string
	limit int
	buf   bytes.Buffer
	file  *os.File
	size  int64
}

func newSpool(dir string, limit int) *spool {
	return &spool{dir: dir, limit: limit}
}

func (s *spool) Write(p []byte) (int, error) {
	if s.file == nil && s.buf.Len()+len(p) > s.limit {
		f, err := os.CreateTemp(s.dir, "dutywatch-spool-*")
		if err != nil {
			return 0, fmt.Errorf("create spool file: %w", err)
		}
		// Unlinked at once: the file vanishes with the process, even on a crash.
		os.Remove(f.Name())
		if _, err := f.Write(s.buf.Bytes()); err != nil {
			f.Close()
			return 0, fmt.Errorf("write spool file: %w", err)
		}
		s.file = f
		s.buf = bytes.Buffer{}
	}
	var n int
	var err error
	if s.file != nil {
		n, err = s.file.Write(p)
	} else {
		n, err = s.buf.Write(p)
	}
	s.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("write spool: %w", err)
	}
	return n, nil
}

// Len is the number of bytes spooled.
func (s *spool) Len() int64 { return s.size }

// Reader returns the spooled bytes from the start.
func (s *spool) Reader() (io.Reader, error) {
	if s.file == nil {
		return bytes.NewReader(s.buf.Bytes()), nil
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind spool file: %w", err)
	}
	return s.file, nil
}

// Reset drops the content, keeping the spool usable.
func (s *spool) Reset() {
	s.Close()
	s.buf.Reset()
	s.size = 0
}

// Close releases the temporary file, if any.
func (s *spool) Close() {
	if s.file != nil {
		s.file.Close()
		s.file = nil
	}
}
