package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// machine describes where the benchmark ran, for the README to quote.
type machine struct {
	cpu      string
	cores    int
	memory   int64 // bytes, 0 if unknown
	goVer    string
	kernel   string
	revision string // git commit of the tree, "+dirty" when modified
	binary   string // the dutywatch binary measured, when given with -binary
}

func probeMachine() machine {
	m := machine{cpu: "unknown CPU", cores: runtime.NumCPU(), goVer: runtime.Version(), kernel: runtime.GOOS}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if name := cpuModel(string(data)); name != "" {
			m.cpu = name
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.memory = memTotal(string(data))
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(data))
	}
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.revision = strings.TrimSpace(string(out))
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			m.revision += "+dirty"
		}
	}
	return m
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel(cpuinfo string) string {
	for line := range strings.Lines(cpuinfo) {
		key, val, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(val)
		}
	}
	return ""
}

// memTotal is MemTotal of /proc/meminfo in bytes.
func memTotal(meminfo string) int64 {
	for line := range strings.Lines(meminfo) {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func (m machine) write(w io.Writer) {
	fmt.Fprintf(w, "machine: %s, %d cores", m.cpu, m.cores)
	if m.memory > 0 {
		fmt.Fprintf(w, ", %.1f GiB RAM", float64(m.memory)/(1<<30))
	}
	fmt.Fprintf(w, "; %s; %s", m.kernel, m.goVer)
	switch {
	case m.binary != "":
		fmt.Fprintf(w, "; dutywatch binary %s", m.binary)
	case m.revision != "":
		fmt.Fprintf(w, "; dutywatch %s", m.revision)
	}
	fmt.Fprintln(w)
}
