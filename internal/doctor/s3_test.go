package doctor

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/internal/layout"
	s3source "github.com/dutywatch/dutywatch/internal/source/s3"
	"github.com/dutywatch/dutywatch/internal/testenv"
)

const kmsKey = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// gwConfig reaches bucket on srv with srv's keys, like a configured s3
// source with service_endpoint.
func gwConfig(srv *testenv.S3Server, bucket, path string) s3source.Config {
	c := s3source.DefaultConfig()
	c.Name, c.Bucket, c.Path = "guardduty", bucket, path
	c.Region, c.Endpoint, c.ForcePathStyle = srv.Region, srv.Endpoint, true
	c.AccessKey, c.SecretKey = srv.AccessKey, srv.SecretKey
	return c
}

// stubConfig reaches an s3Stub as an AWS bucket in us-east-1 would be
// reached, with STS at sts.
func stubConfig(s3 *s3Stub, sts *stsStub, path string) s3source.Config {
	c := s3source.DefaultConfig()
	c.Name, c.Bucket, c.Path = "guardduty", s3.bucket, path
	c.Region, c.Endpoint, c.ForcePathStyle = "us-east-1", s3.srv.URL, true
	c.AccessKey, c.SecretKey = "AKIADOCTOREXAMPLE", "doctor-secret"
	if sts != nil {
		c.STSEndpoint = sts.srv.URL
	}
	return c
}

