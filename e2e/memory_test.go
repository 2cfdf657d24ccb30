//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/dutywatch/dutywatch/internal/generator"
)

// TestLargeObjectFlatMemory is acceptance 6 of the spine: a 1 GiB
// (decompressed) object is processed with a peak RSS under 150 MB.
func TestLargeObjectFlatMemory(t *testing.T) {
	const size = 1 << 30
	waited := make(chan struct{})
	dir := t.TempDir()
	bucket := filepath.Join(dir, "bucket")
	key := "firehose/2025/01/15/00/big-1-2025-01-15-00-00-00-0b0b0b0b-0000-4000-8000-000000000001.gz"
	path := filepath.Join(bucket, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	// A pool of distinct records, repeated with a new finding id each
	// time: generating 1 GiB of findings would take most of the test's
	// time, and every finding must be new, so that alerts and finding rows
	// of the whole object wait for the one commit.
	var pool [][]byte
	var ids []string
	wantEvents, perPool := 0, 0
	for i := range 500 {
		rec := generator.Envelope(generator.Finding(42, i), fmt.Sprintf("ev-%d", i), "111122223333", "us-east-1", start)
		m := findingID.FindSubmatch(rec)
		if m == nil {
			t.Fatalf("no finding id in %s", rec)
		}
		pool, ids = append(pool, rec), append(ids, string(m[1]))
		perPool += eventsOf(t, rec)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	bw := bufio.NewWriterSize(zw, 1<<20)
	written := 0
	for rep := 0; written < size; rep++ {
		for i, rec := range pool {
			id := ids[i][:len(ids[i])-8] + fmt.Sprintf("%08x", rep)
			bw.Write(bytes.Replace(rec, []byte(`"id":"`+ids[i]+`"`), []byte(`"id":"`+id+`"`), 1))
			written += len(rec)
		}
		wantEvents += perPool
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	cfg := writeConfig(t, dir, fmt.Sprintf(`state: %s
output:
  archives_path: %s
  alerts_path: %s
sources:
  - name: big
    type: dir
    dir: %s
    path: firehose/
`, filepath.Join(dir, "state.db"), filepath.Join(dir, "archives.json"), filepath.Join(dir, "alerts.json"), bucket))
	cmd := exec.Command(binary, "run", "--once", "--config", cfg, "--log-level", "warn")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	began := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Sample the child's own high-water mark: rusage's ru_maxrss would also
	// count the test process, whose memory the child shares until exec.
	var rss int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if hwm, ok := vmHWM(cmd.Process.Pid); ok && hwm > rss {
				rss = hwm
			}
			select {
			case <-tick.C:
			case <-waited:
				return
			}
		}
	}()
	err = cmd.Wait()
	close(waited)
	<-done
	took := time.Since(began)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Logf("%d MiB decompressed, %d events in %v (%.0f events/s, %.0f MB/s decompressed); peak RSS %.1f MB",
		written>>20, wantEvents, took.Round(time.Millisecond), float64(wantEvents)/took.Seconds(),
		float64(written)/1e6/took.Seconds(), float64(rss)/1e6)
	if rss >= 150e6 {
		t.Errorf("peak RSS %.1f MB; want under 150 MB", float64(rss)/1e6)
	}
	lines := 0
	af, err := os.Open(filepath.Join(dir, "archives.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer af.Close()
	sc := bufio.NewScanner(af)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines++
	}
	if lines != wantEvents {
		t.Errorf("archives.json has %d lines; want %d", lines, wantEvents)
	}
}

// findingID finds a generated record's finding id: 32 hex digits.
var findingID = regexp.MustCompile(`"id":"([0-9a-f]{32})"`)

// vmHWM reads the peak resident set size of a running process, in bytes.
func vmHWM(pid int) (int64, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err == nil
		}
	}
	return 0, false
}
