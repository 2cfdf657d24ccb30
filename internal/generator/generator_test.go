package generator

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/dutywatch/dutywatch/internal/finding"
	"github.com/klauspost/compress/snappy"
)

// memWriter keeps objects in memory, in the order written.
type memWriter struct {
	keys   []string
	bodies map[string][]byte
}

func (m *memWriter) Put(_ context.Context, key string, body []byte) error {
	if m.bodies == nil {
		m.bodies = map[string][]byte{}
	}
	if _, dup := m.bodies[key]; dup {
		return fmt.Errorf("key %s written twice", key)
	}
	m.keys = append(m.keys, key)
	m.bodies[key] = bytes.Clone(body)
	return nil
}

var _ Writer = (*memWriter)(nil)
var _ Writer = DirWriter{}
var _ Writer = S3Writer{}

func generate(t testing.TB, cfg Config) (Summary, *memWriter) {
	t.Helper()
	m := &memWriter{}
	sum, err := Generate(context.Background(), cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	return sum, m
}

// decompress undoes each compression with the standard decoders (and a
// small Hadoop-Snappy reader).
func decompress(t testing.TB, compression string, body []byte) []byte {
	t.Helper()
	switch compression {
	case CompressGzip:
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return out
	case CompressZip:
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		var out []byte
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b...)
		}
		return out
	case CompressSnappy:
		if !bytes.HasPrefix(body, []byte("\xff\x06\x00\x00sNaPpY")) {
			t.Fatalf("no snappy stream identifier: % x", body[:10])
		}
		out, err := io.ReadAll(snappy.NewReader(bytes.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		return out
	case CompressHadoopSnappy:
		out, err := readHadoopSnappy(body)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	return body
}

// readHadoopSnappy decodes Hadoop's block format: per block a big-endian
// uncompressed length, then chunks of (big-endian compressed length,
// Snappy block) until the block is complete.
func readHadoopSnappy(b []byte) ([]byte, error) {
	var out []byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errors.New("short block header")
		}
		want := int(binary.BigEndian.Uint32(b))
		b = b[4:]
		for got := 0; got < want; {
			if len(b) < 4 {
				return nil, errors.New("short chunk header")
			}
			n := int(binary.BigEndian.Uint32(b))
			if len(b) < 4+n {
				return nil, errors.New("short chunk")
			}
			d, err := snappy.Decode(nil, b[4:4+n])
			if err != nil {
				return nil, err
			}
			out, got, b = append(out, d...), got+len(d), b[4+n:]
		}
	}
	return out, nil
}

// splitRecords splits concatenated JSON values, with or without
// whitespace between them.
func splitRecords(t testing.TB, data []byte) [][]byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	var out [][]byte
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("split records: %v", err)
		}
		out = append(out, raw)
	}
}

var (
	firehoseKey = regexp.MustCompile(`^(?:[a-z0-9/-]+/)?(\d{4})/(\d{2})/(\d{2})/(\d{2})/([A-Za-z0-9_.-]+)-1-(\d{4})-(\d{2})-(\d{2})-(\d{2})-\d{2}-\d{2}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}(\.gz|\.zip|\.snappy)?$`)
	nativeKey   = regexp.MustCompile(`^(?:[a-z0-9/-]+/)?AWSLogs/(\d{12})/GuardDuty/([a-z0-9-]+)/\d{4}/\d{2}/\d{2}/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.jsonl\.gz$`)
)

