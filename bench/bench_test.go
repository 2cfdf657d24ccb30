package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/config"
	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/internal/testenv"
)

func TestTableWrite(t *testing.T) {
	tb := newTable("run", "seconds", "peak RSS MB")
	tb.add("floor", "0.72", "—")
	tb.add("dutywatch: rules", "7.18", "410")
	tb.add("short")
	var b bytes.Buffer
	if err := tb.write(&b); err != nil {
		t.Fatal(err)
	}
	want := `| run              | seconds | peak RSS MB |
| ---------------- | ------: | ----------: |
| floor            |    0.72 |           — |
| dutywatch: rules |    7.18 |         410 |
| short            |         |             |
`
	if got := b.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestTableAlignsNumbersRight(t *testing.T) {
	tb := newTable("n", "name")
	tb.add("5", "a")
	tb.add("100", "bb")
	var b bytes.Buffer
	if err := tb.write(&b); err != nil {
		t.Fatal(err)
	}
	want := "|   n | name |\n| --: | ---- |\n|   5 | a    |\n| 100 | bb   |\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name, method, target string
		want                 s3Op
	}{
		{"list v2", "GET", "/bucket?list-type=2&prefix=firehose%2F&start-after=x", opList},
		{"get", "GET", "/bucket/firehose/2025/01/15/00/a.gz?x-id=GetObject", opGet},
		{"get without x-id", "GET", "/bucket/AWSLogs/1/GuardDuty/r/2025/01/15/u.jsonl.gz", opGet},
		{"ranged get by part", "GET", "/bucket/key?partNumber=1", opGet},
		{"list v1", "GET", "/bucket?prefix=x", opOther},
		{"location", "GET", "/bucket?location", opOther},
		{"list buckets", "GET", "/", opOther},
		{"object tagging", "GET", "/bucket/key?tagging", opOther},
		{"head", "HEAD", "/bucket/key", opOther},
		{"delete", "DELETE", "/bucket/key?x-id=DeleteObject", opOther},
		{"put", "PUT", "/bucket/key?x-id=PutObject", opOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			if got := classify(r); got != tt.want {
				t.Errorf("classify(%s %s) = %d, want %d", tt.method, tt.target, got, tt.want)
			}
		})
	}
}

func TestS3CountsString(t *testing.T) {
	a := s3Counts{10, 500, 3}
	b := s3Counts{2, 100, 1}
	if got := a.sub(b).String(); got != "8/400/2" {
		t.Errorf("got %s", got)
	}
	if a.total() != 513 {
		t.Errorf("total %d", a.total())
	}
}

