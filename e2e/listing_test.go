//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/internal/layout"
	"github.com/dutywatch/dutywatch/internal/testenv"
)

const (
	oldObjects = 100_000
	oldDays    = 14
	// putWorkers bounds the concurrent PutObject calls that fill the
	// bucket.
	putWorkers = 12
)

// oldKey is the i-th of the old objects, spread evenly over the hour
// folders of the oldDays days from first.
func oldKey(first time.Time, i int) string {
	hours := oldDays * 24
	t := first.Add(time.Duration(i%hours)*time.Hour + time.Duration(i/hours)*time.Second)
	return fmt.Sprintf("firehose/%s/gd-old-1-%s-%08x-0000-4000-8000-%012x",
		t.Format("2006/01/02/15"), t.Format("2006-01-02-15-04-05"), i, i)
}

// putOld fills bucket with the old objects, tiny and never read: as files
// in versitygw's posix data folder when it can be found (seconds;
// versitygw lists files without its metadata, giving them its default
// ETag), else with concurrent PutObject calls (over 2 minutes here).
func putOld(t *testing.T, srv *testenv.S3Server, bucket string, first time.Time) {
	t.Helper()
	if _, err := layout.Parse("firehose/", oldKey(first, oldObjects-1)); err != nil {
		t.Fatalf("old key %s: %v", oldKey(first, oldObjects-1), err)
	}
	body := gzipBytes(t, goodRecord())
	if data := versityDataDir(srv); data != "" {
		root := filepath.Join(data, bucket)
		if _, err := os.Stat(root); err != nil {
			t.Fatalf("versitygw data folder %s has no bucket %s: %v", data, bucket, err)
		}
		w := generator.DirWriter{Root: root}
		for i := range oldObjects {
			if err := w.Put(context.Background(), oldKey(first, i), body); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	t.Logf("versitygw's data folder not found; putting %d objects through S3 (slow)", oldObjects)
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(putWorkers)
	for i := range oldObjects {
		g.Go(func() error {
			_, err := srv.Client.PutObject(ctx, &awss3.PutObjectInput{
				Bucket: aws.String(bucket), Key: aws.String(oldKey(first, i)), Body: bytes.NewReader(body),
			})
			if err != nil {
				return fmt.Errorf("put %s: %w", oldKey(first, i), err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

// versityDataDir returns the posix data folder of the versitygw serving
// srv, read from the command line testenv started it with ("--port ADDR
// ... posix DIR"), or "" when it cannot be found (no /proc, say).
func versityDataDir(srv *testenv.S3Server) string {
	addr := strings.TrimPrefix(srv.Endpoint, "http://")
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return ""
	}
	for _, p := range procs {
		cmdline, err := os.ReadFile(filepath.Join("/proc", p.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte("versitygw")) {
			continue
		}
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		n := len(args)
		if n > 2 && args[n-2] == "posix" && slices.Contains(args, addr) && filepath.IsAbs(args[n-1]) {
			return args[n-1]
		}
	}
	return ""
}

// TestS3ListingCost fills a bucket with 100,000 old Firehose objects over
// two weeks of hour folders and counts, through a proxy, the S3 requests
// of a first poll that starts at the newest day (only_logs_after) and of
// a second poll after 5 new objects: neither may depend on the old
// objects.
func TestS3ListingCost(t *testing.T) {
	ctx := context.Background()
	srv := testenv.VersityGW(t)
	const bucket = "gd-listing"
	srv.CreateBucket(t, bucket)
	first := start
	newest := first.AddDate(0, 0, oldDays) // the newest day: no old object in it

	began := time.Now()
	putOld(t, srv, bucket, first)
	t.Logf("put %d old objects in %v", oldObjects, time.Since(began).Round(time.Millisecond))

	w := &generator.S3Writer{Client: srv.Client, Bucket: bucket}
	today := generator.DefaultConfig()
	today.Seed, today.Findings, today.PerObject, today.Updates = 21, 60, 10, 0
	today.Prefix, today.Stream, today.Start, today.Span = "firehose/", "gd-new", newest, 2*time.Hour
	sum1, err := generator.Generate(ctx, today, w)
	if err != nil {
		t.Fatal(err)
	}

	proxy := testenv.NewFaultProxy(t, srv.Endpoint, testenv.FaultConfig{})
	viaProxy := *srv
	viaProxy.Endpoint = proxy.URL
	dir := t.TempDir()
	y := s3Config(&viaProxy, dir, bucket, true, "firehose/")
	y = replaceOnce(t, y, "only_logs_after: "+start.Format("2006-01-02"), "only_logs_after: "+newest.Format("2006-01-02"))
	cfg := writeConfig(t, dir, y)
	archive := filepath.Join(dir, "archives.json")

	poll := func(name string, wantGets, wantEvents int) {
		t.Helper()
		before := proxy.Counts()
		began := time.Now()
		runOnce(t, cfg)
		took := time.Since(began)
		c := proxy.Counts().Sub(before)
		t.Logf("%s: %d ListObjectsV2, %d GetObject, %d other requests in %v",
			name, c.Requests[testenv.OpList], c.Requests[testenv.OpGet], c.Requests[testenv.OpOther], took.Round(time.Millisecond))
		if n := len(readArchive(t, archive)); n != wantEvents {
			t.Fatalf("%s: archives.json has %d events; want %d", name, n, wantEvents)
		}
		if c.Requests[testenv.OpGet] != wantGets {
			t.Errorf("%s: %d gets; want %d, one per new object", name, c.Requests[testenv.OpGet], wantGets)
		}
		if c.Requests[testenv.OpList] > 5 {
			t.Errorf("%s: %d list calls; want at most 5, whatever the %d old objects", name, c.Requests[testenv.OpList], oldObjects)
		}
	}
	// For contrast, and to prove versitygw lists every old object: a
	// listing of the whole history.
	began = time.Now()
	keys, calls := listThrough(t, srv, proxy, bucket, "firehose/")
	t.Logf("full listing for contrast: %d keys in %d ListObjectsV2 calls, %v", keys, calls, time.Since(began).Round(time.Millisecond))
	if keys != oldObjects+sum1.Objects {
		t.Fatalf("the bucket lists %d keys; want %d old and %d new", keys, oldObjects, sum1.Objects)
	}

	poll("first poll (only_logs_after = newest day)", sum1.Objects, sum1.Events)

	more := today
	more.Seed, more.Findings, more.PerObject, more.Stream, more.Start, more.Span = 22, 5, 1, "gd-more", newest.Add(3*time.Hour), time.Hour
	sum2, err := generator.Generate(ctx, more, w)
	if err != nil {
		t.Fatal(err)
	}
	if sum2.Objects != 5 {
		t.Fatalf("generated %d new objects; want 5", sum2.Objects)
	}
	poll("second poll (5 new objects)", 5, sum1.Events+sum2.Events)
}

// listThrough lists every key under prefix through proxy and returns the
// number of keys and of ListObjectsV2 calls.
func listThrough(t *testing.T, srv *testenv.S3Server, proxy *testenv.FaultProxy, bucket, prefix string) (keys, calls int) {
	t.Helper()
	before := proxy.Counts()
	pages := awss3.NewListObjectsV2Paginator(srv.Client, &awss3.ListObjectsV2Input{
		Bucket: aws.String(bucket), Prefix: aws.String(prefix),
	})
	toProxy := func(o *awss3.Options) { o.BaseEndpoint = aws.String(proxy.URL) }
	for pages.HasMorePages() {
		out, err := pages.NextPage(context.Background(), toProxy)
		if err != nil {
			t.Fatal(err)
		}
		keys += len(out.Contents)
	}
	return keys, proxy.Counts().Sub(before).Requests[testenv.OpList]
}

func replaceOnce(t *testing.T, s, old, repl string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("config lacks %q", old)
	}
	return strings.Replace(s, old, repl, 1)
}
