package s3

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/testenv"
)

// A body that stops arriving mid-object must fail as a transient error
// after RequestTimeout instead of holding the worker forever.
func TestStalledBodyFailsTransiently(t *testing.T) {
	f := newFake("firehose/2024/05/01/13/gd-1-2024-05-01-13-05-12-aaaa.gz")
	pr, pw := io.Pipe()
	defer pw.Close()
	f.body = func(string) io.ReadCloser {
		go pw.Write([]byte("first bytes")) // then nothing more
		return pr
	}
	cfg := DefaultConfig()
	cfg.Name, cfg.Bucket, cfg.Path, cfg.RequestTimeout = "t", "b", "firehose/", 50*time.Millisecond
	s, err := newSource(cfg, f, &testenv.State{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := s.Open(context.Background(), source.Object{Bucket: "b", Key: "firehose/2024/05/01/13/gd-1-2024-05-01-13-05-12-aaaa.gz"})
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(body)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, source.ErrTransient) {
			t.Errorf("stalled read error = %v; want a transient error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a stalled body still blocks the reader")
	}
}
