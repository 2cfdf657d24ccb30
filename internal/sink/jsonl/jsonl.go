package jsonl

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File is an append-only JSON-lines file with a committed length.
type File struct {
	f    *os.File
	path string
	// size is the length written so far, committed or not.
	size int64
}

// Open opens path for appending and truncates it to committed, the offset
// the state store last recorded. A file shorter than committed means
// committed lines were lost outside dutywatch (deleted or rotated by hand);
// that is an error, since continuing would silently hide the loss.
func Open(path string, committed int64) (*File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create folder of %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if st.Size() < committed {
		f.Close()
		return nil, fmt.Errorf("%s is %d bytes but %d were committed: the file was truncated or replaced outside dutywatch", path, st.Size(), committed)
	}
	if st.Size() > committed {
		if err := f.Truncate(committed); err != nil {
			f.Close()
			return nil, fmt.Errorf("truncate %s to committed offset %d: %w", path, committed, err)
		}
	}
	if _, err := f.Seek(committed, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("seek %s: %w", path, err)
	}
	return &File{f: f, path: path, size: committed}, nil
}

// Path is the file's path.
func (w *File) Path() string { return w.path }

// Size is the number of bytes written, committed or not.
func (w *File) Size() int64 { return w.size }

// Write appends p, which must hold whole lines.
func (w *File) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("write %s: %w", w.path, err)
	}
	return n, nil
}

// ReadFrom appends everything r holds, which must be whole lines.
func (w *File) ReadFrom(r io.Reader) (int64, error) {
	n, err := io.Copy(w.f, r)
	w.size += n
	if err != nil {
		return n, fmt.Errorf("write %s: %w", w.path, err)
	}
	return n, nil
}

// Sync flushes written lines to disk and returns the offset to commit.
func (w *File) Sync() (int64, error) {
	if err := w.f.Sync(); err != nil {
		return 0, fmt.Errorf("sync %s: %w", w.path, err)
	}
	return w.size, nil
}

// Rewind drops everything after offset, used when the transaction that
// would have committed those lines fails.
func (w *File) Rewind(offset int64) error {
	if err := w.f.Truncate(offset); err != nil {
		return fmt.Errorf("truncate %s: %w", w.path, err)
	}
	if _, err := w.f.Seek(offset, io.SeekStart); err != nil {
		return fmt.Errorf("seek %s: %w", w.path, err)
	}
	w.size = offset
	return nil
}

// Close closes the file.
func (w *File) Close() error { return w.f.Close() }
