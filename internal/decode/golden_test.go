package decode

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata: generated inputs, expected.jsonl/expected.err, fuzz seeds")

// goldenKey is the object key every golden case is read under.
const goldenKey = "input"

// generated builds the golden inputs that are not plain JSON; -update
// writes them to testdata/<case>/<file>, and the committed files are read
// otherwise.
var generated = []struct {
	dir, file string
	build     func() []byte
}{
	{"gzip-multi-member", "input.gz", func() []byte {
		// An empty member, and a record split across two members.
		return gzipMembers([]byte(`{"m":1}`), nil, []byte(`{"m":2,"spl`), []byte("it\":true}\n"), []byte(`[{"m":3}]`))
	}},
	{"gzip-truncated", "input.gz", func() []byte {
		var plain []byte
		for i := range 100 {
			plain = fmt.Appendf(plain, "{\"n\":%d,\"h\":\"%x\"}\n", i, i*i*7919)
		}
		b := gzipMembers(plain)
		return b[:len(b)/2]
	}},
	{"gzip-trailing-garbage", "input.gz", func() []byte {
		return append(gzipMembers([]byte(`{"a":1}`)), "trailing text, not gzip"...)
	}},
	{"zip-entries", "input.zip", func() []byte {
		return zipFiles(
			zipFile{"a.json", []byte(`{"e":"a","n":1}{"e":"a","n":2}`)},
			zipFile{"logs/", nil},
			zipFile{"logs/b.json", []byte("[\n {\"e\":\"b\",\"n\":1},\n {\"e\":\"b\",\"n\":2}\n]\n")},
			zipFile{"c.json", nil},
			zipFile{"d.json", []byte("\xef\xbb\xbf{\"e\":\"d\",\"n\":1}\r\n{\"e\":\"d\",\"n\":2}\r\n")},
		)
	}},
	{"zip-broken-entry", "input.zip", func() []byte {
		return zipFiles(zipFile{"a.json", []byte(`{"e":"a"}`)}, zipFile{"b.json", []byte(`{"e":"b"}{"e":`)})
	}},
	{"zip-corrupt", "input.zip", func() []byte {
		return append([]byte("PK\x03\x04"), bytes.Repeat([]byte{0xaa}, 40)...)
	}},
	{"garbage-text", "input.bin", func() []byte {
		return []byte("<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code></Error>")
	}},
	{"garbage-binary", "input.bin", func() []byte {
		b := make([]byte, 64)
		for i := range b {
			b[i] = byte(i * 7)
		}
		return b
	}},
	{"snappy-corrupt", "input.snappy", func() []byte {
		b := snappyFramed([]byte(`{"a":1}{"b":2}`))
		b[len(b)-3] ^= 0x55
		return b
	}},
	{"snappy-truncated", "input.snappy", func() []byte {
		b := snappyFramed([]byte(`{"a":1}{"b":2}`))
		return b[:len(b)-3]
	}},
	{"hadoop-snappy-truncated", "input.hsnappy", func() []byte {
		b := hadoopSnappy([]byte(`{"a":1}{"b":2}{"c":3}`), 7, 7)
		return b[:len(b)-3]
	}},
	{"hadoop-snappy-overflow", "input.hsnappy", func() []byte {
		// The second block says 3 bytes but its chunk holds 7.
		b := hadoopSnappy([]byte(`{"a":1}`), 7, 7)
		b = append(b, hadoopSnappy([]byte(`{"b":2}`), 7, 7)...)
		b[len(b)/2+3] = 3
		return b
	}},
}

