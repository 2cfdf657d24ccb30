//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/internal/pipeline"
	s3source "github.com/dutywatch/dutywatch/internal/source/s3"
	"github.com/dutywatch/dutywatch/internal/store"
	"github.com/dutywatch/dutywatch/internal/testenv"
)

const (
	faultRate = 0.2
	// maxRuns bounds the polls a corpus may take to heal: objects that
	// fail in one poll are retried in the next.
	maxRuns = 10
)

// faultCorpus fills bucket with 3,000 Firehose findings (gzip, 30 records
// per object, updates included) and a native part in two accounts and two
// regions, and returns the number of events they hold.
func faultCorpus(t *testing.T, srv *testenv.S3Server, bucket string) int {
	t.Helper()
	ctx := context.Background()
	srv.CreateBucket(t, bucket)
	w := &generator.S3Writer{Client: srv.Client, Bucket: bucket}
	fh := generator.DefaultConfig()
	fh.Seed, fh.Findings, fh.PerObject, fh.Prefix, fh.Span = 7, 3000, 30, "firehose/", 20*time.Hour
	native := generator.DefaultConfig()
	native.Seed, native.Findings, native.PerObject, native.Layout, native.Prefix = 8, 600, 30, "native", "native/"
	events, objects := 0, 0
	for _, g := range []generator.Config{fh, native} {
		sum, err := generator.Generate(ctx, g, w)
		if err != nil {
			t.Fatal(err)
		}
		events += sum.Events
		objects += sum.Objects
	}
	t.Logf("corpus: %d objects, %d events", objects, events)
	return events
}

// checkFaults fails t unless the proxy injected faults of every kind.
func checkFaults(t *testing.T, c testenv.ProxyCounts) {
	t.Helper()
	for _, k := range testenv.AllFaults() {
		if c.Faults[k] == 0 {
			t.Errorf("no %v fault was injected (%v)", k, c)
		}
	}
}

var (
	failedRE = regexp.MustCompile(`objects done, (\d+) failed`)
	errorRE  = regexp.MustCompile(`(?m)^dutywatch: .*$`)
)

// runResult is what one run of the binary reported.
type runResult struct {
	err error
	// failed is the number of objects its sources reported failed;
	// sources how many reported at all.
	failed, sources int
	// message is the binary's closing error line, if any.
	message string
}

func (r runResult) clean() bool { return r.err == nil && r.failed == 0 && r.sources == 2 }

func (r runResult) String() string {
	s := fmt.Sprintf("exit %v, %d objects failed, %d of 2 sources polled", r.err, r.failed, r.sources)
	if r.message != "" {
		const max = 240
		s += "; " + r.message[:min(len(r.message), max)]
	}
	return s
}

// runStats runs the binary once and reads its stats lines.
func runStats(cfg string) runResult {
	out, err := run(cfg)
	r := runResult{err: err, message: errorRE.FindString(out)}
	for _, m := range failedRE.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		r.failed += n
		r.sources++
	}
	return r
}

