package doctor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// isolateAWSEnv keeps the developer's AWS settings out of a test: no
// credentials or profile from the environment, no config files, no
// instance metadata.
func isolateAWSEnv(t *testing.T) {
	t.Helper()
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

// stsStub speaks the STS query protocol: GetCallerIdentity and
// AssumeRole, with SigV4 signatures checked against its keys, so a wrong
// secret is refused as AWS refuses it.
type stsStub struct {
	srv *httptest.Server
	// account and arn answer GetCallerIdentity for the long-term keys.
	account, arn string
	// denyAssume, when set, refuses AssumeRole with this message.
	denyAssume string

	// mu guards the field below.
	mu sync.Mutex
	// keys maps access key ids to secrets; AssumeRole adds its temporary
	// key, whose identity is the assumed role's session.
	keys map[string]stsKey
}

type stsKey struct {
	secret string
	arn    string
}

const (
	stubAccount = "123456789012"
	tempKey     = "ASIATEMPORARYKEY0001"
	tempSecret  = "temporary-secret"
)

func newSTSStub(t *testing.T, accessKey, secretKey string) *stsStub {
	s := &stsStub{
		account: stubAccount,
		arn:     "arn:aws:iam::" + stubAccount + ":user/doctor",
		keys:    map[string]stsKey{},
	}
	s.keys[accessKey] = stsKey{secret: secretKey, arn: s.arn}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *stsStub) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	key, code := s.verify(r, body)
	if code != "" {
		stsError(w, http.StatusForbidden, code, "The request signature we calculated does not match the signature you provided.")
		return
	}
	switch form.Get("Action") {
	case "GetCallerIdentity":
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult><Arn>%s</Arn><UserId>AIDAEXAMPLE</UserId><Account>%s</Account></GetCallerIdentityResult>
  <ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`, key.arn, s.account)
	case "AssumeRole":
		if s.denyAssume != "" {
			stsError(w, http.StatusForbidden, "AccessDenied", s.denyAssume)
			return
		}
		role := form.Get("RoleArn")
		name := role[strings.LastIndexByte(role, '/')+1:]
		session := "arn:aws:sts::" + s.account + ":assumed-role/" + name + "/" + form.Get("RoleSessionName")
		s.mu.Lock()
		s.keys[tempKey] = stsKey{secret: tempSecret, arn: session}
		s.mu.Unlock()
		fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
  <Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>token</SessionToken>
  <Expiration>%s</Expiration></Credentials>
  <AssumedRoleUser><Arn>%s</Arn><AssumedRoleId>AROAEXAMPLE:%s</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			tempKey, tempSecret, time.Now().Add(time.Hour).UTC().Format(time.RFC3339), session, form.Get("RoleSessionName"))
	default:
		stsError(w, http.StatusBadRequest, "InvalidAction", "unknown action "+form.Get("Action"))
	}
}

func stsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
		code, xmlEscape(msg))
}

// verify checks the SigV4 signature of r by signing a copy with the
// secret of its access key; it returns the error code AWS would give.
func (s *stsStub) verify(r *http.Request, body []byte) (stsKey, string) {
	fields := map[string]string{}
	auth, _ := strings.CutPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ")
	for _, f := range strings.Split(auth, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/") // AKID/date/region/service/aws4_request
	if len(scope) != 5 {
		return stsKey{}, "MissingAuthenticationToken"
	}
	s.mu.Lock()
	key, ok := s.keys[scope[0]]
	s.mu.Unlock()
	if !ok {
		return stsKey{}, "InvalidClientTokenId"
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return stsKey{}, "IncompleteSignature"
	}
	req, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	for _, h := range strings.Split(fields["SignedHeaders"], ";") {
		if h != "host" {
			req.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: scope[0], SecretAccessKey: key.secret, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), scope[3], scope[2], at); err != nil {
		return stsKey{}, "IncompleteSignature"
	}
	if !strings.HasSuffix(req.Header.Get("Authorization"), "Signature="+fields["Signature"]) {
		return stsKey{}, "SignatureDoesNotMatch"
	}
	return key, ""
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// s3Stub is a path-style S3 endpoint for one bucket holding objects, for
// the answers versitygw cannot give (KMS denials, region redirects, a
// skewed clock). It does not check signatures.
type s3Stub struct {
	srv     *httptest.Server
	bucket  string
	objects map[string][]byte
	mod     time.Time
	// date, when set, is sent as the Date header.
	date time.Time
	// list and get, when set, answer instead of the objects.
	list func(w http.ResponseWriter) bool
	get  func(w http.ResponseWriter, key string) bool
}

func newS3Stub(t *testing.T, bucket string, objects map[string][]byte) *s3Stub {
	s := &s3Stub{bucket: bucket, objects: objects, mod: time.Now().UTC()}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *s3Stub) serve(w http.ResponseWriter, r *http.Request) {
	if !s.date.IsZero() {
		w.Header().Set("Date", s.date.UTC().Format(http.TimeFormat))
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case bucket != s.bucket:
		s3Error(w, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
	case key == "" && s.list != nil && s.list(w):
	case key == "":
		s.serveList(w, r.URL.Query())
	case s.get != nil && s.get(w, key):
	default:
		body, ok := s.objects[key]
		if !ok {
			s3Error(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
			return
		}
		w.Write(body)
	}
}

func (s *s3Stub) serveList(w http.ResponseWriter, q url.Values) {
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	var keys []string
	for k := range s.objects {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	fmt.Fprintf(&b, `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>%s</Name><Prefix>%s</Prefix><IsTruncated>false</IsTruncated>`,
		s.bucket, xmlEscape(prefix))
	seen := map[string]bool{}
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		if i := strings.Index(rest, delim); delim != "" && i >= 0 {
			cp := prefix + rest[:i+len(delim)]
			if !seen[cp] {
				seen[cp] = true
				fmt.Fprintf(&b, `<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>`, xmlEscape(cp))
			}
			continue
		}
		fmt.Fprintf(&b, `<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>"e"</ETag><Size>%d</Size></Contents>`,
			xmlEscape(k), s.mod.Format("2006-01-02T15:04:05.000Z"), len(s.objects[k]))
	}
	b.WriteString(`</ListBucketResult>`)
	w.Header().Set("Content-Type", "application/xml")
	io.WriteString(w, b.String())
}

func s3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>r</RequestId></Error>`,
		code, xmlEscape(msg))
}
