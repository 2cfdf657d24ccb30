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

	cmd    *exec.Cmd
	exited chan struct{}
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
	bin := FindVersityGW()
	if bin == "" {
		msg := versityBinary + " not found on PATH or in GOPATH/bin; install it with " +
			"go install " + VersityModule
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	srv, err := StartVersityGW(bin, t.TempDir())
	if err != nil {
		t.Fatalf("start %s: %v", versityBinary, err)
	}
	t.Cleanup(func() {
		if srv.Stop() {
			t.Logf("%s did not stop after %v; killed it", versityBinary, stopTimeout)
		}
	})
	return srv
}

// VersityModule is what go install takes to install versitygw.
const VersityModule = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// FindVersityGW returns the path of the versitygw binary on PATH or in a
// GOPATH/bin, or "".
func FindVersityGW() string { return findBinary(versityBinary) }

// StartVersityGW starts the versitygw binary bin on a free loopback port
// with a posix backend and its log under dir, retrying when another
// process took the port first. Stop ends it.
func StartVersityGW(bin, dir string) (*S3Server, error) {
	const attempts = 3
	for i := 1; ; i++ {
		srv, err := startVersity(bin, dir)
		if err == nil || !errors.Is(err, errExited) || i == attempts {
			return srv, err
		}
	}
}

func startVersity(bin, dir string) (*S3Server, error) {
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
	data := filepath.Join(dir, "data")
	logPath := filepath.Join(dir, "versitygw.log")
	if err := os.MkdirAll(data, 0o755); err != nil {
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
	srv.cmd, srv.exited = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait() // the exit status of a stopped server says nothing
		close(srv.exited)
	}()
	if err := waitReady(srv.Endpoint, srv.exited); err != nil {
		srv.Stop()
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

// Stop interrupts the server and waits for it to exit, killing it after
// stopTimeout; it reports whether it had to kill it.
func (s *S3Server) Stop() (killed bool) {
	_ = s.cmd.Process.Signal(os.Interrupt)
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-s.exited:
		return false
	case <-timer.C:
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	return true
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