func TestGenerateLayouts(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(*Config)
		ext  string
	}{
		{"firehose gzip", func(c *Config) {}, ".gz"},
		{"firehose gzip newlines prefix", func(c *Config) { c.Newlines, c.Prefix = true, "guardduty/firehose" }, ".gz"},
		{"firehose zip", func(c *Config) { c.Compression = CompressZip }, ".zip"},
		{"firehose zip entries", func(c *Config) { c.Compression, c.ZipEntries = CompressZip, 3 }, ".zip"},
		{"firehose snappy", func(c *Config) { c.Compression = CompressSnappy }, ".snappy"},
		{"firehose hadoop-snappy", func(c *Config) { c.Compression = CompressHadoopSnappy }, ".snappy"},
		{"firehose none", func(c *Config) { c.Compression = CompressNone; c.Noise = 0.1 }, ""},
		{"native", func(c *Config) { c.Layout, c.Prefix = LayoutNative, "exports/" }, ".jsonl.gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Findings, cfg.Updates = 80, 0.4
			tt.cfg(&cfg)
			sum, m := generate(t, cfg)
			if sum.Objects != len(m.keys) || !slices.Equal(sum.Keys, m.keys) {
				t.Fatalf("summary keys %d, written %d", sum.Objects, len(m.keys))
			}
			var records, events, skipped, updates, size int
			ids := map[string]bool{}
			for _, key := range m.keys {
				body := m.bodies[key]
				size += len(body)
				checkKey(t, cfg, key, tt.ext)
				data := decompress(t, cfg.Compression, body)
				if cfg.Layout == LayoutNative || cfg.Newlines {
					if !bytes.HasSuffix(data, []byte("\n")) {
						t.Errorf("%s: records not newline-terminated", key)
					}
				} else if bytes.Contains(data, []byte("}\n{")) || bytes.Contains(data, []byte("\n")) {
					t.Errorf("%s: Firehose records must be concatenated without delimiter", key)
				}
				recs := splitRecords(t, data)
				if len(recs) == 0 || len(recs) > cfg.PerObject {
					t.Errorf("%s: %d records, PerObject %d", key, len(recs), cfg.PerObject)
				}
				for _, raw := range recs {
					records++
					r, err := finding.Parse(raw)
					if err != nil {
						t.Fatalf("%s: parse: %v\n%s", key, err, raw)
					}
					if r.Skipped != "" {
						skipped++
						continue
					}
					f := r.Finding
					if (cfg.Layout == LayoutNative) != (r.Envelope.DetailType == "") {
						t.Fatalf("%s: envelope %+v in layout %s", key, r.Envelope, cfg.Layout)
					}
					if cfg.Layout == LayoutNative {
						if mm := nativeKey.FindStringSubmatch(key); mm[1] != f.AccountID || mm[2] != f.Region {
							t.Errorf("%s holds a finding of %s/%s", key, f.AccountID, f.Region)
						}
						if f.Archived {
							t.Errorf("native export holds archived finding %s", f.ID)
						}
					}
					if ids[f.ID] {
						updates++
					}
					ids[f.ID] = true
					err = f.WazuhEvents(finding.LogInfo{LogFile: key}, func([]byte) error { events++; return nil })
					if err != nil {
						t.Fatal(err)
					}
				}
			}
			got := Summary{Objects: sum.Objects, Records: records, Findings: len(ids), Updates: updates,
				Skipped: skipped, Events: events, Bytes: int64(size), Keys: sum.Keys}
			if fmt.Sprint(got) != fmt.Sprint(sum) {
				t.Errorf("summary %+v\n  found %+v", sum, got)
			}
		})
	}
}

