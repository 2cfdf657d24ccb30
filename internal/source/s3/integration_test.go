package s3

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/testenv"
)

// isolateAWSEnv keeps the developer's AWS settings out of a test: no
// credentials or profile from the environment, no config files, no
// instance metadata.
func isolateAWSEnv(t *testing.T) {
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ENDPOINT_URL",
		"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// serverClientConfig reaches srv with its static keys.
func serverClientConfig(srv *testenv.S3Server) ClientConfig {
	return ClientConfig{
		Region: srv.Region, Endpoint: srv.Endpoint, ForcePathStyle: true,
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, MaxAttempts: 2,
	}
}

func serverSource(t *testing.T, cc ClientConfig, cfg Config, st source.State) *Source {
	t.Helper()
	client, err := NewClient(context.Background(), cc)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ClientConfig = cc
	src, err := New(cfg, client, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	src.now = func() time.Time { return now }
	return src
}

func putAll(t *testing.T, srv *testenv.S3Server, b string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		srv.Put(t, b, k, []byte("body of "+k))
	}
}

func readBody(t *testing.T, src *Source, o source.Object) string {
	t.Helper()
	rc, err := src.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIntegrationFirehose(t *testing.T) {
	isolateAWSEnv(t)
	srv := testenv.VersityGW(t)
	srv.CreateBucket(t, "gd-firehose")
	old := hours("05/02", 20, 23)
	today := hours("05/03", 0, 10)
	putAll(t, srv, "gd-firehose", append(old, today...)...)
	putAll(t, srv, "gd-firehose", "fh/processing-failed/2024/05/03/10/gd-1-2024-05-03-10-00-00-x", "fh/README")

	st := &testenv.State{}
	src := serverSource(t, serverClientConfig(srv), Config{Bucket: "gd-firehose", Path: "fh", Name: "fire"}, st)
	src.maxKeys = 3 // many pages
	ctx := context.Background()

	objs := testenv.ListAll(t, src.List(ctx))
	if got := testenv.Keys(objs); !slices.Equal(got, today) {
		t.Fatalf("first run:\n got %q\nwant %q", got, today)
	}
	for _, o := range objs[:2] {
		if o.ETag == "" || o.Size != int64(len("body of ")+len(o.Key)) || o.LastModified.IsZero() || o.Scope != "s3://gd-firehose/fh/" {
			t.Errorf("object %+v", o)
		}
		if got := readBody(t, src, o); got != "body of "+o.Key {
			t.Errorf("body of %s = %q", o.Key, got)
		}
	}
	if st := src.Stats(); st.ListCalls < 4 {
		t.Errorf("stats %+v: want several pages", st)
	}
	st.CommitAll(objs)
	if got := testenv.ListAll(t, src.List(ctx)); len(got) != 0 {
		t.Fatalf("listing after commit: %q", testenv.Keys(got))
	}

	late := fhKey("05/03/08", "late")
	lost := fhKey("05/03/07", "lost")
	next := fhKey("05/03/11", "next")
	putAll(t, srv, "gd-firehose", late, lost, next)
	got := testenv.Keys(testenv.ListAll(t, src.List(ctx)))
	if want := []string{late, next}; !slices.Equal(got, want) {
		t.Fatalf("late objects:\n got %q\nwant %q", got, want)
	}
}

func TestIntegrationNative(t *testing.T) {
	isolateAWSEnv(t)
	srv := testenv.VersityGW(t)
	srv.CreateBucket(t, "gd-native")
	keys := []string{
		native("", acctA, "eu-west-1", "03", "5a1f"),
		native("", acctA, "us-east-1", "03", "0b2e"),
		native("", acctA, "us-east-1", "03", "e3c4"),
		native("", acctB, "us-east-1", "03", "77d0"),
	}
	putAll(t, srv, "gd-native", keys...)
	putAll(t, srv, "gd-native", native("", acctA, "us-east-1", "02", "before"))

	st := &testenv.State{}
	cfg := Config{Bucket: "gd-native", Path: "", OnlyLogsAfter: time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC)}
	src := serverSource(t, serverClientConfig(srv), cfg, st)
	src.maxKeys = 2
	ctx := context.Background()

	objs := testenv.ListAll(t, src.List(ctx))
	if got := testenv.Keys(objs); !slices.Equal(got, keys) {
		t.Fatalf("listing:\n got %q\nwant %q", got, keys)
	}
	wantScopes := []string{
		"s3://gd-native/AWSLogs/" + acctA + "/GuardDuty/eu-west-1/",
		"s3://gd-native/AWSLogs/" + acctA + "/GuardDuty/us-east-1/",
		"s3://gd-native/AWSLogs/" + acctA + "/GuardDuty/us-east-1/",
		"s3://gd-native/AWSLogs/" + acctB + "/GuardDuty/us-east-1/",
	}
	for i, o := range objs {
		if o.Scope != wantScopes[i] || o.Account == "" || o.Region == "" {
			t.Errorf("object %+v, want scope %s", o, wantScopes[i])
		}
	}
	st.CommitAll(objs)
	for _, sc := range wantScopes {
		c, _ := st.Cursor(ctx, sc)
		if !strings.HasPrefix(c, strings.TrimPrefix(sc, "s3://gd-native/")) {
			t.Errorf("cursor of %s = %q: not its own key", sc, c)
		}
	}

	// wazuh#27781: eu-west-1's new key sorts before us-east-1's cursor; a
	// shared marker would hide it. Account B lists only its own region.
	newKeys := []string{
		native("", acctA, "eu-west-1", "03", "0000"),
		native("", acctA, "us-east-1", "03", "1111"),
		native("", acctB, "us-east-1", "04", "2222"),
	}
	putAll(t, srv, "gd-native", newKeys...)
	got := testenv.Keys(testenv.ListAll(t, src.List(ctx)))
	if !slices.Equal(got, newKeys) {
		t.Fatalf("second listing:\n got %q\nwant %q", got, newKeys)
	}
}

func TestIntegrationRemove(t *testing.T) {
	isolateAWSEnv(t)
	srv := testenv.VersityGW(t)
	srv.CreateBucket(t, "gd-remove")
	key := fhKey("05/03/10", "rm")
	putAll(t, srv, "gd-remove", key)
	src := serverSource(t, serverClientConfig(srv), Config{Bucket: "gd-remove", Path: "fh", Remove: true}, &testenv.State{})
	ctx := context.Background()
	objs := testenv.ListAll(t, src.List(ctx))
	if len(objs) != 1 {
		t.Fatalf("listing %q", testenv.Keys(objs))
	}
	if err := src.Done(ctx, objs[0]); err != nil {
		t.Fatal(err)
	}
	if got := testenv.ListAll(t, src.List(ctx)); len(got) != 0 {
		t.Fatalf("listing after remove: %q", testenv.Keys(got))
	}
	_, err := src.Open(ctx, objs[0])
	if err == nil || errors.Is(err, source.ErrTransient) || !strings.Contains(err.Error(), "s3://gd-remove/"+key) {
		t.Fatalf("open removed object: %v", err)
	}
}

func TestIntegrationWrongSecret(t *testing.T) {
	isolateAWSEnv(t)
	srv := testenv.VersityGW(t)
	srv.CreateBucket(t, "gd-auth")
	cc := serverClientConfig(srv)
	cc.SecretKey = "not-the-secret"
	src := serverSource(t, cc, Config{Bucket: "gd-auth", Path: "fh"}, &testenv.State{})
	var err error
	for _, e := range src.List(context.Background()) {
		err = e
	}
	if err == nil || errors.Is(err, source.ErrTransient) {
		t.Fatalf("error = %v, want a permanent error", err)
	}
	for _, want := range []string{"list s3://gd-auth/fh/AWSLogs/", "credentials rejected", "SignatureDoesNotMatch"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "not-the-secret") {
		t.Errorf("error shows the secret: %v", err)
	}
}

// listOnce lists bucket b through a client built from cc and returns the
// first error.
func listOnce(t *testing.T, cc ClientConfig, b string) error {
	t.Helper()
	client, err := NewClient(context.Background(), cc)
	if err != nil {
		return err
	}
	_, err = client.ListObjectsV2(context.Background(), &awss3.ListObjectsV2Input{Bucket: aws.String(b)})
	return err
}

func TestIntegrationCredentials(t *testing.T) {
	srv := testenv.VersityGW(t)
	srv.CreateBucket(t, "gd-creds")
	endpointOnly := ClientConfig{Endpoint: srv.Endpoint, ForcePathStyle: true, MaxAttempts: 1}

	t.Run("static keys", func(t *testing.T) {
		isolateAWSEnv(t)
		if err := listOnce(t, serverClientConfig(srv), "gd-creds"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("environment", func(t *testing.T) {
		isolateAWSEnv(t)
		t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
		t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
		t.Setenv("AWS_REGION", srv.Region)
		if err := listOnce(t, endpointOnly, "gd-creds"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("profile", func(t *testing.T) {
		isolateAWSEnv(t)
		dir := t.TempDir()
		config := filepath.Join(dir, "config")
		creds := filepath.Join(dir, "credentials")
		writeFile(t, config, "[default]\nregion = eu-west-3\n\n[profile dw]\nregion = "+srv.Region+"\n")
		writeFile(t, creds, fmt.Sprintf("[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n\n"+
			"[dw]\naws_access_key_id = %s\naws_secret_access_key = %s\n", srv.AccessKey, srv.SecretKey))
		t.Setenv("AWS_CONFIG_FILE", config)
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
		cc := endpointOnly
		cc.Profile = "dw"
		if err := listOnce(t, cc, "gd-creds"); err != nil {
			t.Fatal(err)
		}
		if err := listOnce(t, endpointOnly, "gd-creds"); err == nil {
			t.Fatal("the default profile's wrong keys were accepted")
		}
		cc.Profile = "missing"
		if err := listOnce(t, cc, "gd-creds"); err == nil || !strings.Contains(err.Error(), "missing") {
			t.Fatalf("missing profile: %v", err)
		}
	})
	t.Run("assume role", func(t *testing.T) {
		isolateAWSEnv(t)
		sts := &fakeSTS{key: srv.AccessKey, secret: srv.SecretKey}
		ts := httptest.NewServer(sts)
		defer ts.Close()
		cc := serverClientConfig(srv)
		cc.AccessKey, cc.SecretKey = "base-key", "base-secret"
		cc.RoleARN = "arn:aws:iam::111111111111:role/reader"
		cc.ExternalID, cc.RoleDuration, cc.STSEndpoint = "ext-42", 30*time.Minute, ts.URL
		client, err := NewClient(context.Background(), cc)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			_, err := client.ListObjectsV2(context.Background(), &awss3.ListObjectsV2Input{Bucket: aws.String("gd-creds")})
			if err != nil {
				t.Fatal(err)
			}
		}
		calls, form := sts.seen()
		if calls != 1 {
			t.Errorf("AssumeRole called %d times for two requests, want 1 (cached)", calls)
		}
		want := url.Values{"RoleArn": {cc.RoleARN}, "ExternalId": {"ext-42"}, "DurationSeconds": {"1800"}, "RoleSessionName": {"dutywatch"}}
		for k, v := range want {
			if form.Get(k) != v[0] {
				t.Errorf("AssumeRole %s = %q, want %q", k, form.Get(k), v[0])
			}
		}
	})
	t.Run("assume role refreshes expired credentials", func(t *testing.T) {
		isolateAWSEnv(t)
		// Credentials that are already past their expiry when the next
		// request comes, as after hours of a long run: each request must
		// assume the role again instead of signing with stale keys.
		sts := &fakeSTS{key: srv.AccessKey, secret: srv.SecretKey, ttl: -time.Minute}
		ts := httptest.NewServer(sts)
		defer ts.Close()
		cc := serverClientConfig(srv)
		cc.AccessKey, cc.SecretKey = "base-key", "base-secret"
		cc.RoleARN, cc.STSEndpoint = "arn:aws:iam::111111111111:role/reader", ts.URL
		client, err := NewClient(context.Background(), cc)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := client.ListObjectsV2(context.Background(), &awss3.ListObjectsV2Input{Bucket: aws.String("gd-creds")}); err != nil {
				t.Fatal(err)
			}
		}
		if calls, _ := sts.seen(); calls != 3 {
			t.Errorf("AssumeRole called %d times for three requests with expired credentials, want 3", calls)
		}
	})
	t.Run("half static keys", func(t *testing.T) {
		if _, err := NewClient(context.Background(), ClientConfig{AccessKey: "x"}); err == nil {
			t.Fatal("accepted an access key without a secret")
		}
	})
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// fakeSTS answers AssumeRole with the S3 server's keys, recording the
// request. The session token is empty: versitygw rejects tokens it did
// not issue, and with none the S3 requests are signed with the role's
// keys alone.
type fakeSTS struct {
	key, secret string
	// ttl is how long the issued credentials live; 0 means an hour.
	ttl time.Duration
	// mu guards the fields below.
	mu    sync.Mutex
	calls int
	form  url.Values
}

func (f *fakeSTS) seen() (int, url.Values) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.form
}

func (f *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "AssumeRole" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.calls++
	f.form = r.Form
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken></SessionToken>
<Expiration>%s</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::111111111111:assumed-role/reader/dutywatch</Arn><AssumedRoleId>AROA:dutywatch</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		f.key, f.secret, time.Now().Add(cmp.Or(f.ttl, time.Hour)).UTC().Format(time.RFC3339))
}
