package config

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the .want files of testdata/cases and testdata/import")

// diffConfig describes how got differs from want, or returns "". Discard
// regexes are compared by their text.
func diffConfig(got, want Config) string {
	if len(got.Sources) != len(want.Sources) {
		return fmt.Sprintf("%d sources, want %d", len(got.Sources), len(want.Sources))
	}
	var diffs []string
	for i := range got.Sources {
		g, w := reflect.ValueOf(got.Sources[i]), reflect.ValueOf(want.Sources[i])
		for f := 0; f < g.NumField(); f++ {
			gf, wf := g.Field(f).Interface(), w.Field(f).Interface()
			if gd, ok := gf.(Discard); ok {
				wd := wf.(Discard)
				gf, wf = [3]string{gd.Field, gd.Pattern, reString(gd.Regex)}, [3]string{wd.Field, wd.Pattern, reString(wd.Regex)}
			}
			if !reflect.DeepEqual(gf, wf) {
				diffs = append(diffs, fmt.Sprintf("sources[%d].%s = %#v, want %#v", i, g.Type().Field(f).Name, gf, wf))
			}
		}
	}
	got.Sources, want.Sources = nil, nil
	if !reflect.DeepEqual(got, want) {
		diffs = append(diffs, fmt.Sprintf("config = %+v, want %+v", got, want))
	}
	return strings.Join(diffs, "\n")
}

func reString(re *regexp.Regexp) string {
	if re == nil {
		return "<nil>"
	}
	return re.String()
}

func guideConfig() Config {
	c := Default()
	s := DefaultSource()
	s.Name, s.Bucket, s.Path, s.AWSProfile = "wazuh-aws-wodle", "wazuh-aws-wodle", "firehose/", "default"
	c.Sources = []Source{s}
	return c
}

func TestDefaults(t *testing.T) {
	c := Default()
	want := Config{
		State:     "dutywatch-data/state.db",
		Output:    Output{ArchivesPath: "dutywatch-data/archives.json", AlertsPath: "dutywatch-data/alerts.json"},
		Workers:   4,
		Log:       Log{Level: slog.LevelInfo},
		Rules:     Rules{Mode: RulesDefault, LogAlertLevel: 3, UpdatePolicy: "changes"},
		Retention: 90 * 24 * time.Hour,
	}
	if d := diffConfig(c, want); d != "" {
		t.Error(d)
	}
	s := DefaultSource()
	if s.Schedule.Interval != 10*time.Minute || !s.RunOnStart || !s.SkipOnError || s.Type != TypeS3 ||
		s.Layout != LayoutAuto || s.Region != "us-east-1" || s.LookBack != 2*time.Hour || s.ForcePathStyle {
		t.Errorf("DefaultSource() = %+v", s)
	}
}

// TestGuide checks that Wazuh's GuardDuty guide block, however it is laid
// out or embedded, and its YAML twin load to the same Config.
func TestGuide(t *testing.T) {
	for _, name := range []string{"guide.conf", "guide-compact.conf", "guide-ossec.conf", "guide.yaml"} {
		t.Run(name, func(t *testing.T) {
			c, warnings, err := Load(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) > 0 {
				t.Errorf("warnings: %q", warnings)
			}
			if d := diffConfig(c, guideConfig()); d != "" {
				t.Error(d)
			}
		})
	}
}

func allOptionsConfig() Config {
	tue := time.Tuesday
	sched := Schedule{Interval: 2 * 7 * 24 * time.Hour, WDay: &tue, Time: &Clock{Hour: 6, Minute: 30}}
	a := DefaultSource()
	a.Name, a.Disabled, a.Schedule, a.RunOnStart, a.SkipOnError = "gd-exports/exports", true, sched, false, false
	a.Bucket, a.Path, a.PathSuffix, a.AWSProfile = "gd-exports", "exports/", "org/", "security"
	a.IAMRoleARN, a.IAMRoleDuration = "arn:aws:iam::123456789012:role/guardduty-reader", time.Hour
	a.OnlyLogsAfter = time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)
	a.Regions = []string{"cn-north-1", "us-east-1", "us-gov-west-1", "us-west-2"}
	a.AccountIDs = []string{"123456789012", "210987654321"}
	a.AccountAlias = "prod"
	a.Discard = Discard{Field: "service.action.actionType", Pattern: "PORT_PROBE|DNS_REQUEST",
		Regex: regexp.MustCompile(`^(?:PORT_PROBE|DNS_REQUEST)`)}
	a.RemoveFromBucket = true
	a.STSEndpoint, a.ServiceEndpoint, a.ForcePathStyle = "https://sts.us-east-1.amazonaws.com", "http://127.0.0.1:7070", true

	b := DefaultSource()
	b.Name, b.Disabled, b.Schedule, b.RunOnStart, b.SkipOnError = "gd-exports/firehose", true, sched, false, false
	b.Bucket, b.Path = "gd-exports", "firehose/"
	b.AccessKey, b.SecretKey = "AKIAEXAMPLE", "s3cr3t/key+${NOT_EXPANDED}"
	c := Default()
	c.Sources = []Source{a, b}
	return c
}

