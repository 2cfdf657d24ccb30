package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// numbered returns n small records, one per line, that compress poorly
// enough for a cut gzip stream to have decoded part of them.
func numbered(n int) []byte {
	var b []byte
	for i := range n {
		b = fmt.Appendf(b, "{\"n\":%d,\"h\":\"%x\"}\n", i, i*i*7919)
	}
	return b
}

func TestTruncatedGzip(t *testing.T) {
	const key = "s3://bucket/gd/2024/05/01/13/gd-1-2024-05-01-13-05-12-x.gz"
	plain := numbered(2000)
	full := gzipMembers(plain)
	all := drain(NewSplitter(bytes.NewReader(plain), Options{}))
	if all.err != nil {
		t.Fatal(all.err)
	}
	tests := []struct {
		name string
		cut  int
	}{
		{"in header", 5},
		{"after header", 10},
		{"early in data", 200},
		{"middle", len(full) / 2},
		{"last data byte", len(full) - 9},
		{"in trailer", len(full) - 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, r := readAll(t, key, full[:tt.cut], Options{})
			e := asError(t, res.err)
			if e.Key != key {
				t.Errorf("Key = %q, want %q", e.Key, key)
			}
			if !errors.Is(res.err, io.ErrUnexpectedEOF) {
				t.Errorf("error %v does not wrap io.ErrUnexpectedEOF", res.err)
			}
			if e.Offset != r.BytesDecoded() || e.Offset > int64(len(plain)) {
				t.Errorf("Offset = %d, want BytesDecoded %d, at most %d", e.Offset, r.BytesDecoded(), len(plain))
			}
			if tt.cut >= len(full)-8 && e.Offset != int64(len(plain)) {
				t.Errorf("Offset = %d, want the whole stream %d: only the trailer is missing", e.Offset, len(plain))
			}
			// Every record that ended before the cut was yielded, in order.
			want := 0
			for _, rec := range all.records {
				if rec.Offset+int64(len(rec.Data)) <= e.Offset {
					want++
				}
			}
			if len(res.records) != want {
				t.Fatalf("got %d records, want the %d that end by byte %d", len(res.records), want, e.Offset)
			}
			for i, rec := range res.records {
				if rec.Offset != all.records[i].Offset || !bytes.Equal(rec.Data, all.records[i].Data) {
					t.Fatalf("record %d = %d %q, want %d %q", i, rec.Offset, rec.Data, all.records[i].Offset, all.records[i].Data)
				}
			}
		})
	}
}

// failingReader returns its data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestBodyErrorIsKept(t *testing.T) {
	errReset := errors.New("connection reset")
	plain := numbered(5000)
	tests := []struct {
		name string
		body []byte
	}{
		{"plain", plain},
		{"gzip", gzipMembers(plain)},
		{"snappy", snappyFramed(plain)},
		{"hadoop-snappy", hadoopSnappy(plain, 4096, 1024)},
		{"zip", zipFiles(zipFile{"a.json", plain})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &failingReader{data: tt.body[:len(tt.body)/2], err: errReset}
			r := NewReader("k", body, Options{TempDir: t.TempDir()})
			res := drain(r)
			must(0, r.Close())
			e := asError(t, res.err)
			if !errors.Is(res.err, errReset) || !strings.Contains(res.err.Error(), "read body: connection reset") {
				t.Errorf("error %v does not wrap the body's error", res.err)
			}
			if e.Key != "k" || r.BytesRead() != int64(len(tt.body)/2) {
				t.Errorf("Key = %q, BytesRead = %d; want %q, %d", e.Key, r.BytesRead(), "k", len(tt.body)/2)
			}
		})
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		head []byte
		want Compression
	}{
		{"gzip", []byte{0x1f, 0x8b, 8, 0}, Gzip},
		{"zip", []byte("PK\x03\x04\x14\x00"), Zip},
		{"empty zip", []byte("PK\x05\x06\x00\x00"), Zip},
		{"snappy", snappyFramed([]byte("{}")), Snappy},
		{"object", []byte(`{"a":1}`), Plain},
		{"array", []byte(`[{"a":1}]`), Plain},
		{"leading whitespace", []byte("\r\n\t {}"), Plain},
		{"bom", []byte("\xef\xbb\xbf{}"), Plain},
		{"empty", nil, Plain},
		{"whitespace only", []byte("  \n"), Plain},
		{"hadoop-snappy", hadoopSnappy([]byte(`{"a":1}`), 256<<10, 256<<10), HadoopSnappy},
		{"hadoop-snappy of nothing", hadoopSnappy(nil, 10, 10), HadoopSnappy},
		{"hadoop-snappy cut to 4 bytes", hadoopSnappy(bytes.Repeat([]byte("x"), 100), 100, 100)[:4], Unknown},
		{"scalar", []byte(`42`), Unknown},
		{"string", []byte(`"abc"`), Unknown},
		{"xml", []byte(`<?xml version="1.0"?>`), Unknown},
		{"zeros", make([]byte, 16), Unknown},
		{"lone gzip byte", []byte{0x1f}, Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sniff(tt.head); got != tt.want {
				t.Errorf("sniff(%q) = %v, want %v", tt.head, got, tt.want)
			}
		})
	}
	// A block header whose first chunk decodes to more than the block holds.
	bad := hadoopSnappy(bytes.Repeat([]byte("x"), 100), 100, 100)
	bad[3] = 50
	if got := sniff(bad); got != Unknown {
		t.Errorf("sniff(block of 50 with a chunk of 100) = %v, want unknown", got)
	}
}

