package sqs

import (
	"bytes"
	"context"
	"iter"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syncBuffer is a log destination that tests read.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// newTestSource returns a source on q with cfg's non-zero fields over a
// 1s long poll and a 10s visibility timeout, and its log.
func newTestSource(t *testing.T, cfg Config, q *fakeSQS, st source.State) (*Source, *syncBuffer) {
	t.Helper()
	cfg.Name, cfg.QueueURL = "queue", "https://sqs.us-east-1.amazonaws.com/123456789012/q"
	if cfg.WaitTime == 0 {
		cfg.WaitTime = time.Second
	}
	if cfg.VisibilityTimeout == 0 {
		cfg.VisibilityTimeout = 10 * time.Second
	}
	logs := &syncBuffer{}
	src, err := newSource(cfg, q, fakeOpener{}, st, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return src, logs
}

func listAll(t *testing.T, seq iter.Seq2[source.Object, error]) []source.Object {
	t.Helper()
	return testenv.ListAll(t, seq)
}

func TestHeartbeat(t *testing.T) {
	t.Run("extends while in flight, deletes on Done", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			q := &fakeSQS{}
			id := q.send(s3Body("b", nativeKey))
			src, _ := newTestSource(t, Config{}, q, &testenv.State{})
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			objs := listAll(t, src.List(ctx))
			if len(objs) != 1 {
				t.Fatalf("listed %d objects, want 1", len(objs))
			}
			time.Sleep(100 * time.Second) // ten visibility timeouts
			m, _ := q.message(id)
			if !m.visibleAt.After(time.Now()) || m.receives != 1 {
				t.Fatalf("message visible at %v (now %v), received %d times: heartbeat failed", m.visibleAt, time.Now(), m.receives)
			}
			if n := src.Stats().Extensions; n < 10 {
				t.Errorf("extensions = %d, want >= 10", n)
			}
			if err := src.Done(ctx, objs[0]); err != nil {
				t.Fatal(err)
			}
			if q.size() != 0 {
				t.Error("message not deleted after Done")
			}
			synctest.Wait() // the heartbeat goroutine ends with nothing in flight
		})
	})
	t.Run("stops when List's ctx ends", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			q := &fakeSQS{}
			id := q.send(s3Body("b", nativeKey))
			src, _ := newTestSource(t, Config{}, q, &testenv.State{})
			ctx, cancel := context.WithCancel(t.Context())
			if objs := listAll(t, src.List(ctx)); len(objs) != 1 {
				t.Fatalf("listed %d objects, want 1", len(objs))
			}
			cancel()
			time.Sleep(10 * time.Second)
			if m, _ := q.message(id); m.visibleAt.After(time.Now()) {
				t.Fatalf("message still invisible %v after the listing's ctx ended", m.visibleAt.Sub(time.Now()))
			}
		})
	})
}

func TestInFlightBound(t *testing.T) {
	cfg := Config{MaxMessages: 2, MaxInFlight: 3}
	t.Run("stops at the bound", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			q := &fakeSQS{}
			for range 10 {
				q.send(s3Body("b", "k/"+q.nextName()))
			}
			src, _ := newTestSource(t, cfg, q, &testenv.State{})
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if objs := listAll(t, src.List(ctx)); len(objs) != 3 {
				t.Fatalf("listed %d objects with none done, want the bound, 3", len(objs))
			}
		})
	})
	t.Run("room comes back when the listing's ctx ends", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			q := &fakeSQS{}
			for range 6 {
				q.send(s3Body("b", "k/"+q.nextName()))
			}
			src, _ := newTestSource(t, cfg, q, &testenv.State{})
			first, cancelFirst := context.WithCancel(t.Context())
			if objs := listAll(t, src.List(first)); len(objs) != 3 {
				t.Fatalf("first listing: %d objects, want 3", len(objs))
			}
			second, cancelSecond := context.WithCancel(t.Context())
			defer cancelSecond()
			if objs := listAll(t, src.List(second)); len(objs) != 0 {
				t.Fatalf("overlapping listing: %d objects while the first holds the bound, want 0", len(objs))
			}
			cancelFirst()
			synctest.Wait()
			if objs := listAll(t, src.List(second)); len(objs) != 3 {
				t.Fatalf("after the first listing's ctx ended: %d objects, want 3", len(objs))
			}
		})
	})
	t.Run("goes on as objects are done", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			q := &fakeSQS{}
			for range 10 {
				q.send(s3Body("b", "k/"+q.nextName()))
			}
			src, _ := newTestSource(t, cfg, q, &testenv.State{})
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var held []source.Object
			total := 0
			for o, err := range src.List(ctx) {
				if err != nil {
					t.Fatal(err)
				}
				total++
				held = append(held, o)
				if len(held) > 3 {
					t.Fatalf("%d objects in flight, bound 3", len(held))
				}
				if len(held) == 3 {
					if err := src.Done(ctx, held[0]); err != nil {
						t.Fatal(err)
					}
					held = held[1:]
				}
			}
			for _, o := range held {
				if err := src.Done(ctx, o); err != nil {
					t.Fatal(err)
				}
			}
			if total != 10 || q.size() != 0 {
				t.Fatalf("listed %d of 10 objects; %d messages left", total, q.size())
			}
		})
	})
}

