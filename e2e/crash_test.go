//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
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
	// The built-in ruleset, correlation included: the rule engine's state is
	// committed with the results, so a crashed run correlates exactly as a
	// clean one.
	cfg := writeConfig(t, dir, fmt.Sprintf(`state: %s
output:
  archives_path: %s
  alerts_path: %s
sources:
  - name: crash
    type: dir
    dir: %s
    path: firehose/
`, filepath.Join(dir, "state.db"), filepath.Join(dir, "archives.json"), filepath.Join(dir, "dutywatch-data-alerts.json"), bucket))

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

	// The same corpus read once without crashes must give the same alerts:
	// none lost, none twice.
	clean := t.TempDir()
	cleanCfg := writeConfig(t, clean, fmt.Sprintf(`state: %s
output:
  archives_path: %s
  alerts_path: %s
sources:
  - name: crash
    type: dir
    dir: %s
    path: firehose/
`, filepath.Join(clean, "state.db"), filepath.Join(clean, "archives.json"), filepath.Join(clean, "alerts.json"), bucket))
	runOnce(t, cleanCfg)
	crashed, want := alertIDs(t, filepath.Join(dir, "dutywatch-data-alerts.json")), alertIDs(t, filepath.Join(clean, "alerts.json"))
	if len(want) == 0 {
		t.Fatal("the clean run raised no alerts")
	}
	cleanAlerts, err := os.ReadFile(filepath.Join(clean, "alerts.json"))
	if err != nil {
		t.Fatal(err)
	}
	correlations := bytes.Count(cleanAlerts, []byte(`"id":"200950"`)) + bytes.Count(cleanAlerts, []byte(`"id":"200951"`))
	if correlations == 0 {
		t.Fatal("the corpus raised no correlation alert: the test would not check that correlation survives crashes")
	}
	for id := range want {
		if !crashed[id] {
			t.Errorf("alert %s of the clean run is missing after the crashes", id)
		}
	}
	for id := range crashed {
		if !want[id] {
			t.Errorf("alert %s after the crashes is not in the clean run", id)
		}
	}
	t.Logf("%d kills, %d runs that finished, %d corpus rounds: %d events and %d alerts (%d correlations), each exactly once", kills, finished, round+1, wantEvents, len(want), correlations)
}

// alertIDs reads alerts.json, failing on a torn or duplicated line, and
// returns the ids of its alerts.
func alertIDs(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for n := 1; sc.Scan(); n++ {
		var a struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("%s line %d is not JSON (torn write?): %v", path, n, err)
		}
		if ids[a.ID] {
			t.Fatalf("%s line %d: alert %s is a duplicate", path, n, a.ID)
		}
		ids[a.ID] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}