func TestAllOptions(t *testing.T) {
	tests := []struct {
		file     string
		warnings []string
	}{
		{"all-options.conf", []string{
			"all-options.conf:28: <access_key> is deprecated since Wazuh 4.4; prefer aws_profile, iam_role_arn or the default credential chain",
			"all-options.conf:29: <secret_key> is deprecated since Wazuh 4.4; prefer aws_profile, iam_role_arn or the default credential chain",
		}},
		{"all-options.yaml", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			c, warnings, err := Parse(tt.file, data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(warnings, tt.warnings) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(tt.warnings, "\n"))
			}
			if d := diffConfig(c, allOptionsConfig()); d != "" {
				t.Error(d)
			}
		})
	}
}

func TestYAMLOnlyOptions(t *testing.T) {
	t.Setenv("DW_TEST_ACCESS", "AKIAFROMENV")
	t.Setenv("DW_TEST_SECRET", "secret-from-env")
	c, warnings, err := Load("testdata/yaml-only.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wantWarnings := []string{"testdata/yaml-only.yaml:22: interval must be a whole number of days with time; using 1d"}
	if !reflect.DeepEqual(warnings, wantWarnings) {
		t.Errorf("warnings = %q, want %q", warnings, wantWarnings)
	}
	native := DefaultSource()
	native.Name, native.Bucket, native.Layout = "native", "gd-native", LayoutNative
	native.Schedule = Schedule{Months: 1, Day: 31, Time: &Clock{}}
	native.AccessKey, native.SecretKey = "AKIAFROMENV", "secret-from-env"
	native.ServiceEndpoint, native.ForcePathStyle = "https://minio.local:9000", false
	native.Region, native.LookBack = "eu-central-1", 90*time.Minute
	native.IAMRoleARN, native.ExternalID, native.IAMRoleSessionName = "arn:aws-us-gov:iam::123456789012:role/path/to/reader", "ext-42", "dw"
	inbox := DefaultSource()
	inbox.Name, inbox.Type, inbox.Dir, inbox.Layout = "inbox", TypeDir, "./inbox", LayoutFirehose
	inbox.Schedule = Schedule{Interval: 24 * time.Hour, Time: &Clock{Hour: 23, Minute: 59}}
	want := Config{
		Sources:   []Source{native, inbox},
		State:     "/var/lib/dutywatch/state.db",
		Output:    Output{AlertsPath: "/var/log/dutywatch/alerts.json"},
		Workers:   16,
		Log:       Log{Level: slog.LevelDebug},
		Rules:     defaultRules(),
		Retention: DefaultRetention,
	}
	if d := diffConfig(c, want); d != "" {
		t.Error(d)
	}
}

func TestExampleFile(t *testing.T) {
	c, warnings, err := Load("../../dutywatch.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Errorf("warnings: %q", warnings)
	}
	if len(c.Sources) != 2 || c.Sources[0].Type != TypeS3 || c.Sources[1].Type != TypeDir {
		t.Fatalf("sources = %+v, want one s3 and one dir", c.Sources)
	}
	if s := c.Sources[0]; s.Bucket != "wazuh-aws-wodle" || s.Path != "firehose/" || s.Discard.Regex == nil {
		t.Errorf("s3 source = %+v", s)
	}
	roundTrip(t, c)
}

// roundTrip checks that MarshalYAML's output loads back to c.
func roundTrip(t *testing.T, c Config) []byte {
	t.Helper()
	out, err := c.MarshalYAML()
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := Parse("marshalled.yaml", out)
	if err != nil {
		t.Fatalf("reload: %v\n%s", err, out)
	}
	if d := diffConfig(back, c); d != "" {
		t.Errorf("reloaded config differs:\n%s\nYAML:\n%s", d, out)
	}
	return out
}

// TestImportWazuh checks `config import-wazuh` output against golden files
// and that it loads back to the imported Config.
func TestImportWazuh(t *testing.T) {
	t.Setenv("DW_TEST_ACCESS", "AKIAFROMENV")
	t.Setenv("DW_TEST_SECRET", "secret-from-env")
	for _, name := range []string{"guide.conf", "guide-ossec.conf", "all-options.conf", "yaml-only.yaml", "all-options.yaml"} {
		t.Run(name, func(t *testing.T) {
			c, _, err := Load(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			out := roundTrip(t, c)
			golden := filepath.Join("testdata", "import", name+".want")
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != string(want) {
				t.Errorf("MarshalYAML:\n%s\nwant:\n%s", out, want)
			}
		})
	}
}

// TestCases runs every file of testdata/cases and compares the error, or
// the warnings, with its .want file ("error: …" or "warning: …" lines, or
// "ok").
func TestCases(t *testing.T) {
	files, err := filepath.Glob("testdata/cases/*.*")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		if strings.HasSuffix(path, ".want") {
			continue
		}
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, warnings, err := Parse(name, data)
			var got strings.Builder
			switch {
			case err != nil:
				fmt.Fprintf(&got, "error: %v\n", err)
			case len(warnings) == 0:
				got.WriteString("ok\n")
			}
			for _, w := range warnings {
				fmt.Fprintf(&got, "warning: %s\n", w)
			}
			if *update {
				if err := os.WriteFile(path+".want", []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path + ".want")
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != string(want) {
				t.Errorf("got:\n%swant:\n%s", got.String(), want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, _, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "read config") {
		t.Fatalf("err = %v", err)
	}
}

func TestRulesSection(t *testing.T) {
	good := "sources: []\nrules:\n  mode: wazuh\n  files: [/var/ossec/ruleset/rules/0350-amazon_rules.xml]\n  lists: {etc/lists/x: /tmp/x}\n  log_alert_level: 5\n  update_policy: escalations\n  alert_samples: true\n"
	c, _, err := Parse("r.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := Rules{Mode: RulesWazuh, Files: []string{"/var/ossec/ruleset/rules/0350-amazon_rules.xml"}, Lists: map[string]string{"etc/lists/x": "/tmp/x"},
		LogAlertLevel: 5, UpdatePolicy: "escalations", AlertSamples: true}
	if !reflect.DeepEqual(c.Rules, want) {
		t.Errorf("rules = %+v; want %+v", c.Rules, want)
	}
	for in, wantErr := range map[string]string{
		"rules:\n  mode: fancy\n":              "r.yaml:2: mode: invalid mode",
		"rules:\n  mode: wazuh\n":              "mode wazuh needs the Wazuh rule files",
		"rules:\n  update_policy: sometimes\n": "r.yaml:2: update_policy: invalid policy",
		"rules:\n  log_alert_level: 99\n":      "r.yaml:2: log_alert_level: invalid level",
		"rules:\n  colour: red\n":              `r.yaml:2: unknown field "colour"`,
	} {
		if _, _, err := Parse("r.yaml", []byte(in)); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("Parse(%q) error = %v; want %q", in, err, wantErr)
		}
	}
}

func TestRequestTimeout(t *testing.T) {
	c, _, err := Parse("t.yaml", []byte("sources:\n  - name: b\n    bucket: gd-findings\n    request_timeout: 30s\n"))
	if err != nil || len(c.Sources) != 1 || c.Sources[0].RequestTimeout != 30*time.Second {
		t.Fatalf("Parse = %+v, %v; want request_timeout 30s", c.Sources, err)
	}
	if _, _, err := Parse("t.yaml", []byte("sources:\n  - name: b\n    bucket: gd-findings\n    request_timeout: 1ms\n")); err == nil {
		t.Error("a request_timeout under a second was accepted")
	}
}
