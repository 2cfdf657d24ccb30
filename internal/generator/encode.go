package generator

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
)

// encoder holds the gzip state reused across the objects of one run.
type encoder struct {
	gz *gzip.Writer
}

// encodeObject builds the body of o: the records joined as the layout
// wants, then compressed.
func (e *encoder) encodeObject(cfg Config, o plannedObject) ([]byte, error) {
	join := func(rs []record) []byte {
		var b bytes.Buffer
		for _, r := range rs {
			b.Write(r.json)
			if cfg.Layout == LayoutNative || cfg.Newlines {
				b.WriteByte('\n')
			}
		}
		return b.Bytes()
	}
	switch cfg.Compression {
	case CompressGzip:
		return e.gzipBytes(join(o.records))
	case CompressZip:
		name := strings.TrimSuffix(path.Base(o.key), ".zip")
		n := min(cfg.ZipEntries, len(o.records))
		var names []string
		var parts [][]byte
		for k := range n {
			lo, hi := k*len(o.records)/n, (k+1)*len(o.records)/n
			entry := name
			if n > 1 {
				entry = fmt.Sprintf("%s-%d", name, k+1)
			}
			names = append(names, entry)
			parts = append(parts, join(o.records[lo:hi]))
		}
		return zipBytes(names, parts, o)
	case CompressSnappy:
		return snappyFramed(join(o.records))
	case CompressHadoopSnappy:
		return hadoopSnappy(join(o.records)), nil
	}
	return join(o.records), nil
}

func (e *encoder) gzipBytes(p []byte) ([]byte, error) {
	var b bytes.Buffer
	if e.gz == nil {
		e.gz = gzip.NewWriter(&b)
	} else {
		e.gz.Reset(&b)
	}
	zw := e.gz
	if _, err := zw.Write(p); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// zipBytes writes one deflated entry per part, stamped with the object's
// time so output stays deterministic.
func zipBytes(names []string, parts [][]byte, o plannedObject) ([]byte, error) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i, p := range parts {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: names[i], Method: zip.Deflate, Modified: o.at})
		if err != nil {
			return nil, err
		}
		if _, err := fw.Write(p); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// snappyFramed writes the Snappy framing format (stream identifier
// ff 06 00 00 73 4e 61 50 70 59, then checksummed chunks).
func snappyFramed(p []byte) ([]byte, error) {
	var b bytes.Buffer
	sw := snappy.NewBufferedWriter(&b)
	if _, err := sw.Write(p); err != nil {
		return nil, err
	}
	if err := sw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// hadoopBlock is the uncompressed size of a Hadoop-Snappy block: Hadoop's
// default io.compression.codec.snappy.buffersize (256 KiB).
const hadoopBlock = 256 << 10

// hadoopSnappy writes Hadoop's BlockCompressorStream format around raw
// Snappy blocks, as Firehose's HADOOP_SNAPPY does. There is no magic
// number; the stream is a series of blocks:
//
//	uint32 big-endian  uncompressed length of the block
//	uint32 big-endian  compressed length of the chunk
//	[]byte             one Snappy block (the block format, not framed)
//
// Hadoop may split a block into several chunks; we write one chunk per
// block, as Hadoop does when the compressed block fits its buffer.
func hadoopSnappy(p []byte) []byte {
	var out []byte
	for len(p) > 0 {
		n := min(hadoopBlock, len(p))
		c := snappy.Encode(nil, p[:n])
		out = binary.BigEndian.AppendUint32(out, uint32(n))
		out = binary.BigEndian.AppendUint32(out, uint32(len(c)))
		out = append(out, c...)
		p = p[n:]
	}
	return out
}
