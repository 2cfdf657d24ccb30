package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/dutywatch/dutywatch/internal/decode"
	"github.com/dutywatch/dutywatch/internal/generator"
)

// corpus is a set of generated objects in a folder, laid out as keys
// under root, and what the generator says it holds.
type corpus struct {
	root   string
	layout string // generator.LayoutFirehose or generator.LayoutNative
	prefix string // "firehose/" or "" (native keys start with AWSLogs/)
	sum    generator.Summary
	// decoded is the size of the objects' JSON, measured by the floor.
	decoded int64
	// floor is how long the floor took over the corpus.
	floor time.Duration
}

// genConfig is the generator configuration of a benchmark corpus: 20 days
// of findings, so that listings page through many hour or day folders.
func genConfig(layout string, findings, perObject int) generator.Config {
	g := generator.DefaultConfig()
	g.Findings, g.PerObject, g.Layout, g.Span = findings, perObject, layout, 20*24*time.Hour
	if layout == generator.LayoutFirehose {
		g.Prefix = "firehose/"
	}
	return g
}

// generateCorpus writes the objects g describes under root.
func generateCorpus(ctx context.Context, root string, g generator.Config) (*corpus, error) {
	fmt.Fprintf(os.Stderr, "generating %d %s findings, %d per object...\n", g.Findings, g.Layout, g.PerObject)
	sum, err := generator.Generate(ctx, g, &generator.DirWriter{Root: root})
	if err != nil {
		return nil, fmt.Errorf("generate corpus: %w", err)
	}
	return &corpus{root: root, layout: g.Layout, prefix: g.Prefix, sum: sum}, nil
}

// streamCorpus writes one gzip Firehose object under root holding the
// findings of successive generator runs of chunk findings each (a new seed
// each, so ids never repeat), until done says it is big enough. Only one
// chunk is held in memory at a time.
func streamCorpus(ctx context.Context, root string, chunk int, done func(gzipBytes, jsonBytes int64) bool) (*corpus, error) {
	first := genConfig(generator.LayoutFirehose, 1, 1)
	probe, err := generator.Generate(ctx, first, discard{})
	if err != nil {
		return nil, err
	}
	key := probe.Keys[0] // a real Firehose key: firehose/YYYY/MM/DD/HH/stream-1-...gz
	name := filepath.Join(root, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(name), 0o750); err != nil {
		return nil, err
	}
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := &countWriter{w: f}
	zw := gzip.NewWriter(out)
	raw := &countWriter{w: zw}
	c := &corpus{root: root, layout: generator.LayoutFirehose, prefix: first.Prefix}
	fmt.Fprintf(os.Stderr, "generating one big object, %d findings at a time...\n", chunk)
	for seed := int64(1); !done(out.n, raw.n); seed++ {
		g := genConfig(generator.LayoutFirehose, chunk, chunk)
		g.Seed, g.Compression = seed, generator.CompressNone
		sum, err := generator.Generate(ctx, g, streamWriter{raw})
		if err != nil {
			return nil, fmt.Errorf("generate chunk %d: %w", seed, err)
		}
		c.sum.Records += sum.Records
		c.sum.Findings += sum.Findings
		c.sum.Updates += sum.Updates
		c.sum.Events += sum.Events
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	c.sum.Objects, c.sum.Bytes, c.sum.Keys = 1, out.n, []string{key}
	return c, nil
}

// streamWriter appends every object's body to one stream.
type streamWriter struct{ w io.Writer }

func (s streamWriter) Put(_ context.Context, _ string, body []byte) error {
	_, err := s.w.Write(body)
	return err
}

// discard is a generator.Writer that keeps nothing.
type discard struct{}

func (discard) Put(context.Context, string, []byte) error { return nil }

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// files lists the regular files under root whose names do not start
// with "." (the generator's temporary files).
func files(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name()[0] != '.' {
			out = append(out, p)
		}
		return err
	})
	return out, err
}

// measureFloor gunzips every object of c and parses every record with
// encoding/json into an any, on every core, and nothing else; it sets
// c.decoded and c.floor.
func measureFloor(c *corpus) error {
	fmt.Fprintf(os.Stderr, "measuring the floor...\n")
	paths, err := files(c.root)
	if err != nil {
		return err
	}
	start := time.Now()
	next := make(chan string)
	var mu sync.Mutex
	var errs []error
	var decoded int64
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for p := range next {
				n, err := parseFile(p)
				mu.Lock()
				decoded += n
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		})
	}
	for _, p := range paths {
		next <- p
	}
	close(next)
	wg.Wait()
	c.floor, c.decoded = time.Since(start), decoded
	if len(errs) > 0 {
		return fmt.Errorf("floor: %w", errs[0])
	}
	return nil
}

// parseFile decodes one object and parses each record; it returns the
// JSON bytes decoded.
func parseFile(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := decode.NewReader(path, f, decode.Options{})
	defer r.Close()
	for r.Next() {
		var v any
		if err := json.Unmarshal(r.Record().Data, &v); err != nil {
			return r.BytesDecoded(), fmt.Errorf("parse %s: %w", path, err)
		}
	}
	return r.BytesDecoded(), r.Err()
}
