package decode

import (
	"encoding/binary"
	"fmt"
	"io"
	"slices"

	"github.com/klauspost/compress/snappy"
)

// Hadoop-Snappy (Firehose HADOOP_SNAPPY) is Hadoop's BlockCompressorStream
// around raw Snappy blocks. It has no magic number: the stream is a series
// of blocks, each a 4-byte big-endian uncompressed length followed by
// chunks, each a 4-byte big-endian compressed length and one Snappy block,
// until the chunks have produced the block's uncompressed length.
const (
	// maxHadoopBlock bounds a block's declared length; it is only counted,
	// never allocated. Hadoop writes blocks of its buffer size (256 KiB).
	maxHadoopBlock = 1 << 30
	// maxHadoopChunk bounds the decoded size of one chunk, which is held
	// in memory whole.
	maxHadoopChunk = 16 << 20
)

// looksHadoopSnappy reports whether head starts with a plausible block
// header: lengths in range and a first chunk whose Snappy length varint
// fits both the block and the chunk's compressed size.
func looksHadoopSnappy(head []byte) bool {
	if len(head) < 9 {
		return false
	}
	u := binary.BigEndian.Uint32(head)
	c := binary.BigEndian.Uint32(head[4:])
	if u > maxHadoopBlock || c == 0 || int64(c) > int64(snappy.MaxEncodedLen(maxHadoopChunk)) {
		return false
	}
	n, err := snappy.DecodedLen(head[8:min(len(head), 8+int(c))])
	// Only Hadoop's encoding of an empty input has an empty first chunk.
	if err != nil || n > int(u) || n > maxHadoopChunk || (n == 0) != (u == 0) {
		return false
	}
	return int(c) <= snappy.MaxEncodedLen(n)
}

// hadoopReader decodes a Hadoop-Snappy stream.
type hadoopReader struct {
	r         io.Reader
	remaining int64 // uncompressed bytes still due in the current block
	comp      []byte
	out       []byte // the current decoded chunk
	outPos    int
	err       error
}

func (h *hadoopReader) Read(p []byte) (int, error) {
	for h.outPos == len(h.out) {
		if h.err != nil {
			return 0, h.err
		}
		h.err = h.nextChunk()
	}
	n := copy(p, h.out[h.outPos:])
	h.outPos += n
	return n, nil
}

// nextChunk decodes the next chunk into h.out, reading a block header
// first when the current block is complete.
func (h *hadoopReader) nextChunk() error {
	h.out, h.outPos = h.out[:0], 0
	empty := false
	if h.remaining == 0 {
		u, err := h.readLen(true)
		if err != nil {
			return err
		}
		if u > maxHadoopBlock {
			return fmt.Errorf("%w: block of %d bytes", ErrFormat, u)
		}
		h.remaining = int64(u)
		// Hadoop writes an empty input as a zero-length block with one
		// chunk that decodes to nothing; the chunk may be missing.
		empty = u == 0
	}
	c, err := h.readLen(empty)
	if err != nil {
		return err
	}
	if c == 0 || int64(c) > int64(snappy.MaxEncodedLen(maxHadoopChunk)) {
		return fmt.Errorf("%w: compressed chunk of %d bytes", ErrFormat, c)
	}
	if h.comp, err = readChunk(h.r, h.comp, int(c)); err != nil {
		return err
	}
	n, err := snappy.DecodedLen(h.comp)
	if err != nil {
		return err
	}
	if int64(n) > h.remaining || n > maxHadoopChunk {
		return fmt.Errorf("%w: chunk of %d bytes overflows its block (%d bytes left)", ErrFormat, n, h.remaining)
	}
	if h.out, err = snappy.Decode(h.out[:cap(h.out)], h.comp); err != nil {
		return err
	}
	h.remaining -= int64(len(h.out))
	return nil
}

// readLen reads a 4-byte big-endian length. io.EOF before its first byte
// is returned as is when eofOK, and as io.ErrUnexpectedEOF otherwise.
func (h *hadoopReader) readLen(eofOK bool) (uint32, error) {
	var b [4]byte
	if _, err := io.ReadFull(h.r, b[:]); err != nil {
		if err == io.EOF && !eofOK {
			err = io.ErrUnexpectedEOF
		}
		return 0, err
	}
	return binary.BigEndian.Uint32(b[:]), nil
}

// readChunk reads n bytes into buf, growing it only as data arrives, so a
// lying length costs no more memory than the bytes that follow it.
func readChunk(r io.Reader, buf []byte, n int) ([]byte, error) {
	buf = buf[:0]
	for len(buf) < n {
		step := min(n-len(buf), max(len(buf), 64<<10))
		buf = slices.Grow(buf, step)
		m, err := io.ReadFull(r, buf[len(buf):len(buf)+step])
		buf = buf[:len(buf)+m]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
	}
	return buf, nil
}