func checkKey(t *testing.T, cfg Config, key, ext string) {
	t.Helper()
	if !strings.HasPrefix(key, strings.TrimSuffix(cfg.Prefix, "/")) || !strings.HasSuffix(key, ext) {
		t.Errorf("key %s lacks prefix %q or suffix %q", key, cfg.Prefix, ext)
	}
	if cfg.Layout == LayoutNative {
		if !nativeKey.MatchString(key) {
			t.Errorf("key %s does not match the native layout", key)
		}
		return
	}
	m := firehoseKey.FindStringSubmatch(key)
	if m == nil {
		t.Fatalf("key %s does not match the Firehose layout", key)
	}
	if m[5] != cfg.Stream || m[1] != m[6] || m[2] != m[7] || m[3] != m[8] || m[4] != m[9] {
		t.Errorf("key %s: folder time and name time or stream disagree", key)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Findings, cfg.Noise = 60, 0.05
	_, a := generate(t, cfg)
	_, b := generate(t, cfg)
	if !slices.Equal(a.keys, b.keys) {
		t.Fatal("keys differ between runs")
	}
	for _, k := range a.keys {
		if !bytes.Equal(a.bodies[k], b.bodies[k]) {
			t.Fatalf("%s differs between runs", k)
		}
	}
	cfg.Seed = 2
	_, c := generate(t, cfg)
	if slices.Equal(a.keys, c.keys) {
		t.Error("another seed gave the same keys")
	}
}

// TestFindingMatchesGenerate checks that Config.Finding(i) is the first
// version Generate writes for finding i, whatever Updates says.
func TestFindingMatchesGenerate(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Findings, cfg.Updates, cfg.Layout = 30, 0.9, LayoutNative
	_, m := generate(t, cfg)
	written := map[string]bool{}
	for _, k := range m.keys {
		for _, rec := range splitRecords(t, decompress(t, CompressGzip, m.bodies[k])) {
			var c bytes.Buffer
			if err := json.Compact(&c, rec); err != nil {
				t.Fatal(err)
			}
			written[c.String()] = true
		}
	}
	cfg.Updates = 0
	for i := range cfg.Findings {
		f, err := cfg.Finding(i)
		if err != nil {
			t.Fatal(err)
		}
		if !written[string(f)] {
			t.Fatalf("finding %d not found among written records:\n%s", i, f)
		}
	}
	if !bytes.Equal(Finding(1, 3), mustFinding(t, DefaultConfig(), 3)) {
		t.Error("Finding(1, 3) differs from DefaultConfig().Finding(3)")
	}
}

func mustFinding(t *testing.T, c Config, i int) []byte {
	t.Helper()
	b, err := c.Finding(i)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEnvelope(t *testing.T) {
	f := Finding(7, 0)
	at := time.Date(2025, 5, 1, 13, 5, 12, 999e6, time.UTC)
	env := Envelope(f, "0b7e8d2a-5c4f-4e21-9a6b-3f2d1c0b9a87", "111122223333", "us-east-1", at)
	r, err := finding.Parse(env)
	if err != nil {
		t.Fatal(err)
	}
	want := finding.Envelope{EventID: "0b7e8d2a-5c4f-4e21-9a6b-3f2d1c0b9a87", DetailType: "GuardDuty Finding",
		Source: "aws.guardduty", Account: "111122223333", Region: "us-east-1", Time: at.Truncate(time.Second)}
	if r.Envelope != want {
		t.Errorf("envelope %+v, want %+v", r.Envelope, want)
	}
	if !bytes.Equal(r.Finding.Raw, f) {
		t.Error("detail is not the finding's bytes")
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(*Config)
		err  string
	}{
		{"bad layout", func(c *Config) { c.Layout = "cloudtrail" }, "unknown layout"},
		{"bad compression", func(c *Config) { c.Compression = "lz4" }, "unknown compression"},
		{"native zip", func(c *Config) { c.Layout, c.Compression = LayoutNative, CompressZip }, "native layout objects are gzip"},
		{"negative findings", func(c *Config) { c.Findings = -1 }, "negative"},
		{"updates above one", func(c *Config) { c.Updates = 1.5 }, "must lie in"},
		{"short account", func(c *Config) { c.Accounts = []string{"1234"} }, "12 digits"},
		{"bad region", func(c *Config) { c.Regions = []string{"mars"} }, "region"},
		{"bad stream", func(c *Config) { c.Stream = "a/b" }, "stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.cfg(&cfg)
			_, err := Generate(context.Background(), cfg, &memWriter{})
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want %q", err, tt.err)
			}
		})
	}
	// Zero fields take the defaults.
	sum, _ := generate(t, Config{Findings: 3})
	if sum.Records != 3 || sum.Objects != 1 {
		t.Errorf("zero config: %+v", sum)
	}
	if sum, _ := generate(t, Config{}); sum.Objects != 0 || sum.Records != 0 {
		t.Errorf("no findings: %+v", sum)
	}
}

