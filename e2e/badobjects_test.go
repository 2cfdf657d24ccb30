//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/finding"
	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/internal/testenv"
)

// TestS3BadObjects is acceptance 4 of the spine: a truncated gzip and a
// JSON error mid-object each give an error naming key and offset, the other
// objects are processed, and without skip_on_error nothing at or after the
// bad object is marked done.
func TestS3BadObjects(t *testing.T) {
	ctx := context.Background()
	srv := testenv.VersityGW(t)
	for _, b := range []string{"skip-yes", "skip-no"} {
		srv.CreateBucket(t, b)
		w := &generator.S3Writer{Client: srv.Client, Bucket: b}
		g := generator.DefaultConfig()
		g.Findings, g.PerObject, g.Updates, g.Prefix, g.Span = 40, 10, 0, "firehose/", 3*time.Hour
		if _, err := generator.Generate(ctx, g, w); err != nil {
			t.Fatal(err)
		}
		// Two bad objects between the good ones, in hour 01 of the span.
		good := goodRecord()
		var gz bytes.Buffer
		for range 40 {
			gz.Write(good)
		}
		truncated := gzipBytes(t, gz.Bytes())
		truncated = truncated[:len(truncated)*2/3]
		badJSON := append(append(append([]byte{}, good...), []byte(`{"version":"0","detail-type":"GuardDuty Finding","detail":{"id":"x","type":tru}}`)...), good...)
		srv.Put(t, b, "firehose/2025/01/15/01/gd-1-2025-01-15-01-30-00-aaaaaaaa-0000-0000-0000-000000000001.gz", truncated)
		srv.Put(t, b, "firehose/2025/01/15/01/gd-1-2025-01-15-01-40-00-aaaaaaaa-0000-0000-0000-000000000002", badJSON)
	}

	t.Run("skip_on_error yes", func(t *testing.T) {
		dir := t.TempDir()
		cfg := writeConfig(t, dir, s3Config(srv, dir, "skip-yes", true, "firehose/"))
		out, err := run(cfg)
		if err != nil {
			t.Fatalf("run: %v\n%s", err, out)
		}
		for _, want := range []string{
			`s3://skip-yes/firehose/2025/01/15/01/gd-1-2025-01-15-01-30-00-aaaaaaaa-0000-0000-0000-000000000001.gz: byte \d+: .*unexpected EOF`,
			`s3://skip-yes/firehose/2025/01/15/01/gd-1-2025-01-15-01-40-00-aaaaaaaa-0000-0000-0000-000000000002: byte \d+: `,
		} {
			if !regexp.MustCompile(want).MatchString(out) {
				t.Errorf("output lacks %s:\n%s", want, out)
			}
		}
		lines := readArchive(t, filepath.Join(dir, "archives.json"))
		byFile := map[string]int{}
		for _, l := range lines {
			byFile[l.Data.AWS.LogInfo.LogFile]++
		}
		if n, per := byFile["firehose/2025/01/15/01/gd-1-2025-01-15-01-40-00-aaaaaaaa-0000-0000-0000-000000000002"], eventsOf(t, goodRecord()); n != 2*per {
			t.Errorf("the bad-JSON object gave %d events; want the %d of the 2 good records around the bad one", n, 2*per)
		}
		if len(byFile) < 5 {
			t.Errorf("only %d objects have events; the good objects must all be processed", len(byFile))
		}
	})

	t.Run("skip_on_error no", func(t *testing.T) {
		dir := t.TempDir()
		cfg := writeConfig(t, dir, s3Config(srv, dir, "skip-no", false, "firehose/"))
		out, err := run(cfg)
		if err == nil || !strings.Contains(out, "000000000001.gz: byte ") {
			t.Fatalf("run succeeded or did not name the bad object: %v\n%s", err, out)
		}
		for _, l := range readArchive(t, filepath.Join(dir, "archives.json")) {
			if f := l.Data.AWS.LogInfo.LogFile; f >= "firehose/2025/01/15/01/gd-1-2025-01-15-01-30" {
				t.Errorf("event from %s, at or after the bad object", f)
			}
		}
	})
}

func run(config string) (string, error) {
	out, err := exec.Command(binary, "run", "--once", "--config", config, "--log-level", "warn").CombinedOutput()
	return string(out), err
}

func goodRecord() []byte {
	return generator.Envelope(generator.Finding(7, 1), "ev-1", "111122223333", "us-east-1", start)
}

func eventsOf(t *testing.T, record []byte) int {
	t.Helper()
	r, err := finding.Parse(record)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := r.Finding.WazuhEvents(finding.LogInfo{}, func([]byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}
