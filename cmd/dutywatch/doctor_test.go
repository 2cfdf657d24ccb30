package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/generator"
)

// runDoctorCLI runs the doctor command in-process.
func runDoctorCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newDoctorCommand(&globalFlags{logLevel: "error", logFormat: "text"})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true // as under the root command
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestDoctorCommand(t *testing.T) {
	dir := t.TempDir()
	inbox := filepath.Join(dir, "inbox")
	g := generator.DefaultConfig()
	g.Findings, g.Start = 20, time.Now().UTC().Add(-30*time.Hour)
	if _, err := generator.Generate(context.Background(), g, generator.DirWriter{Root: inbox}); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "dutywatch.yaml")
	os.WriteFile(conf, []byte("sources:\n  - name: inbox\n    dir: "+inbox+"\n  - name: gone\n    dir: "+filepath.Join(dir, "gone")+
		"\n  - name: off\n    dir: /nowhere\n    disabled: true\n"), 0o644)

	out, err := runDoctorCLI(t, "--config", conf, "--source", "inbox")
	if err != nil || !strings.Contains(out, "1 source(s): all checks passed") || !strings.Contains(out, "dir source inbox: "+inbox) {
		t.Errorf("healthy: %v\n%s", err, out)
	}

	out, err = runDoctorCLI(t, "--config", conf, "--format", "json")
	if err == nil || err.Error() != "doctor: 1 check(s) failed" {
		t.Errorf("err = %v", err)
	}
	var got struct {
		OK      bool
		Sources []struct{ Source string }
	}
	if jerr := json.Unmarshal([]byte(out), &got); jerr != nil || got.OK || len(got.Sources) != 2 || got.Sources[1].Source != "gone" {
		t.Errorf("json: %v %+v\n%s", jerr, got, out)
	}

	if _, err := runDoctorCLI(t, "--config", conf, "--format", "yaml"); err == nil || !strings.Contains(err.Error(), "--format") {
		t.Errorf("bad format: %v", err)
	}
	if _, err := runDoctorCLI(t, "--config", conf, "--source", "nope"); err == nil || !strings.Contains(err.Error(), "no enabled sources") {
		t.Errorf("unknown source: %v", err)
	}
}