func generate(t *testing.T, srv *testenv.S3Server, bucket string, cfg generator.Config) generator.Summary {
	t.Helper()
	sum, err := generator.Generate(context.Background(), cfg, generator.S3Writer{Client: srv.Client, Bucket: bucket})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

type s3Case struct {
	name string
	// gw cases run against versitygw; the others against stubs.
	gw     bool
	setup  func(t *testing.T, srv *testenv.S3Server) (s3source.Config, Options)
	want   []row
	sample string // "healthy" or "broken": copied into testdata/<sample>.txt with -update
}

func TestCheckS3(t *testing.T) {
	isolateAWSEnv(t)
	samples := map[string][]Report{}
	for _, tt := range s3Cases() {
		t.Run(tt.name, func(t *testing.T) {
			var srv *testenv.S3Server
			if tt.gw {
				srv = testenv.VersityGW(t)
			}
			cfg, opt := tt.setup(t, srv)
			if opt.MaxAttempts == 0 {
				opt.MaxAttempts = 1
			}
			rep := CheckS3(context.Background(), cfg, opt)
			checkRows(t, rep, tt.want)
			if tt.sample != "" {
				samples[tt.sample] = append(samples[tt.sample], rep)
			}
		})
	}
	writeSample(t, "healthy.txt", samples["healthy"])
	writeSample(t, "broken.txt", samples["broken"])
}

func s3Cases() []s3Case {
	return append(versityCases(), stubCases()...)
}

func versityCases() []s3Case {
	return []s3Case{{
		name: "healthy firehose", gw: true, sample: "healthy",
		setup: func(t *testing.T, srv *testenv.S3Server) (s3source.Config, Options) {
			srv.CreateBucket(t, "findings")
			generate(t, srv, "findings", recent(generator.LayoutFirehose, "firehose/"))
			cfg := gwConfig(srv, "findings", "firehose")
			cfg.Name = "guardduty-firehose"
			cfg.STSEndpoint = newSTSStub(t, srv.AccessKey, srv.SecretKey).srv.URL
			return cfg, Options{}
		},
		want: []row{
			{name: "credentials", result: OK, detail: []string{"account 123456789012, arn:aws:iam::123456789012:user/doctor", "StaticCredentials"}},
			{name: "bucket", result: OK, detail: []string{"s3://findings/firehose/ is listable (region us-east-1"}},
			{name: "clock", result: OK, detail: []string{"Date: "}},
			{name: "layout", result: OK, detail: []string{"firehose (auto: nothing under s3://findings/firehose/AWSLogs/)"}},
			{name: "objects", result: OK, detail: []string{"first ", ", last ", "newest ", "set only_logs_after: "}},
			{name: "read", result: OK, detail: []string{"s3://findings/firehose/", "(gzip, ", "10 records, 10 findings; first: "}},
		},
	}, {
		name: "healthy native", gw: true, sample: "healthy",
		setup: func(t *testing.T, srv *testenv.S3Server) (s3source.Config, Options) {
			srv.CreateBucket(t, "exports")
			generate(t, srv, "exports", recent(generator.LayoutNative, "gd/"))
			cfg := gwConfig(srv, "exports", "gd/")
			cfg.Name = "guardduty-export"
			cfg.Layout = layout.Native
			return cfg, Options{}
		},
		want: []row{
			{name: "credentials", result: OK, detail: []string{"identity not checked", "no sts_endpoint"}},
			{name: "bucket", result: OK},
			{name: "clock", result: OK},
			{name: "layout", result: OK, detail: []string{"native (configured): 2 accounts, 4 account/region folders: 111122223333 (eu-west-1, us-east-1), 444455556666 (eu-west-1, us-east-1)"}},
			{name: "objects 111122223333", result: OK, detail: []string{"eu-west-1 ", "; us-east-1 ", " to "}},
			{name: "objects 444455556666", result: OK},
			{name: "read", result: OK, detail: []string{"s3://exports/gd/AWSLogs/", ".jsonl.gz (gzip, "}},
		},
	}, {
		name: "wrong secret", gw: true, sample: "broken",
		setup: func(t *testing.T, srv *testenv.S3Server) (s3source.Config, Options) {
			srv.CreateBucket(t, "findings")
			sts := newSTSStub(t, srv.AccessKey, srv.SecretKey)
			cfg := gwConfig(srv, "findings", "firehose/")
			cfg.Name, cfg.SecretKey, cfg.STSEndpoint = "wrong-secret", "not-the-secret", sts.srv.URL
			return cfg, Options{}
		},
		want: []row{
			{name: "credentials", result: Fail, detail: []string{"secret key does not match", "SignatureDoesNotMatch"},
				fix: []string{"check secret_key (for access_key dutywatch-test)"}},
			{name: "bucket", result: Fail, detail: []string{"SignatureDoesNotMatch"}, fix: []string{"check secret_key"}},
			{name: "clock", result: OK},
			{name: "layout", result: Skip}, {name: "objects", result: Skip}, {name: "read", result: Skip},
		},
	}, {
		name: "missing bucket", gw: true, sample: "broken",
		setup: func(t *testing.T, srv *testenv.S3Server) (s3source.Config, Options) {
			cfg := gwConfig(srv, "no-such-findings", "")
			cfg.Name = "missing-bucket"
			return cfg, Options{}
		},
		want: []row{
			{name: "credentials", result: OK},
			{name: "bucket", result: Fail, detail: []string{"no such bucket no-such-findings"},
				fix: []string{"check bucket: no bucket no-such-findings exists at 127.0.0.1:"}},
			{name: "clock", result: OK},
			{name: "layout", result: Skip}, {name: "objects", result: Skip}, {name: "read", result: Skip},
		},
	}, {
		name: "corrupt newest object", gw: true, sample: "broken",
		setup: func(t *testing.T, srv *testenv.S3Server) (s3source.Config, Options) {
			srv.CreateBucket(t, "findings")
			generate(t, srv, "findings", recent(generator.LayoutFirehose, ""))
			body := findingsGzip(t, 20)
			srv.Put(t, "findings", firehoseKey("", time.Now().Add(-time.Minute)), body[:len(body)/2])
			cfg := gwConfig(srv, "findings", "")
			cfg.Name = "corrupt-object"
			return cfg, Options{}
		},
		want: []row{
			{name: "credentials", result: OK}, {name: "bucket", result: OK}, {name: "clock", result: OK},
			{name: "layout", result: OK}, {name: "objects", result: OK},
			{name: "read", result: Fail, detail: []string{"s3://findings/" + time.Now().UTC().Format("2006/01/02/"), "guardduty-to-s3-1-", ".gz: byte ", "unexpected EOF"},
				fix: []string{"replace or remove the object"}},
		},
	}}
}

func stubCases() []s3Case {
	newest := firehoseKey("gd/", time.Now().Add(-time.Hour))
	return []s3Case{{
		name: "kms denied through an assumed role", sample: "broken",
		setup: func(t *testing.T, _ *testenv.S3Server) (s3source.Config, Options) {
			s3 := newS3Stub(t, "encrypted", map[string][]byte{newest: findingsGzip(t, 2)})
			s3.get = func(w http.ResponseWriter, key string) bool {
				s3Error(w, http.StatusForbidden, "AccessDenied", "User: arn:aws:sts::123456789012:assumed-role/dutywatch-reader/dutywatch "+
					"is not authorized to perform: kms:Decrypt on resource: "+kmsKey+" because no identity-based policy allows the kms:Decrypt action")
				return true
			}
			cfg := stubConfig(s3, newSTSStub(t, "AKIADOCTOREXAMPLE", "doctor-secret"), "gd/")
			cfg.Name, cfg.RoleARN = "kms-denied", "arn:aws:iam::123456789012:role/dutywatch-reader"
			return cfg, Options{}
		},
		want: []row{
			{name: "credentials", result: OK, detail: []string{"arn:aws:sts::123456789012:assumed-role/dutywatch-reader/dutywatch", "(role arn:aws:iam::123456789012:role/dutywatch-reader assumed)"}},
			{name: "bucket", result: OK}, {name: "clock", result: OK}, {name: "layout", result: OK}, {name: "objects", result: OK},
			{name: "read", result: Fail, detail: []string{"s3://encrypted/" + newest + ": KMS key " + kmsKey + " refused to decrypt the object (AccessDenied)"},
				fix: []string{"grant kms:Decrypt on key " + kmsKey + " to arn:aws:iam::123456789012:role/dutywatch-reader"}},
		},
	}, {
		name: "bucket in another region", sample: "broken",
		setup: func(t *testing.T, _ *testenv.S3Server) (s3source.Config, Options) {
			s3 := newS3Stub(t, "elsewhere", nil)
			s3.list = func(w http.ResponseWriter) bool {
				w.Header().Set("X-Amz-Bucket-Region", "eu-west-1")
				s3Error(w, http.StatusMovedPermanently, "PermanentRedirect",
					"The bucket you are attempting to access must be addressed using the specified endpoint.")
				return true
			}
			cfg := stubConfig(s3, newSTSStub(t, "AKIADOCTOREXAMPLE", "doctor-secret"), "")
			cfg.Name = "wrong-region"
			return cfg, Options{}
		},
		want: []row{
			{name: "credentials", result: OK},
			{name: "bucket", result: Fail, detail: []string{"bucket is in region eu-west-1, not us-east-1 (PermanentRedirect)"}, fix: []string{"set region: eu-west-1"}},
			{name: "clock", result: OK},
			{name: "layout", result: Skip}, {name: "objects", result: Skip}, {name: "read", result: Skip},
		},
	}, {
		name: "region from an AuthorizationHeaderMalformed message",
		setup: func(t *testing.T, _ *testenv.S3Server) (s3source.Config, Options) {
			s3 := newS3Stub(t, "elsewhere", nil)
			s3.list = func(w http.ResponseWriter) bool {
				s3Error(w, http.StatusBadRequest, "AuthorizationHeaderMalformed",
					"The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'ap-southeast-2'")
				return true
			}
			return stubConfig(s3, nil, ""), Options{}
		},
		want: []row{
			{name: "credentials", result: OK},
			{name: "bucket", result: Fail, detail: []string{"bucket is in region ap-southeast-2"}, fix: []string{"set region: ap-southeast-2"}},
			{name: "clock", result: OK},
			{name: "layout", result: Skip}, {name: "objects", result: Skip}, {name: "read", result: Skip},
		},
	}, {
		name: "list denied", sample: "broken",
		setup: func(t *testing.T, _ *testenv.S3Server) (s3source.Config, Options) {
			s3 := newS3Stub(t, "locked", nil)
			s3.list = func(w http.ResponseWriter) bool {
				s3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
				return true
			}
			cfg := stubConfig(s3, newSTSStub(t, "AKIADOCTOREXAMPLE", "doctor-secret"), "gd")
			cfg.Name = "list-denied"
			return cfg, Options{}
		},
		want: []row{
			{name: "credentials", result: OK},
			{name: "bucket", result: Fail, detail: []string{"AccessDenied: Access Denied"},
				fix: []string{"grant s3:ListBucket on arn:aws:s3:::locked to arn:aws:iam::123456789012:user/doctor (at least for prefix gd/)"}},
			{name: "clock", result: OK},
			{name: "layout", result: Skip}, {name: "objects", result: Skip}, {name: "read", result: Skip},
		},
	}, {
		name: "clock ten minutes ahead of the server",
		setup: func(t *testing.T, _ *testenv.S3Server) (s3source.Config, Options) {
			now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			s3 := newS3Stub(t, "b", nil)
			s3.date = now.Add(-10 * time.Minute)
			return stubConfig(s3, nil, ""), Options{Now: func() time.Time { return now }}
		},
		want: []row{
			{name: "credentials", result: OK}, {name: "bucket", result: OK},
			{name: "clock", result: Warn, detail: []string{"local clock 10m0s ahead of the server's (Date: Sun, 01 Mar 2026 11:50:00 GMT)"}, fix: []string{"sync the local clock"}},
			{name: "layout", result: OK}, {name: "objects", result: Warn}, {name: "read", result: Skip},
		},
	}, {
		name: "clock twenty minutes behind the server",
		setup: func(t *testing.T, _ *testenv.S3Server) (s3source.Config, Options) {
			now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			s3 := newS3Stub(t, "b", nil)
			s3.date = now.Add(20 * time.Minute)
			return stubConfig(s3, nil, ""), Options{Now: func() time.Time { return now }}
		},
		want: []row{
			{name: "credentials", result: OK}, {name: "bucket", result: OK},
			{name: "clock", result: Fail, detail: []string{"local clock 20m0s behind the server's"}, fix: []string{"more than 15m off"}},
			{name: "layout", result: OK}, {name: "objects", result: Warn}, {name: "read", result: Skip},
		},
	}, {
		name: "unknown access key at STS",
		setup: func(t *testing.T, _ *testenv.S3Server) (s3source.Config, Options) {
			s3 := newS3Stub(t, "b", nil)
			return stubConfig(s3, newSTSStub(t, "AKIAOTHERKEY", "x"), ""), Options{}
		},
		want: []row{
			{name: "credentials", result: Fail, detail: []string{"unknown or deactivated access key (InvalidClientTokenId)"},
				fix: []string{"create a new access key and update secret_key (for access_key AKIADOCTOREXAMPLE)"}},
			{name: "bucket", result: OK}, {name: "clock", result: OK}, {name: "layout", result: OK},
			{name: "objects", result: Warn}, {name: "read", result: Skip},
		},
	}, {
		name: "assume role denied",
		setup: func(t *testing.T, _ *testenv.S3Server) (s3source.Config, Options) {
			s3 := newS3Stub(t, "b", nil)
			sts := newSTSStub(t, "AKIADOCTOREXAMPLE", "doctor-secret")
			sts.denyAssume = "User: arn:aws:iam::123456789012:user/doctor is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::210987654321:role/reader"
			cfg := stubConfig(s3, sts, "")
			cfg.RoleARN, cfg.ExternalID = "arn:aws:iam::210987654321:role/reader", "ext-42"
			return cfg, Options{}
		},
		want: []row{
			{name: "credentials", result: Fail, detail: []string{"assume role arn:aws:iam::210987654321:role/reader: AccessDenied: User: "},
				fix: []string{"allow sts:AssumeRole on arn:aws:iam::210987654321:role/reader", "with external_id ext-42"}},
			{name: "bucket", result: Skip}, {name: "clock", result: Skip},
			{name: "layout", result: Skip}, {name: "objects", result: Skip}, {name: "read", result: Skip},
		},
	}, {
		name: "profile not found",
		setup: func(t *testing.T, _ *testenv.S3Server) (s3source.Config, Options) {
			s3 := newS3Stub(t, "b", nil)
			cfg := stubConfig(s3, nil, "")
			cfg.AccessKey, cfg.SecretKey, cfg.Profile = "", "", "guardduty-reader"
			return cfg, Options{}
		},
		want: []row{
			{name: "credentials", result: Fail, detail: []string{"profile guardduty-reader is not in the shared config files"},
				fix: []string{"aws configure --profile guardduty-reader"}},
			{name: "bucket", result: Skip}, {name: "clock", result: Skip},
			{name: "layout", result: Skip}, {name: "objects", result: Skip}, {name: "read", result: Skip},
		},
	}, {
		name: "no credentials anywhere",
		setup: func(t *testing.T, _ *testenv.S3Server) (s3source.Config, Options) {
			s3 := newS3Stub(t, "b", nil)
			cfg := stubConfig(s3, nil, "")
			cfg.AccessKey, cfg.SecretKey = "", ""
			return cfg, Options{}
		},
		want: []row{
			{name: "credentials", result: Fail, detail: []string{"no credentials found"}, fix: []string{"set aws_profile, or access_key and secret_key"}},
			{name: "bucket", result: Skip}, {name: "clock", result: Skip},
			{name: "layout", result: Skip}, {name: "objects", result: Skip}, {name: "read", result: Skip},
		},
	}, {
		name: "unreachable endpoint",
		setup: func(t *testing.T, _ *testenv.S3Server) (s3source.Config, Options) {
			s3 := newS3Stub(t, "b", nil)
			cfg := stubConfig(s3, nil, "")
			s3.srv.Close() // nothing listens there any more
			return cfg, Options{}
		},
		want: []row{
			{name: "credentials", result: OK},
			{name: "bucket", result: Fail, detail: []string{"cannot reach 127.0.0.1:", "connection refused"}, fix: []string{"HTTPS_PROXY", "service_endpoint"}},
			{name: "clock", result: Skip},
			{name: "layout", result: Skip}, {name: "objects", result: Skip}, {name: "read", result: Skip},
		},
	}}
}

// TestCheckS3ProfileWithKeys checks that a profile of the shared files is
// used, and named in fixes.
func TestCheckS3ProfileWithKeys(t *testing.T) {
	isolateAWSEnv(t)
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	os.WriteFile(creds, []byte("[reader]\naws_access_key_id = AKIAPROFILEKEY\naws_secret_access_key = wrong\n"), 0o600)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	s3 := newS3Stub(t, "b", nil)
	sts := newSTSStub(t, "AKIAPROFILEKEY", "right")
	cfg := stubConfig(s3, sts, "")
	cfg.AccessKey, cfg.SecretKey, cfg.Profile = "", "", "reader"
	rep := CheckS3(context.Background(), cfg, Options{MaxAttempts: 1})
	checkRows(t, rep, []row{
		{name: "credentials", result: Fail, detail: []string{"SignatureDoesNotMatch"},
			fix: []string{"check the secret key of profile reader (aws configure --profile reader)"}},
		{name: "bucket", result: OK}, {name: "clock", result: OK}, {name: "layout", result: OK},
		{name: "objects", result: Warn}, {name: "read", result: Skip},
	})
}