// TestS3FaultsHeal runs the binary against versitygw behind a proxy that
// fails 20% of GetObject and ListObjectsV2 requests (503 SlowDown, delays,
// resets mid-response, truncated bodies), running again until a run
// reports nothing failed, and checks every event is archived exactly once.
// Then new objects meet an outage (every get cut short, more than the
// in-poll retries absorb): they fail, are recorded, and are read by the
// next runs once the faults are back to 20%.
//
// The binary's S3 request timeout is fixed (2m, no config key) and the SDK
// sets no read timeout for S3, so the delays here (1s) are slow answers,
// not timeouts; TestS3FaultsHealTimeout covers delays past the timeout.
// A list call whose body is cut (truncated) is retried neither by the SDK
// nor within the poll: the run ends with an error and the next one lists
// again, so at 20% a run comes through whole about 60% of the time.
func TestS3FaultsHeal(t *testing.T) {
	srv := testenv.VersityGW(t)
	want := faultCorpus(t, srv, "gd-faults")
	dir := t.TempDir()
	archive := filepath.Join(dir, "archives.json")
	config := func(endpoint string) string {
		viaProxy := *srv
		viaProxy.Endpoint = endpoint
		return writeConfig(t, dir, s3Config(&viaProxy, dir, "gd-faults", true, "firehose/", "native/"))
	}
	proxy := testenv.NewFaultProxy(t, srv.Endpoint, testenv.FaultConfig{
		Seed: 1, GetRate: faultRate, ListRate: faultRate, Delay: time.Second,
	})
	heal := func(stage string) {
		t.Helper()
		cfg := config(proxy.URL)
		for n := 1; n <= maxRuns; n++ {
			r := runStats(cfg)
			t.Logf("%s: run %d at %.0f%% faults: %v; proxy so far: %v", stage, n, 100*faultRate, r, proxy.Counts())
			if r.clean() {
				return
			}
		}
		t.Fatalf("%s: still failing after %d runs", stage, maxRuns)
	}

	heal("corpus")
	if lines := readArchive(t, archive); len(lines) != want {
		t.Fatalf("archives.json has %d events; want %d", len(lines), want)
	}
	c := proxy.Counts()
	checkFaults(t, c)
	if c.Abandoned != 0 {
		t.Errorf("%d delayed requests abandoned; the 1s delays should stay within the 2m timeout", c.Abandoned)
	}

	// An outage: every get of the new objects is cut short.
	late := generator.DefaultConfig()
	late.Seed, late.Findings, late.PerObject, late.Updates = 9, 200, 20, 0
	late.Prefix, late.Stream, late.Start, late.Span = "firehose/", "gd-late", start.Add(21*time.Hour), time.Hour
	sum, err := generator.Generate(context.Background(), late, &generator.S3Writer{Client: srv.Client, Bucket: "gd-faults"})
	if err != nil {
		t.Fatal(err)
	}
	outage := testenv.NewFaultProxy(t, srv.Endpoint, testenv.FaultConfig{
		Seed: 3, GetRate: 1, Kinds: []testenv.FaultKind{testenv.FaultTruncate},
	})
	r := runStats(config(outage.URL))
	t.Logf("outage: %v; proxy: %v", r, outage.Counts())
	if r.failed != sum.Objects {
		t.Fatalf("%d objects failed in the outage; want the %d new ones", r.failed, sum.Objects)
	}
	if lines := readArchive(t, archive); len(lines) != want {
		t.Fatalf("the outage changed archives.json from %d to %d events", want, len(lines))
	}
	heal("after the outage")
	want += sum.Events
	if lines := readArchive(t, archive); len(lines) != want {
		t.Fatalf("archives.json has %d events; want %d", len(lines), want)
	}
	t.Logf("%d events exactly once; proxy: %v", want, proxy.Counts())
}

// TestS3FaultsHealTimeout is TestS3FaultsHeal in process, with the S3
// source's request timeout (which the binary does not expose) cut to 2s
// and delays of 4s, so that a delayed GetObject or ListObjectsV2 runs past
// the timeout and is abandoned: a timed-out get is retried as transient,
// a timed-out list ends the poll with an error and the next poll lists
// again. Lists meet 5% faults, not 20%: a list call that times out or
// whose body is cut is not retried within the poll, and with ten list
// calls a poll at 20% would come through whole only one time in three.
func TestS3FaultsHealTimeout(t *testing.T) {
	ctx := context.Background()
	srv := testenv.VersityGW(t)
	want := faultCorpus(t, srv, "gd-timeouts")
	proxy := testenv.NewFaultProxy(t, srv.Endpoint, testenv.FaultConfig{
		Seed: 2, GetRate: faultRate, ListRate: 0.05, Delay: 4 * time.Second,
	})
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	client, err := s3source.NewClient(ctx, s3source.ClientConfig{
		Region: srv.Region, Endpoint: proxy.URL, ForcePathStyle: true,
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, MaxAttempts: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	var sources []*s3source.Source
	for _, path := range []string{"firehose/", "native/"} {
		c := s3source.DefaultConfig()
		c.Name, c.Bucket, c.Path, c.OnlyLogsAfter = "gd-"+strings.TrimSuffix(path, "/"), "gd-timeouts", path, start
		c.RequestTimeout = 2 * time.Second
		src, err := s3source.New(c, client, st, log)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, src)
	}
	archive := filepath.Join(dir, "archives.json")
	pcfg := pipeline.DefaultConfig()
	pcfg.SpoolDir = dir

	healed := 0
	for n := 1; n <= maxRuns && healed == 0; n++ {
		archives, err := pipeline.OpenArchive(ctx, st, archive)
		if err != nil {
			t.Fatal(err)
		}
		p := pipeline.New(pcfg, st, archives, nil, log, nil)
		clean := true
		for _, src := range sources {
			stats, err := p.Poll(ctx, src, pipeline.SourceOptions{SkipOnError: true})
			t.Logf("poll %d of %s: %d done, %d failed, err %v", n, src.Name(), stats.Done, stats.Failed, err)
			clean = clean && err == nil && stats.Failed == 0
		}
		if err := archives.Close(); err != nil {
			t.Fatal(err)
		}
		if clean {
			healed = n
		}
	}
	if healed == 0 {
		t.Fatalf("still failing after %d polls", maxRuns)
	}
	lines := readArchive(t, archive)
	if len(lines) != want {
		t.Fatalf("archives.json has %d events; want %d", len(lines), want)
	}
	c := proxy.Counts()
	checkFaults(t, c)
	if c.Abandoned == 0 {
		t.Errorf("no delayed request ran past the 2s timeout: %v", c)
	}
	t.Logf("healed after %d polls: %d events exactly once; %v", healed, want, c)
}
