package awserr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/smithy-go"
)

func TestTransient(t *testing.T) {
	codes := map[string]bool{"SlowDown": true}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"canceled", fmt.Errorf("get: %w", context.Canceled), false},
		{"deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), true},
		{"cut body", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"retry quota", ratelimit.QuotaExceededError{}, true},
		{"service code", &smithy.GenericAPIError{Code: "SlowDown"}, true},
		{"permanent code", &smithy.GenericAPIError{Code: "AccessDenied"}, false},
		{"SDK throttling code", &smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		{"plain error", errors.New("no such key"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Transient(tt.err, codes); got != tt.want {
				t.Errorf("Transient(%v) = %v; want %v", tt.err, got, tt.want)
			}
		})
	}
}
