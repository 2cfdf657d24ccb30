package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/dutywatch/dutywatch/internal/config"
	"github.com/dutywatch/dutywatch/internal/generator"
)

func newDemoCommand(g *globalFlags) *cobra.Command {
	var dir string
	var findings int
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Generate realistic findings into a local bucket folder, ingest them and print a summary",
		Long: `demo needs no AWS account. It writes a built-in set of realistic GuardDuty findings
(SSH and RDP brute force, API calls from an unusual network, port probes, backdoor/C&C, cryptocurrency,
trojan, Tor and more) into a folder laid out like an S3 bucket, in both the Firehose layout (gzip, zip,
Snappy, Hadoop-Snappy, plain) and the native export layout (two accounts, two regions), runs the
pipeline over it exactly as 'run' would, and prints what it found.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			if dir == "" {
				if dir, err = os.MkdirTemp("", "dutywatch-demo-"); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			cfg, err := writeDemo(cmd.Context(), dir, findings, out)
			if err != nil {
				return err
			}
			start := time.Now()
			if err := runPipeline(cmd.Context(), cfg, true, log, out); err != nil {
				return err
			}
			took := time.Since(start)
			return summarize(out, cfg, took)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "folder for the demo bucket, state and output (default: a new temporary folder)")
	cmd.Flags().IntVar(&findings, "findings", 2000, "findings to generate in each of the demo's data sets")
	return cmd
}

// demoSet is one part of the demo bucket.
type demoSet struct {
	layout, compression string
	newlines            bool
	accounts, regions   []string
}

var demoSets = []demoSet{
	{layout: "firehose", compression: "gzip"},
	{layout: "firehose", compression: "zip"},
	{layout: "firehose", compression: "snappy"},
	{layout: "firehose", compression: "hadoop-snappy"},
	{layout: "firehose", compression: "none", newlines: true},
	{layout: "native", compression: "gzip", accounts: []string{"111122223333", "444455556666"}, regions: []string{"us-east-1", "eu-west-1"}},
}

// writeDemo generates the demo bucket under dir and returns a config that
// reads it.
func writeDemo(ctx context.Context, dir string, findings int, out io.Writer) (config.Config, error) {
	bucket := filepath.Join(dir, "bucket")
	w := &generator.DirWriter{Root: bucket}
	start := time.Now().UTC().Truncate(time.Hour).Add(-24 * time.Hour)
	fmt.Fprintf(out, "Writing demo findings to %s\n", bucket)
	for i, set := range demoSets {
		prefix := "firehose/"
		if set.layout == "native" {
			prefix = "native/"
		}
		gc := generator.Config{
			Seed: int64(i + 1), Findings: findings, PerObject: 50, Layout: set.layout, Compression: set.compression,
			Newlines: set.newlines, Start: start.Add(time.Duration(i) * time.Minute), Span: 23 * time.Hour,
			Prefix: prefix, Stream: "guardduty-" + set.compression, Accounts: set.accounts, Regions: set.regions,
			Updates: 0.1,
		}
		sum, err := generator.Generate(ctx, gc, w)
		if err != nil {
			return config.Config{}, fmt.Errorf("generate %s %s: %w", set.layout, set.compression, err)
		}
		fmt.Fprintf(out, "  %-8s %-13s %5d objects %6d findings %6d expected events\n",
			set.layout, set.compression, sum.Objects, sum.Findings, sum.Events)
	}
	cfg := config.Default()
	cfg.State = filepath.Join(dir, "state.db")
	cfg.Output.ArchivesPath = filepath.Join(dir, "archives.json")
	cfg.Output.AlertsPath = filepath.Join(dir, "alerts.json")
	for _, p := range []string{"firehose/", "native/"} {
		s := config.DefaultSource()
		s.Name, s.Type, s.Dir, s.Path = "demo-"+p[:len(p)-1], config.TypeDir, bucket, p
		cfg.Sources = append(cfg.Sources, s)
	}
	return cfg, nil
}

// summarize prints the events in the archive by finding type.
func summarize(out io.Writer, cfg config.Config, took time.Duration) error {
	f, err := os.Open(cfg.Output.ArchivesPath)
	if err != nil {
		return err
	}
	defer f.Close()
	byType := map[string]int{}
	total := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var line struct {
			Data struct {
				AWS struct {
					Type string `json:"type"`
				} `json:"aws"`
			} `json:"data"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return fmt.Errorf("read %s: %w", cfg.Output.ArchivesPath, err)
		}
		byType[line.Data.AWS.Type]++
		total++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	sort.Slice(types, func(i, j int) bool {
		if byType[types[i]] != byType[types[j]] {
			return byType[types[i]] > byType[types[j]]
		}
		return types[i] < types[j]
	})
	fmt.Fprintf(out, "\n%d events of %d finding types in %s (%.0f events/s)\n", total, len(types),
		took.Round(time.Millisecond), float64(total)/took.Seconds())
	for i, t := range types {
		if i == 15 {
			fmt.Fprintf(out, "  ... and %d more types\n", len(types)-i)
			break
		}
		fmt.Fprintf(out, "  %6d  %s\n", byType[t], t)
	}
	fmt.Fprintf(out, "\nEvents: %s\nState:  %s\n", cfg.Output.ArchivesPath, cfg.State)
	return nil
}
