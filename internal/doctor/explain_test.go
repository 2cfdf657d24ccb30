package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// answer wraps an API error the way the SDK does, with the HTTP response.
func answer(status int, hdr http.Header, code, msg string) error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "ListObjectsV2", Err: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status, Header: hdr}},
		Err:      &smithy.GenericAPIError{Code: code, Message: msg},
	}}
}

func TestExplain(t *testing.T) {
	base := target{bucket: "gd", path: "fh/", region: "us-east-1", principal: "arn:aws:iam::123456789012:role/reader"}
	tests := []struct {
		name         string
		t            target
		op           op
		err          error
		detail, fix  string
		noFixAllowed bool
	}{
		{name: "kms without a key arn", op: opGet, err: answer(403, nil, "KMS.DisabledException", "key is disabled"),
			detail: "KMS refused to decrypt the object (KMS.DisabledException: key is disabled)",
			fix:    "grant kms:Decrypt on the bucket's KMS key (aws s3api get-bucket-encryption --bucket gd) to arn:aws:iam::123456789012:role/reader"},
		{name: "get denied", op: opGet, err: answer(403, nil, "AccessDenied", "Access Denied"),
			detail: "AccessDenied: Access Denied", fix: "grant s3:GetObject on arn:aws:s3:::gd/fh/* to arn:aws:iam::123456789012:role/reader"},
		{name: "list denied in govcloud, principal unknown", t: target{bucket: "gd", region: "us-gov-west-1"}, op: opList,
			err: answer(403, nil, "AccessDenied", "Access Denied"), detail: "AccessDenied",
			fix: "grant s3:ListBucket on arn:aws-us-gov:s3:::gd to the identity dutywatch runs as"},
		{name: "expired session of a profile", t: target{profile: "sso"}, op: opIdentity, err: answer(400, nil, "ExpiredToken", "The security token included in the request is expired"),
			detail: "session token expired", fix: "aws sso login --profile sso"},
		{name: "skewed request", op: opList, err: answer(403, nil, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."),
			detail: "too far from the server's", fix: "sync the clock"},
		{name: "redirect without a region", op: opList, err: answer(301, nil, "PermanentRedirect", "moved"),
			detail: "the bucket is in another region than us-east-1", fix: "aws s3api get-bucket-location --bucket gd"},
		{name: "bare 301", op: opList, err: answer(301, http.Header{"X-Amz-Bucket-Region": {"sa-east-1"}}, "MovedPermanently", ""),
			detail: "bucket is in region sa-east-1", fix: "set region: sa-east-1"},
		{name: "unknown code", op: opList, err: answer(400, nil, "InvalidArgument", "nope"), detail: "InvalidArgument: nope", noFixAllowed: true},
		{name: "timeout", op: opList, err: fmt.Errorf("list: %w", context.DeadlineExceeded),
			detail: "no answer in time", fix: "check network access to s3.us-east-1.amazonaws.com"},
		{name: "dns", t: target{endpoint: "https://minio.internal:9000"}, op: opList,
			err:    &smithyhttp.RequestSendError{Err: &net.DNSError{Err: "no such host", Name: "minio.internal", IsNotFound: true}},
			detail: "cannot reach minio.internal:9000: lookup minio.internal: no such host", fix: "service_endpoint https://minio.internal:9000"},
		{name: "connection reset", op: opGet, err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET},
			detail: "cannot reach s3.us-east-1.amazonaws.com: read tcp: connection reset by peer", fix: "HTTPS_PROXY"},
		{name: "plain error", op: opGet, err: errors.New("something else"), detail: "something else", noFixAllowed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := tt.t
			if tg.bucket == "" {
				tg = base
				tg.profile, tg.endpoint = tt.t.profile, tt.t.endpoint
			}
			detail, fix := tg.explain(tt.op, tt.err)
			if !strings.Contains(detail, tt.detail) {
				t.Errorf("detail = %q, want it to contain %q", detail, tt.detail)
			}
			if !strings.Contains(fix, tt.fix) || (fix == "" && !tt.noFixAllowed) {
				t.Errorf("fix = %q, want it to contain %q", fix, tt.fix)
			}
		})
	}
}

func TestExplainConfig(t *testing.T) {
	var tg target
	detail, fix := tg.explainConfig(fmt.Errorf("load AWS config: %w", config.SharedConfigProfileNotExistError{Profile: "p1"}))
	if detail != "profile p1 is not in the shared config files" || !strings.Contains(fix, "aws configure --profile p1") {
		t.Errorf("got %q, %q", detail, fix)
	}
	detail, fix = tg.explainConfig(errors.New("bad ini"))
	if detail != "bad ini" || !strings.Contains(fix, "AWS_CONFIG_FILE") {
		t.Errorf("got %q, %q", detail, fix)
	}
}

func TestPrincipal(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:sts::123456789012:assumed-role/reader/dutywatch":    "arn:aws:iam::123456789012:role/reader",
		"arn:aws-cn:sts::123456789012:assumed-role/path-less/i-0abc": "arn:aws-cn:iam::123456789012:role/path-less",
		"arn:aws:iam::123456789012:user/doctor":                      "arn:aws:iam::123456789012:user/doctor",
		"arn:aws:sts::123456789012:federated-user/bob":               "arn:aws:sts::123456789012:federated-user/bob",
		"not an arn": "not an arn",
		"arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin/me": "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin",
	} {
		if got := principal(in); got != want {
			t.Errorf("principal(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsAWSEndpoint(t *testing.T) {
	for in, want := range map[string]bool{
		"": true,
		"https://bucket.vpce-0a1b2c3d-e4f5g6h7.s3.us-east-1.vpce.amazonaws.com": true,
		"https://s3.cn-north-1.amazonaws.com.cn":                                true,
		"https://s3.dualstack.us-east-1.api.aws":                                true,
		"http://127.0.0.1:9000":                                                 false,
		"https://minio.example.com":                                             false,
		"https://amazonaws.com.evil.example":                                    false,
	} {
		if got := isAWSEndpoint(in); got != want {
			t.Errorf("isAWSEndpoint(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestClockCheck(t *testing.T) {
	server := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		local  time.Duration
		result Result
		detail string
	}{
		{0, OK, "local clock agrees with the server's (Date: Sun, 01 Mar 2026 12:00:00 GMT)"},
		{1500 * time.Millisecond, OK, "agrees"},
		{-3 * time.Minute, OK, "local clock 3m0s behind the server's"},
		{5*time.Minute + time.Second, Warn, "local clock 5m1s ahead of the server's"},
		{-16 * time.Minute, Fail, "16m0s behind"},
	}
	for _, tt := range tests {
		c := serverClock{server: server, local: server.Add(tt.local)}
		got := c.check()
		if got.Result != tt.result || !strings.Contains(got.Detail, tt.detail) {
			t.Errorf("skew %v: %s %q, want %s with %q", tt.local, got.Result, got.Detail, tt.result, tt.detail)
		}
	}
	if got := (&serverClock{}).check(); got.Result != Skip {
		t.Errorf("no Date: %+v", got)
	}
}

func TestFormatters(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 59 * time.Second: "59s", 90 * time.Second: "1m", 5 * time.Hour: "5h",
		47 * time.Hour: "47h", 49 * time.Hour: "2d",
	} {
		if got := age(d); got != want {
			t.Errorf("age(%v) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 6600: "6.6 kB", 12_300_000: "12.3 MB"} {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q, want %q", n, got, want)
		}
	}
}
