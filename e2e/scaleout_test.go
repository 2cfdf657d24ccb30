//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/internal/pipeline"
	"github.com/dutywatch/dutywatch/internal/store"
	"github.com/dutywatch/dutywatch/internal/testenv"
)

// scaleOut is a queue of S3 notifications for a bucket of generated
// findings, and a shared PostgreSQL state: what several instances share.
type scaleOut struct {
	s3    *testenv.S3Server
	sqs   *testenv.SQSServer
	dsn   string
	queue string
	dlq   string
	sum   generator.Summary
}

const scaleBucket = "gd-scale"

// newScaleOut writes findings objects (1,000 for 8,284 findings) to the
// bucket and sends one notification per object, in turn as S3 sends it,
// through SNS and through EventBridge.
func newScaleOut(t *testing.T, findings int) *scaleOut {
	t.Helper()
	so := &scaleOut{s3: testenv.VersityGW(t), sqs: testenv.FauxQS(t), dsn: testenv.Postgres(t)}
	so.s3.CreateBucket(t, scaleBucket)
	so.queue, so.dlq = so.sqs.CreateQueueWithDLQ(t, "gd-objects", 5)
	g := generator.DefaultConfig()
	g.Findings, g.PerObject, g.Prefix, g.Start = findings, 10, "firehose/", start
	w := &notifyingWriter{t: t, so: so, s3: generator.S3Writer{Client: so.s3.Client, Bucket: scaleBucket}}
	sum, err := generator.Generate(context.Background(), g, w)
	if err != nil {
		t.Fatal(err)
	}
	so.sum = sum
	return so
}

// notifyingWriter puts each object and then notifies the queue of it.
type notifyingWriter struct {
	t  *testing.T
	so *scaleOut
	s3 generator.S3Writer
	n  int
}

func (w *notifyingWriter) Put(ctx context.Context, key string, body []byte) error {
	if err := w.s3.Put(ctx, key, body); err != nil {
		return err
	}
	w.so.sqs.Send(w.t, w.so.queue, notification(w.n%3, scaleBucket, key, len(body)))
	w.n++
	return nil
}

// notification is an ObjectCreated message in one of the three shapes a
// queue receives: S3's own (key URL-encoded), S3 through SNS, EventBridge.
func notification(shape int, bucket, key string, size int) string {
	s3Event := fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2024-05-01T13:00:00.000Z","eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0","bucket":{"name":%q,"arn":"arn:aws:s3:::%s"},"object":{"key":%q,"size":%d,"sequencer":"0A1B2C3D4E5F678901"}}}]}`,
		bucket, bucket, strings.ReplaceAll(url.PathEscape(key), "%2F", "/"), size)
	switch shape {
	case 1:
		msg, _ := json.Marshal(s3Event)
		return fmt.Sprintf(`{"Type":"Notification","MessageId":"m-%d","TopicArn":"arn:aws:sns:us-east-1:111122223333:gd-objects","Subject":"Amazon S3 Notification","Message":%s,"Timestamp":"2024-05-01T13:00:00.000Z"}`, size, msg)
	case 2:
		return fmt.Sprintf(`{"version":"0","id":"e-%d","detail-type":"Object Created","source":"aws.s3","account":"111122223333","time":"2024-05-01T13:00:00Z","region":"us-east-1","resources":["arn:aws:s3:::%s"],"detail":{"version":"0","bucket":{"name":%q},"object":{"key":%q,"size":%d,"etag":"x"},"reason":"PutObject"}}`,
			size, bucket, bucket, key, size)
	}
	return s3Event
}

// instance is one dutywatch process of the scale-out.
type instance struct {
	name, dir, config string
	cmd               *exec.Cmd
	exited            chan error
}

func (so *scaleOut) startInstance(t *testing.T, name string) *instance {
	t.Helper()
	dir := t.TempDir()
	in := &instance{name: name, dir: dir, exited: make(chan error, 1)}
	// No retention: the corpus's findings are older than the default 90
	// days, and each instance's start would prune those another instance
	// had already committed.
	in.config = writeConfig(t, dir, fmt.Sprintf(`instance: %s
state: %s
retention: 0s
workers: 2
output:
  archives_path: %s
  alerts_path: %s
sources:
  - name: gd-queue
    type: sqs
    queue_url: %s
    sqs_endpoint: %s
    wait_time: 1s
    visibility_timeout: 10s
    bucket: %s
    path: firehose/
    service_endpoint: %s
    access_key: %s
    secret_key: %s
    region: %s
`, name, so.dsn, filepath.Join(dir, "archives.json"), filepath.Join(dir, "alerts.json"),
		so.queue, so.sqs.Endpoint, scaleBucket, so.s3.Endpoint, so.s3.AccessKey, so.s3.SecretKey, so.s3.Region))
	in.cmd = exec.Command(binary, "run", "--config", in.config, "--log-level", "warn")
	logFile, err := os.Create(filepath.Join(dir, "dutywatch.log"))
	if err != nil {
		t.Fatal(err)
	}
	in.cmd.Stdout, in.cmd.Stderr = logFile, logFile
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { in.exited <- in.cmd.Wait(); logFile.Close() }()
	t.Cleanup(func() {
		in.cmd.Process.Kill()
		<-in.exited
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(dir, "dutywatch.log")); err == nil && len(b) > 0 {
				t.Logf("log of %s:\n%s", name, tail(b, 4000))
			}
		}
	})
	return in
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// stop ends the instance with SIGTERM, as systemd would, and waits.
func (in *instance) stop(t *testing.T) {
	t.Helper()
	in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-in.exited:
		if err != nil {
			t.Errorf("instance %s ended with %v after SIGTERM", in.name, err)
		}
		in.exited <- err // for the cleanup's wait
	case <-time.After(time.Minute):
		t.Errorf("instance %s did not stop within a minute of SIGTERM", in.name)
	}
}