func TestVmHWM(t *testing.T) {
	tests := []struct {
		name, status string
		want         int64
	}{
		{"status", "Name:\tdutywatch\nVmPeak:\t  900000 kB\nVmHWM:\t  409600 kB\nVmRSS:\t  1 kB\n", 409600 * 1024},
		{"last line without newline", "VmHWM:\t12 kB", 12 * 1024},
		{"missing", "Name:\tx\nVmRSS:\t5 kB\n", 0},
		{"malformed", "VmHWM:\tlots kB\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := vmHWM([]byte(tt.status)); got != tt.want {
				t.Errorf("vmHWM = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "1KB", want: 1000},
		{in: "100MB", want: 100e6},
		{in: "1GiB", want: 1 << 30},
		{in: "1.5 KiB", want: 1536},
		{in: "512", want: 512},
		{in: "10B", want: 10},
		{in: "", bad: true},
		{in: "-1MB", bad: true},
		{in: "tenMB", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSize(tt.in)
			if tt.bad != (err != nil) || got != tt.want {
				t.Errorf("parseSize(%q) = %d, %v", tt.in, got, err)
			}
		})
	}
}

func TestMachineParsers(t *testing.T) {
	cpuinfo := "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz\nprocessor\t: 1\nmodel name\t: other\n"
	if got := cpuModel(cpuinfo); got != "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz" {
		t.Errorf("cpuModel = %q", got)
	}
	if got := memTotal("MemTotal:       24684000 kB\nMemFree: 1 kB\n"); got != 24684000*1024 {
		t.Errorf("memTotal = %d", got)
	}
}

func TestObjectSizer(t *testing.T) {
	s := objectSizer{overhead: 900, perRecord: 400}
	for size, want := range map[float64]int{100: 1, 1000: 1, 10e3: 23, 1e6: 2498} {
		if got := s.perObject(size); got != want {
			t.Errorf("perObject(%v) = %d, want %d", size, got, want)
		}
	}
}

func TestMetricCells(t *testing.T) {
	c := &corpus{sum: generator.Summary{Records: 1000, Bytes: 2e6}, decoded: 10e6, floor: time.Second}
	r := result{c: c, took: 4 * time.Second, rss: 300e6, requests: &s3Counts{1, 20, 0}}
	got := strings.Join(metricCells(r), " ")
	if want := "4.00 250 0.5 2.5 300 1/20/0 4.0x"; got != want {
		t.Errorf("cells %q, want %q", got, want)
	}
}

// TestWriteConfigLoads checks that every configuration the bench writes is
// one dutywatch accepts.
func TestWriteConfigLoads(t *testing.T) {
	dir := t.TempDir()
	firehose := &corpus{root: filepath.Join(dir, "corpus"), prefix: "firehose/", layout: generator.LayoutFirehose}
	native := &corpus{root: filepath.Join(dir, "corpus"), layout: generator.LayoutNative}
	srv := &s3Server{S3Server: &testenv.S3Server{AccessKey: "dutywatch-test", SecretKey: "dutywatch-test-secret-key", Region: "us-east-1"},
		Proxy: &countingProxy{URL: "http://127.0.0.1:9"}}
	tests := []struct {
		name string
		spec runSpec
		want func(config.Config) bool
	}{
		{"dir none", runSpec{c: firehose, mode: modeNone}, func(c config.Config) bool {
			return c.Sources[0].Type == config.TypeDir && c.Rules.Mode == config.RulesWazuh
		}},
		{"s3 alerts", runSpec{c: firehose, s3: srv, bucket: "sweep-3", mode: modeAlerts, workers: 8}, func(c config.Config) bool {
			s := c.Sources[0]
			return s.Type == config.TypeS3 && s.Bucket == "sweep-3" && s.Path == "firehose/" && c.Workers == 8 &&
				c.Rules.Mode == config.RulesDefault && !s.OnlyLogsAfter.IsZero()
		}},
		{"native extra rules", runSpec{c: native, s3: srv, bucket: "sweep-3", mode: modeAlerts, ruleFiles: []string{"/x/extra.xml"}}, func(c config.Config) bool {
			return c.Sources[0].Path == "" && c.Rules.Mode == config.RulesDefault && len(c.Rules.Files) == 1
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dutywatch.yaml")
			if err := os.WriteFile(path, []byte(writeConfig(tt.spec, dir, "/x/none.xml")), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, warnings, err := config.Load(path)
			if err != nil || len(warnings) > 0 {
				t.Fatalf("load: %v %v", err, warnings)
			}
			if !tt.want(cfg) {
				t.Errorf("unexpected config %+v", cfg)
			}
		})
	}
}

func TestTableDropBlank(t *testing.T) {
	tb := newTable("run", "S3", "seconds")
	tb.add("dir", "—", "1.00")
	tb.add("dir 2", "", "2.00")
	tb.dropBlank("S3")
	tb.dropBlank("missing")
	var b bytes.Buffer
	if err := tb.write(&b); err != nil {
		t.Fatal(err)
	}
	want := "| run   | seconds |\n| ----- | ------: |\n| dir   |    1.00 |\n| dir 2 |    2.00 |\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	tb = newTable("run", "S3")
	tb.add("s3", "1/2/0")
	if tb.dropBlank("S3"); len(tb.header) != 2 {
		t.Error("dropped a column with a value")
	}
}