func TestGolden(t *testing.T) {
	if *update {
		for _, g := range generated {
			must(0, os.MkdirAll(filepath.Join("testdata", g.dir), 0o755))
			must(0, os.WriteFile(filepath.Join("testdata", g.dir, g.file), g.build(), 0o644))
		}
	}
	for _, dir := range goldenDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			opt := readOptions(t, dir)
			file, input := readInput(t, dir)
			if file != "input.json" {
				res, _ := readAll(t, goldenKey, input, opt)
				checkGolden(t, dir, res, "")
				return
			}
			for _, enc := range encodings {
				t.Run(enc.name, func(t *testing.T) {
					body := enc.enc(input)
					res, r := readAll(t, goldenKey, body, opt)
					want := enc.comp
					if len(body) == 0 {
						want = Plain // an empty body has no magic to sniff
					}
					if got := r.Compression(); got != want {
						t.Errorf("Compression() = %v, want %v", got, want)
					}
					checkPlainResult(t, input, body, res, r)
					zipKey := ""
					if enc.comp == Zip {
						zipKey = goldenKey + "!input.json"
					}
					checkGolden(t, dir, res, zipKey)
				})
			}
			t.Run("tiny-buffer", func(t *testing.T) {
				small := opt
				small.bufSize = 8
				r := NewReader(goldenKey, &chunkReader{r: bytes.NewReader(input), n: 3}, small)
				res := drain(r)
				must(0, r.Close())
				checkPlainResult(t, input, input, res, r)
				checkGolden(t, dir, res, "")
			})
		})
	}
}

func goldenDirs(t *testing.T) []string {
	dirs, err := filepath.Glob("testdata/*/input.*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for i, d := range dirs {
		dirs[i] = filepath.Dir(d)
	}
	return dirs
}

func readInput(t *testing.T, dir string) (string, []byte) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "input.*"))
	if len(files) != 1 {
		t.Fatalf("%s: want one input.* file, have %q", dir, files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Base(files[0]), b
}

func readOptions(t *testing.T, dir string) Options {
	t.Helper()
	var opt Options
	b, err := os.ReadFile(filepath.Join(dir, "options.json"))
	if os.IsNotExist(err) {
		return opt
	}
	if err == nil {
		err = json.Unmarshal(b, &opt)
	}
	if err != nil {
		t.Fatalf("options.json: %v", err)
	}
	return opt
}

// checkPlainResult checks what holds for any compression of a plain input:
// each record is the input's bytes at its offset, and a clean end has read
// the whole body and decoded the whole input.
func checkPlainResult(t *testing.T, input, body []byte, res result, r *Reader) {
	t.Helper()
	for _, rec := range res.records {
		end := rec.Offset + int64(len(rec.Data))
		if rec.Offset < 0 || end > int64(len(input)) || !bytes.Equal(input[rec.Offset:end], rec.Data) {
			t.Errorf("record at %d is not the input's bytes there: %q", rec.Offset, rec.Data)
		}
	}
	if res.err != nil {
		asError(t, res.err)
		return
	}
	if r.BytesRead() != int64(len(body)) || r.BytesDecoded() != int64(len(input)) {
		t.Errorf("BytesRead, BytesDecoded = %d, %d; want %d, %d", r.BytesRead(), r.BytesDecoded(), len(body), len(input))
	}
}

// golden is one line of expected.jsonl.
type golden struct {
	Offset int64  `json:"offset"`
	Data   string `json:"data"`
}

// checkGolden compares res with dir's expected.jsonl and expected.err, or
// rewrites them under -update. zipKey, if set, replaces the golden key in
// the expected error (a plain input read as one zip entry).
func checkGolden(t *testing.T, dir string, res result, zipKey string) {
	t.Helper()
	var got bytes.Buffer
	for _, rec := range res.records {
		line, _ := json.Marshal(golden{rec.Offset, string(rec.Data)})
		got.Write(append(line, '\n'))
	}
	gotErr := ""
	if res.err != nil {
		e := asError(t, res.err)
		gotErr = e.Error() + "\n"
	}
	jsonlPath, errPath := filepath.Join(dir, "expected.jsonl"), filepath.Join(dir, "expected.err")
	if *update && zipKey == "" {
		must(0, os.WriteFile(jsonlPath, got.Bytes(), 0o644))
		if gotErr == "" {
			if err := os.Remove(errPath); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		} else {
			must(0, os.WriteFile(errPath, []byte(gotErr), 0o644))
		}
	}
	want, err := os.ReadFile(jsonlPath)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("records differ from %s:\ngot:\n%s\nwant:\n%s", jsonlPath, got.Bytes(), want)
	}
	wantErr, err := os.ReadFile(errPath)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if zipKey != "" {
		wantErr = []byte(strings.Replace(string(wantErr), goldenKey+":", zipKey+":", 1))
	}
	if gotErr != string(wantErr) {
		t.Errorf("error differs from %s:\ngot:  %q\nwant: %q", errPath, gotErr, wantErr)
	}
}
