package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/dutywatch/dutywatch/internal/generator"
)

// benchBucket holds both corpora of the default run: Firehose objects
// under firehose/, native ones under AWSLogs/.
const benchBucket = "guardduty-bench"

var layouts = []string{generator.LayoutFirehose, generator.LayoutNative}

// defaultRun is the benchmark of `make bench`.
func (e *env) defaultRun(ctx context.Context, m machine) error {
	corpora, err := e.defaultCorpora(ctx)
	if err != nil {
		return err
	}
	var srv *s3Server
	if e.needs("s3", "native") {
		if srv, err = e.server(ctx); err != nil {
			return err
		}
		for _, c := range corpora {
			fmt.Fprintf(os.Stderr, "uploading the %s corpus to s3://%s...\n", c.layout, benchBucket)
			if err := srv.upload(ctx, c.root, benchBucket); err != nil {
				return err
			}
		}
	}
	var results []result
	var lines []string
	for _, c := range corpora {
		results = append(results, floorResult(c))
		lines = append(lines, describeCorpus(c))
	}
	for _, name := range e.opt.runs {
		spec := runSpec{name: name, workers: e.opt.workers}
		switch name {
		case "dir":
			spec.name, spec.c = "dir firehose", corpora[0]
		case "s3":
			spec.name, spec.c, spec.s3, spec.bucket = "s3 firehose", corpora[0], srv, benchBucket
		case "native":
			spec.name, spec.c, spec.s3, spec.bucket = "s3 native", corpora[len(corpora)-1], srv, benchBucket
		case "dir-native":
			spec.name, spec.c = "dir native", corpora[len(corpora)-1]
		}
		for _, mode := range e.modesOr(modeNone, modeAlerts) {
			spec.mode = mode
			r, err := runDutywatch(ctx, e.binary, e.dir, spec, e.opt.keep)
			if err != nil {
				return err
			}
			results = append(results, r)
		}
	}
	return printResults(m, lines, results, srv != nil, "")
}

// needs reports whether any of runs was asked for.
func (e *env) needs(runs ...string) bool {
	return slices.ContainsFunc(runs, func(r string) bool { return slices.Contains(e.opt.runs, r) })
}

// defaultCorpora generates the corpora the runs need, Firehose first,
// and measures their floors.
func (e *env) defaultCorpora(ctx context.Context) ([]*corpus, error) {
	var out []*corpus
	for _, layout := range layouts {
		if layout == generator.LayoutFirehose && !e.needs("dir", "s3") || layout == generator.LayoutNative && !e.needs("native", "dir-native") {
			continue
		}
		g := genConfig(layout, e.findingsOr(100000), e.opt.perObject)
		c, err := generateCorpus(ctx, filepath.Join(e.dir, layout+"-corpus"), g)
		if err != nil {
			return nil, err
		}
		if err := measureFloor(c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// printResults prints the machine, the lines about the corpora, the table
// of results and the notes, to stdout.
func printResults(m machine, lines []string, results []result, s3 bool, note string) error {
	w := os.Stdout
	fmt.Fprintln(w)
	m.write(w)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w)
	t := newTable(append([]string{"run"}, metricHeader...)...)
	for _, r := range results {
		t.add(append([]string{r.name}, metricCells(r)...)...)
	}
	t.dropBlank(s3Column)
	if err := t.write(w); err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintf(w, "\n%s\n", note)
	}
	writeNotes(w, s3)
	return nil
}

// bigObject runs dutywatch over one gzip Firehose object holding
// e.opt.bigObject bytes of JSON, read from a folder.
func (e *env) bigObject(ctx context.Context, m machine) error {
	target := e.opt.bigObject
	c, err := streamCorpus(ctx, filepath.Join(e.dir, "big-corpus"), 2000, func(_, json int64) bool { return json >= target })
	if err != nil {
		return err
	}
	if err := measureFloor(c); err != nil {
		return err
	}
	results := []result{floorResult(c)}
	for _, mode := range e.modesOr(modeNone, modeAlerts) {
		r, err := runDutywatch(ctx, e.binary, e.dir, runSpec{name: "dir firehose", c: c, mode: mode, workers: e.opt.workers}, e.opt.keep)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	head := fmt.Sprintf("one object of %.2f GiB JSON (%s gzip): %s", float64(c.decoded)/(1<<30), fmtSize(float64(c.sum.Bytes)), describeCorpus(c))
	return printResults(m, []string{head}, results, false, "The floor reads the one object on one core: an object is decoded in order.")
}
