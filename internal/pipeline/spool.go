package pipeline

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// spool holds one object's output lines until the sequencer commits them:
// in memory up to limit bytes, and while the memory shared by all spools
// lasts, then in a temporary file, so that a huge object, or many objects
// waiting for a slow commit, cost disk rather than memory.
type spool struct {
	dir    string
	limit  int
	shared *atomic.Int64 // bytes left to all spools' memory; nil: no bound
	held   int64         // bytes of buf taken from shared
	buf    bytes.Buffer
	file   *os.File
	w      *bufio.Writer // buffers writes to file: records are small
	size   int64
}

func newSpool(dir string, limit int, shared *atomic.Int64) *spool {
	return &spool{dir: dir, limit: limit, shared: shared}
}

// reserve takes n bytes of the shared memory for buf, if it has them.
func (s *spool) reserve(n int) bool {
	if s.shared == nil {
		return true
	}
	if s.shared.Add(-int64(n)) < 0 {
		s.shared.Add(int64(n))
		return false
	}
	s.held += int64(n)
	return true
}

// release gives buf's share back.
func (s *spool) release() {
	if s.shared != nil {
		s.shared.Add(s.held)
	}
	s.held = 0
}

func (s *spool) Write(p []byte) (int, error) {
	if s.file == nil && (s.buf.Len()+len(p) > s.limit || !s.reserve(len(p))) {
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
		s.file, s.w = f, bufio.NewWriterSize(f, 64<<10)
		s.buf = bytes.Buffer{}
		s.release()
	}
	var n int
	var err error
	if s.file != nil {
		n, err = s.w.Write(p)
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
	if err := s.w.Flush(); err != nil {
		return nil, fmt.Errorf("write spool: %w", err)
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

// Close releases the temporary file, if any, and the spool's share of
// memory.
func (s *spool) Close() {
	s.release()
	if s.file != nil {
		s.file.Close()
		s.file, s.w = nil, nil
	}
}
