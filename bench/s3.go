package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"
)

const (
	versityModule = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"
	s3AccessKey   = "dutywatch-bench"
	s3SecretKey   = "dutywatch-bench-secret-key"
	s3Region      = "us-east-1"
)

// s3Server is versitygw running on loopback with a posix backend, and the
// counting proxy dutywatch talks to it through.
type s3Server struct {
	Endpoint string // versitygw itself, for uploads
	Client   *awss3.Client
	Proxy    *countingProxy
	cmd      *exec.Cmd
	exited   chan struct{}
}

// startS3 starts versitygw with its data under dir, installing it first
// when it is neither on PATH nor in GOPATH/bin.
func startS3(ctx context.Context, dir string) (*s3Server, error) {
	bin, err := versityBinary(ctx)
	if err != nil {
		return nil, err
	}
	data, logPath := filepath.Join(dir, "versitygw-data"), filepath.Join(dir, "versitygw.log")
	if err := os.MkdirAll(data, 0o750); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		s, err := launchVersity(bin, data, logPath)
		if err == nil {
			return s, nil
		}
		if attempt == 3 { // another process may have taken the port first
			return nil, err
		}
	}
}

func launchVersity(bin, data, logPath string) (*s3Server, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child keeps its own descriptor
	cmd := exec.Command(bin, "--port", addr, "--access", s3AccessKey, "--secret", s3SecretKey,
		"--region", s3Region, "--quiet", "posix", data)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start versitygw: %w", err)
	}
	s := &s3Server{Endpoint: "http://" + addr, cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // a stopped gateway's exit status says nothing
		close(s.exited)
	}()
	if err := waitReady(s.Endpoint, s.exited); err != nil {
		s.stop()
		out, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("start versitygw: %w\n%s", err, bytes.TrimSpace(out))
	}
	s.Client = awss3.NewFromConfig(aws.Config{
		Region:      s3Region,
		Credentials: credentials.NewStaticCredentialsProvider(s3AccessKey, s3SecretKey, ""),
	}, func(o *awss3.Options) {
		o.BaseEndpoint = aws.String(s.Endpoint)
		o.UsePathStyle = true
	})
	if s.Proxy, err = startProxy(s.Endpoint); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// versityBinary finds versitygw on PATH or in GOPATH/bin, or installs it.
func versityBinary(ctx context.Context) (string, error) {
	gopath, err := exec.CommandContext(ctx, "go", "env", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOPATH: %w", err)
	}
	inGopath := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "versitygw")
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	if _, err := os.Stat(inGopath); err == nil {
		return inGopath, nil
	}
	fmt.Fprintf(os.Stderr, "versitygw not found; running go install %s\n", versityModule)
	install := exec.CommandContext(ctx, "go", "install", versityModule)
	install.Stdout, install.Stderr = os.Stderr, os.Stderr
	if err := install.Run(); err != nil {
		return "", fmt.Errorf("install versitygw: %w", err)
	}
	return inGopath, nil
}

// waitReady polls endpoint until it answers HTTP at all (an unsigned
// request is refused, which still proves the server is serving).
func waitReady(endpoint string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(endpoint + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("versitygw exited before it was ready")
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after 30s: %w", err)
		}
	}
}

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// stop ends the proxy and versitygw (SIGINT, then kill after 10 s).
func (s *s3Server) stop() {
	if s.Proxy != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.Proxy.stop(ctx)
		cancel()
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
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
