package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/source/awserr"
)

// Open streams the body of o. The wait for the response is bounded by
// RequestTimeout, and so is every wait for more of the body: the SDK turns
// its read timeout off for S3, and a connection that stalls mid-body would
// otherwise hold a worker forever. A large body streams for as long as it
// keeps coming. Read errors worth retrying (resets, stalls) are wrapped
// with source.ErrTransient and name the object.
func (s *Source) Open(ctx context.Context, o source.Object) (io.ReadCloser, error) {
	s.gets.Add(1)
	reqCtx, cancel := context.WithCancel(ctx)
	timer := time.AfterFunc(s.cfg.RequestTimeout, cancel)
	out, err := s.api.GetObject(reqCtx, &awss3.GetObjectInput{
		Bucket: aws.String(o.Bucket),
		Key:    aws.String(o.Key),
	})
	timedOut := !timer.Stop()
	if err != nil {
		cancel()
		if timedOut && ctx.Err() == nil {
			err = fmt.Errorf("no response within %v: %w", s.cfg.RequestTimeout, context.DeadlineExceeded)
		}
		return nil, wrapError("get", o.URI(), err)
	}
	b := &body{rc: out.Body, cancel: cancel, uri: o.URI(), idle: s.cfg.RequestTimeout}
	b.stall = time.AfterFunc(b.idle, func() {
		b.stalled.Store(true)
		cancel()
		out.Body.Close() // unblocks a Read waiting on the stalled connection
	})
	return b, nil
}

// body is a streamed object body that names the object in read errors,
// ends its request when no data comes for idle, and ends it on Close.
type body struct {
	rc      io.ReadCloser
	cancel  context.CancelFunc
	uri     string
	idle    time.Duration
	stall   *time.Timer
	stalled atomic.Bool
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.stall.Reset(b.idle)
	}
	if err != nil && err != io.EOF {
		if b.stalled.Load() {
			err = fmt.Errorf("no data for %v: %w", b.idle, context.DeadlineExceeded)
		}
		err = wrapError("read", b.uri, err)
	}
	return n, err
}

func (b *body) Close() error {
	b.stall.Stop()
	err := b.rc.Close()
	b.cancel()
	return err
}

// Done deletes o when Config.Remove is set. The pipeline calls it only
// after o's results are committed.
func (s *Source) Done(ctx context.Context, o source.Object) error {
	if !s.cfg.Remove {
		return nil
	}
	s.deletes.Add(1)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	_, err := s.api.DeleteObject(ctx, &awss3.DeleteObjectInput{
		Bucket: aws.String(o.Bucket),
		Key:    aws.String(o.Key),
	})
	if err != nil {
		return wrapError("delete", o.URI(), err)
	}
	return nil
}

// wrapError names the operation and object of err, marks errors worth
// retrying with source.ErrTransient, and spells out the usual permanent
// causes (rejected credentials, access or KMS denied) before the SDK's
// text.
func wrapError(op, uri string, err error) error {
	if isTransient(err) {
		return fmt.Errorf("%s %s: %w: %w", op, uri, source.ErrTransient, err)
	}
	if h := hint(err); h != "" {
		return fmt.Errorf("%s %s: %s: %w", op, uri, h, err)
	}
	return fmt.Errorf("%s %s: %w", op, uri, err)
}

// transientCodes are error codes, beyond the SDK's retryable ones, that
// clear up by themselves: S3 passes some KMS failures through.
var transientCodes = map[string]bool{
	"InternalError":                   true,
	"ServiceUnavailable":              true,
	"SlowDown":                        true,
	"RequestTimeout":                  true,
	"KMS.ThrottlingException":         true,
	"KMS.KMSInternalException":        true,
	"KMS.DependencyTimeoutException":  true,
	"KMS.LimitExceededException":      true,
	"KMS.ServiceUnavailableException": true,
}

// isTransient reports whether err is worth retrying later.
func isTransient(err error) bool { return awserr.Transient(err, transientCodes) }

// kmsKeyARN finds a KMS key or alias ARN in an error message.
var kmsKeyARN = regexp.MustCompile(`arn:aws[a-z-]*:kms:[a-z0-9-]*:[0-9]*:(?:key|alias)/[A-Za-z0-9/_+=.@-]+`)

// hint names the usual permanent causes of an S3 error, or returns "".
func hint(err error) string {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return ""
	}
	code, msg := apiErr.ErrorCode(), apiErr.ErrorMessage()
	if strings.HasPrefix(code, "KMS.") || strings.Contains(msg, "kms:") || strings.Contains(msg, "KMS") {
		if key := kmsKeyARN.FindString(msg); key != "" {
			return "KMS key " + key + " refused to decrypt (" + code + ")"
		}
		return "KMS refused to decrypt (" + code + ")"
	}
	switch code {
	case "SignatureDoesNotMatch":
		return "credentials rejected: the secret key does not match the access key"
	case "InvalidAccessKeyId":
		return "credentials rejected: unknown access key"
	case "ExpiredToken", "TokenRefreshRequired", "InvalidToken":
		return "credentials rejected: session token expired or invalid"
	case "AccessDenied":
		return "access denied"
	case "NoSuchBucket":
		return "no such bucket"
	case "NoSuchKey":
		return "no such key"
	case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
		return "the bucket is in another region: set region"
	}
	return ""
}
