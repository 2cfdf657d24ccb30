//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/internal/layout"
	"github.com/dutywatch/dutywatch/internal/testenv"
)

var start = time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)

func s3Config(srv *testenv.S3Server, dir, bucket string, skip bool, paths ...string) string {
	y := fmt.Sprintf("state: %s\noutput:\n  archives_path: %s\n  alerts_path: %s\nsources:\n",
		filepath.Join(dir, "state.db"), filepath.Join(dir, "archives.json"), filepath.Join(dir, "alerts.json"))
	for _, p := range paths {
		y += fmt.Sprintf(`  - name: %s-%s
    type: s3
    bucket: %s
    path: %s
    only_logs_after: %s
    service_endpoint: %s
    access_key: %s
    secret_key: %s
    region: %s
    skip_on_error: %v
`, bucket, p[:len(p)-1], bucket, p, start.Format("2006-01-02"), srv.Endpoint, srv.AccessKey, srv.SecretKey, srv.Region, skip)
	}
	return y
}

// TestS3EveryFormatExactlyOnce is acceptance 3 of the spine: every
// Firehose compression, with and without newlines, and native objects for
// two accounts and two regions, read through a real S3-compatible server.
func TestS3EveryFormatExactlyOnce(t *testing.T) {
	ctx := context.Background()
	srv := testenv.VersityGW(t)
	srv.CreateBucket(t, "gd-findings")
	w := &generator.S3Writer{Client: srv.Client, Bucket: "gd-findings"}
	sets := []generator.Config{}
	for i, c := range []string{"gzip", "zip", "snappy", "hadoop-snappy", "none"} {
		for _, nl := range []bool{false, true} {
			g := generator.DefaultConfig()
			g.Seed, g.Findings, g.PerObject, g.Compression, g.Newlines = int64(10*i+len(sets)), 120, 15, c, nl
			g.Prefix, g.Stream, g.Span = "firehose/", fmt.Sprintf("gd-%s-%v", c, nl), 20*time.Hour
			sets = append(sets, g)
		}
	}
	native := generator.DefaultConfig()
	native.Seed, native.Findings, native.PerObject, native.Layout, native.Prefix = 99, 300, 5, "native", "native/"
	native.Accounts, native.Regions = []string{"111122223333", "444455556666"}, []string{"us-east-1", "eu-west-1"}
	sets = append(sets, native)

	wantEvents := 0
	var firehoseKeys []string
	accountRegions := map[string]bool{}
	for _, g := range sets {
		sum, err := generator.Generate(ctx, g, w)
		if err != nil {
			t.Fatal(err)
		}
		wantEvents += sum.Events
		for _, k := range sum.Keys {
			info, err := layout.Parse(g.Prefix, k)
			if err != nil {
				t.Fatalf("generated key %s: %v", k, err)
			}
			if info.Kind == layout.Firehose {
				firehoseKeys = append(firehoseKeys, k)
			} else {
				accountRegions[info.Account+"/"+info.Region] = true
			}
		}
	}
	if len(accountRegions) != 4 {
		t.Fatalf("native objects cover %v; want 2 accounts x 2 regions", accountRegions)
	}

	dir := t.TempDir()
	cfg := writeConfig(t, dir, s3Config(srv, dir, "gd-findings", true, "firehose/", "native/"))
	archive := filepath.Join(dir, "archives.json")
	runOnce(t, cfg)
	lines := readArchive(t, archive)
	if len(lines) != wantEvents {
		t.Fatalf("archives.json has %d events; want %d", len(lines), wantEvents)
	}
	// Every finding version once: port probes once per detail, so count
	// (finding id, updatedAt, object) triples against the generator's events.
	objects := map[string]bool{}
	for _, l := range lines {
		objects[l.Data.AWS.LogInfo.LogFile] = true
		if l.Data.AWS.LogInfo.S3Bucket != "gd-findings" || l.Data.AWS.ID == "" {
			t.Fatalf("event without bucket or finding id: %+v", l)
		}
	}

	runOnce(t, cfg)
	if again := readArchive(t, archive); len(again) != wantEvents {
		t.Fatalf("a second run changed archives.json from %d to %d events", wantEvents, len(again))
	}

	// A Firehose object that lands late, behind the cursor: inside the
	// 2h look-back it is read; 5h behind it is not (documented).
	slices.Sort(firehoseKeys)
	last, _ := layout.Parse("firehose/", firehoseKeys[len(firehoseKeys)-1])
	late := generator.DefaultConfig()
	late.Seed, late.Findings, late.PerObject, late.Prefix, late.Stream, late.Span = 500, 4, 4, "firehose/", "late", time.Minute
	late.Start = last.Folder.Add(-time.Hour)
	lateSum, err := generator.Generate(ctx, late, w)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Max(lateSum.Keys) >= firehoseKeys[len(firehoseKeys)-1] {
		t.Fatalf("late key %s does not sort behind the cursor %s", slices.Max(lateSum.Keys), firehoseKeys[len(firehoseKeys)-1])
	}
	tooLate := late
	tooLate.Seed, tooLate.Stream, tooLate.Start = 501, "toolate", last.Folder.Add(-5*time.Hour)
	if _, err := generator.Generate(ctx, tooLate, w); err != nil {
		t.Fatal(err)
	}
	runOnce(t, cfg)
	after := readArchive(t, archive)
	if len(after) != wantEvents+lateSum.Events {
		t.Fatalf("after the late object archives.json has %d events; want %d + %d", len(after), wantEvents, lateSum.Events)
	}
	for _, l := range after[wantEvents:] {
		if !slices.Contains(lateSum.Keys, l.Data.AWS.LogInfo.LogFile) {
			t.Errorf("unexpected new event from %s", l.Data.AWS.LogInfo.LogFile)
		}
	}
	t.Logf("%d events from %d objects, then %d from the late object", wantEvents, len(objects), lateSum.Events)
}
