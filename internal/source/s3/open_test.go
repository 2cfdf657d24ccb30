package s3

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/smithy-go"

	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/testenv"
)

func obj(key string) source.Object { return source.Object{Bucket: bucket, Key: key} }

func TestOpenAndDone(t *testing.T) {
	key := fhKey("05/03/10", "a")
	ctx := context.Background()
	for _, remove := range []bool{false, true} {
		f := newFake(key)
		src := fakeSource(t, Config{Remove: remove}, f, &testenv.State{})
		rc, err := src.Open(ctx, obj(key))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		if err != nil || string(b) != key {
			t.Fatalf("body = %q, %v", b, err)
		}
		if err := rc.Close(); err != nil {
			t.Fatal(err)
		}
		if err := src.Done(ctx, obj(key)); err != nil {
			t.Fatal(err)
		}
		if f.has(key) == remove {
			t.Errorf("remove=%v: object still there = %v", remove, f.has(key))
		}
		st := src.Stats()
		if st.GetCalls != 1 || st.DeleteCalls != map[bool]int64{false: 0, true: 1}[remove] {
			t.Errorf("remove=%v: stats %+v", remove, st)
		}
	}
}

const kmsDenied = "User: arn:aws:iam::111111111111:user/dw is not authorized to perform: kms:Decrypt on resource: " +
	"arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab because no identity-based policy allows the kms:Decrypt action"

func TestOpenErrors(t *testing.T) {
	key := fhKey("05/03/10", "a")
	uri := "s3://bkt/" + key
	tests := []struct {
		name      string
		err       error
		transient bool
		want      []string
	}{
		{"slow down", &smithy.GenericAPIError{Code: "SlowDown", Message: "Please reduce your request rate."}, true, nil},
		{"internal error", &smithy.GenericAPIError{Code: "InternalError", Message: "We encountered an internal error."}, true, nil},
		{"kms throttled", &smithy.GenericAPIError{Code: "KMS.ThrottlingException", Message: "Rate exceeded"}, true, nil},
		{"connection reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true, nil},
		{"retry quota", ratelimit.QuotaExceededError{Available: 0, Requested: 5}, true, nil},
		{"access denied by kms", &smithy.GenericAPIError{Code: "AccessDenied", Message: kmsDenied}, false,
			[]string{"KMS key arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"}},
		{"kms key disabled", &smithy.GenericAPIError{Code: "KMS.DisabledException", Message: "key is disabled"}, false,
			[]string{"KMS refused", "KMS.DisabledException"}},
		{"access denied", &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"}, false, []string{"access denied"}},
		{"canceled", context.Canceled, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(key)
			f.getErr = func(context.Context, string) error { return tt.err }
			src := fakeSource(t, Config{}, f, &testenv.State{})
			_, err := src.Open(context.Background(), obj(key))
			if err == nil {
				t.Fatal("Open succeeded")
			}
			if got := errors.Is(err, source.ErrTransient); got != tt.transient {
				t.Errorf("transient = %v, want %v: %v", got, tt.transient, err)
			}
			if !errors.Is(err, tt.err) && !errors.As(err, new(ratelimit.QuotaExceededError)) {
				t.Errorf("error %v does not wrap %v", err, tt.err)
			}
			for _, w := range append([]string{"get " + uri}, tt.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	t.Run("no such key", func(t *testing.T) {
		src := fakeSource(t, Config{}, newFake(), &testenv.State{})
		_, err := src.Open(context.Background(), obj(key))
		if err == nil || errors.Is(err, source.ErrTransient) || !strings.Contains(err.Error(), "no such key") {
			t.Fatalf("error = %v", err)
		}
	})
}

func TestOpenTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		key := fhKey("05/03/10", "a")
		f := newFake(key)
		f.getErr = func(ctx context.Context, _ string) error {
			<-ctx.Done() // a server that never answers
			return ctx.Err()
		}
		src := fakeSource(t, Config{RequestTimeout: time.Minute}, f, &testenv.State{})
		start := time.Now()
		_, err := src.Open(context.Background(), obj(key))
		if !errors.Is(err, source.ErrTransient) || !strings.Contains(err.Error(), "no response within 1m0s") {
			t.Fatalf("error = %v", err)
		}
		if waited := time.Since(start); waited != time.Minute {
			t.Errorf("waited %v", waited)
		}
	})
}

// resetReader fails like a connection reset after some bytes.
type resetReader struct{ n int }

func (r *resetReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	}
	n := min(len(p), r.n)
	r.n -= n
	return n, nil
}

func TestReadError(t *testing.T) {
	key := fhKey("05/03/10", "a")
	f := newFake(key)
	f.body = func(string) io.ReadCloser { return io.NopCloser(&resetReader{n: 10}) }
	src := fakeSource(t, Config{}, f, &testenv.State{})
	rc, err := src.Open(context.Background(), obj(key))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if len(b) != 10 || !errors.Is(err, source.ErrTransient) || !strings.Contains(err.Error(), "read s3://bkt/"+key) {
		t.Fatalf("read %d bytes, error %v", len(b), err)
	}
}
