package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/dutywatch/dutywatch/internal/layout"
	s3source "github.com/dutywatch/dutywatch/internal/source/s3"
)

// s3API is the part of the S3 API the checks use; *awss3.Client has it.
type s3API interface {
	ListObjectsV2(ctx context.Context, in *awss3.ListObjectsV2Input, opts ...func(*awss3.Options)) (*awss3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *awss3.GetObjectInput, opts ...func(*awss3.Options)) (*awss3.GetObjectOutput, error)
}

var _ s3API = (*awss3.Client)(nil)

// CheckS3 checks one s3 source, configured as for s3.New: credentials
// (STS GetCallerIdentity through the source's own credential chain),
// bucket (listable, in the configured region), clock (the server's Date
// header against the local clock), layout (as the source detects it;
// native: the accounts and regions), objects (the oldest and newest
// object, per account for native) and read (the newest object decoded
// and parsed to the end). It never writes to the bucket.
func CheckS3(ctx context.Context, cfg s3source.Config, opt Options) Report {
	opt = opt.withDefaults()
	path := layout.CleanPath(cfg.Path)
	rep := Report{Source: cfg.Name, Type: "s3", Location: "s3://" + cfg.Bucket + "/" + path}
	t := &target{
		bucket: cfg.Bucket, path: path, region: cfg.Region, endpoint: cfg.Endpoint,
		profile: cfg.Profile, accessKey: cfg.AccessKey, roleARN: cfg.RoleARN, externalID: cfg.ExternalID,
	}
	cc := cfg.ClientConfig
	cc.MaxAttempts = opt.MaxAttempts
	client, err := s3source.NewClient(ctx, cc)
	if err != nil {
		detail, fix := t.explainConfig(err)
		rep.add(Check{Name: "credentials", Result: Fail, Detail: detail, Fix: fix})
		rep.add(skipped("no S3 client", "bucket", "clock", "layout", "objects", "read")...)
		return rep
	}
	if t.region == "" {
		t.region = client.Options().Region
	}
	clk := &serverClock{now: opt.Now}
	creds, resolved := checkCredentials(ctx, client, cfg, t, clk, opt)
	rep.add(creds)
	if !resolved {
		rep.add(skipped("no credentials to sign requests with", "bucket", "clock", "layout", "objects", "read")...)
		return rep
	}
	bucket := checkBucket(ctx, client, t, clk, opt)
	rep.add(bucket, clk.check())
	if bucket.Result == Fail {
		rep.add(skipped("the bucket cannot be listed", "layout", "objects", "read")...)
		return rep
	}
	c := contents{
		tree:   &s3Tree{api: client, bucket: cfg.Bucket, timeout: opt.RequestTimeout},
		path:   path,
		suffix: layout.CleanPath(cfg.PathSuffix),
		kind:   cfg.Layout, accounts: cfg.Accounts, regions: cfg.Regions,
		onlyLogsAfter: cfg.OnlyLogsAfter, startsToday: true,
		explain: t.explain,
	}
	rep.add(c.check(ctx, opt)...)
	return rep
}

// checkCredentials resolves the credentials the S3 client signs with (an
// assumed role included) and asks STS whose they are. STS is asked
// through sts_endpoint when set; it is not asked when the bucket lives in
// an S3-compatible store (a service_endpoint outside AWS), which has no
// STS: the bucket check then tests the keys. resolved is false when there
// are no credentials to sign with.
func checkCredentials(ctx context.Context, client *awss3.Client, cfg s3source.Config, t *target, clk *serverClock, opt Options) (row Check, resolved bool) {
	row.Name = "credentials"
	o := client.Options()
	rctx, cancel := context.WithTimeout(ctx, opt.RequestTimeout)
	creds, err := o.Credentials.Retrieve(rctx)
	cancel()
	if err != nil {
		row.Result = Fail
		row.Detail, row.Fix = t.explain(opIdentity, err)
		if !answered(err) {
			row.Detail, row.Fix = "no credentials found: "+shortErr(err), t.noCredentialsFix()
		}
		return row, false
	}
	from := "from " + creds.Source
	if cfg.RoleARN != "" {
		from = "role " + cfg.RoleARN + " assumed"
	}
	if cfg.STSEndpoint == "" && !isAWSEndpoint(cfg.Endpoint) {
		row.Result, row.Detail = OK, "credentials "+from+"; identity not checked: "+cfg.Endpoint+
			" is not AWS and no sts_endpoint is set (the bucket check tests the keys)"
		return row, true
	}
	stsClient := sts.New(sts.Options{
		Region:       o.Region,
		Credentials:  o.Credentials, // the S3 client's cache: the same keys, role and refresh
		HTTPClient:   o.HTTPClient,
		Retryer:      o.Retryer,
		BaseEndpoint: optional(cfg.STSEndpoint),
		Logger:       o.Logger,
	})
	rctx, cancel = context.WithTimeout(ctx, opt.RequestTimeout)
	id, err := stsClient.GetCallerIdentity(rctx, &sts.GetCallerIdentityInput{}, func(o *sts.Options) {
		o.APIOptions = append(o.APIOptions, clk.middleware)
	})
	cancel()
	if err != nil {
		row.Result = Fail
		row.Detail, row.Fix = t.explain(opIdentity, err)
		return row, true
	}
	t.principal = principal(aws.ToString(id.Arn))
	row.Result = OK
	row.Detail = "account " + aws.ToString(id.Account) + ", " + aws.ToString(id.Arn) + " (" + from + ")"
	return row, true
}

