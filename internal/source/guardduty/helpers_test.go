package guardduty

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/dutywatch/dutywatch/internal/decode"
	"github.com/dutywatch/dutywatch/internal/finding"
	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/source/s3"
)

// fakeState keeps cursors and done-sets as the store does: the cursor is
// the greatest committed key of its scope.
type fakeState struct {
	// mu guards the fields below.
	mu      sync.Mutex
	cursors map[string]string
	done    map[[2]string]bool
}

var _ source.State = (*fakeState)(nil)

func newFakeState() *fakeState {
	return &fakeState{cursors: make(map[string]string), done: make(map[[2]string]bool)}
}

func (f *fakeState) Cursor(_ context.Context, scope string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cursors[scope], nil
}

func (f *fakeState) IsDone(_ context.Context, scope, key string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.done[[2]string{scope, key}], nil
}

func (f *fakeState) commit(o source.Object) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done[[2]string{o.Scope, o.Key}] = true
	if o.Key > f.cursors[o.Scope] {
		f.cursors[o.Scope] = o.Key
	}
}

func (f *fakeState) isDone(o source.Object) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.done[[2]string{o.Scope, o.Key}]
}

// noBackoff makes SDK retries immediate, so throttling tests do not sleep.
type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// testAWSConfig resolves static credentials through s3.LoadAWSConfig, as
// New does, with a retryer that does not wait.
func testAWSConfig(t *testing.T, attempts int) aws.Config {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	t.Setenv("AWS_CONFIG_FILE", none)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
	t.Setenv("AWS_PROFILE", "")
	cfg, err := s3.LoadAWSConfig(t.Context(), s3.ClientConfig{Region: "us-east-1", AccessKey: "AKIDTEST", SecretKey: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.Backoff = noBackoff{}
			o.RateLimiter = ratelimit.None
		})
	}
	return cfg
}

// clock is a settable time for the source and the fake's findings.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// newTestSource returns a source on gd's server, unpaced, SDK retries
// immediate, its clock at clk.
func newTestSource(t *testing.T, gd *fakeGuardDuty, cfg Config, st source.State, clk *clock) *Source {
	t.Helper()
	cfg.Endpoint = gd.srv.URL
	if cfg.RequestsPerSecond == 0 {
		cfg.RequestsPerSecond = -1
	}
	s, err := newSource(cfg, testAWSConfig(t, 5), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if clk != nil {
		s.now = clk.now
	}
	return s
}

// pollResult is what one simulated pipeline poll saw.
type pollResult struct {
	objects  []source.Object
	versions []version
	findings []*finding.Finding
}

// poll runs one listing as the pipeline would: open each object, decode
// its body with package decode, parse each record with package finding,
// commit it in the state, then call Done. After commit objects (when
// commit >= 0) the rest are neither committed nor done, as when a poll
// stops. A listing error is returned with what was seen before it.
func poll(t *testing.T, s *Source, st *fakeState, commit int) (pollResult, error) {
	t.Helper()
	ctx := t.Context()
	var res pollResult
	for o, err := range s.List(ctx) {
		if err != nil {
			return res, err
		}
		if st.isDone(o) {
			t.Errorf("%s yielded again after it was committed", o.Key)
		}
		res.objects = append(res.objects, o)
		if commit >= 0 && len(res.objects) > commit {
			continue
		}
		fs := readObject(t, s, o)
		for _, f := range fs {
			res.versions = append(res.versions, version{ID: f.ID, UpdatedAt: f.UpdatedAt})
		}
		res.findings = append(res.findings, fs...)
		st.commit(o)
		if err := s.Done(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	return res, nil
}

// readObject opens o and parses its findings as the pipeline does.
func readObject(t *testing.T, s *Source, o source.Object) []*finding.Finding {
	t.Helper()
	body, err := s.Open(t.Context(), o)
	if err != nil {
		t.Fatalf("open %s: %v", o.Key, err)
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != o.Size {
		t.Errorf("%s: body of %d bytes, Size %d", o.Key, len(b), o.Size)
	}
	dec := decode.NewReader(o.URI(), bytes.NewReader(b), decode.Options{})
	defer dec.Close()
	var out []*finding.Finding
	for dec.Next() {
		rec, err := finding.Parse(dec.Record().Data)
		if err != nil {
			t.Fatalf("%s: parse record: %v", o.Key, err)
		}
		if rec.Finding == nil {
			t.Fatalf("%s: record is not a finding", o.Key)
		}
		out = append(out, rec.Finding)
	}
	if err := dec.Err(); err != nil {
		t.Fatalf("%s: decode: %v", o.Key, err)
	}
	return out
}
