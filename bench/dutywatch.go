package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Modes of a dutywatch run.
const (
	// modeNone loads one rule that matches nothing (rules mode wazuh): no
	// alerts, but normalisation, the update policy, archives.json and the
	// findings table all run.
	modeNone = "none"
	// modeAlerts is the default configuration: the built-in rules,
	// alerts.json and the dashboard store.
	modeAlerts = "alerts"
)

func modeLabel(mode string) string {
	if mode == modeNone {
		return "a rule matching nothing"
	}
	return "rules + alerts + store"
}

// runSpec is one `dutywatch run --once` to measure.
type runSpec struct {
	name   string // the table's label, e.g. "s3 firehose"
	c      *corpus
	s3     *s3Server // nil reads c.root with a dir source
	bucket string
	mode   string
	// workers is the config's workers: key; 0 leaves dutywatch's default.
	workers int
	// ruleFiles are extra rule files loaded after the built-in rules
	// (mode alerts only).
	ruleFiles []string
}

// result is what one measured run (or the floor) gave.
type result struct {
	name     string
	c        *corpus
	took     time.Duration
	rss      int64     // peak resident set, bytes; 0 for the in-process floor
	requests *s3Counts // nil when no S3 was involved
	events   int64     // lines of archives.json
	alerts   int64     // lines of alerts.json
}

// noneRule is a Wazuh rule file whose one rule never matches.
const noneRule = `<group name="none,"><rule id="100001" level="0"><match>^$never^</match><description>none</description></rule></group>`

// onlyLogsAfter is the first day of every generated corpus, so that S3
// first polls start there rather than today.
const onlyLogsAfter = "2025-01-01"

// writeConfig returns the YAML configuration of spec, with its state and
// outputs under work; none is the path of the never-matching rule file.
func writeConfig(spec runSpec, work, none string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "state: %s\noutput:\n  archives_path: %s\n  alerts_path: %s\n",
		filepath.Join(work, "state.db"), filepath.Join(work, "archives.json"), filepath.Join(work, "alerts.json"))
	if spec.workers > 0 {
		fmt.Fprintf(&b, "workers: %d\n", spec.workers)
	}
	b.WriteString("sources:\n  - name: bench\n")
	if spec.s3 == nil {
		fmt.Fprintf(&b, "    type: dir\n    dir: %s\n", spec.c.root)
	} else {
		fmt.Fprintf(&b, "    type: s3\n    bucket: %s\n    service_endpoint: %s\n    access_key: %s\n    secret_key: %s\n    region: %s\n    only_logs_after: %s\n",
			spec.bucket, spec.s3.Proxy.URL, spec.s3.AccessKey, spec.s3.SecretKey, spec.s3.Region, onlyLogsAfter)
	}
	if spec.c.prefix != "" {
		fmt.Fprintf(&b, "    path: %s\n", spec.c.prefix)
	}
	switch {
	case spec.mode == modeNone:
		fmt.Fprintf(&b, "rules:\n  mode: wazuh\n  files: [%s]\n", none)
	case len(spec.ruleFiles) > 0:
		fmt.Fprintf(&b, "rules:\n  mode: default\n  files: [%s]\n", strings.Join(spec.ruleFiles, ", "))
	}
	return b.String()
}

// runDutywatch runs the binary once over spec in a fresh folder under dir
// and measures it. It removes the folder afterwards unless keep is set.
func runDutywatch(ctx context.Context, binary, dir string, spec runSpec, keep bool) (result, error) {
	work, err := os.MkdirTemp(dir, "run-")
	if err != nil {
		return result{}, err
	}
	if !keep {
		defer os.RemoveAll(work)
	}
	none := filepath.Join(work, "none.xml")
	if err := os.WriteFile(none, []byte(noneRule), 0o600); err != nil {
		return result{}, err
	}
	cfgPath := filepath.Join(work, "dutywatch.yaml")
	if err := os.WriteFile(cfgPath, []byte(writeConfig(spec, work, none)), 0o600); err != nil {
		return result{}, err
	}
	res := result{name: spec.name + ": " + modeLabel(spec.mode), c: spec.c}
	fmt.Fprintf(os.Stderr, "running %s...\n", res.name)
	var before s3Counts
	if spec.s3 != nil {
		before = spec.s3.Proxy.snapshot()
	}
	cmd := exec.CommandContext(ctx, binary, "run", "--once", "--config", cfgPath, "--log-level", "warn")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	res.took, res.rss, err = measureProcess(cmd)
	if err != nil {
		io.Copy(os.Stderr, &out)
		return res, fmt.Errorf("%s: %w", res.name, err)
	}
	if spec.s3 != nil {
		n := spec.s3.Proxy.snapshot().sub(before)
		res.requests = &n
	}
	if res.events, err = countLines(filepath.Join(work, "archives.json")); err != nil {
		return res, err
	}
	if res.alerts, err = countLines(filepath.Join(work, "alerts.json")); err != nil {
		return res, err
	}
	if want := int64(spec.c.sum.Events); res.events != want {
		fmt.Fprintf(os.Stderr, "warning: %s wrote %d events, the corpus holds %d\n", res.name, res.events, want)
	}
	return res, nil
}

// measureProcess runs cmd to its end and returns its wall time and peak
// resident set: the last VmHWM sampled every 10 ms while it ran (growth in
// its last 10 ms is missed). The kernel's ru_maxrss is no use here: Linux
// carries the parent's peak across fork and exec, so a child of a big
// bench process reports at least the bench's own peak.
func measureProcess(cmd *exec.Cmd) (time.Duration, int64, error) {
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	var peak int64
	done := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		for {
			if data, err := os.ReadFile(status); err == nil {
				peak = max(peak, vmHWM(data))
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	err := cmd.Wait()
	took := time.Since(start)
	close(done)
	sampler.Wait()
	return took, peak, err
}

// vmHWM reads the peak resident set size, in bytes, from the text of
// /proc/PID/status; 0 when the line is missing or malformed.
func vmHWM(status []byte) int64 {
	for line := range strings.Lines(string(status)) {
		rest, ok := strings.CutPrefix(line, "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}

// countLines counts the newlines of a file; a missing file has none.
func countLines(path string) (int64, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		k, err := f.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
