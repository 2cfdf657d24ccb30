//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/dutywatch/dutywatch/internal/generator"
)

// TestLargeObjectFlatMemory is acceptance 6 of the spine: a 1 GiB
// (decompressed) object is processed with a peak RSS under 150 MB.
func TestLargeObjectFlatMemory(t *testing.T) {
	const size = 1 << 30
	dir := t.TempDir()
	bucket := filepath.Join(dir, "bucket")
	key := "firehose/2025/01/15/00/big-1-2025-01-15-00-00-00-0b0b0b0b-0000-4000-8000-000000000001.gz"
	path := filepath.Join(bucket, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	// A pool of distinct records, repeated: generating 1 GiB of unique
	// findings would take most of the test's time.
	var pool [][]byte
	wantEvents, perPool := 0, 0
	for i := range 500 {
		rec := generator.Envelope(generator.Finding(42, i), fmt.Sprintf("ev-%d", i), "111122223333", "us-east-1", start)
		pool = append(pool, rec)
		perPool += eventsOf(t, rec)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	bw := bufio.NewWriterSize(zw, 1<<20)
	written := 0
	for written < size {
		for _, rec := range pool {
			bw.Write(rec)
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
sources:
  - name: big
    type: dir
    dir: %s
    path: firehose/
`, filepath.Join(dir, "state.db"), filepath.Join(dir, "archives.json"), bucket))
	cmd := exec.Command(binary, "run", "--once", "--config", cfg, "--log-level", "warn")
	began := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(began)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024 // Linux reports KiB
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
