package sqs

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/source/s3"
	"github.com/dutywatch/dutywatch/internal/testenv"
)

// realEnv is versitygw holding the objects and fauxqs holding the queue.
type realEnv struct {
	s3  *testenv.S3Server
	sqs *testenv.SQSServer
}

const realBucket = "findings"

func newRealEnv(t *testing.T) realEnv {
	t.Helper()
	e := realEnv{s3: testenv.VersityGW(t), sqs: testenv.FauxQS(t)}
	e.s3.CreateBucket(t, realBucket)
	return e
}

// source returns a source on queueURL built as in production, through
// NewClient and s3.NewClient, reading objects from versitygw.
func (e realEnv) source(t *testing.T, queueURL string, st source.State, mod func(*Config)) *Source {
	t.Helper()
	cfg := Config{
		Name:     "notified",
		QueueURL: queueURL,
		Endpoint: e.sqs.Endpoint,
		Client: s3.ClientConfig{
			Region: e.s3.Region, Endpoint: e.s3.Endpoint, ForcePathStyle: true,
			AccessKey: e.s3.AccessKey, SecretKey: e.s3.SecretKey,
		},
		WaitTime:          time.Second,
		VisibilityTimeout: 30 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	sqsClient, err := NewClient(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s3Client, err := s3.NewClient(t.Context(), cfg.Client)
	if err != nil {
		t.Fatal(err)
	}
	src, err := New(cfg, sqsClient, s3Client, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// putObjects writes n native objects and returns their keys and bodies.
// One key holds a space and a '+', which S3 notifications encode.
func (e realEnv) putObjects(t *testing.T, n int) map[string]string {
	t.Helper()
	objs := map[string]string{}
	for i := range n {
		key := fmt.Sprintf("AWSLogs/123456789012/GuardDuty/us-east-1/2024/05/01/%04d.jsonl.gz", i)
		if i == 0 {
			key = "AWSLogs/123456789012/GuardDuty/us-east-1/2024/05/01/a b+c.jsonl.gz"
		}
		body := fmt.Sprintf(`{"id":"finding-%d"}`, i)
		e.s3.Put(t, realBucket, key, []byte(body))
		objs[key] = body
	}
	return objs
}

type notified struct{ key, body string }

func etag(body string) string {
	sum := md5.Sum([]byte(body))
	return hex.EncodeToString(sum[:])
}

// s3Event is an S3 event notification naming objs, keys encoded as S3
// encodes them.
func s3Event(objs ...notified) string {
	var recs []string
	for _, o := range objs {
		recs = append(recs, fmt.Sprintf(`{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",`+
			`"eventTime":"2024-05-01T12:00:00.000Z","eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0",`+
			`"bucket":{"name":%q,"arn":"arn:aws:s3:::%s"},"object":{"key":%q,"size":%d,"eTag":%q,"sequencer":"0A1B2C"}}}`,
			realBucket, realBucket, strings.ReplaceAll(url.QueryEscape(o.key), "%2F", "/"), len(o.body), etag(o.body)))
	}
	return `{"Records":[` + strings.Join(recs, ",") + `]}`
}

// snsEvent wraps an S3 event notification in an SNS envelope.
func snsEvent(objs ...notified) string {
	b, _ := json.Marshal(map[string]string{
		"Type": "Notification", "MessageId": "4b3c2d1e-0000-5000-8000-000000000000",
		"TopicArn": "arn:aws:sns:us-east-1:123456789012:objects", "Subject": "Amazon S3 Notification",
		"Message": s3Event(objs...), "Timestamp": "2024-05-01T12:00:00.100Z", "SignatureVersion": "1",
	})
	return string(b)
}

// eventBridgeEvent is an EventBridge "Object Created" event; its key is
// not encoded.
func eventBridgeEvent(o notified) string {
	return fmt.Sprintf(`{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"Object Created",`+
		`"source":"aws.s3","account":"123456789012","time":"2024-05-01T12:00:00Z","region":"us-east-1",`+
		`"resources":["arn:aws:s3:::%s"],"detail":{"version":"0","bucket":{"name":%q},`+
		`"object":{"key":%q,"size":%d,"etag":%q,"sequencer":"0A1B2C"},"reason":"PutObject"}}`,
		realBucket, realBucket, o.key, len(o.body), etag(o.body))
}

// sendAll sends one notification per object, cycling through the three
// formats, and returns the keys in order.
func (e realEnv) sendAll(t *testing.T, queueURL string, objs map[string]string) {
	t.Helper()
	i := 0
	for key, body := range objs {
		o := notified{key, body}
		switch i % 3 {
		case 0:
			e.sqs.Send(t, queueURL, s3Event(o))
		case 1:
			e.sqs.Send(t, queueURL, snsEvent(o))
		case 2:
			e.sqs.Send(t, queueURL, eventBridgeEvent(o))
		}
		i++
	}
}

// consume runs List, Open, commit, Done until stop says so, as the
// pipeline does, and records each object yielded.
func consume(t *testing.T, ctx context.Context, src *Source, st *testenv.State, seen func(source.Object, string), stop func() bool) {
	for !stop() && ctx.Err() == nil {
		for o, err := range src.List(ctx) {
			if err != nil {
				t.Errorf("list: %v", err)
				return
			}
			rc, err := src.Open(ctx, o)
			if err != nil {
				t.Errorf("open %s: %v", o.URI(), err)
				return
			}
			body, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Errorf("read %s: %v", o.URI(), err)
				return
			}
			seen(o, string(body))
			st.Commit(o.Scope, o.Key)
			if err := src.Done(ctx, o); err != nil {
				t.Errorf("done %s: %v", o.URI(), err)
			}
		}
	}
}

func TestIntegrationFormats(t *testing.T) {
	e := newRealEnv(t)
	queue, _ := e.sqs.CreateQueueWithDLQ(t, "objects", 5)
	objs := e.putObjects(t, 9)
	e.sendAll(t, queue, objs)
	// A message naming two objects, one already notified; a test event; a
	// removal.
	var two []notified
	for k, b := range objs {
		two = append(two, notified{k, b})
		if len(two) == 2 {
			break
		}
	}
	e.sqs.Send(t, queue, s3Event(two...))
	e.sqs.Send(t, queue, `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2024-05-01T12:00:00.000Z","Bucket":"findings"}`)
	e.sqs.Send(t, queue, strings.Replace(s3Event(two[0]), "ObjectCreated:Put", "ObjectRemoved:Delete", 1))

	st := &testenv.State{}
	src := e.source(t, queue, st, nil)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	got := map[string]int{}
	consume(t, ctx, src, st, func(o source.Object, body string) {
		got[o.Key]++
		if body != objs[o.Key] {
			t.Errorf("%s: body %q, want %q", o.Key, body, objs[o.Key])
		}
		if o.Scope != "s3://findings/AWSLogs/123456789012/GuardDuty/us-east-1/" || o.Account != "123456789012" ||
			o.Size != int64(len(body)) || o.ETag != etag(body) {
			t.Errorf("object %+v", o)
		}
	}, func() bool { return len(got) == len(objs) })
	consume(t, ctx, src, st, func(o source.Object, _ string) { got[o.Key]++ }, func() bool { return src.Stats().Deleted == 12 })

	for k := range objs {
		if got[k] != 1 {
			t.Errorf("%s yielded %d times, want once", k, got[k])
		}
	}
	if v, f := e.sqs.Counts(t, queue); v != 0 || f != 0 {
		t.Errorf("queue holds %d visible and %d in-flight messages, want none", v, f)
	}
	if s := src.Stats(); s.Received != 12 || s.Deleted != 12 || s.Ignored != 2 || s.Objects != 9 || s.Malformed != 0 {
		t.Errorf("stats %+v, want 12 received and deleted, 2 ignored, 9 objects", s)
	}
}

func TestIntegrationTwoConsumers(t *testing.T) {
	e := newRealEnv(t)
	queue, _ := e.sqs.CreateQueueWithDLQ(t, "shared", 5)
	objs := e.putObjects(t, 40)
	e.sendAll(t, queue, objs)

	st := &testenv.State{}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var mu sync.Mutex
	got := map[string]int{}
	by := map[string]int{}
	seen := func(name string) func(source.Object, string) {
		return func(o source.Object, _ string) {
			mu.Lock()
			defer mu.Unlock()
			got[o.Key]++
			by[name]++
		}
	}
	stop := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == len(objs)
	}
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b"} {
		src := e.source(t, queue, st, func(c *Config) { c.MaxMessages = 5 })
		wg.Go(func() { consume(t, ctx, src, st, seen(name), stop) })
	}
	wg.Wait()
	for k := range objs {
		if got[k] != 1 {
			t.Errorf("%s yielded %d times, want exactly once", k, got[k])
		}
	}
	if v, f := e.sqs.Counts(t, queue); v != 0 || f != 0 {
		t.Errorf("queue holds %d visible and %d in-flight messages, want none", v, f)
	}
	t.Logf("objects per consumer: %v", by)
}

func TestIntegrationVisibility(t *testing.T) {
	e := newRealEnv(t)
	queue, _ := e.sqs.CreateQueueWithDLQ(t, "held", 5)
	objs := e.putObjects(t, 1)
	e.sendAll(t, queue, objs)

	const vis = 2 * time.Second
	short := func(c *Config) { c.VisibilityTimeout = vis }
	holder := e.source(t, queue, &testenv.State{}, short)
	other := e.source(t, queue, &testenv.State{}, short)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	held := testenv.ListAll(t, holder.List(ctx))
	if len(held) != 1 {
		t.Fatalf("holder listed %d objects, want 1", len(held))
	}
	// The other consumer polls for three visibility timeouts: the
	// heartbeat keeps the held message from it.
	start := time.Now()
	for time.Since(start) < 3*vis {
		if objs := testenv.ListAll(t, other.List(ctx)); len(objs) != 0 {
			t.Fatalf("other consumer got %v while it was held", testenv.Keys(objs))
		}
	}
	if n := holder.Stats().Extensions; n < 2 {
		t.Errorf("extensions = %d, want >= 2", n)
	}
	if err := holder.Done(ctx, held[0]); err != nil {
		t.Fatal(err)
	}
	if v, f := e.sqs.Counts(t, queue); v != 0 || f != 0 {
		t.Errorf("queue holds %d visible and %d in-flight messages, want none", v, f)
	}
}

func TestIntegrationPoisonToDLQ(t *testing.T) {
	e := newRealEnv(t)
	queue, dlq := e.sqs.CreateQueueWithDLQ(t, "poison", 3)
	objs := e.putObjects(t, 1)
	e.sendAll(t, queue, objs)
	src := e.source(t, queue, &testenv.State{}, func(c *Config) { c.MaxReceives = 2; c.VisibilityTimeout = 2 * time.Second })
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	// Two failed attempts, each released for an immediate retry.
	for attempt := 1; attempt <= 2; attempt++ {
		got := testenv.ListAll(t, src.List(ctx))
		if len(got) != 1 {
			t.Fatalf("attempt %d: listed %d objects, want 1", attempt, len(got))
		}
		if err := src.Release(ctx, got[0], 0); err != nil {
			t.Fatal(err)
		}
	}
	// The third receive is past MaxReceives: left alone, not yielded.
	if got := testenv.ListAll(t, src.List(ctx)); len(got) != 0 {
		t.Fatalf("listed %v past MaxReceives", testenv.Keys(got))
	}
	if s := src.Stats(); s.Poisoned != 1 || s.Deleted != 0 {
		t.Fatalf("stats %+v, want 1 poisoned, none deleted", s)
	}
	// Once its visibility ends, the queue's redrive policy moves it.
	for v, _ := e.sqs.Counts(t, dlq); v == 0 && ctx.Err() == nil; v, _ = e.sqs.Counts(t, dlq) {
		testenv.ListAll(t, src.List(ctx))
	}
	if v, f := e.sqs.Counts(t, queue); v != 0 || f != 0 {
		t.Errorf("queue holds %d visible and %d in-flight messages, want none", v, f)
	}
}
