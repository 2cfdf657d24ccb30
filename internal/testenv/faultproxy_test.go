package testenv

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"go.uber.org/goleak"
)

// echo is an upstream that answers GETs with a fixed body and describes
// every request it receives in headers.
func echo(t *testing.T, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Host", r.Host)
		w.Header().Set("X-Request-Uri", r.RequestURI)
		w.Header().Set("X-Body", string(in))
		w.Header().Set("X-Auth", r.Header.Get("Authorization"))
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// client returns an HTTP client whose connections are closed when t ends.
func client(t *testing.T, timeout time.Duration) *http.Client {
	t.Helper()
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

func do(t *testing.T, c *http.Client, method, rawURL string, body string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	return resp, got, err
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name, method, uri string
		want              Op
	}{
		{"list v2", "GET", "/bucket?list-type=2&prefix=a%2F&start-after=a%2Fb", OpList},
		{"list v2 trailing slash", "GET", "/bucket/?list-type=2", OpList},
		{"get object", "GET", "/bucket/a/b.gz?x-id=GetObject", OpGet},
		{"get object bare", "GET", "/bucket/key", OpGet},
		{"get part", "GET", "/bucket/key?partNumber=1", OpGet},
		{"get tagging", "GET", "/bucket/key?tagging", OpOther},
		{"list v1", "GET", "/bucket", OpOther},
		{"bucket location", "GET", "/bucket?location", OpOther},
		{"list buckets", "GET", "/", OpOther},
		{"head object", "HEAD", "/bucket/key", OpOther},
		{"delete object", "DELETE", "/bucket/key", OpOther},
		{"put object", "PUT", "/bucket/key", OpPut},
		{"create bucket", "PUT", "/bucket", OpPut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.uri, nil)
			if got := classify(r); got != tt.want {
				t.Errorf("classify(%s %s) = %v; want %v", tt.method, tt.uri, got, tt.want)
			}
		})
	}
}

func TestFaultProxyForwardsExactly(t *testing.T) {
	up := echo(t, "hello")
	p := NewFaultProxy(t, up.URL, FaultConfig{})
	c := client(t, 10*time.Second)
	proxyHost := strings.TrimPrefix(p.URL, "http://")

	tests := []struct {
		name, method, uri, body string
	}{
		{"escaped key", "GET", "/bucket/a%2Fb%20c%3Dd%3Ae%2Bf~g?x-id=GetObject", ""},
		{"list with query", "GET", "/bucket?list-type=2&prefix=fire%2F&start-after=fire%2F2025%2F", ""},
		{"put with body", "PUT", "/bucket/k%20ey", "payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, got, err := do(t, c, tt.method, p.URL+tt.uri, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "hello" {
				t.Errorf("body = %q", got)
			}
			if h := resp.Header.Get("X-Host"); h != proxyHost {
				t.Errorf("upstream saw Host %q; want the proxy's %q", h, proxyHost)
			}
			if u := resp.Header.Get("X-Request-Uri"); u != tt.uri {
				t.Errorf("upstream saw %q; want %q", u, tt.uri)
			}
			if b := resp.Header.Get("X-Body"); b != tt.body {
				t.Errorf("upstream got body %q; want %q", b, tt.body)
			}
			if a := resp.Header.Get("X-Auth"); a == "" {
				t.Error("Authorization header not forwarded")
			}
		})
	}
	got := p.Counts()
	if got.Requests[OpGet] != 1 || got.Requests[OpList] != 1 || got.Requests[OpPut] != 1 || got.TotalFaults() != 0 {
		t.Errorf("counts = %v; want one get, one list, one put, no faults", got)
	}
}

