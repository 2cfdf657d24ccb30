package config

import (
	"errors"
	"testing"
)

// checkParsed is what both fuzz targets assert: an error is a located
// *Error, and a Config that loads survives MarshalYAML and a reload.
func checkParsed(t *testing.T, c Config, err error) {
	if err != nil {
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("error %v (%T) is not a *config.Error", err, err)
		}
		return
	}
	out, err := c.MarshalYAML()
	if err != nil {
		t.Fatalf("MarshalYAML: %v", err)
	}
	back, _, err := parseYAML("marshalled.yaml", out, noEnv)
	if err != nil {
		t.Fatalf("reload: %v\n%s", err, out)
	}
	if d := diffConfig(back, c); d != "" {
		t.Fatalf("reloaded config differs:\n%s\nYAML:\n%s", d, out)
	}
}

func noEnv(string) (string, bool) { return "", false }

func FuzzParseXML(f *testing.F) {
	f.Add([]byte(`<wodle name="aws-s3"><bucket type="guardduty"><name>gd-bucket</name></bucket></wodle>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := ImportWazuh("fuzz.conf", data)
		checkParsed(t, c, err)
	})
}

func FuzzParseYAML(f *testing.F) {
	f.Add([]byte("sources:\n  - bucket: gd-bucket\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := parseYAML("fuzz.yaml", data, noEnv)
		checkParsed(t, c, err)
	})
}
