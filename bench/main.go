// Command bench measures dutywatch end to end against the floor of the
// work it cannot avoid: it generates a corpus of realistic findings
// (Firehose layout, gzip) into a folder, times the same objects gunzipped
// and JSON-parsed with nothing else done (the floor, on every core), then
// runs `dutywatch run --once` over them twice — with one rule that matches
// nothing (archives.json and the findings table, no alerts) and with the
// built-in rules, alerts.json and the dashboard store — and prints
// records/s, MB/s, peak RSS and the ratio to the floor.
//
//	go run ./bench -findings 100000
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dutywatch/dutywatch/internal/decode"
	"github.com/dutywatch/dutywatch/internal/generator"
)

func main() {
	findings := flag.Int("findings", 100000, "findings to generate")
	perObject := flag.Int("per-object", 100, "findings per object")
	keep := flag.String("dir", "", "work folder (default: a new temporary folder, removed at the end)")
	flag.Parse()
	if err := run(*findings, *perObject, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(findings, perObject int, dir string) error {
	ctx := context.Background()
	if dir == "" {
		d, err := os.MkdirTemp("", "dutywatch-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	bucket := filepath.Join(dir, "bucket")
	g := generator.DefaultConfig()
	g.Findings, g.PerObject, g.Prefix, g.Span = findings, perObject, "firehose/", 20*24*time.Hour
	fmt.Fprintf(os.Stderr, "generating %d findings...\n", findings)
	sum, err := generator.Generate(ctx, g, &generator.DirWriter{Root: bucket})
	if err != nil {
		return err
	}
	binary := filepath.Join(dir, "dutywatch")
	build := exec.Command("go", "build", "-o", binary, "./cmd/dutywatch")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build dutywatch: %w", err)
	}

	floor, err := measureFloor(bucket)
	if err != nil {
		return err
	}
	events, err := measureRun(binary, dir, bucket, "events", false)
	if err != nil {
		return err
	}
	alerts, err := measureRun(binary, dir, bucket, "alerts", true)
	if err != nil {
		return err
	}

	fmt.Printf("\ndutywatch bench: %d findings (%d records with updates) in %d objects, %.1f MB gzip, %d cores\n\n",
		sum.Findings, sum.Records, sum.Objects, float64(sum.Bytes)/1e6, runtime.NumCPU())
	fmt.Printf("| run | seconds | records/s | MB/s gzip | MB/s decompressed | peak RSS MB | time / floor |\n")
	fmt.Printf("| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range []result{floor, events, alerts} {
		ratio := r.took.Seconds() / floor.took.Seconds()
		rss := "—"
		if r.rss > 0 {
			rss = fmt.Sprintf("%.0f", float64(r.rss)/1e6)
		}
		fmt.Printf("| %s | %.2f | %.0f | %.1f | %.1f | %s | %.1fx |\n", r.name, r.took.Seconds(),
			float64(sum.Records)/r.took.Seconds(), float64(sum.Bytes)/1e6/r.took.Seconds(),
			float64(floor.decoded)/1e6/r.took.Seconds(), rss, ratio)
	}
	return nil
}

type result struct {
	name    string
	took    time.Duration
	rss     int64
	decoded int64
}

// measureFloor gunzips every object and parses every record with
// encoding/json, on every core, and nothing else.
func measureFloor(bucket string) (result, error) {
	var files []string
	err := filepath.WalkDir(bucket, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return result{}, err
	}
	start := time.Now()
	var decoded atomic.Int64
	var firstErr error
	var mu sync.Mutex
	next := make(chan string)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for f := range next {
				if err := parseFile(f, &decoded); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
			}
		})
	}
	for _, f := range files {
		next <- f
	}
	close(next)
	wg.Wait()
	return result{name: "floor: gunzip + JSON parse", took: time.Since(start), decoded: decoded.Load()}, firstErr
}

func parseFile(path string, decoded *atomic.Int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := decode.NewReader(path, f, decode.Options{})
	defer r.Close()
	for r.Next() {
		var v any
		if err := json.Unmarshal(r.Record().Data, &v); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	decoded.Add(r.BytesDecoded())
	return r.Err()
}

// measureRun runs dutywatch once over the bucket and samples its peak RSS.
func measureRun(binary, dir, bucket, name string, rules bool) (result, error) {
	work := filepath.Join(dir, name)
	os.RemoveAll(work)
	cfg := fmt.Sprintf("state: %s\noutput:\n  archives_path: %s\n  alerts_path: %s\nsources:\n  - name: bench\n    type: dir\n    dir: %s\n    path: firehose/\n",
		filepath.Join(work, "state.db"), filepath.Join(work, "archives.json"), filepath.Join(work, "alerts.json"), bucket)
	if !rules {
		// A rule file that matches nothing: no alerts, but the update policy
		// and the findings table still run.
		none := filepath.Join(dir, "none.xml")
		os.WriteFile(none, []byte(`<group name="none,"><rule id="100001" level="0"><match>^$never^</match><description>none</description></rule></group>`), 0o600)
		cfg += "rules:\n  mode: wazuh\n  files: [" + none + "]\n"
	}
	if err := os.MkdirAll(work, 0o750); err != nil {
		return result{}, err
	}
	cfgPath := filepath.Join(work, "dutywatch.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return result{}, err
	}
	label := "dutywatch: a rule matching nothing"
	if rules {
		label = "dutywatch: rules + alerts + store"
	}
	fmt.Fprintf(os.Stderr, "running %s...\n", label)
	cmd := exec.Command(binary, "run", "--once", "--config", cfgPath, "--log-level", "warn")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	var rss int64
	done := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if v := vmHWM(cmd.Process.Pid); v > rss {
				rss = v
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	err := cmd.Wait()
	close(done)
	sampler.Wait()
	took := time.Since(start)
	if err != nil {
		io.Copy(os.Stderr, &out)
		return result{}, fmt.Errorf("%s: %w", label, err)
	}
	return result{name: label, took: took, rss: rss}, nil
}

// vmHWM is a running process's peak resident set size in bytes, or 0.
func vmHWM(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
