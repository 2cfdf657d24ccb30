package s3

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// NewClient returns an S3 client for cfg. Credentials are resolved lazily,
// on the first request, and refreshed by the SDK when they expire (an
// assumed role included); errors in them surface from that request.
// Secrets are never logged.
func NewClient(ctx context.Context, cfg ClientConfig) (*awss3.Client, error) {
	awsCfg, err := LoadAWSConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return awss3.NewFromConfig(awsCfg, func(o *awss3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.ForcePathStyle
	}), nil
}

// LoadAWSConfig resolves cfg's region, credentials (assumed role
// included) and retry policy into an aws.Config, for S3 and for the other
// services a source talks to (SQS, GuardDuty). cfg.Endpoint and
// cfg.ForcePathStyle are S3's and are not applied here.
func LoadAWSConfig(ctx context.Context, cfg ClientConfig) (aws.Config, error) {
	if (cfg.AccessKey == "") != (cfg.SecretKey == "") {
		return aws.Config{}, errors.New("aws client: access key and secret key must be set together")
	}
	attempts := cfg.MaxAttempts
	if attempts <= 0 {
		attempts = defaultMaxAttempts
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = attempts })
		}),
	}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(cfg.Profile))
	}
	if cfg.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken)))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	if cfg.RoleARN != "" {
		awsCfg.Credentials = assumeRole(awsCfg, cfg)
	}
	return awsCfg, nil
}

// assumeRole returns cached credentials of cfg.RoleARN, assumed with the
// credentials of base. The cache refreshes them shortly before they
// expire, so runs longer than the role session keep working.
func assumeRole(base aws.Config, cfg ClientConfig) aws.CredentialsProvider {
	client := sts.NewFromConfig(base, func(o *sts.Options) {
		if cfg.STSEndpoint != "" {
			o.BaseEndpoint = aws.String(cfg.STSEndpoint)
		}
	})
	name := cfg.SessionName
	if name == "" {
		name = defaultSessionName
	}
	provider := stscreds.NewAssumeRoleProvider(client, cfg.RoleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = name
		if cfg.ExternalID != "" {
			o.ExternalID = aws.String(cfg.ExternalID)
		}
		if cfg.RoleDuration > 0 {
			o.Duration = cfg.RoleDuration
		}
	})
	return aws.NewCredentialsCache(provider)
}
