package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestSecretNeverPrints(t *testing.T) {
	const key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	s := DefaultSource()
	s.Name, s.Bucket, s.AccessKey, s.SecretKey = "gd", "gd-bucket", "AKIAIOSFODNN7EXAMPLE", key

	var buf bytes.Buffer
	text := slog.New(slog.NewTextHandler(&buf, nil))
	text.Info("start", "source", s, "secret", s.SecretKey, "raw", slog.Any("any", s.SecretKey))
	jsonLog := slog.New(slog.NewJSONHandler(&buf, nil))
	jsonLog.Info("start", "source", s, "secret", s.SecretKey)

	js, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	ys, err := yaml.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v":     fmt.Sprintf("%v", s),
		"%+v":    fmt.Sprintf("%+v", s),
		"%#v":    fmt.Sprintf("%#v", s),
		"%s":     fmt.Sprintf("%s", s.SecretKey),
		"%q":     fmt.Sprintf("%q", s.SecretKey),
		"%x":     fmt.Sprintf("%x", s.SecretKey),
		"String": s.SecretKey.String(),
		"slog":   buf.String(),
		"json":   string(js),
		"yaml":   string(ys),
	}
	for name, out := range outputs {
		if strings.Contains(out, key) || strings.Contains(out, "AKIAIOSFODNN7EXAMPLE") {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
	}
	if !strings.Contains(outputs["%+v"], redacted) || !strings.Contains(outputs["json"], redacted) {
		t.Errorf("secrets not shown as %s: %s / %s", redacted, outputs["%+v"], outputs["json"])
	}
	if s.SecretKey.Reveal() != key {
		t.Errorf("Reveal() = %q", s.SecretKey.Reveal())
	}
	if got := Secret("").String(); got != "" {
		t.Errorf("empty secret prints %q, want \"\"", got)
	}
}

// TestMarshalYAMLRevealsSecrets checks the one explicit path that writes
// secrets: the user converting a Wazuh file.
func TestMarshalYAMLRevealsSecrets(t *testing.T) {
	c := Default()
	s := DefaultSource()
	s.Name, s.Bucket, s.AccessKey, s.SecretKey = "gd", "gd-bucket", "AKIA", "top-secret"
	c.Sources = []Source{s}
	out, err := c.MarshalYAML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "secret_key: top-secret") {
		t.Errorf("MarshalYAML does not write the secret:\n%s", out)
	}
}

func TestExpandEnv(t *testing.T) {
	env := map[string]string{"A": "1", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		in, want string
		err      bool
	}{
		{"plain", "plain", false},
		{"${A}", "1", false},
		{"x${A}y${EMPTY}z", "x1yz", false},
		{"$A and $${A}", "$A and ${A}", false},
		{"$$${A}", "$${A}", false},
		{"${MISSING}", "", true},
		{"${not a name}", "${not a name}", false},
	}
	for _, tt := range tests {
		got, err := expandEnv(tt.in, lookup)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("expandEnv(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
		if tt.err {
			continue
		}
		// escapeEnv undoes expansion for any literal value.
		if back, err := expandEnv(escapeEnv(tt.in), lookup); err != nil || back != tt.in {
			t.Errorf("expandEnv(escapeEnv(%q)) = %q, %v", tt.in, back, err)
		}
	}
}
