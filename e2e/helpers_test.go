//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// binary is the dutywatch binary built once for the suite.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dutywatch-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "dutywatch")
	build := exec.Command("go", "build", "-o", binary, "../cmd/dutywatch")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		panic("build dutywatch: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// writeConfig writes a YAML config to dir and returns its path.
func writeConfig(t *testing.T, dir, yaml string) string {
	t.Helper()
	path := filepath.Join(dir, "dutywatch.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runOnce runs `dutywatch run --once` and fails the test if it fails.
func runOnce(t *testing.T, config string) string {
	t.Helper()
	cmd := exec.Command(binary, "run", "--once", "--config", config, "--log-level", "warn")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dutywatch run --once: %v\n%s", err, out)
	}
	return string(out)
}

// archiveLine is what the suites read of an archives.json line.
type archiveLine struct {
	ID   string `json:"id"`
	Data struct {
		AWS struct {
			LogInfo struct {
				LogFile  string `json:"log_file"`
				S3Bucket string `json:"s3bucket"`
			} `json:"log_info"`
			ID        string `json:"id"`
			UpdatedAt string `json:"updatedAt"`
			Type      string `json:"type"`
		} `json:"aws"`
	} `json:"data"`
}

// readArchive reads every line of path, failing on a torn or duplicated
// line, and returns the lines.
func readArchive(t *testing.T, path string) []archiveLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []archiveLine
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for n := 1; sc.Scan(); n++ {
		var l archiveLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s line %d is not JSON (torn write?): %v", path, n, err)
		}
		if seen[l.ID] {
			t.Fatalf("%s line %d: event %s is a duplicate", path, n, l.ID)
		}
		seen[l.ID] = true
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func init() {
	// The suites measure and crash real processes; keep the test binary
	// itself from competing for the 2 cores more than needed.
	runtime.GOMAXPROCS(2)
}

func gzipBytes(t *testing.T, p []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(p); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
