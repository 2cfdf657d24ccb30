// Command bench measures dutywatch end to end against the floor of the
// work it cannot avoid.
//
// The default run generates a corpus of realistic findings (gzip, 100 per
// object) in the Firehose layout and one in the native GuardDuty export
// layout, into folders, uploads both into versitygw on loopback, and times
// the floor — the same objects gunzipped and JSON-parsed with nothing else
// done, on every core — and `dutywatch run --once` over the Firehose
// folder, the Firehose bucket and the native bucket, each with a rule that
// matches nothing and with the built-in rules, alerts.json and the
// dashboard store. It prints records/s, MB/s (gzip and JSON), peak RSS,
// the S3 requests (counted by a reverse proxy between dutywatch and
// versitygw) and each run's time over the floor:
//
//	go run ./bench -findings 100000
//	go run ./bench -runs dir -only-alerts
//
// Sweeps print one table each, one row per point, each point with its own
// corpus (workers and rules: the same corpus for every point) and a fresh
// state; by default they run only the rules + alerts mode:
//
//	go run ./bench -sweep object-size   # 1 KB .. 100 MB gzip objects (S3)
//	go run ./bench -sweep per-object    # 1 .. 10000 findings per object (S3)
//	go run ./bench -sweep workers       # workers: 1, 2, 4, 8 (folder)
//	go run ./bench -sweep rules         # built-in + 0, 100, 1000, 5000 rules (folder)
//	go run ./bench -big-object 1GiB     # one object of 1 GiB JSON (folder)
//
// versitygw is taken from PATH or GOPATH/bin, or installed with go install
// when missing. Everything is written under a new temporary folder that is
// removed at the end, or under -dir, which is kept.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// options are the command-line flags.
type options struct {
	findings  int
	perObject int
	dir       string
	keep      bool
	runs      []string
	modes     []string
	sweep     string
	points    []string
	source    string
	workers   int
	bigObject int64
	binary    string
}

// Runs of the default benchmark.
var allRuns = []string{"dir", "s3", "native", "dir-native"}

func main() {
	opt, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, opt); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var opt options
	var runs, modes, points, big string
	var onlyAlerts bool
	fs.IntVar(&opt.findings, "findings", 0, "distinct findings per corpus (default 100000; 20000 per sweep point)")
	fs.IntVar(&opt.perObject, "per-object", 100, "findings per object")
	fs.StringVar(&opt.dir, "dir", "", "work folder, kept afterwards with every run's state and outputs (default: a temporary folder, removed)")
	fs.StringVar(&runs, "runs", "dir,s3,native", "runs of the default benchmark: dir (Firehose folder), s3 (Firehose bucket), native (native bucket), dir-native (native folder)")
	fs.StringVar(&modes, "modes", "", "dutywatch modes: none (a rule matching nothing), alerts (built-in rules + alerts + store) (default none,alerts; alerts for sweeps; both for -big-object)")
	fs.BoolVar(&onlyAlerts, "only-alerts", false, "same as -modes alerts")
	fs.StringVar(&opt.sweep, "sweep", "", "run a sweep instead: object-size, per-object, workers or rules")
	fs.StringVar(&points, "points", "", "the sweep's points, comma-separated (e.g. 1KB,1MB for object-size; 1,100 for the others)")
	fs.StringVar(&opt.source, "source", "", "where sweeps read: dir or s3 (default s3 for object-size and per-object, dir otherwise)")
	fs.IntVar(&opt.workers, "workers", 0, "the config's workers: (default: dutywatch's)")
	fs.StringVar(&opt.binary, "binary", "", "a dutywatch binary to measure (default: go build ./cmd/dutywatch)")
	fs.StringVar(&big, "big-object", "", "instead, run over one gzip object of this much JSON, e.g. 1GiB (folder source)")
	if err := fs.Parse(args); err != nil {
		return opt, err
	}
	if fs.NArg() > 0 {
		return opt, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	opt.keep = opt.dir != ""
	opt.runs = splitList(runs)
	for _, r := range opt.runs {
		if !slices.Contains(allRuns, r) {
			return opt, fmt.Errorf("unknown run %q (want %s)", r, strings.Join(allRuns, ", "))
		}
	}
	if onlyAlerts {
		modes = modeAlerts
	}
	opt.modes = splitList(modes)
	for _, m := range opt.modes {
		if m != modeNone && m != modeAlerts {
			return opt, fmt.Errorf("unknown mode %q (want none or alerts)", m)
		}
	}
	if opt.sweep != "" && !slices.Contains(sweepNames(), opt.sweep) {
		return opt, fmt.Errorf("unknown sweep %q (want %s)", opt.sweep, strings.Join(sweepNames(), ", "))
	}
	if opt.source != "" && opt.source != "dir" && opt.source != "s3" {
		return opt, fmt.Errorf("unknown source %q (want dir or s3)", opt.source)
	}
	opt.points = splitList(points)
	if big != "" {
		n, err := parseSize(big)
		if err != nil {
			return opt, fmt.Errorf("-big-object: %w", err)
		}
		opt.bigObject = n
	}
	if opt.perObject < 1 || opt.findings < 0 || opt.workers < 0 {
		return opt, fmt.Errorf("-findings, -per-object and -workers must be positive")
	}
	return opt, nil
}

func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseSize reads a byte count with an optional unit: B, KB, MB, GB
// (powers of 1000) or KiB, MiB, GiB (powers of 1024).
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("invalid size %q (e.g. 10KB, 100MB, 1GiB)", s)
	}
	return int64(f * float64(mult)), nil
}

// env is what every benchmark shares: the work folder, the dutywatch
// binary and, once started, the S3 server.
type env struct {
	opt    options
	dir    string
	binary string
	s3     *s3Server
}

func run(ctx context.Context, opt options) error {
	e := &env{opt: opt, dir: opt.dir}
	if e.dir == "" {
		d, err := os.MkdirTemp("", "dutywatch-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		e.dir = d
	} else if err := os.MkdirAll(e.dir, 0o750); err != nil {
		return err
	}
	e.dir, _ = filepath.Abs(e.dir)
	defer e.close()
	if e.binary = opt.binary; e.binary == "" {
		e.binary = filepath.Join(e.dir, "dutywatch")
		fmt.Fprintf(os.Stderr, "building dutywatch...\n")
		build := exec.CommandContext(ctx, "go", "build", "-o", e.binary, "./cmd/dutywatch")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build dutywatch: %w", err)
		}
	}
	m := probeMachine()
	m.binary = opt.binary
	switch {
	case opt.bigObject > 0:
		return e.bigObject(ctx, m)
	case opt.sweep != "":
		return e.runSweep(ctx, m)
	}
	return e.defaultRun(ctx, m)
}

// s3Server starts versitygw on first use.
func (e *env) server(ctx context.Context) (*s3Server, error) {
	if e.s3 == nil {
		fmt.Fprintf(os.Stderr, "starting versitygw...\n")
		s, err := startS3(ctx, e.dir)
		if err != nil {
			return nil, err
		}
		e.s3 = s
	}
	return e.s3, nil
}

func (e *env) close() {
	if e.s3 != nil {
		e.s3.stop()
	}
}

// modesOr is the -modes flag, or def when it was not given.
func (e *env) modesOr(def ...string) []string {
	if len(e.opt.modes) > 0 {
		return e.opt.modes
	}
	return def
}

// findingsOr is the -findings flag, or def when it was not given.
func (e *env) findingsOr(def int) int {
	if e.opt.findings > 0 {
		return e.opt.findings
	}
	return def
}
