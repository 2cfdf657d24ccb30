package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dutywatch/dutywatch/internal/generator"
	s3source "github.com/dutywatch/dutywatch/internal/source/s3"
)

func newGenerateCommand(*globalFlags) *cobra.Command {
	gc := generator.DefaultConfig()
	var out, bucket, endpoint, region, profile, start string
	cmd := &cobra.Command{
		Use:   "generate (--out DIR | --bucket NAME)",
		Short: "Write deterministic, realistic GuardDuty findings to a folder or an S3 bucket",
		Long: `generate writes findings the way Firehose or GuardDuty's export would: keys in the chosen layout,
records compressed as chosen. The same flags always give byte-identical objects. Credentials for
--bucket come from the AWS chain (environment, profile) like the AWS CLI's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if start != "" {
				t, err := time.Parse(time.RFC3339, start)
				if err != nil {
					return fmt.Errorf("--start: %w", err)
				}
				gc.Start = t
			}
			var w generator.Writer
			switch {
			case out != "" && bucket == "":
				w = &generator.DirWriter{Root: out}
			case bucket != "" && out == "":
				client, err := s3source.NewClient(cmd.Context(), s3source.ClientConfig{
					Region: region, Endpoint: endpoint, ForcePathStyle: endpoint != "", Profile: profile, MaxAttempts: 10,
				})
				if err != nil {
					return err
				}
				w = &generator.S3Writer{Client: client, Bucket: bucket}
			default:
				return fmt.Errorf("give exactly one of --out and --bucket")
			}
			sum, err := generator.Generate(cmd.Context(), gc, w)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d objects, %d records, %d findings (%d updates), %d events expected, %.1f MB\n",
				sum.Objects, sum.Records, sum.Findings, sum.Updates, sum.Events, float64(sum.Bytes)/1e6)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "folder to write to (it plays the bucket)")
	f.StringVar(&bucket, "bucket", "", "S3 bucket to write to")
	f.StringVar(&endpoint, "endpoint", "", "S3 endpoint URL, for S3-compatible servers")
	f.StringVar(&region, "region", "us-east-1", "AWS region")
	f.StringVar(&profile, "profile", "", "AWS profile")
	f.StringVar(&start, "start", "", "time of the first object, RFC 3339 (default: the generator's fixed start)")
	f.Int64Var(&gc.Seed, "seed", gc.Seed, "random seed")
	f.IntVar(&gc.Findings, "findings", gc.Findings, "findings to write")
	f.IntVar(&gc.PerObject, "per-object", gc.PerObject, "findings per object")
	f.StringVar(&gc.Layout, "layout", gc.Layout, "firehose or native")
	f.StringVar(&gc.Compression, "compression", gc.Compression, "gzip, zip, snappy, hadoop-snappy or none")
	f.BoolVar(&gc.Newlines, "newlines", gc.Newlines, "separate Firehose records with newlines")
	f.StringVar(&gc.Prefix, "prefix", gc.Prefix, "key prefix (the bucket path)")
	f.DurationVar(&gc.Span, "span", gc.Span, "time the objects are spread over")
	f.Float64Var(&gc.Updates, "updates", gc.Updates, "fraction of findings re-sent later as updates")
	return cmd
}
