package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Server is a running S3-compatible server.
type S3Server struct {
	// Endpoint is the base URL, "http://127.0.0.1:PORT".
	Endpoint  string
	AccessKey string
	SecretKey string
	Region    string
	// Client is a path-style client signed with the keys above.
	Client *awss3.Client
}

const (
	versityBinary = "versitygw"
	startTimeout  = 30 * time.Second
	stopTimeout   = 10 * time.Second
)

// errExited reports a server that stopped before it was ready, e.g. because
// another process took its port first.
var errExited = errors.New("server exited before it was ready")

// VersityGW starts versitygw with its data in t.TempDir() and stops it when
// t ends. It skips t when the binary is missing, and fails t instead when
// the environment variable CI is "true".
func VersityGW(t testing.TB) *S3Server {
	t.Helper()
	bin := findBinary(versityBinary)
	if bin == "" {
		msg := versityBinary + " not found on PATH or in GOPATH/bin; install it with " +
			"go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	const attempts = 3
	for i := 1; ; i++ {
		srv, err := startVersity(t, bin)
		if err == nil {
			return srv
		}
		if !errors.Is(err, errExited) || i == attempts {
			t.Fatalf("start %s: %v", versityBinary, err)
		}
	}
}

func startVersity(t testing.TB, bin string) (*S3Server, error) {
	srv := &S3Server{
		AccessKey: "dutywatch-test",
		SecretKey: "dutywatch-test-secret-key",
		Region:    "us-east-1",
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	srv.Endpoint = "http://" + addr
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	logPath := filepath.Join(dir, "versitygw.log")
	if err := os.Mkdir(data, 0o755); err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child keeps its own descriptor

	cmd := exec.Command(bin, "--port", addr, "--access", srv.AccessKey, "--secret", srv.SecretKey,
		"--region", srv.Region, "--quiet", "posix", data)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // the exit status of a stopped test server says nothing
		close(exited)
	}()
	t.Cleanup(func() { stopProcess(t, cmd, exited) })

	if err := waitReady(srv.Endpoint, exited); err != nil {
		out, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("%w\n%s output:\n%s", err, versityBinary, bytes.TrimSpace(out))
	}
	srv.Client = awss3.NewFromConfig(aws.Config{
		Region:      srv.Region,
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	}, func(o *awss3.Options) {
		o.BaseEndpoint = aws.String(srv.Endpoint)
		o.UsePathStyle = true
	})
	return srv, nil
}

// waitReady polls endpoint until it answers HTTP (any status: an unsigned
// request is refused, which still proves the server is serving).
func waitReady(endpoint string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(endpoint + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-exited:
			return errExited
		case <-deadline.C:
			return fmt.Errorf("not ready after %v: %w", startTimeout, err)
		case <-tick.C:
		}
	}
}

func stopProcess(t testing.TB, cmd *exec.Cmd, exited <-chan struct{}) {
	_ = cmd.Process.Signal(os.Interrupt)
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-exited:
		return
	case <-timer.C:
	}
	t.Logf("%s (pid %d) did not stop after %v; killing it", versityBinary, cmd.Process.Pid, stopTimeout)
	_ = cmd.Process.Kill()
	<-exited
}

// freeLoopbackAddr returns a loopback address with a port free right now.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// findBinary looks for name on PATH, then in GOBIN and each GOPATH/bin.
func findBinary(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	for _, gp := range filepath.SplitList(build.Default.GOPATH) {
		dirs = append(dirs, filepath.Join(gp, "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// CreateBucket creates a bucket, failing t on error.
func (s *S3Server) CreateBucket(t testing.TB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

// Put writes an object, failing t on error.
func (s *S3Server) Put(t testing.TB, bucket, key string, body []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := s.Client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String(bucket),
		Key:    aws.String(key),
		Body:   bytes.NewReader(body),
	})
	if err != nil {
		t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}
