package deploy

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// unit is a systemd unit file: section → key → every value assigned, in
// order (systemd appends for list settings and lets the last one win for
// the others).
type unit map[string]map[string][]string

// last returns the last value of key in section, or "".
func (u unit) last(section, key string) string {
	vals := u[section][key]
	if len(vals) == 0 {
		return ""
	}
	return vals[len(vals)-1]
}

// words returns every space-separated word assigned to key in section.
func (u unit) words(section, key string) []string {
	var out []string
	for _, v := range u[section][key] {
		out = append(out, strings.Fields(v)...)
	}
	return out
}

// parseUnit reads the INI dialect of systemd unit files: [Section]
// headers, Key=Value lines, # and ; comments, and lines continued with a
// trailing backslash.
func parseUnit(data string) (unit, error) {
	u := unit{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(data))
	lineNo, pending := 0, ""
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if pending == "" && (line == "" || line[0] == '#' || line[0] == ';') {
			continue
		}
		if strings.HasSuffix(line, `\`) {
			pending += strings.TrimSuffix(line, `\`) + " "
			continue
		}
		line, pending = pending+line, ""
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") || len(line) < 3 {
				return nil, fmt.Errorf("line %d: bad section header %q", lineNo, line)
			}
			section = line[1 : len(line)-1]
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		switch {
		case !ok || key == "" || strings.ContainsAny(key, " \t"):
			return nil, fmt.Errorf("line %d: not Key=Value: %q", lineNo, line)
		case section == "":
			return nil, fmt.Errorf("line %d: %s outside any section", lineNo, key)
		}
		u[section][key] = append(u[section][key], strings.TrimSpace(value))
	}
	if pending != "" {
		return nil, errors.New("file ends in a continued line")
	}
	return u, sc.Err()
}

func isYes(s string) bool {
	switch strings.ToLower(s) {
	case "yes", "true", "on", "1":
		return true
	}
	return false
}

// wantExecStart is the command the README and the config paths assume.
const wantExecStart = "/usr/local/bin/dutywatch run --config /etc/dutywatch/dutywatch.yaml --serve"

// checkUnit checks the keys the dutywatch service needs and the
// hardening it must not lose.
func checkUnit(u unit) []error {
	var errs []error
	for _, s := range []string{"Unit", "Service", "Install"} {
		if u[s] == nil {
			errs = append(errs, fmt.Errorf("no [%s] section", s))
		}
	}
	for s := range u {
		if s != "Unit" && s != "Service" && s != "Install" {
			errs = append(errs, fmt.Errorf("unexpected section [%s]", s))
		}
	}
	errs = append(errs, expect(u.last("Unit", "Description") != "", "Unit: no Description")...)
	errs = append(errs, expect(slices.Contains(u.words("Unit", "After"), "network-online.target") &&
		slices.Contains(u.words("Unit", "Wants"), "network-online.target"), "Unit: does not wait for network-online.target")...)
	errs = append(errs, expect(u.last("Install", "WantedBy") == "multi-user.target", "Install: WantedBy is not multi-user.target")...)

	exec := u.last("Service", "ExecStart")
	errs = append(errs, expect(exec == wantExecStart, "Service: ExecStart %q, want %q", exec, wantExecStart)...)
	errs = append(errs, expect(u.last("Service", "Restart") == "on-failure", "Service: Restart is not on-failure")...)
	errs = append(errs, expect(u.last("Service", "User") == "dutywatch" || isYes(u.last("Service", "DynamicUser")),
		"Service: runs as root (set User=dutywatch or DynamicUser=yes)")...)
	errs = append(errs, expect(u.last("Service", "ProtectSystem") == "strict", "Service: ProtectSystem is not strict")...)
	for _, k := range []string{"NoNewPrivileges", "PrivateTmp", "ProtectHome", "PrivateDevices"} {
		errs = append(errs, expect(isYes(u.last("Service", k)), "Service: %s is not yes", k)...)
	}
	for _, k := range []string{"StateDirectory", "ReadWritePaths", "EnvironmentFile"} {
		errs = append(errs, expect(u.last("Service", k) != "", "Service: no %s", k)...)
	}
	errs = append(errs, expect(slices.Contains(u.words("Service", "ReadWritePaths"), "/var/lib/"+u.last("Service", "StateDirectory")),
		"Service: ReadWritePaths does not cover the StateDirectory")...)
	errs = append(errs, expect(u.last("Service", "CapabilityBoundingSet") == "" && u["Service"]["CapabilityBoundingSet"] != nil,
		"Service: capabilities are not dropped (CapabilityBoundingSet=)")...)
	for _, env := range u["Service"]["Environment"] {
		errs = append(errs, expect(!strings.Contains(strings.ToUpper(env), "TOKEN") &&
			!strings.Contains(strings.ToUpper(env), "SECRET") && !strings.Contains(strings.ToUpper(env), "PASSWORD"),
			"Service: secret in Environment=%s; use EnvironmentFile", env)...)
	}
	return errs
}

func TestSystemdUnit(t *testing.T) {
	base, err := os.ReadFile("systemd/dutywatch.service")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		old, new string
		want     []string
	}{
		{name: "as shipped"},
		{"no ProtectSystem", "ProtectSystem=strict\n", "", []string{"ProtectSystem is not strict"}},
		{"ProtectSystem full", "ProtectSystem=strict", "ProtectSystem=full", []string{"ProtectSystem is not strict"}},
		{"new privileges", "NoNewPrivileges=yes", "NoNewPrivileges=no", []string{"NoNewPrivileges is not yes"}},
		{"as root", "User=dutywatch\nGroup=dutywatch\n", "", []string{"runs as root"}},
		{"dynamic user", "User=dutywatch\nGroup=dutywatch\n", "DynamicUser=yes\n", nil},
		{"other command", "--serve\n", "\n", []string{"ExecStart"}},
		{"always restart", "Restart=on-failure", "Restart=always", []string{"Restart is not on-failure"}},
		{"no state directory", "StateDirectory=dutywatch\n", "", []string{"no StateDirectory", "ReadWritePaths does not cover"}},
		{"no read-write paths", "ReadWritePaths=/var/lib/dutywatch /var/log/dutywatch\n", "", []string{
			"no ReadWritePaths", "ReadWritePaths does not cover"}},
		{"no environment file", "EnvironmentFile=-/etc/dutywatch/dutywatch.env\n", "", []string{"no EnvironmentFile"}},
		{"token inline", "Environment=HOME=/var/lib/dutywatch", "Environment=DUTYWATCH_WEB_TOKEN=hunter2", []string{"secret in Environment"}},
		{"capabilities kept", "CapabilityBoundingSet=\n", "", []string{"capabilities are not dropped"}},
		{"no install", "[Install]\nWantedBy=multi-user.target\n", "", []string{"no [Install] section", "WantedBy"}},
		{"continued line", "ReadWritePaths=/var/lib/dutywatch /var/log/dutywatch", "ReadWritePaths=/var/lib/dutywatch \\\n  /var/log/dutywatch", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := parseUnit(mutate(t, string(base), tc.old, tc.new))
			if err != nil {
				t.Fatal(err)
			}
			assertProblems(t, checkUnit(u), tc.want)
		})
	}
}

func TestParseUnitErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"key before any section", "Description=x\n[Unit]\n", "line 1: Description outside any section"},
		{"no equals sign", "[Service]\nProtectSystem strict\n", `line 2: not Key=Value`},
		{"space in key", "[Service]\nProtect System=strict\n", "line 2: not Key=Value"},
		{"open header", "[Service\nUser=x\n", "line 1: bad section header"},
		{"trailing continuation", "[Service]\nExecStart=/bin/true \\\n", "continued line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseUnit(tc.text)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parseUnit() error = %v, want %q", err, tc.want)
			}
		})
	}
}
