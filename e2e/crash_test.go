//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/generator"
)

// TestCrashExactlyOnce kills `dutywatch run` with SIGKILL at random points
// while it ingests a generated corpus, restarts it, and checks that
// archives.json ends up with every event exactly once and no torn line.
func TestCrashExactlyOnce(t *testing.T) {
	const wantKills = 25
	dir := t.TempDir()
	bucket := filepath.Join(dir, "bucket")
	w := &generator.DirWriter{Root: bucket}
	cfg := writeConfig(t, dir, fmt.Sprintf(`state: %s
output:
  archives_path: %s
sources:
  - name: crash
    type: dir
    dir: %s
    path: firehose/
`, filepath.Join(dir, "state.db"), filepath.Join(dir, "archives.json"), bucket))

	seed := time.Now().UnixNano()
	t.Logf("kill points seeded with %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	wantEvents := 0
	addCorpus := func(round int) {
		g := generator.DefaultConfig()
		g.Seed, g.Findings, g.PerObject, g.Prefix = int64(round+1), 20000, 100, "firehose/"
		// Rounds 3 days apart: a round's updates spill past its 24h span, and a
		// new round must not land behind the cursor (outside the look-back).
		g.Start = start.Add(time.Duration(round) * 72 * time.Hour)
		g.Compression = []string{"gzip", "snappy", "none", "zip"}[round%4]
		sum, err := generator.Generate(context.Background(), g, w)
		if err != nil {
			t.Fatal(err)
		}
		wantEvents += sum.Events
	}
	round := 0
	addCorpus(round)

	kills, finished := 0, 0
	for kills < wantKills {
		cmd := exec.Command(binary, "run", "--once", "--config", cfg, "--log-level", "error")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		timer := time.AfterFunc(time.Duration(20+rng.IntN(500))*time.Millisecond, func() {
			cmd.Process.Signal(syscall.SIGKILL)
		})
		err := cmd.Wait()
		timer.Stop()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			kills++
			continue
		}
		if err != nil {
			t.Fatalf("run failed without being killed: %v", err)
		}
		// The run finished before the kill: give it more to do.
		finished++
		round++
		addCorpus(round)
	}
	runOnce(t, cfg)
	lines := readArchive(t, filepath.Join(dir, "archives.json"))
	if len(lines) != wantEvents {
		t.Fatalf("after %d kills archives.json holds %d events; want exactly %d", kills, len(lines), wantEvents)
	}
	t.Logf("%d kills, %d runs that finished, %d corpus rounds: %d events, each exactly once", kills, finished, round+1, wantEvents)
}
