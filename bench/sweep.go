package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dutywatch/dutywatch/internal/generator"
)

// sweep describes one sweep: its default points and source, and how a
// point's corpus and runs are made.
type sweep struct {
	points []string
	source string // "dir" or "s3"
	// shared means every point reads the same corpus.
	shared bool
	title  string
}

var sweeps = map[string]sweep{
	"object-size": {points: []string{"1KB", "10KB", "100KB", "1MB", "10MB", "100MB"}, source: "s3",
		title: "gzip object size (findings per object varied to reach it)"},
	"per-object": {points: []string{"1", "10", "100", "1000", "10000"}, source: "s3",
		title: "records per object"},
	"workers": {points: []string{"1", "2", "4", "8"}, source: "dir", shared: true,
		title: "workers (the config's workers:)"},
	"rules": {points: []string{"0", "100", "1000", "5000"}, source: "dir", shared: true,
		title: "extra never-matching Wazuh rules loaded after the built-in ruleset"},
}

func sweepNames() []string { return []string{"object-size", "per-object", "workers", "rules"} }

// streamAbove is the object size from which the object-size sweep writes
// one streamed object instead of generating a corpus in memory.
const streamAbove = 50e6

// runSweep runs the sweep -sweep names and prints its table.
func (e *env) runSweep(ctx context.Context, m machine) error {
	sw := sweeps[e.opt.sweep]
	points := sw.points
	if len(e.opt.points) > 0 {
		points = e.opt.points
	}
	source := sw.source
	if e.opt.source != "" {
		source = e.opt.source
	}
	modes := e.modesOr(modeAlerts)
	if e.opt.sweep == "rules" {
		modes = []string{modeAlerts} // rules only count with rules on
	}
	findings := e.findingsOr(20000)
	var sizer *objectSizer
	if e.opt.sweep == "object-size" {
		var err error
		if sizer, err = calibrate(ctx); err != nil {
			return err
		}
	}
	t := newTable(append(append([]string{e.opt.sweep, "mode", "objects", "mean object"}, metricHeader...), "alerts")...)
	var shared *corpus
	for i, point := range points {
		c := shared
		if c == nil {
			var err error
			if c, err = e.pointCorpus(ctx, sizer, i, point, findings); err != nil {
				return fmt.Errorf("point %s: %w", point, err)
			}
			if err := e.prepare(ctx, c, source, i); err != nil {
				return err
			}
			if sw.shared {
				shared = c
			}
		}
		for _, mode := range modes {
			r, err := e.runPoint(ctx, c, source, i, point, mode)
			if err != nil {
				return fmt.Errorf("point %s: %w", point, err)
			}
			meanObj := fmtSize(float64(c.sum.Bytes) / float64(max(1, c.sum.Objects)))
			t.add(append(append([]string{point, mode, strconv.Itoa(c.sum.Objects), meanObj}, metricCells(r)...), strconv.FormatInt(r.alerts, 10))...)
		}
		if !sw.shared && !e.opt.keep {
			os.RemoveAll(c.root)
		}
	}
	w := os.Stdout
	fmt.Fprintln(w)
	m.write(w)
	fmt.Fprintf(w, "sweep %s: %s; %s source; %d findings per point (more when one object needs more)\n\n", e.opt.sweep, sw.title, source, findings)
	t.dropBlank(s3Column)
	if err := t.write(w); err != nil {
		return err
	}
	writeNotes(w, source == "s3")
	return nil
}

// pointCorpus generates the corpus of point i of the sweep.
func (e *env) pointCorpus(ctx context.Context, sizer *objectSizer, i int, point string, findings int) (*corpus, error) {
	root := filepath.Join(e.dir, fmt.Sprintf("point-%d", i))
	switch e.opt.sweep {
	case "object-size":
		return sizer.corpus(ctx, root, point, findings)
	case "per-object":
		p, err := strconv.Atoi(point)
		if err != nil || p < 1 {
			return nil, fmt.Errorf("invalid records per object %q", point)
		}
		return generateCorpus(ctx, root, genConfig(generator.LayoutFirehose, findings, p))
	}
	return generateCorpus(ctx, root, genConfig(generator.LayoutFirehose, findings, e.opt.perObject))
}

// prepare measures the floor of a point's corpus and uploads it to the
// point's own bucket when the sweep reads S3.
func (e *env) prepare(ctx context.Context, c *corpus, source string, i int) error {
	if err := measureFloor(c); err != nil {
		return err
	}
	if source != "s3" {
		return nil
	}
	srv, err := e.server(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "uploading %d objects...\n", c.sum.Objects)
	return srv.upload(ctx, c.root, fmt.Sprintf("sweep-%d", i))
}

// runPoint runs dutywatch once for a point of the sweep.
func (e *env) runPoint(ctx context.Context, c *corpus, source string, i int, point, mode string) (result, error) {
	spec := runSpec{name: e.opt.sweep + " " + point, c: c, mode: mode, workers: e.opt.workers}
	if source == "s3" {
		spec.s3, spec.bucket = e.s3, fmt.Sprintf("sweep-%d", i)
	}
	switch e.opt.sweep {
	case "workers":
		n, err := strconv.Atoi(point)
		if err != nil || n < 1 {
			return result{}, fmt.Errorf("invalid worker count %q", point)
		}
		spec.workers = n
	case "rules":
		n, err := strconv.Atoi(point)
		if err != nil || n < 0 {
			return result{}, fmt.Errorf("invalid rule count %q", point)
		}
		if n > 0 {
			xml, err := extraRules(n)
			if err != nil {
				return result{}, err
			}
			path := filepath.Join(e.dir, fmt.Sprintf("extra-rules-%d.xml", n))
			if err := os.WriteFile(path, []byte(xml), 0o600); err != nil {
				return result{}, err
			}
			spec.ruleFiles = []string{path}
		}
	}
	return runDutywatch(ctx, e.binary, e.dir, spec, e.opt.keep)
}

// objectSizer picks the records per object that give a gzip object size:
// an object of p records weighs about overhead + p*perRecord bytes.
type objectSizer struct {
	overhead, perRecord float64
}

// calibrate measures the generator's gzip sizes: objects of one record,
// and records in objects of 1000.
func calibrate(ctx context.Context) (*objectSizer, error) {
	one, err := generator.Generate(ctx, genConfig(generator.LayoutFirehose, 200, 1), discard{})
	if err != nil {
		return nil, err
	}
	big, err := generator.Generate(ctx, genConfig(generator.LayoutFirehose, 3000, 1000), discard{})
	if err != nil {
		return nil, err
	}
	perRecord := float64(big.Bytes) / float64(big.Records)
	return &objectSizer{overhead: float64(one.Bytes)/float64(one.Objects) - perRecord, perRecord: perRecord}, nil
}

// perObject is the number of records per object closest to size bytes.
func (s *objectSizer) perObject(size float64) int {
	return max(1, int(math.Round((size-s.overhead)/s.perRecord)))
}

// corpus makes the corpus of one object-size point: findings findings (or
// two objects' worth, if more) in objects of the point's size, or one
// streamed object from streamAbove up.
func (s *objectSizer) corpus(ctx context.Context, root, point string, findings int) (*corpus, error) {
	size, err := parseSize(point)
	if err != nil {
		return nil, err
	}
	if float64(size) >= streamAbove {
		return streamCorpus(ctx, root, 2000, func(gz, _ int64) bool { return gz >= size })
	}
	p := s.perObject(float64(size))
	return generateCorpus(ctx, root, genConfig(generator.LayoutFirehose, max(findings, 2*p), p))
}
