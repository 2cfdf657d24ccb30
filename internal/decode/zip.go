package decode

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/zip"
)

// A zip archive's directory is at its end, and entries may have their
// sizes only after the data (data descriptors), so the body is spooled to
// a temporary file and read with zip.Reader: memory stays flat, disk use
// is the compressed size, and entries are read in directory order.
type zipSpool struct {
	f       *os.File
	removed bool // unlinked right after creation, where the OS allows it
	zr      *zip.Reader
	i       int
	rc      io.ReadCloser
}

// spoolZip copies body to a temporary file in dir and opens the archive.
func spoolZip(body io.Reader, dir string) (*zipSpool, error) {
	f, err := os.CreateTemp(dir, "dutywatch-zip-*")
	if err != nil {
		return nil, fmt.Errorf("spool zip: %w", err)
	}
	z := &zipSpool{f: f}
	// On Unix the open file outlives its name, and a crash leaves nothing.
	z.removed = os.Remove(f.Name()) == nil
	n, err := io.Copy(f, body)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("spool zip: %w", err), z.close())
	}
	if z.zr, err = zip.NewReader(f, n); err != nil {
		return nil, errors.Join(fmt.Errorf("%w: %w", ErrFormat, err), z.close())
	}
	return z, nil
}

// next opens the next file entry, closing the previous one. ok is false
// after the last entry; err is an entry that cannot be opened.
func (z *zipSpool) next() (name string, rc io.ReadCloser, ok bool, err error) {
	if z.rc != nil {
		z.rc.Close() // reading to EOF already checked its CRC
		z.rc = nil
	}
	for z.i < len(z.zr.File) {
		zf := z.zr.File[z.i]
		z.i++
		if zf.FileInfo().IsDir() {
			continue
		}
		z.rc, err = zf.Open()
		return zf.Name, z.rc, true, err
	}
	return "", nil, false, nil
}

func (z *zipSpool) close() error {
	if z.rc != nil {
		z.rc.Close()
		z.rc = nil
	}
	err := z.f.Close()
	if !z.removed {
		err = errors.Join(err, os.Remove(z.f.Name()))
		z.removed = true
	}
	return err
}