// nextName returns a distinct object name.
func (f *fakeSQS) nextName() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	return "obj" + strings.Repeat("x", f.seq)
}

func TestMultiRecord(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{}
		q.send(s3Body("b", "a", "b"))
		q.send(s3Body("b", "b")) // S3 may notify an object twice
		src, _ := newTestSource(t, Config{}, q, &testenv.State{})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		objs := listAll(t, src.List(ctx))
		if got := testenv.Keys(objs); strings.Join(got, ",") != "a,b" {
			t.Fatalf("listed %v, want [a b]", got)
		}
		if err := src.Done(ctx, objs[0]); err != nil {
			t.Fatal(err)
		}
		if q.size() != 2 {
			t.Fatalf("%d messages left after one of two objects done, want 2", q.size())
		}
		if err := src.Done(ctx, objs[1]); err != nil {
			t.Fatal(err)
		}
		if q.size() != 0 {
			t.Fatalf("%d messages left after both objects done, want 0", q.size())
		}
		if err := src.Done(ctx, objs[1]); err != nil {
			t.Errorf("second Done: %v, want nil", err)
		}
	})
}

func TestDoneObjectsDeleted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{}
		st := &testenv.State{}
		st.Commit("s3://b/", "old")
		q.send(s3Body("b", "old"))
		id := q.send(s3Body("b", "old", "new"))
		src, _ := newTestSource(t, Config{}, q, st)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		objs := listAll(t, src.List(ctx))
		if got := testenv.Keys(objs); len(got) != 1 || got[0] != "new" {
			t.Fatalf("listed %v, want [new]", got)
		}
		if q.size() != 1 {
			t.Fatalf("%d messages left, want only the one naming new", q.size())
		}
		if _, ok := q.message(id); !ok {
			t.Fatal("the message naming new was deleted before Done")
		}
		if s := src.Stats(); s.AlreadyDone != 2 || s.Deleted != 1 || s.Ignored != 0 {
			t.Errorf("stats %+v, want 2 already done, 1 deleted, 0 ignored", s)
		}
	})
}

func TestIgnoredAndMalformed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{}
		q.send(`{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}`)
		q.send(strings.Replace(s3Body("b", "in/x"), "ObjectCreated:Put", "ObjectRemoved:Delete", 1))
		q.send(s3Body("other", "in/x"))
		q.send(s3Body("b", "out/x"))
		q.send(s3Body("b", "in/folder/"))
		bad := q.send(`{"Records":[{"eventName":"ObjectCreated:Put"`)
		src, logs := newTestSource(t, Config{Buckets: []string{"b"}, KeyPrefix: "in"}, q, &testenv.State{})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		if objs := listAll(t, src.List(ctx)); len(objs) != 0 {
			t.Fatalf("listed %v, want nothing", testenv.Keys(objs))
		}
		if _, ok := q.message(bad); !ok || q.size() != 1 {
			t.Fatalf("%d messages left, want only the malformed one", q.size())
		}
		if s := src.Stats(); s.Ignored != 5 || s.Deleted != 5 || s.Malformed != 1 || s.Received != 6 {
			t.Errorf("stats %+v, want 6 received, 5 ignored and deleted, 1 malformed", s)
		}
		if logs.count("message_id="+bad) != 1 {
			t.Errorf("malformed message not logged with its id:\n%s", logs.buf.String())
		}
	})
}

func TestPoison(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{}
		id := q.send(s3Body("b", "k"))
		q.setReceives(id, 3)
		src, logs := newTestSource(t, Config{MaxReceives: 3}, q, &testenv.State{})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		for range 2 {
			if objs := listAll(t, src.List(ctx)); len(objs) != 0 {
				t.Fatalf("listed %v, want nothing", testenv.Keys(objs))
			}
			time.Sleep(10 * time.Second) // let its visibility end
		}
		m, ok := q.message(id)
		if !ok || m.receives != 5 {
			t.Fatalf("message present %v, received %d times; want left in the queue, received 5 times", ok, m.receives)
		}
		if s := src.Stats(); s.Poisoned != 2 || s.Extensions != 0 {
			t.Errorf("stats %+v, want 2 poisoned, no extensions", s)
		}
		if n := logs.count("left for the dead-letter queue"); n != 1 {
			t.Errorf("logged %d times, want once:\n%s", n, logs.buf.String())
		}
	})
}

func TestRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := &fakeSQS{}
		id := q.send(s3Body("b", "a", "b"))
		st := &testenv.State{}
		src, _ := newTestSource(t, Config{}, q, st)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		objs := listAll(t, src.List(ctx))
		if len(objs) != 2 {
			t.Fatalf("listed %d objects, want 2", len(objs))
		}
		if err := src.Release(ctx, objs[0], time.Minute); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Second) // b is still in flight: no retry yet
		if m, _ := q.message(id); !m.visibleAt.After(time.Now()) {
			t.Fatal("message visible while one of its objects is in flight")
		}
		st.Commit(objs[1].Scope, objs[1].Key)
		if err := src.Done(ctx, objs[1]); err != nil {
			t.Fatal(err)
		}
		m, ok := q.message(id)
		if !ok || m.visibleAt.Sub(time.Now()) != time.Minute {
			t.Fatalf("message present %v, visible in %v; want kept, visible in 1m", ok, m.visibleAt.Sub(time.Now()))
		}
		time.Sleep(time.Minute)
		again := listAll(t, src.List(ctx))
		if got := testenv.Keys(again); len(got) != 1 || got[0] != "a" {
			t.Fatalf("listed %v after the retry delay, want [a]", got)
		}
		if s := src.Stats(); s.Released != 1 {
			t.Errorf("released = %d, want 1", s.Released)
		}
	})
}

func TestListEndsWithCtx(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src, _ := newTestSource(t, Config{WaitTime: 20 * time.Second}, &fakeSQS{}, &testenv.State{})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		start := time.Now()
		go func() {
			var err error
			for _, e := range src.List(ctx) {
				err = e
			}
			done <- err
		}()
		synctest.Wait() // in the long poll
		cancel()
		if err := <-done; err != nil {
			t.Errorf("List after cancel: %v, want no error", err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("List took %v after cancel, want at once", d)
		}
	})
}

func TestObjectScope(t *testing.T) {
	const org = "logs/AWSLogs/o-abcdefghij/123456789012/GuardDuty/eu-west-1/2024/05/01/x.jsonl.gz"
	tests := []struct {
		name    string
		cfg     Config
		ev      Event
		want    source.Object
		skipped bool
	}{
		{name: "native", ev: Event{Bucket: "b", Key: nativeKey, Size: 5, ETag: "e"}, want: source.Object{
			Bucket: "b", Key: nativeKey, Scope: "s3://b/AWSLogs/123456789012/GuardDuty/us-east-1/",
			Account: "123456789012", Region: "us-east-1", Size: 5, ETag: "e"}},
		{name: "native under prefix and organization", cfg: Config{KeyPrefix: "logs/"}, ev: Event{Bucket: "b", Key: org}, want: source.Object{
			Bucket: "b", Key: org, Scope: "s3://b/logs/AWSLogs/o-abcdefghij/123456789012/GuardDuty/eu-west-1/",
			Account: "123456789012", Region: "eu-west-1"}},
		{name: "firehose", cfg: Config{KeyPrefix: "firehose"}, ev: Event{Bucket: "b", Key: fireKey}, want: source.Object{
			Bucket: "b", Key: fireKey, Scope: "s3://b/firehose/"}},
		{name: "outside the prefix", cfg: Config{KeyPrefix: "firehose"}, ev: Event{Bucket: "b", Key: nativeKey}, skipped: true},
		{name: "folder marker", ev: Event{Bucket: "b", Key: "firehose/"}, skipped: true},
		{name: "other bucket", cfg: Config{Buckets: []string{"a", "c"}}, ev: Event{Bucket: "b", Key: nativeKey}, skipped: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, _ := newTestSource(t, tt.cfg, &fakeSQS{}, &testenv.State{})
			got, ok := src.object(tt.ev)
			if ok == tt.skipped {
				t.Fatalf("ok = %v, want %v", ok, !tt.skipped)
			}
			tt.want.Source = "queue"
			if ok && got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestQueueRegion(t *testing.T) {
	for url, want := range map[string]string{
		"https://sqs.eu-west-3.amazonaws.com/123456789012/q":   "eu-west-3",
		"https://sqs.us-gov-west-1.amazonaws.com/1/q":          "us-gov-west-1",
		"http://127.0.0.1:4566/000000000000/q":                 "",
		"https://vpce-1a2b.sqs.us-east-1.vpce.amazonaws.com/q": "",
	} {
		if got := queueRegion(url); got != want {
			t.Errorf("queueRegion(%s) = %q, want %q", url, got, want)
		}
	}
}