func TestGenerateStopsOnContextAndWriterError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, DefaultConfig(), &memWriter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	boom := errors.New("boom")
	n := 0
	w := writerFunc(func(context.Context, string, []byte) error {
		n++
		if n == 2 {
			return boom
		}
		return nil
	})
	sum, err := Generate(context.Background(), DefaultConfig(), w)
	if !errors.Is(err, boom) || sum.Objects != 1 {
		t.Errorf("writer error: %v after %d objects", err, sum.Objects)
	}
}

type writerFunc func(context.Context, string, []byte) error

func (f writerFunc) Put(ctx context.Context, k string, b []byte) error { return f(ctx, k, b) }

func TestDirWriter(t *testing.T) {
	root := t.TempDir()
	w := DirWriter{Root: root}
	ctx := context.Background()
	if err := w.Put(ctx, "a/b/c.json.gz", []byte("x")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "a", "b", "c.json.gz"))
	if err != nil || string(got) != "x" {
		t.Fatalf("read back %q, %v", got, err)
	}
	left, _ := filepath.Glob(filepath.Join(root, "a", "b", ".tmp-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	for _, bad := range []string{"../escape", "/abs/key", ""} {
		if err := w.Put(ctx, bad, nil); err == nil {
			t.Errorf("key %q accepted", bad)
		}
	}
}

// fakeS3 records PutObject calls.
type fakeS3 struct {
	puts map[string][]byte
	err  error
}

func (f *fakeS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	b, _ := io.ReadAll(in.Body)
	if *in.Bucket != "gd-bucket" || *in.ContentLength != int64(len(b)) {
		return nil, fmt.Errorf("bad input bucket %s length %d", *in.Bucket, *in.ContentLength)
	}
	f.puts[*in.Key] = b
	return &s3.PutObjectOutput{}, nil
}

var _ S3PutAPI = (*s3.Client)(nil)

func TestS3Writer(t *testing.T) {
	api := &fakeS3{puts: map[string][]byte{}}
	cfg := DefaultConfig()
	cfg.Findings = 25
	sum, err := Generate(context.Background(), cfg, S3Writer{Client: api, Bucket: "gd-bucket"})
	if err != nil {
		t.Fatal(err)
	}
	if len(api.puts) != sum.Objects {
		t.Errorf("%d puts for %d objects", len(api.puts), sum.Objects)
	}
	api.err = errors.New("SlowDown")
	_, err = Generate(context.Background(), cfg, S3Writer{Client: api, Bucket: "gd-bucket"})
	if err == nil || !strings.Contains(err.Error(), "put s3://gd-bucket/") {
		t.Errorf("error %v does not name the object", err)
	}
}

func TestHadoopSnappyBlocks(t *testing.T) {
	big := bytes.Repeat([]byte(`{"k":"value"}`), 50000) // > 2 blocks
	enc := hadoopSnappy(big)
	if n := binary.BigEndian.Uint32(enc); n != hadoopBlock {
		t.Errorf("first block declares %d bytes, want %d", n, hadoopBlock)
	}
	out, err := readHadoopSnappy(enc)
	if err != nil || !bytes.Equal(out, big) {
		t.Fatalf("round trip failed: %v", err)
	}
	if len(hadoopSnappy(nil)) != 0 {
		t.Error("empty input gave output")
	}
}

func BenchmarkGenerate(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Findings = 1000
	var sum Summary
	for b.Loop() {
		var err error
		sum, err = Generate(context.Background(), cfg, writerFunc(func(context.Context, string, []byte) error { return nil }))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(sum.Records*b.N)/b.Elapsed().Seconds(), "records/s")
}
