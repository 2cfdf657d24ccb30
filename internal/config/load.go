package config

import (
	"bytes"
	"fmt"
	"os"
)

// Load reads the configuration file at path: Wazuh's ossec.conf-style XML
// when its first non-space byte is '<', YAML otherwise. The warnings are
// for the caller to log; each names the file and line.
func Load(path string) (Config, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load on data already read; name is used in messages.
func Parse(name string, data []byte) (Config, []string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '<' {
		return ImportWazuh(name, data)
	}
	return parseYAML(name, data, os.LookupEnv)
}

// ImportWazuh reads the <wodle name="aws-s3"> blocks of an ossec.conf-style
// file into a Config with dutywatch's defaults for everything else. Each
// <bucket type="guardduty"> becomes a source named after its bucket (and
// path, when several sources read one bucket).
func ImportWazuh(name string, data []byte) (Config, []string, error) {
	return parseWazuh(name, bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
}
