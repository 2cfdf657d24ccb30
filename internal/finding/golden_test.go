package finding

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected files of testdata/<case>/")

// goldenInfo is the log_info every golden case is rendered with.
var goldenInfo = LogInfo{
	AccountAlias: "demo",
	LogFile:      "guardduty/2025/01/15/10/gd-to-s3-1-2025-01-15-10-41-12-0b7e8d2a-5c4f-4e21-9a6b-3f2d1c0b9a87.gz",
	S3Bucket:     "dutywatch-findings",
}

// recordSummary is the golden form of a Record: the typed core without Raw.
type recordSummary struct {
	Skipped  string   `json:",omitempty"`
	Envelope Envelope `json:",omitzero"`
	Finding  *Finding `json:",omitempty"`
	RawBytes int      `json:",omitempty"`
}

// TestGolden runs every testdata/<case>/input.json through Parse and
// WazuhEvents and compares with expected.jsonl (one event per line),
// expected.record.json (the typed core) or expected.err (the error).
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/input.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no golden cases")
	}
	for _, in := range dirs {
		dir := filepath.Dir(in)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			events, record, errText := renderGolden(t, data)
			check(t, filepath.Join(dir, "expected.jsonl"), events)
			check(t, filepath.Join(dir, "expected.record.json"), record)
			check(t, filepath.Join(dir, "expected.err"), errText)
		})
	}
}

func renderGolden(t *testing.T, data []byte) (events, record, errText []byte) {
	t.Helper()
	r, err := Parse(data)
	if err != nil {
		return nil, nil, []byte(err.Error() + "\n")
	}
	sum := recordSummary{Skipped: r.Skipped, Envelope: r.Envelope, Finding: r.Finding}
	if r.Finding != nil {
		raw := r.Finding.Raw
		cp := *r.Finding
		cp.Raw = nil
		sum.Finding, sum.RawBytes = &cp, len(raw)
		if !json.Valid(raw) {
			t.Errorf("Raw is not valid JSON")
		}
		err := r.Finding.WazuhEvents(goldenInfo, func(ev []byte) error {
			if !json.Valid(ev) {
				t.Errorf("event is not valid JSON: %s", ev)
			}
			events = append(events, ev...)
			events = append(events, '\n')
			return nil
		})
		if err != nil {
			t.Fatalf("WazuhEvents: %v", err)
		}
	}
	record, err = json.MarshalIndent(sum, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return events, append(record, '\n'), nil
}

// check compares got with the file at path; an empty got means the file
// must not exist. With -update it rewrites (or removes) the file.
func check(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if len(got) == 0 {
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			return
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		if len(got) != 0 {
			t.Errorf("%s missing; got:\n%s", path, got)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update to accept)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestGoldenCoverage pins what the golden cases are meant to show, so a
// careless -update cannot silently lose a behaviour.
func TestGoldenCoverage(t *testing.T) {
	tests := []struct {
		name     string
		events   int
		contains []string
		absent   []string
	}{
		{name: "portprobe-three", events: 3, contains: []string{
			`"portProbeDetails":{"localPortDetails":{"port":3306`,
			`"localIpDetails":null`,                                                 // nulls inside the list element stay
			`"tags":[{"key":"Name","value":"web-01"},{"key":"env","value":"prod"}]`, // no other reformatting
			`"networkInterfaces":[{`,
		}, absent: []string{`"platform"`, `"evidence"`}},
		{name: "portprobe-one", events: 1, contains: []string{
			`"portProbeDetails":{"localPortDetails":{"port":9200`,
			`"networkInterfaces":{"ipv6Addresses":[]`,
			`"securityGroups":[{"groupName":"web-sg"`, // shallow: not unwrapped inside the element
		}},
		{name: "single-element-quirk", events: 1, contains: []string{
			`"tags":{"key":"Name","value":"db-01"}`,
			`"ports":22`, `"nested":[1,2]`, `"deep":[7]`, `"empty":[]`, `"two":["a","b"]`,
			`"listOfObj":{"inner":[{"k":"v"}],"nil":null}`,
			`"threatIntelligenceDetails":{"threatListName":"ProofPoint","threatNames":["Scanner"]}`,
		}},
		{name: "nulls", events: 1, contains: []string{`"allNull":{}`, `"mixed":[null,{"x":null}]`, `"ipv6Addresses":[null,null]`},
			absent: []string{`"description"`, `"iamInstanceProfile"`, `"evidence"`}},
		{name: "tags-and-source-ip", events: 1, contains: []string{
			`"tags":{"value":[{"key":"team","value":"blue"},{"key":"cost","value":"ops"}]}`,
			`"source":"guardduty","source_ip_address":"192.0.2.150"}}`,
		}},
		{name: "tags-single-scalar", events: 1, contains: []string{`"tags":{"value":"solo"}`, `"sourceIPAddress":"10.1.2.3.4"`, `"source_ip_address":"10.1.2.3.4"`}},
		{name: "tags-string", events: 1, contains: []string{`"tags":{"value":"prod"}`}, absent: []string{`source_ip_address`}},
		{name: "numbers", events: 1, contains: []string{`"severity":8.0`, `"count":123456789012345678901234567890`, `"lat":-23.54750000000000000001`, `"lon":-4.66361E1`, `"port":-0.0`}},
		{name: "non-ascii", events: 1, contains: []string{`Überwachung: 攻撃者`, `<brute> & \"force\"\u2028`, `zo\u00eb`}},
		{name: "invalid-utf8", events: 1, contains: []string{"S\uFFFDo Paulo"}},
		{name: "pretty-dup-source", events: 1, contains: []string{
			`"region":"us-east-2","source":"guardduty","partition":"aws"`, `"severity":5,`,
		}, absent: []string{"should-be-replaced", ` "`, "\n\"", `"source":"guardduty"}}`}},
		{name: "other-detail-type", events: 0},
		{name: "garbage-text", events: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.name, "input.json"))
			if err != nil {
				t.Fatal(err)
			}
			var all []string
			if r, err := Parse(data); err == nil && r.Finding != nil {
				err := r.Finding.WazuhEvents(goldenInfo, func(ev []byte) error {
					all = append(all, string(ev))
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			if len(all) != tt.events {
				t.Fatalf("got %d events, want %d", len(all), tt.events)
			}
			joined := strings.Join(all, "\n")
			for _, s := range tt.contains {
				if !strings.Contains(joined, s) {
					t.Errorf("events lack %s", s)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(joined, s) {
					t.Errorf("events hold %s", s)
				}
			}
		})
	}
}
