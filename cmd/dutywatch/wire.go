package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/dutywatch/dutywatch/internal/config"
	"github.com/dutywatch/dutywatch/internal/finding"
	"github.com/dutywatch/dutywatch/internal/layout"
	"github.com/dutywatch/dutywatch/internal/pipeline"
	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/source/dir"
	"github.com/dutywatch/dutywatch/internal/source/guardduty"
	s3source "github.com/dutywatch/dutywatch/internal/source/s3"
	sqssource "github.com/dutywatch/dutywatch/internal/source/sqs"
)

// buildSources turns the enabled sources of cfg into scheduled sources.
func buildSources(ctx context.Context, cfg config.Config, st source.State, log *slog.Logger) ([]pipeline.Scheduled, error) {
	var out []pipeline.Scheduled
	for _, sc := range cfg.Sources {
		if sc.Disabled {
			log.Info("source disabled", "source", sc.Name)
			continue
		}
		log.Info("source configured", "source", sc)
		src, err := buildSource(ctx, sc, st, log.With("source", sc.Name))
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", sc.Name, err)
		}
		opt := pipeline.SourceOptions{SkipOnError: sc.SkipOnError, AccountAlias: sc.AccountAlias}
		if sc.Discard.Regex != nil {
			d, err := finding.NewDiscard(sc.Discard.Field, sc.Discard.Pattern)
			if err != nil {
				return nil, fmt.Errorf("source %s: discard_regex: %w", sc.Name, err)
			}
			opt.Discard = d
		}
		next := sc.Schedule.Next
		if sc.Type == config.TypeSQS && sc.Schedule == (config.Schedule{}) {
			// A long poll waits for messages itself: receive again at once.
			next = func(t time.Time) time.Time { return t }
		}
		out = append(out, pipeline.Scheduled{Source: src, Options: opt, Next: next, RunOnStart: sc.RunOnStart || sc.Type == config.TypeSQS})
	}
	return out, nil
}

func layoutKind(s string) (layout.Kind, error) {
	switch s {
	case "", config.LayoutAuto:
		return layout.Auto, nil
	case config.LayoutFirehose:
		return layout.Firehose, nil
	case config.LayoutNative:
		return layout.Native, nil
	}
	return 0, fmt.Errorf("unknown layout %q", s)
}

func buildSource(ctx context.Context, sc config.Source, st source.State, log *slog.Logger) (source.Source, error) {
	switch sc.Type {
	case config.TypeDir:
		c, err := dirConfig(sc)
		if err != nil {
			return nil, err
		}
		return dir.New(c, st, log)
	case config.TypeS3:
		c, err := s3Config(sc)
		if err != nil {
			return nil, err
		}
		client, err := s3source.NewClient(ctx, c.ClientConfig)
		if err != nil {
			return nil, err
		}
		return s3source.New(c, client, st, log)
	case config.TypeSQS:
		c, err := sqsConfig(sc)
		if err != nil {
			return nil, err
		}
		queue, err := sqssource.NewClient(ctx, c)
		if err != nil {
			return nil, err
		}
		objects, err := s3source.NewClient(ctx, c.Client)
		if err != nil {
			return nil, err
		}
		return sqssource.New(c, queue, objects, st, log)
	case config.TypeGuardDutyAPI:
		return guardduty.New(ctx, guardDutyConfig(sc), st, log)
	}
	return nil, fmt.Errorf("unknown source type %q", sc.Type)
}

// dirConfig is the dir source configuration of sc; run and doctor share it.
func dirConfig(sc config.Source) (dir.Config, error) {
	kind, err := layoutKind(sc.Layout)
	if err != nil {
		return dir.Config{}, err
	}
	c := dir.DefaultConfig()
	c.Name, c.Root, c.Path, c.Layout = sc.Name, sc.Dir, sc.Path, kind
	c.OnlyLogsAfter, c.Accounts, c.Regions, c.Remove = sc.OnlyLogsAfter, sc.AccountIDs, sc.Regions, sc.RemoveFromBucket
	if sc.LookBack != 0 {
		c.LookBack = sc.LookBack
	}
	return c, nil
}

// s3Config is the s3 source configuration of sc; run and doctor share it.
func s3Config(sc config.Source) (s3source.Config, error) {
	kind, err := layoutKind(sc.Layout)
	if err != nil {
		return s3source.Config{}, err
	}
	c := s3source.DefaultConfig()
	c.Name, c.Bucket, c.Path, c.PathSuffix, c.Layout = sc.Name, sc.Bucket, sc.Path, sc.PathSuffix, kind
	c.OnlyLogsAfter, c.Accounts, c.Regions, c.Remove = sc.OnlyLogsAfter, sc.AccountIDs, sc.Regions, sc.RemoveFromBucket
	if sc.LookBack != 0 {
		c.LookBack = sc.LookBack
	}
	c.ClientConfig = clientConfig(sc)
	if sc.RequestTimeout != 0 {
		c.RequestTimeout = sc.RequestTimeout
	}
	return c, nil
}

// clientConfig is how sc reaches AWS.
func clientConfig(sc config.Source) s3source.ClientConfig {
	c := s3source.DefaultConfig().ClientConfig
	c.Region, c.Endpoint, c.ForcePathStyle = sc.Region, sc.ServiceEndpoint, sc.ForcePathStyle
	c.Profile, c.AccessKey, c.SecretKey = sc.AWSProfile, sc.AccessKey.Reveal(), sc.SecretKey.Reveal()
	c.RoleARN, c.RoleDuration, c.ExternalID = sc.IAMRoleARN, sc.IAMRoleDuration, sc.ExternalID
	c.SessionName = cmp.Or(sc.IAMRoleSessionName, c.SessionName)
	c.STSEndpoint = sc.STSEndpoint
	return c
}

// sqsConfig is the sqs source configuration of sc.
func sqsConfig(sc config.Source) (sqssource.Config, error) {
	c := sqssource.DefaultConfig()
	c.Name, c.QueueURL, c.Endpoint, c.Client = sc.Name, sc.QueueURL, sc.SQSEndpoint, clientConfig(sc)
	c.WaitTime, c.VisibilityTimeout, c.MaxReceives = sc.WaitTime, sc.VisibilityTimeout, sc.MaxReceives
	if sc.Bucket != "" {
		c.Buckets = []string{sc.Bucket}
	}
	c.KeyPrefix = sc.Path
	if sc.RequestTimeout != 0 {
		c.RequestTimeout = sc.RequestTimeout
	}
	return c, nil
}

// guardDutyConfig is the guardduty_api source configuration of sc.
func guardDutyConfig(sc config.Source) guardduty.Config {
	c := guardduty.DefaultConfig()
	c.Name, c.Client, c.Endpoint = sc.Name, clientConfig(sc), sc.GuardDutyEndpoint
	c.Client.Endpoint = "" // the S3 endpoint does not apply
	c.Regions, c.DetectorIDs, c.Overlap, c.OnlyAfter = sc.Regions, sc.DetectorIDs, sc.Overlap, sc.OnlyLogsAfter
	if sc.RequestTimeout != 0 {
		c.RequestTimeout = sc.RequestTimeout
	}
	return c
}
