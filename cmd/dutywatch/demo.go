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
	"github.com/dutywatch/dutywatch/internal/store"
	"github.com/dutywatch/dutywatch/internal/web"
)

func newDemoCommand(g *globalFlags) *cobra.Command {
	var dir string
	var findings int
	var noServe bool
	var wf webFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Generate realistic findings into a local bucket folder, ingest them and print a summary",
		Long: `demo needs no AWS account. It writes a built-in set of realistic GuardDuty findings
(SSH and RDP brute force, API calls from an unusual network, port probes, backdoor/C&C, cryptocurrency,
trojan, Tor and more) into a folder laid out like an S3 bucket, in both the Firehose layout (gzip, zip,
Snappy, Hadoop-Snappy, plain) and the native export layout (two accounts, two regions), runs the
pipeline over it exactly as 'run' would, prints what it found, and serves the dashboard on the
demo data (--no-serve to skip).`,
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
			var wcfg web.Config
			if !noServe {
				if wcfg, err = wf.config(); err != nil {
					return err
				}
			}
			start := time.Now()
			if err := runPipeline(cmd.Context(), cfg, runOptions{once: true}, log, out); err != nil {
				return err
			}
			if err := summarize(out, cfg, time.Since(start)); err != nil {
				return err
			}
			if noServe {
				return nil
			}
			st, err := store.Open(cmd.Context(), cfg.State)
			if err != nil {
				return err
			}
			defer st.Close()
			fmt.Fprintf(out, "\nDashboard: http://%s/  (Ctrl-C to stop)\n", wcfg.Addr)
			return serveWeb(cmd.Context(), wcfg, st, log)
		},
	}
	cmd.Flags().BoolVar(&noServe, "no-serve", false, "exit after the summary instead of serving the dashboard")
	wf.register(cmd)
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

// summarize prints the events and alerts the demo produced.
func summarize(out io.Writer, cfg config.Config, took time.Duration) error {
	events := map[string]int{}
	total, err := countLines(cfg.Output.ArchivesPath, func(line []byte) error {
		var l struct {
			Data struct {
				AWS struct {
					Type string `json:"type"`
				} `json:"aws"`
			} `json:"data"`
		}
		err := json.Unmarshal(line, &l)
		events[l.Data.AWS.Type]++
		return err
	})
	if err != nil {
		return err
	}
	byLevel, byType := map[string]int{}, map[string]int{}
	alerts, err := countLines(cfg.Output.AlertsPath, func(line []byte) error {
		var l struct {
			Rule struct {
				Level int `json:"level"`
			} `json:"rule"`
			Data struct {
				AWS struct {
					Type string `json:"type"`
				} `json:"aws"`
			} `json:"data"`
		}
		err := json.Unmarshal(line, &l)
		byLevel[fmt.Sprintf("level %2d", l.Rule.Level)]++
		byType[l.Data.AWS.Type]++
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n%d events of %d finding types and %d alerts in %s\n", total, len(events), alerts, took.Round(time.Millisecond))
	fmt.Fprintln(out, "\nAlerts by level:")
	printCounts(out, byLevel, 16, false)
	fmt.Fprintln(out, "\nAlerts by finding type:")
	printCounts(out, byType, 15, true)
	fmt.Fprintf(out, "\nEvents: %s\nAlerts: %s\nState:  %s\n", cfg.Output.ArchivesPath, cfg.Output.AlertsPath, cfg.State)
	return nil
}

// countLines calls fn on each line of a JSON-lines file.
func countLines(path string, fn func([]byte) error) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		if err := fn(sc.Bytes()); err != nil {
			return n, fmt.Errorf("read %s line %d: %w", path, n+1, err)
		}
		n++
	}
	return n, sc.Err()
}

// printCounts prints at most limit counts, by count (byCount) or by label.
func printCounts(out io.Writer, counts map[string]int, limit int, byCount bool) {
	labels := make([]string, 0, len(counts))
	for l := range counts {
		labels = append(labels, l)
	}
	sort.Slice(labels, func(i, j int) bool {
		if byCount && counts[labels[i]] != counts[labels[j]] {
			return counts[labels[i]] > counts[labels[j]]
		}
		if byCount {
			return labels[i] < labels[j]
		}
		return labels[i] > labels[j]
	})
	for i, l := range labels {
		if i == limit {
			fmt.Fprintf(out, "  ... and %d more\n", len(labels)-i)
			break
		}
		fmt.Fprintf(out, "  %6d  %s\n", counts[l], l)
	}
}