// checkBucket lists one key of the source's path.
func checkBucket(ctx context.Context, client s3API, t *target, clk *serverClock, opt Options) Check {
	ctx, cancel := context.WithTimeout(ctx, opt.RequestTimeout)
	defer cancel()
	_, err := client.ListObjectsV2(ctx, &awss3.ListObjectsV2Input{
		Bucket:  aws.String(t.bucket),
		Prefix:  aws.String(t.path),
		MaxKeys: aws.Int32(1),
	}, func(o *awss3.Options) { o.APIOptions = append(o.APIOptions, clk.middleware) })
	if err != nil {
		detail, fix := t.explain(opList, err)
		return Check{Name: "bucket", Result: Fail, Detail: detail, Fix: fix}
	}
	detail := "s3://" + t.bucket + "/" + t.path + " is listable (region " + t.region
	if t.endpoint != "" {
		detail += ", endpoint " + t.endpoint
	}
	return Check{Name: "bucket", Result: OK, Detail: detail + ")"}
}

// answered reports whether err came with an answer from a service (or a
// failed attempt to reach one), as opposed to a credential chain that
// found nothing to try.
func answered(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	_, _, ok := (&target{}).explainNetwork(err)
	return ok
}

// isAWSEndpoint reports whether an S3 endpoint ("" is the default) is
// AWS's own, where STS exists too.
func isAWSEndpoint(endpoint string) bool {
	if endpoint == "" {
		return true
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	h := u.Hostname()
	return slices.ContainsFunc([]string{".amazonaws.com", ".amazonaws.com.cn", ".api.aws"}, func(s string) bool {
		return strings.HasSuffix(h, s)
	})
}

// principal turns an assumed-role session ARN into its role's ARN, which
// is what policies name; other ARNs are kept.
func principal(arn string) string {
	// arn:aws:sts::123456789012:assumed-role/Role/session
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "sts" || !strings.HasPrefix(parts[5], "assumed-role/") {
		return arn
	}
	role := strings.TrimPrefix(parts[5], "assumed-role/")
	if i := strings.LastIndexByte(role, '/'); i > 0 {
		role = role[:i]
	}
	return "arn:" + parts[1] + ":iam::" + parts[4] + ":role/" + role
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// s3Tree is a bucket seen through ListObjectsV2 with a '/' delimiter.
type s3Tree struct {
	api     s3API
	bucket  string
	timeout time.Duration
}

func (t *s3Tree) uri(key string) string { return "s3://" + t.bucket + "/" + key }

func (t *s3Tree) list(ctx context.Context, prefix string) ([]entry, error) {
	in := &awss3.ListObjectsV2Input{Bucket: aws.String(t.bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/")}
	var out []entry
	for {
		page, err := t.listPage(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, cp := range page.CommonPrefixes {
			out = append(out, entry{key: aws.ToString(cp.Prefix), dir: true})
		}
		for _, o := range page.Contents {
			if k := aws.ToString(o.Key); k != prefix { // a folder marker
				out = append(out, entry{key: k, size: aws.ToInt64(o.Size), mod: aws.ToTime(o.LastModified)})
			}
		}
		if !aws.ToBool(page.IsTruncated) || aws.ToString(page.NextContinuationToken) == "" {
			break
		}
		in.ContinuationToken = page.NextContinuationToken
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	return out, nil
}

func (t *s3Tree) listPage(ctx context.Context, in *awss3.ListObjectsV2Input) (*awss3.ListObjectsV2Output, error) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	return t.api.ListObjectsV2(ctx, in)
}

// open gets key; only the wait for the response is bounded by the
// request timeout, the body streams until Close.
func (t *s3Tree) open(ctx context.Context, key string) (io.ReadCloser, error) {
	reqCtx, cancel := context.WithCancel(ctx)
	timer := time.AfterFunc(t.timeout, cancel)
	out, err := t.api.GetObject(reqCtx, &awss3.GetObjectInput{Bucket: aws.String(t.bucket), Key: aws.String(key)})
	timedOut := !timer.Stop()
	if err != nil {
		cancel()
		if timedOut && ctx.Err() == nil {
			err = fmt.Errorf("no response within %v: %w", t.timeout, context.DeadlineExceeded)
		}
		return nil, err
	}
	return &cancelBody{ReadCloser: out.Body, cancel: cancel}, nil
}

// cancelBody ends its request on Close.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