// waitDone waits until the shared state holds want objects done.
func waitDone(t *testing.T, st *store.Store, want int64, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		c, err := st.Count(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if c.Done >= want {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			t.Fatalf("after %v the state holds %d objects done (%d failed); want %d", timeout, c.Done, c.Failed, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// committedLines reads path up to the offset the shared state committed
// for the instance's sink: what the instance delivered, exactly.
func committedLines(t *testing.T, st *store.Store, instance, sink, path string) [][]byte {
	t.Helper()
	off, err := st.SinkOffset(context.Background(), pipeline.SinkName(instance, sink))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if os.IsNotExist(err) && off == 0 {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, off))
	sc.Buffer(nil, 64<<20)
	var lines [][]byte
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestScaleOutThreeInstancesSQS is acceptance 1 of the scale-out issue:
// three instances share one queue and one PostgreSQL state; one is killed
// midway; the others finish its objects; every event and alert is
// committed exactly once across the three.
func TestScaleOutThreeInstancesSQS(t *testing.T) {
	so := newScaleOut(t, 8284)
	if so.sum.Objects != 1000 {
		t.Fatalf("the corpus has %d objects; want 1000", so.sum.Objects)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, so.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	names := []string{"dw-a", "dw-b", "dw-c"}
	var instances []*instance
	for _, n := range names {
		instances = append(instances, so.startInstance(t, n))
	}
	waitDone(t, st, 250, 5*time.Minute)
	killed := instances[0]
	killed.cmd.Process.Signal(syscall.SIGKILL)
	<-killed.exited
	killed.exited <- nil
	killedAt, _ := st.Count(ctx, "")
	t.Logf("killed %s with %d objects done", killed.name, killedAt.Done)

	took := waitDone(t, st, 1000, 5*time.Minute)
	// Let the queue settle: every message deleted once its object is done.
	deadline := time.Now().Add(time.Minute)
	for {
		visible, inFlight := so.sqs.Counts(t, so.queue)
		if visible == 0 && inFlight == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the queue still holds %d visible and %d in-flight messages", visible, inFlight)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, in := range instances[1:] {
		in.stop(t)
	}
	if visible, inFlight := so.sqs.Counts(t, so.dlq); visible+inFlight != 0 {
		t.Errorf("%d messages went to the dead-letter queue", visible+inFlight)
	}

	events := map[string]string{}
	alerts := map[string]string{}
	for _, in := range instances {
		for _, line := range committedLines(t, st, in.name, pipeline.ArchiveSink, filepath.Join(in.dir, "archives.json")) {
			var l archiveLine
			if err := json.Unmarshal(line, &l); err != nil {
				t.Fatalf("%s archive: %v", in.name, err)
			}
			if other, dup := events[l.ID]; dup {
				t.Fatalf("event %s committed by %s and %s", l.ID, other, in.name)
			}
			events[l.ID] = in.name
		}
		for _, line := range committedLines(t, st, in.name, pipeline.AlertSink, filepath.Join(in.dir, "alerts.json")) {
			var a struct{ ID string }
			if err := json.Unmarshal(line, &a); err != nil {
				t.Fatalf("%s alerts: %v", in.name, err)
			}
			if other, dup := alerts[a.ID]; dup {
				t.Fatalf("alert %s committed by %s and %s", a.ID, other, in.name)
			}
			alerts[a.ID] = in.name
		}
	}
	if len(events) != so.sum.Events {
		t.Errorf("%d events committed across the instances; want exactly %d", len(events), so.sum.Events)
	}
	c, err := st.Count(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Done != 1000 || c.Events != int64(so.sum.Events) {
		t.Errorf("state: %d objects, %d events; want 1000 and %d", c.Done, c.Events, so.sum.Events)
	}
	page, err := st.Alerts(ctx, store.AlertFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != int64(len(alerts)) || len(alerts) == 0 {
		t.Errorf("the store holds %d alerts; the instances' alert files %d", page.Total, len(alerts))
	}
	per := map[string]int{}
	for _, who := range events {
		per[who]++
	}
	t.Logf("1000 objects, %d events, %d alerts exactly once; by instance %v; all done %v after the kill", len(events), len(alerts), per, took.Round(time.Millisecond))
}

// TestScaleOutThroughput measures how long one and three instances take
// to drain the same queue (set DUTYWATCH_SCALE_BENCH=1; it is not part of
// CI: it measures, it does not check).
func TestScaleOutThroughput(t *testing.T) {
	if os.Getenv("DUTYWATCH_SCALE_BENCH") == "" {
		t.Skip("set DUTYWATCH_SCALE_BENCH=1 to measure")
	}
	for _, n := range []int{1, 3} {
		t.Run(fmt.Sprintf("instances=%d", n), func(t *testing.T) {
			so := newScaleOut(t, 8284*2)
			st, err := store.Open(context.Background(), so.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			begin := time.Now()
			var instances []*instance
			for i := range n {
				instances = append(instances, so.startInstance(t, fmt.Sprintf("dw-%d", i)))
			}
			waitDone(t, st, int64(so.sum.Objects), 10*time.Minute)
			took := time.Since(begin)
			for _, in := range instances {
				in.stop(t)
			}
			t.Logf("%d instances: %d objects, %d findings, %d events in %v: %.0f findings/s, %.0f events/s",
				n, so.sum.Objects, so.sum.Records-so.sum.Skipped, so.sum.Events, took.Round(time.Millisecond),
				float64(so.sum.Records-so.sum.Skipped)/took.Seconds(), float64(so.sum.Events)/took.Seconds())
		})
	}
}