func TestFaultProxyFaults(t *testing.T) {
	body := strings.Repeat("0123456789", 1000)
	up := echo(t, body)
	tests := []struct {
		kind  FaultKind
		check func(t *testing.T, resp *http.Response, got []byte, err error)
	}{
		{FaultSlowDown, func(t *testing.T, resp *http.Response, got []byte, err error) {
			if err != nil || resp.StatusCode != http.StatusServiceUnavailable || !bytes.Contains(got, []byte("<Code>SlowDown</Code>")) {
				t.Errorf("got %v %q, %v; want 503 SlowDown", resp, got, err)
			}
		}},
		{FaultTruncate, func(t *testing.T, resp *http.Response, got []byte, err error) {
			if !errors.Is(err, io.ErrUnexpectedEOF) || resp.ContentLength != int64(len(body)) || len(got) >= len(body) {
				t.Errorf("read %d of %d bytes (Content-Length %d), %v; want unexpected EOF before the end",
					len(got), len(body), resp.ContentLength, err)
			}
		}},
		{FaultReset, func(t *testing.T, resp *http.Response, got []byte, err error) {
			if err == nil || len(got) >= len(body) {
				t.Errorf("read %d of %d bytes, %v; want an error before the end", len(got), len(body), err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			p := NewFaultProxy(t, up.URL, FaultConfig{GetRate: 1, Kinds: []FaultKind{tt.kind}})
			c := client(t, 10*time.Second)
			for range 5 {
				resp, got, err := do(t, c, "GET", p.URL+"/bucket/key", "")
				if resp == nil && tt.kind != FaultReset {
					t.Fatalf("no response: %v", err)
				}
				tt.check(t, resp, got, err)
			}
			if n := p.Counts().Faults[tt.kind]; n != 5 {
				t.Errorf("%d %v faults counted; want 5", n, tt.kind)
			}
			// Lists are not faulted when only GetRate is set.
			if _, got, err := do(t, c, "GET", p.URL+"/bucket?list-type=2", ""); err != nil || string(got) != body {
				t.Errorf("list through a get-only proxy: %d bytes, %v", len(got), err)
			}
		})
	}
}

func TestFaultProxyDelay(t *testing.T) {
	up := echo(t, "late")
	t.Run("past the client's timeout", func(t *testing.T) {
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		p, err := StartFaultProxy(up.URL, FaultConfig{ListRate: 1, Kinds: []FaultKind{FaultDelay}, Delay: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		tr := &http.Transport{}
		c := &http.Client{Transport: tr, Timeout: 50 * time.Millisecond}
		_, err = c.Get(p.URL + "/bucket?list-type=2")
		var nerr net.Error
		if !errors.As(err, &nerr) || !nerr.Timeout() {
			t.Errorf("err = %v; want a client timeout", err)
		}
		tr.CloseIdleConnections()
		p.Close() // must not wait out the hour
		if c := p.Counts(); c.Faults[FaultDelay] != 1 || c.Abandoned != 1 {
			t.Errorf("counts = %v; want one delay, abandoned", c)
		}
	})
	t.Run("within the client's timeout", func(t *testing.T) {
		const delay = 30 * time.Millisecond
		p := NewFaultProxy(t, up.URL, FaultConfig{GetRate: 1, Kinds: []FaultKind{FaultDelay}, Delay: delay})
		start := time.Now()
		_, got, err := do(t, client(t, 10*time.Second), "GET", p.URL+"/bucket/key", "")
		if err != nil || string(got) != "late" {
			t.Fatalf("got %q, %v; want the body, late", got, err)
		}
		if took := time.Since(start); took < delay {
			t.Errorf("answered after %v; want at least %v", took, delay)
		}
		if c := p.Counts(); c.Faults[FaultDelay] != 1 || c.Abandoned != 0 {
			t.Errorf("counts = %v; want one delay, not abandoned", c)
		}
	})
}

func TestFaultProxyRate(t *testing.T) {
	up := echo(t, strings.Repeat("x", 512))
	run := func() ProxyCounts {
		p := NewFaultProxy(t, up.URL, FaultConfig{Seed: 42, GetRate: 0.2, Delay: time.Millisecond})
		c := client(t, 10*time.Second)
		for range 1000 {
			_, _, _ = do(t, c, "GET", p.URL+"/bucket/key", "")
		}
		return p.Counts()
	}
	first := run()
	// 1000 draws at 0.2: mean 200, standard deviation about 13.
	if n := first.TotalFaults(); n < 150 || n > 250 {
		t.Errorf("%d faults in 1000 gets; want about 200", n)
	}
	for _, k := range AllFaults() {
		if first.Faults[k] == 0 {
			t.Errorf("no %v fault in %v", k, first)
		}
	}
	if second := run(); second != first {
		t.Errorf("same seed, same sequential requests, different faults:\n%v\n%v", first, second)
	}
	t.Logf("%v", first)
}

// TestFaultProxySigV4 checks that signed requests made for the proxy's
// address verify at a real S3 server behind it, keys with characters
// SigV4 escapes included.
func TestFaultProxySigV4(t *testing.T) {
	srv := VersityGW(t)
	p := NewFaultProxy(t, srv.Endpoint, FaultConfig{})
	s3 := awss3.NewFromConfig(aws.Config{
		Region:      srv.Region,
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	}, func(o *awss3.Options) {
		o.BaseEndpoint = aws.String(p.URL)
		o.UsePathStyle = true
	})
	ctx := context.Background()
	const key = "dir/a b=c:d+e~f(g)!h*i'j,k;l@m$n&o.json"
	if _, err := s3.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("bucket")}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	if _, err := s3.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String("bucket"), Key: aws.String(key), Body: strings.NewReader("signed"),
	}); err != nil {
		t.Fatalf("put: %v", err)
	}
	list, err := s3.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{
		Bucket: aws.String("bucket"), Prefix: aws.String("dir/"), StartAfter: aws.String("dir/"),
	})
	if err != nil || len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != key {
		t.Fatalf("list = %+v, %v", list, err)
	}
	out, err := s3.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || string(got) != "signed" {
		t.Fatalf("body = %q, %v", got, err)
	}
	c := p.Counts()
	if c.Requests[OpList] != 1 || c.Requests[OpGet] != 1 {
		t.Errorf("counts = %v; want one list and one get", c)
	}
}
