package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/dutywatch/dutywatch/internal/testenv"
)

// s3Server is versitygw running on loopback with a posix backend, and the
// counting proxy dutywatch talks to it through.
type s3Server struct {
	*testenv.S3Server // versitygw itself, for uploads
	Proxy             *countingProxy
}

// startS3 starts versitygw with its data under dir, installing it first
// when it is neither on PATH nor in GOPATH/bin.
func startS3(ctx context.Context, dir string) (*s3Server, error) {
	bin, err := versityBinary(ctx)
	if err != nil {
		return nil, err
	}
	srv, err := testenv.StartVersityGW(bin, filepath.Join(dir, "versitygw"))
	if err != nil {
		return nil, fmt.Errorf("start versitygw: %w", err)
	}
	s := &s3Server{S3Server: srv}
	if s.Proxy, err = startProxy(s.Endpoint); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// versityBinary finds versitygw on PATH or in GOPATH/bin, or installs it.
func versityBinary(ctx context.Context) (string, error) {
	if bin := testenv.FindVersityGW(); bin != "" {
		return bin, nil
	}
	fmt.Fprintf(os.Stderr, "versitygw not found; running go install %s\n", testenv.VersityModule)
	install := exec.CommandContext(ctx, "go", "install", testenv.VersityModule)
	install.Stdout, install.Stderr = os.Stderr, os.Stderr
	if err := install.Run(); err != nil {
		return "", fmt.Errorf("install versitygw: %w", err)
	}
	if bin := testenv.FindVersityGW(); bin != "" {
		return bin, nil
	}
	return "", fmt.Errorf("versitygw installed but not found in GOBIN or GOPATH/bin")
}

// stop ends the proxy and versitygw.
func (s *s3Server) stop() {
	if s.Proxy != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.Proxy.stop(ctx)
		cancel()
	}
	if s.S3Server != nil {
		s.Stop()
	}
}

// upload creates bucket if needed and puts every file under root into it,
// keyed by its slash-separated path relative to root, 8 at a time.
func (s *s3Server) upload(ctx context.Context, root, bucket string) error {
	_, err := s.Client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(bucket)})
	var owned interface{ ErrorCode() string }
	if err != nil && !(errors.As(err, &owned) && owned.ErrorCode() == "BucketAlreadyOwnedByYou") {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		g.Go(func() error { return s.put(gctx, bucket, filepath.ToSlash(rel), p) })
		return gctx.Err()
	})
	return errors.Join(err, g.Wait())
}

func (s *s3Server) put(ctx context.Context, bucket, key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	_, err = s.Client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: f, ContentLength: aws.Int64(fi.Size()),
	})
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}
