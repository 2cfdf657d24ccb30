// Package awserr tells the AWS sources (s3, sqs, guardduty) which SDK
// errors are worth retrying later, so that they classify alike.
package awserr

import (
	"context"
	"errors"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

// Transient reports whether err is worth retrying later: throttling, 5xx,
// timeouts, connection resets, an exhausted retry quota, or an API error
// whose code is one of the service's codes that clear up by themselves. A
// canceled context is not.
func Transient(err error, codes map[string]bool) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var quota ratelimit.QuotaExceededError
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &quota) {
		return true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && codes[apiErr.ErrorCode()] {
		return true
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}
