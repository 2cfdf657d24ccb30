package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// op is the kind of request an error came from; it decides which IAM
// action a fix names.
type op int

const (
	opIdentity op = iota // credential resolution (AssumeRole) and GetCallerIdentity
	opList               // ListObjectsV2
	opGet                // GetObject
)

// target is what fixes name: the source's settings and, once known, the
// principal the credentials belong to. It holds no secrets.
type target struct {
	bucket, path, region, endpoint string
	profile, accessKey             string // accessKey is the key id, not the secret
	roleARN, externalID            string
	// principal is the IAM ARN of the caller ("" until the identity
	// check found it): a user, or the role behind an assumed-role session.
	principal string
}

// who names the principal in a fix.
func (t *target) who() string {
	if t.principal != "" {
		return t.principal
	}
	return "the identity dutywatch runs as"
}

// partition is the ARN partition of the bucket: from the principal when
// known, else from the region.
func (t *target) partition() string {
	if p, _, ok := strings.Cut(strings.TrimPrefix(t.principal, "arn:"), ":"); ok && p != "" {
		return p
	}
	switch {
	case strings.HasPrefix(t.region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(t.region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

func (t *target) bucketARN() string { return "arn:" + t.partition() + ":s3:::" + t.bucket }

// credsSource says where the secret key comes from, for fixes.
func (t *target) credsSource() string {
	switch {
	case t.accessKey != "":
		return "secret_key (for access_key " + t.accessKey + ")"
	case t.profile != "":
		return "the secret key of profile " + t.profile + " (aws configure --profile " + t.profile + ")"
	}
	return "the secret key the default chain finds (AWS_SECRET_ACCESS_KEY, ~/.aws/credentials)"
}

var (
	// kmsKeyARN finds a KMS key or alias ARN in an error message.
	kmsKeyARN = regexp.MustCompile(`arn:aws[a-z-]*:kms:[a-z0-9-]*:[0-9]*:(?:key|alias)/[A-Za-z0-9/_+=.@-]+`)
	// expectingRegion finds the bucket's region in an
	// AuthorizationHeaderMalformed message ("... expecting 'eu-west-1'").
	expectingRegion = regexp.MustCompile(`expecting '([a-z0-9-]+)'`)
)

// explain turns the error of a request into a table detail and a fix.
func (t *target) explain(o op, err error) (detail, fix string) {
	var apiErr smithy.APIError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer in time: " + shortErr(err), "check network access to " + t.host() + " (firewall, proxy: HTTPS_PROXY)"
	case errors.As(err, &apiErr):
		detail, fix = t.explainAPI(o, err, apiErr)
	default:
		if d, f, ok := t.explainNetwork(err); ok {
			return d, f
		}
		return shortErr(err), ""
	}
	if role := assumeRoleFailed(err); role && t.roleARN != "" {
		detail = "assume role " + t.roleARN + ": " + detail
	}
	return detail, fix
}

// explainAPI handles an error the service answered with.
func (t *target) explainAPI(o op, err error, apiErr smithy.APIError) (detail, fix string) {
	code, msg := apiErr.ErrorCode(), apiErr.ErrorMessage()
	detail = code
	if msg != "" {
		detail += ": " + msg
	}
	if isKMS(code, msg) {
		key := kmsKeyARN.FindString(msg)
		if key == "" {
			return "KMS refused to decrypt the object (" + detail + ")",
				"grant kms:Decrypt on the bucket's KMS key (aws s3api get-bucket-encryption --bucket " + t.bucket + ") to " + t.who()
		}
		return "KMS key " + key + " refused to decrypt the object (" + code + ")",
			"grant kms:Decrypt on key " + key + " to " + t.who() + " (key policy or IAM policy)"
	}
	switch code {
	case "SignatureDoesNotMatch":
		return "credentials rejected: the secret key does not match the access key (" + code + ")", "check " + t.credsSource()
	case "InvalidAccessKeyId", "InvalidClientTokenId":
		return "credentials rejected: unknown or deactivated access key (" + code + ")",
			"create a new access key and update " + t.credsSource()
	case "ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired", "InvalidToken":
		return "credentials rejected: the session token expired or is invalid (" + code + ")", t.refreshFix()
	case "RequestTimeTooSkewed":
		return "the local clock is too far from the server's (" + code + ")", "sync the clock (chrony, systemd-timesyncd)"
	case "NoSuchBucket":
		return "no such bucket " + t.bucket + " (" + code + ")",
			"check bucket: no bucket " + t.bucket + " exists at " + t.host() + " (aws s3 ls lists yours)"
	case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
		return t.explainRegion(err, code, msg)
	case "AccessDenied", "Forbidden", "AllAccessDisabled":
		return detail, t.accessFix(o, err)
	}
	if status(err) == 301 {
		return t.explainRegion(err, code, msg)
	}
	return detail, ""
}

// explainRegion names the bucket's region when the answer says it.
func (t *target) explainRegion(err error, code, msg string) (detail, fix string) {
	region := header(err, "X-Amz-Bucket-Region")
	if m := expectingRegion.FindStringSubmatch(msg); region == "" && m != nil {
		region = m[1]
	}
	if region == "" {
		return "the bucket is in another region than " + t.region + " (" + code + ")",
			"set region: to the bucket's region (aws s3api get-bucket-location --bucket " + t.bucket + ")"
	}
	return "bucket is in region " + region + ", not " + t.region + " (" + code + ")", "set region: " + region
}

// accessFix names the IAM action a denied request needed.
func (t *target) accessFix(o op, err error) string {
	switch o {
	case opList:
		fix := "grant s3:ListBucket on " + t.bucketARN() + " to " + t.who()
		if t.path != "" {
			fix += " (at least for prefix " + t.path + ")"
		}
		return fix
	case opGet:
		return "grant s3:GetObject on " + t.bucketARN() + "/" + t.path + "* to " + t.who()
	}
	if assumeRoleFailed(err) && t.roleARN != "" {
		fix := "allow sts:AssumeRole on " + t.roleARN + " for the base credentials, and make the role's trust policy accept them"
		if t.externalID != "" {
			fix += " with external_id " + t.externalID
		}
		return fix
	}
	return "check the IAM policies and SCPs of " + t.who()
}

func (t *target) refreshFix() string {
	if t.profile != "" {
		return "refresh the session of profile " + t.profile + " (aws sso login --profile " + t.profile + ")"
	}
	return "refresh the temporary credentials (new session token), or use a profile or role that renews itself"
}

// explainNetwork handles errors where no answer came back.
func (t *target) explainNetwork(err error) (detail, fix string, ok bool) {
	var uerr *url.Error
	var nerr net.Error
	var dnsErr *net.DNSError
	if !errors.As(err, &uerr) && !errors.As(err, &nerr) && !errors.As(err, &dnsErr) {
		return "", "", false
	}
	host := t.host()
	if uerr != nil {
		if u, perr := url.Parse(uerr.URL); perr == nil {
			host = u.Host
		}
	}
	detail = "cannot reach " + host + ": " + shortErr(err)
	fix = "check the network, DNS and proxy (HTTPS_PROXY) towards " + host
	if t.endpoint != "" {
		fix += ", and service_endpoint " + t.endpoint
	}
	return detail, fix, true
}

// host is where S3 requests go, for messages.
func (t *target) host() string {
	if t.endpoint != "" {
		if u, err := url.Parse(t.endpoint); err == nil && u.Host != "" {
			return u.Host
		}
		return t.endpoint
	}
	return "s3." + t.region + ".amazonaws.com"
}

// explainConfig handles an error loading the AWS configuration: a missing
// profile, a broken shared config file.
func (t *target) explainConfig(err error) (detail, fix string) {
	var missing config.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		return "profile " + missing.Profile + " is not in the shared config files",
			"create it (aws configure --profile " + missing.Profile + "), set AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE, or set aws_profile to an existing profile"
	}
	return shortErr(err), "check ~/.aws/config and ~/.aws/credentials (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE)"
}

// noCredentialsFix is the fix when the chain found no credentials.
func (t *target) noCredentialsFix() string {
	if t.profile != "" {
		return "give profile " + t.profile + " credentials (aws configure --profile " + t.profile + ", or aws sso login --profile " + t.profile + ")"
	}
	return "set aws_profile, or access_key and secret_key, or run where the default chain finds credentials (AWS_* environment, ~/.aws, an instance or task role)"
}

func isKMS(code, msg string) bool {
	return strings.HasPrefix(code, "KMS.") || strings.Contains(code, "KMS") ||
		strings.Contains(msg, "kms:") || strings.Contains(msg, "KMS")
}

// assumeRoleFailed reports whether err came from an AssumeRole call made
// while resolving credentials.
func assumeRoleFailed(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if oe, ok := e.(*smithy.OperationError); ok && oe.OperationName == "AssumeRole" {
			return true
		}
	}
	return false
}

// status returns the HTTP status of an answered request, or 0.
func status(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.StatusCode
	}
	return 0
}

// header returns a header of the answer an error came with, or "".
func header(err error, name string) string {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get(name)
	}
	return ""
}

// shortErr drops the SDK's "operation error S3: ListObjectsV2, https
// response error StatusCode: 403, RequestID: …," preamble, keeping the
// cause.
func shortErr(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return fmt.Sprintf("%s: %s", apiErr.ErrorCode(), apiErr.ErrorMessage())
	}
	var oe *smithy.OperationError
	if errors.As(err, &oe) && oe.Err != nil {
		return shortErr(oe.Err)
	}
	var se *smithyhttp.RequestSendError
	if errors.As(err, &se) && se.Err != nil {
		return se.Err.Error()
	}
	return err.Error()
}
