package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzMax keeps fuzz inputs from growing records without end.
const fuzzMax = 1 << 16

func FuzzSplitter(f *testing.F) {
	f.Add([]byte(`{"a":1}{"b":[2,{"c":"}"}]}`))
	f.Add([]byte("[{\"a\":\"\\\"\"},\n[1]]\r\n{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		whole := drain(NewSplitter(bytes.NewReader(data), Options{MaxRecordBytes: fuzzMax}))
		checkRecords(t, data, whole)
		// Small buffers and short reads must not change the result.
		opt := Options{MaxRecordBytes: fuzzMax, bufSize: 8}
		chunked := drain(NewSplitter(&chunkReader{r: bytes.NewReader(data), n: 1 + len(data)%5}, opt))
		if !sameResult(whole, chunked) {
			t.Fatalf("chunked reads differ:\nwhole:   %v\nchunked: %v", whole, chunked)
		}
		want, ok := jsonValues(data)
		if !ok || errors.Is(whole.err, ErrRecordTooLarge) {
			return
		}
		if !sameResult(want, whole) {
			t.Fatalf("encoding/json and the splitter differ:\njson:     %v\nsplitter: %v", want, whole)
		}
	})
}

// checkRecords checks what holds for any input: each record is the input's
// bytes at its offset, starts and ends with matching brackets, and comes
// after the one before; an error is an *Error inside the input.
func checkRecords(t *testing.T, data []byte, res result) {
	t.Helper()
	next := int64(0)
	for _, rec := range res.records {
		end := rec.Offset + int64(len(rec.Data))
		if rec.Offset < next || end > int64(len(data)) || !bytes.Equal(data[rec.Offset:end], rec.Data) {
			t.Fatalf("record at %d (previous ended at %d) is not the input's bytes: %q", rec.Offset, next, rec.Data)
		}
		first, last := rec.Data[0], rec.Data[len(rec.Data)-1]
		if !(first == '{' && last == '}') && !(first == '[' && last == ']') {
			t.Fatalf("record at %d is not an object or array: %q", rec.Offset, rec.Data)
		}
		next = end
	}
	if res.err != nil {
		if e := asError(t, res.err); e.Offset < next || e.Offset > int64(len(data)) {
			t.Fatalf("error offset %d outside [%d, %d]: %v", e.Offset, next, len(data), e)
		}
	}
}

// jsonValues splits data the way the splitter should, using encoding/json.
// ok is false when data is not a stream of valid JSON values, where the
// splitter (which does not validate inside records) may differ. The result
// has an error where the splitter must report one.
func jsonValues(data []byte) (res result, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var values []json.RawMessage
	for {
		var v json.RawMessage
		err := dec.Decode(&v)
		if err == io.EOF {
			break
		}
		if err != nil {
			return res, false
		}
		values = append(values, v)
	}
	for _, v := range values {
		switch v[0] {
		case '{':
			res.records = append(res.records, Record{Data: v})
			continue
		case '[':
			var elems []json.RawMessage
			if err := json.Unmarshal(v, &elems); err != nil {
				return res, false
			}
			for _, e := range elems {
				if e[0] != '{' && e[0] != '[' {
					res.err = ErrSyntax
					return res, true
				}
				res.records = append(res.records, Record{Data: e})
			}
			continue
		}
		res.err = ErrSyntax
		return res, true
	}
	return res, true
}

// sameResult compares record bytes, and whether there was an error (and
// offsets when both sides have them).
func sameResult(a, b result) bool {
	if len(a.records) != len(b.records) || (a.err == nil) != (b.err == nil) {
		return false
	}
	for i := range a.records {
		if !bytes.Equal(a.records[i].Data, b.records[i].Data) {
			return false
		}
	}
	var ea, eb *Error
	if errors.As(a.err, &ea) && errors.As(b.err, &eb) {
		return ea.Offset == eb.Offset && ea.Err.Error() == eb.Err.Error()
	}
	return true
}

func (r result) String() string {
	var b strings.Builder
	for _, rec := range r.records {
		fmt.Fprintf(&b, "%d:%q ", rec.Offset, rec.Data)
	}
	fmt.Fprintf(&b, "err=%v", r.err)
	return b.String()
}

func FuzzReader(f *testing.F) {
	for _, enc := range encodings {
		f.Add(enc.enc([]byte(`{"a":1}` + "\n" + `[{"b":2}]`)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const key = "s3://b/k"
		r := NewReader(key, bytes.NewReader(data), Options{MaxRecordBytes: fuzzMax, TempDir: t.TempDir()})
		next := int64(0)
		for r.Next() {
			rec := r.Record()
			if rec.Offset < next || len(rec.Data) == 0 || len(rec.Data) > fuzzMax {
				t.Fatalf("record at %d after %d, %d bytes", rec.Offset, next, len(rec.Data))
			}
			next = rec.Offset + int64(len(rec.Data))
			if r.BytesDecoded() > 64<<20 {
				t.Skip("decompresses to more than 64 MB")
			}
		}
		if err := r.Err(); err != nil {
			if e := asError(t, err); !strings.HasPrefix(e.Key, key) || e.Offset < 0 {
				t.Fatalf("error %v: want key %q and an offset", err, key)
			}
		} else if r.BytesRead() != int64(len(data)) && r.Compression() != Zip && r.Compression() != HadoopSnappy {
			// A clean end has read the whole body, except where a format
			// ends by its own structure (zip's directory, Hadoop's empty block).
			t.Fatalf("clean end after %d of %d bytes (%v)", r.BytesRead(), len(data), r.Compression())
		}
		if err := r.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	})
}

// TestWriteFuzzSeeds writes the seed corpora in testdata/fuzz from the
// golden inputs under -update.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*update {
		t.Skip("writes testdata/fuzz under -update")
	}
	for _, dir := range goldenDirs(t) {
		file, input := readInput(t, dir)
		name := filepath.Base(dir)
		if file == "input.json" {
			writeSeed(t, "FuzzSplitter", name, input)
			for _, enc := range encodings[1:5] {
				writeSeed(t, "FuzzReader", name+"-"+enc.name, enc.enc(input))
			}
			continue
		}
		writeSeed(t, "FuzzReader", name, input)
	}
}

func writeSeed(t *testing.T, target, name string, data []byte) {
	dir := filepath.Join("testdata", "fuzz", target)
	must(0, os.MkdirAll(dir, 0o755))
	body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
	must(0, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
}
