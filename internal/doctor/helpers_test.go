package doctor

import (
	"bytes"
	"compress/gzip"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/generator"
)

var update = flag.Bool("update", false, "rewrite the sample outputs in testdata/")

// row is an expected row of a report: its name and result exactly, and
// substrings of its detail and fix.
type row struct {
	name   string
	result Result
	detail []string
	fix    []string
}

// checkRows compares a report with the rows expected, in order.
func checkRows(t *testing.T, r Report, want []row) {
	t.Helper()
	var text bytes.Buffer
	WriteText(&text, []Report{r})
	if len(r.Checks) != len(want) {
		t.Fatalf("%d rows, want %d:\n%s", len(r.Checks), len(want), text.String())
	}
	for i, w := range want {
		c := r.Checks[i]
		if c.Name != w.name || c.Result != w.result {
			t.Errorf("row %d = %s %s, want %s %s", i, c.Name, c.Result, w.name, w.result)
		}
		for _, s := range w.detail {
			if !strings.Contains(c.Detail, s) {
				t.Errorf("row %s: detail %q lacks %q", c.Name, c.Detail, s)
			}
		}
		for _, s := range w.fix {
			if !strings.Contains(c.Fix, s) {
				t.Errorf("row %s: fix %q lacks %q", c.Name, c.Fix, s)
			}
		}
		if (c.Result == Fail) && c.Fix == "" {
			t.Errorf("row %s failed without a fix: %s", c.Name, c.Detail)
		}
	}
	if t.Failed() || os.Getenv("DOCTOR_SHOW") != "" {
		t.Logf("report:\n%s", text.String())
	}
}

var loopbackPort = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)

// writeSample writes the text output of reports to testdata/name when
// the test runs with -update, with loopback ports masked. Samples are for
// the README; they hold dates of the run and are not compared.
func writeSample(t *testing.T, name string, reports []Report) {
	t.Helper()
	if !*update || len(reports) == 0 {
		return
	}
	var b bytes.Buffer
	if err := WriteText(&b, reports); err != nil {
		t.Fatal(err)
	}
	out := loopbackPort.ReplaceAll(b.Bytes(), []byte("127.0.0.1:PORT"))
	if err := os.WriteFile(filepath.Join("testdata", name), out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// recent is a generator config for findings of the last day and a half
// under prefix, so the objects check finds them fresh.
func recent(layout, prefix string) generator.Config {
	c := generator.DefaultConfig()
	c.Findings, c.PerObject, c.Layout, c.Prefix = 40, 10, layout, prefix
	c.Start = time.Now().UTC().Add(-36 * time.Hour).Truncate(time.Hour)
	c.Updates = 0
	return c
}

// firehoseKey names a Firehose object written at at, under prefix.
func firehoseKey(prefix string, at time.Time) string {
	at = at.UTC()
	return prefix + at.Format("2006/01/02/15/") + "guardduty-to-s3-1-" + at.Format("2006-01-02-15-04-05") +
		"-0f2a3b4c-1d2e-4f50-8a6b-7c8d9e0f1a2b.gz"
}

// findingsGzip returns n Firehose records of generated findings, gzipped.
func findingsGzip(t *testing.T, n int) []byte {
	t.Helper()
	var raw bytes.Buffer
	for i := range n {
		f := generator.Finding(7, i)
		raw.Write(generator.Envelope(f, "5f1e2d3c-0000-4000-8000-00000000000"+string(rune('0'+i%10)), stubAccount, "us-east-1", time.Now()))
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(raw.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return z.Bytes()
}