func TestReaderCounts(t *testing.T) {
	plain := numbered(300)
	for _, enc := range encodings {
		t.Run(enc.name, func(t *testing.T) {
			body := enc.enc(plain)
			r := NewReader("k", bytes.NewReader(body), Options{})
			if r.Compression() != Unknown || r.BytesRead() != 0 || r.BytesDecoded() != 0 {
				t.Errorf("before Next: %v, %d, %d", r.Compression(), r.BytesRead(), r.BytesDecoded())
			}
			n := 0
			for r.Next() {
				n++
			}
			if err := r.Err(); err != nil || n != 300 {
				t.Fatalf("got %d records, error %v; want 300, nil", n, err)
			}
			if r.Compression() != enc.comp || r.Compression().String() != enc.comp.String() {
				t.Errorf("Compression() = %v, want %v", r.Compression(), enc.comp)
			}
			if r.BytesRead() != int64(len(body)) || r.BytesDecoded() != int64(len(plain)) {
				t.Errorf("BytesRead, BytesDecoded = %d, %d; want %d, %d", r.BytesRead(), r.BytesDecoded(), len(body), len(plain))
			}
			must(0, r.Close())
			if r.Next() {
				t.Error("Next after Close = true")
			}
		})
	}
}

func TestZipSpoolIsRemoved(t *testing.T) {
	dir := t.TempDir()
	body := zipFiles(zipFile{"a.json", []byte(`{"a":1}`)}, zipFile{"b.json", []byte(`{"b":1}`)})
	r := NewReader("k", bytes.NewReader(body), Options{TempDir: dir})
	if !r.Next() {
		t.Fatal(r.Err())
	}
	must(0, r.Close())
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("temp dir holds %d files after Close", len(entries))
	}
	r = NewReader("k", bytes.NewReader(body), Options{TempDir: dir + "/missing"})
	if r.Next() || r.Err() == nil {
		t.Error("spooling into a missing folder did not fail")
	}
}

func TestSplitterReset(t *testing.T) {
	s := NewSplitter(strings.NewReader(`{"a":1} {"b":2}`), Options{})
	if !s.Next() {
		t.Fatal(s.Err())
	}
	s.Reset(strings.NewReader(`[{"c":3}]`), 100)
	res := drain(s)
	if res.err != nil || len(res.records) != 1 || res.records[0].Offset != 101 || string(res.records[0].Data) != `{"c":3}` {
		t.Errorf("after Reset: %+v", res)
	}
	if s.Decoded() != 9 {
		t.Errorf("Decoded() = %d, want 9", s.Decoded())
	}
}

func TestSplitterRecordLimit(t *testing.T) {
	rec := `{"k":"` + strings.Repeat("v", 100) + `"}`
	tests := []struct {
		name    string
		max     int
		wantErr bool
	}{
		{"exactly at limit", len(rec), false},
		{"one over", len(rec) - 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, bufSize := range []int{0, 8} {
				opt := Options{MaxRecordBytes: tt.max, bufSize: bufSize}
				in := "\n" + rec + rec
				res := drain(NewSplitter(&chunkReader{strings.NewReader(in), 7}, opt))
				if (res.err != nil) != tt.wantErr {
					t.Fatalf("bufSize %d: error %v, want error %v", bufSize, res.err, tt.wantErr)
				}
				if tt.wantErr {
					if e := asError(t, res.err); e.Offset != 1 || !errors.Is(e, ErrRecordTooLarge) {
						t.Errorf("error %v, want ErrRecordTooLarge at byte 1", e)
					}
				} else if len(res.records) != 2 {
					t.Errorf("got %d records, want 2", len(res.records))
				}
			}
		})
	}
}

func TestSplitterZeroReads(t *testing.T) {
	s := NewSplitter(zeroReader{}, Options{})
	if s.Next() || !errors.Is(s.Err(), io.ErrNoProgress) {
		t.Errorf("Err() = %v, want io.ErrNoProgress", s.Err())
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

// TestMemoryStaysFlat streams ~200 MB of decompressed records through the
// Reader from a pipe and checks the heap never holds more than a few
// buffers' worth.
func TestMemoryStaysFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 200 MB")
	}
	const total = 200 << 20
	rec := genRecords(1, 7) // ~3 KB
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
		var err error
		for n := 0; n < total && err == nil; n += len(rec) {
			_, err = zw.Write(rec)
		}
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
		done <- err
	}()
	runtime.GC()
	var ms runtime.MemStats
	var peak uint64
	r := NewReader("k", pr, Options{})
	n := 0
	for r.Next() {
		if n++; n%4096 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	must(0, r.Close())
	if r.BytesDecoded() < total {
		t.Fatalf("decoded %d bytes, want at least %d", r.BytesDecoded(), total)
	}
	t.Logf("%d records, %d MB decoded, %d MB compressed, peak HeapInuse %.1f MB",
		n, r.BytesDecoded()>>20, r.BytesRead()>>20, float64(peak)/(1<<20))
	if peak > 32<<20 {
		t.Errorf("peak HeapInuse %d MB, want under 32 MB", peak>>20)
	}
}
