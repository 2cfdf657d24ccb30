package testenv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQSServer is a running SQS-compatible server.
type SQSServer struct {
	// Endpoint is the base URL, "http://127.0.0.1:PORT".
	Endpoint string
	Region   string
	// AccessKey and SecretKey are accepted, not checked, by fauxqs.
	AccessKey string
	SecretKey string
	// Client is a client for Endpoint.
	Client *awssqs.Client
}

const fauxqsHint = "fauxqs not installed; install it with scripts/fauxqs " +
	"(npm install --prefix ~/.cache/dutywatch/fauxqs fauxqs@1.9.2), or set DUTYWATCH_FAUXQS to its dist/app.js"

// fauxqsLauncher starts fauxqs's Fastify app on a port the system picks,
// on loopback only (its CLI listens on all interfaces, on a fixed port),
// prints the address, and exits when its stdin closes, so that a killed
// test leaves nothing behind.
const fauxqsLauncher = `
import { pathToFileURL } from "node:url";
const { buildApp } = await import(pathToFileURL(process.env.FAUXQS_APP).href);
const app = buildApp({ logger: false });
const address = await app.listen({ port: 0, host: "127.0.0.1" });
process.stdout.write("listening " + address + "\n");
const stop = async () => { await app.close(); process.exit(0); };
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();
`

// FauxQS starts a private fauxqs (an SQS emulator speaking the JSON
// protocol of the current AWS SDKs) on a free loopback port and stops it
// when t ends. fauxqs is found through DUTYWATCH_FAUXQS (its dist/app.js,
// its package folder, or the npm prefix it was installed under), else
// under ~/.cache/dutywatch/fauxqs, where scripts/fauxqs installs it. When
// it or node is missing, t is skipped, or failed under CI=true.
func FauxQS(t testing.TB) *SQSServer {
	t.Helper()
	app := findFauxQS()
	node, err := exec.LookPath("node")
	if app == "" || err != nil {
		msg := fauxqsHint
		if err != nil {
			msg = "node not found on PATH; " + fauxqsHint
		}
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	srv, err := startFauxQS(t, node, app)
	if err != nil {
		t.Fatalf("start fauxqs: %v", err)
	}
	return srv
}

// findFauxQS returns the path of fauxqs's dist/app.js, or "".
func findFauxQS() string {
	var candidates []string
	if p := os.Getenv("DUTYWATCH_FAUXQS"); p != "" {
		candidates = append(candidates, p,
			filepath.Join(p, "dist", "app.js"),
			filepath.Join(p, "node_modules", "fauxqs", "dist", "app.js"))
	} else if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates,
			filepath.Join(home, ".cache", "dutywatch", "fauxqs", "node_modules", "fauxqs", "dist", "app.js"))
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && fi.Mode().IsRegular() {
			return c
		}
	}
	return ""
}

func startFauxQS(t testing.TB, node, app string) (*SQSServer, error) {
	cmd := exec.Command(node, "--input-type=module", "-e", fauxqsLauncher)
	cmd.Env = append(os.Environ(), "FAUXQS_APP="+app)
	logPath := filepath.Join(t.TempDir(), "fauxqs.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child keeps its own descriptor
	cmd.Stderr = logFile
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			addr <- strings.TrimPrefix(sc.Text(), "listening ")
		}
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait() // the exit status of a stopped test server says nothing
		close(exited)
	}()
	t.Cleanup(func() { stopFauxQS(t, cmd, stdin, exited) })

	srv := &SQSServer{Region: "us-east-1", AccessKey: "dutywatch-test", SecretKey: "dutywatch-test-secret-key"}
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case srv.Endpoint = <-addr:
	case <-exited:
		out, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("%w\nfauxqs output:\n%s", errExited, out)
	case <-timer.C:
		return nil, fmt.Errorf("no address after %v", startTimeout)
	}
	if err := waitHealthy(srv.Endpoint+"/health", exited); err != nil {
		return nil, err
	}
	srv.Client = awssqs.NewFromConfig(aws.Config{
		Region:      srv.Region,
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	}, func(o *awssqs.Options) { o.BaseEndpoint = aws.String(srv.Endpoint) })
	return srv, nil
}

// waitHealthy polls url until it answers 200.
func waitHealthy(url string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(resp.Status)
		}
		select {
		case <-exited:
			return errExited
		case <-deadline.C:
			return fmt.Errorf("not healthy after %v: %w", startTimeout, err)
		case <-tick.C:
		}
	}
}

func stopFauxQS(t testing.TB, cmd *exec.Cmd, stdin io.Closer, exited <-chan struct{}) {
	_ = cmd.Process.Signal(os.Interrupt)
	_ = stdin.Close()
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-exited:
		return
	case <-timer.C:
	}
	t.Logf("fauxqs (pid %d) did not stop after %v; killing it", cmd.Process.Pid, stopTimeout)
	_ = cmd.Process.Kill()
	<-exited
}

// CreateQueue creates a standard queue with attrs (VisibilityTimeout,
// RedrivePolicy, ...) and returns its URL, failing t on error.
func (s *SQSServer) CreateQueue(t testing.TB, name string, attrs map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := s.Client.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// CreateQueueWithDLQ creates a queue whose messages move to a dead-letter
// queue name+"-dlq" once received more than maxReceives times. It returns
// both URLs.
func (s *SQSServer) CreateQueueWithDLQ(t testing.TB, name string, maxReceives int) (queueURL, dlqURL string) {
	t.Helper()
	dlqURL = s.CreateQueue(t, name+"-dlq", nil)
	arn := s.Attribute(t, dlqURL, types.QueueAttributeNameQueueArn)
	policy := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`, arn, maxReceives)
	queueURL = s.CreateQueue(t, name, map[string]string{string(types.QueueAttributeNameRedrivePolicy): policy})
	return queueURL, dlqURL
}

// Attribute returns one attribute of a queue, failing t on error.
func (s *SQSServer) Attribute(t testing.TB, queueURL string, name types.QueueAttributeName) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := s.Client.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL), AttributeNames: []types.QueueAttributeName{name},
	})
	if err != nil {
		t.Fatalf("get %s of %s: %v", name, queueURL, err)
	}
	return out.Attributes[string(name)]
}

// Counts returns how many messages a queue holds: visible, and in flight
// (received, neither deleted nor visible again).
func (s *SQSServer) Counts(t testing.TB, queueURL string) (visible, inFlight int) {
	t.Helper()
	v, err := strconv.Atoi(s.Attribute(t, queueURL, types.QueueAttributeNameApproximateNumberOfMessages))
	if err != nil {
		t.Fatalf("visible messages of %s: %v", queueURL, err)
	}
	f, err := strconv.Atoi(s.Attribute(t, queueURL, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible))
	if err != nil {
		t.Fatalf("messages in flight of %s: %v", queueURL, err)
	}
	return v, f
}

// Send sends one message, failing t on error.
func (s *SQSServer) Send(t testing.TB, queueURL, body string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Client.SendMessage(ctx, &awssqs.SendMessageInput{
		QueueUrl: aws.String(queueURL), MessageBody: aws.String(body),
	}); err != nil {
		t.Fatalf("send to %s: %v", queueURL, err)
	}
}
