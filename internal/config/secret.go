package config

import (
	"fmt"
	"io"
	"log/slog"
)

const redacted = "[redacted]"

// Secret is a credential. Every way of printing it (fmt verbs, String,
// text/JSON/YAML marshalling, slog) gives "[redacted]", or "" when it is
// empty, so it cannot leak into logs. Reveal is the only way to read it.
type Secret string

// Reveal returns the secret itself, for the AWS client and for
// Config.MarshalYAML.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// Format prints the redacted form for every verb, %#v and %q included.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// MarshalText is used by encoding/json and gopkg.in/yaml.v3 alike.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue keeps the secret out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
