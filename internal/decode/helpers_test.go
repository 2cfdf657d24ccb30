package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zip"
)

// The encoders below build test inputs; they panic on error because they
// only ever write to memory.

// encoding is one way to compress a plain body.
type encoding struct {
	name string
	comp Compression
	enc  func(plain []byte) []byte
}

// encodings lists every format the Reader sniffs, each wrapping one plain body.
var encodings = []encoding{
	{"plain", Plain, func(b []byte) []byte { return b }},
	{"gzip", Gzip, func(b []byte) []byte { return gzipMembers(b) }},
	{"zip", Zip, func(b []byte) []byte { return zipFiles(zipFile{"input.json", b}) }},
	{"snappy", Snappy, snappyFramed},
	{"hadoop-snappy", HadoopSnappy, func(b []byte) []byte { return hadoopSnappy(b, 256<<10, 64<<10) }},
	// Small blocks of several chunks cross block and chunk boundaries.
	{"hadoop-snappy-small", HadoopSnappy, func(b []byte) []byte { return hadoopSnappy(b, 50, 16) }},
}

// gzipMembers writes each part as its own gzip member, one after another.
func gzipMembers(parts ...[]byte) []byte {
	var out bytes.Buffer
	for _, p := range parts {
		w, _ := gzip.NewWriterLevel(&out, gzip.BestSpeed)
		must(w.Write(p))
		must(0, w.Close())
	}
	return out.Bytes()
}

type zipFile struct {
	name string
	data []byte
}

// zipFiles writes a deflated zip archive; a name ending in '/' is a folder.
func zipFiles(files ...zipFile) []byte {
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate})
		must(0, err)
		must(w.Write(f.data))
	}
	must(0, zw.Close())
	return out.Bytes()
}

// snappyFramed writes the Snappy framing format.
func snappyFramed(b []byte) []byte {
	var out bytes.Buffer
	w := snappy.NewBufferedWriter(&out)
	must(w.Write(b))
	must(0, w.Close())
	return out.Bytes()
}

// hadoopSnappy writes Hadoop's block format: blocks of up to block bytes,
// each compressed in chunks of up to chunk bytes. Like Hadoop, it writes
// an empty input as an empty block with one empty chunk.
func hadoopSnappy(b []byte, block, chunk int) []byte {
	var out []byte
	for first := true; first || len(b) > 0; first = false {
		blk := b[:min(block, len(b))]
		b = b[len(blk):]
		out = binary.BigEndian.AppendUint32(out, uint32(len(blk)))
		for firstChunk := true; firstChunk || len(blk) > 0; firstChunk = false {
			c := blk[:min(chunk, len(blk))]
			blk = blk[len(c):]
			enc := snappy.Encode(nil, c)
			out = binary.BigEndian.AppendUint32(out, uint32(len(enc)))
			out = append(out, enc...)
		}
	}
	return out
}

func must[T any](_ T, err error) {
	if err != nil {
		panic(err)
	}
}

// result is what a Reader or Splitter produced.
type result struct {
	records []Record // Data copied
	err     error
}

// iterator is what Reader and Splitter have in common.
type iterator interface {
	Next() bool
	Record() Record
	Err() error
}

// drain copies every record out of it.
func drain(it iterator) result {
	var res result
	for it.Next() {
		r := it.Record()
		res.records = append(res.records, Record{Data: bytes.Clone(r.Data), Offset: r.Offset})
	}
	res.err = it.Err()
	return res
}

// readAll runs a Reader over body and closes it.
func readAll(t testing.TB, key string, body []byte, opt Options) (result, *Reader) {
	t.Helper()
	r := NewReader(key, bytes.NewReader(body), opt)
	res := drain(r)
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	return res, r
}

// asError checks that err is an *Error and returns it.
func asError(t testing.TB, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *decode.Error", err, err)
	}
	return e
}

// chunkReader returns at most n bytes per Read, to cross buffer boundaries.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	return c.r.Read(p[:min(len(p), c.n)])
}
