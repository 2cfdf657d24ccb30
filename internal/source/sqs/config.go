package sqs

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/dutywatch/dutywatch/internal/layout"
	"github.com/dutywatch/dutywatch/internal/source/s3"
)

// Config configures an SQS source.
type Config struct {
	// Name is the source name used in state, logs and metrics.
	Name string
	// QueueURL is the queue of S3 notifications.
	QueueURL string
	// Endpoint replaces the SQS endpoint: a VPC endpoint or an
	// SQS-compatible server.
	Endpoint string
	// Client gives the credentials and region for SQS and S3, and the S3
	// endpoint the objects are read from. An empty Region is taken from
	// the queue URL (sqs.<region>.amazonaws.com) for SQS.
	Client s3.ClientConfig

	// WaitTime is the long poll of each receive, in whole seconds. Zero
	// means the default and maximum, 20s.
	WaitTime time.Duration
	// MaxMessages is how many messages one receive asks for, 1 to 10.
	// Default 10.
	MaxMessages int
	// MaxInFlight bounds the objects received and not yet Done or
	// released, so one instance does not hoard messages others could
	// take. Default 4×MaxMessages.
	MaxInFlight int
	// VisibilityTimeout is how long a received message stays invisible
	// to other consumers; while its objects are in flight it is extended
	// at about half of it. Whole seconds; default 5m.
	VisibilityTimeout time.Duration
	// MaxReceives is the poison threshold: a message received more often
	// is left to the queue's redrive policy (its dead-letter queue). Set
	// the queue's maxReceiveCount to at most this. Default 5.
	MaxReceives int
	// Buckets, when set, limits the buckets read; notifications about
	// others are deleted and counted as ignored.
	Buckets []string
	// KeyPrefix, when set, limits the keys read to those under it; it is
	// also the path of Firehose scopes, as the S3 source's Path is.
	KeyPrefix string
	// RequestTimeout bounds each SQS call beyond the long poll, and the
	// wait for each part of an object body (as in source/s3). Default 1m.
	RequestTimeout time.Duration
}

const (
	defaultWaitTime          = 20 * time.Second
	defaultMaxMessages       = 10
	defaultVisibilityTimeout = 5 * time.Minute
	defaultMaxReceives       = 5
	defaultRequestTimeout    = time.Minute
	// maxVisibility is SQS's limit on a message's visibility timeout.
	maxVisibility = 12 * time.Hour
)

// DefaultConfig returns the defaults: 20s long polls of 10 messages, at
// most 40 objects in flight, a 5m visibility timeout, poison after 5
// receives, a 1m request timeout.
func DefaultConfig() Config {
	return Config{
		Client:            s3.ClientConfig{MaxAttempts: 10, SessionName: "dutywatch"},
		WaitTime:          defaultWaitTime,
		MaxMessages:       defaultMaxMessages,
		MaxInFlight:       4 * defaultMaxMessages,
		VisibilityTimeout: defaultVisibilityTimeout,
		MaxReceives:       defaultMaxReceives,
		RequestTimeout:    defaultRequestTimeout,
	}
}

// withDefaults fills zero fields with their defaults and clamps the rest
// to what SQS accepts.
func (c Config) withDefaults() Config {
	if c.WaitTime <= 0 || c.WaitTime > defaultWaitTime {
		c.WaitTime = defaultWaitTime
	}
	c.WaitTime = max(c.WaitTime.Round(time.Second), time.Second)
	if c.MaxMessages <= 0 || c.MaxMessages > 10 {
		c.MaxMessages = defaultMaxMessages
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 4 * c.MaxMessages
	}
	if c.VisibilityTimeout <= 0 {
		c.VisibilityTimeout = defaultVisibilityTimeout
	}
	c.VisibilityTimeout = min(max(c.VisibilityTimeout.Round(time.Second), 2*time.Second), maxVisibility)
	if c.MaxReceives <= 0 {
		c.MaxReceives = defaultMaxReceives
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = defaultRequestTimeout
	}
	c.KeyPrefix = layout.CleanPath(c.KeyPrefix)
	return c
}

// NewClient returns an SQS client for cfg: the credentials, assumed role
// and retry policy of cfg.Client (s3.LoadAWSConfig), cfg.Endpoint, and
// the queue URL's region when cfg.Client.Region is empty.
func NewClient(ctx context.Context, cfg Config) (*awssqs.Client, error) {
	if cfg.QueueURL == "" {
		return nil, errors.New("sqs client: queue URL is empty")
	}
	awsCfg, err := s3.LoadAWSConfig(ctx, cfg.Client)
	if err != nil {
		return nil, err
	}
	if cfg.Client.Region == "" {
		if r := queueRegion(cfg.QueueURL); r != "" {
			awsCfg.Region = r
		}
	}
	return awssqs.NewFromConfig(awsCfg, func(o *awssqs.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	}), nil
}

// queueRegion returns the region of an AWS queue URL
// ("https://sqs.<region>.amazonaws.com/<account>/<name>"), or "".
func queueRegion(queueURL string) string {
	u, err := url.Parse(queueURL)
	if err != nil {
		return ""
	}
	parts := strings.Split(u.Hostname(), ".")
	if len(parts) >= 3 && parts[0] == "sqs" && layout.IsRegion(parts[1]) {
		return parts[1]
	}
	return ""
}
