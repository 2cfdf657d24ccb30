package finding

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func events(t *testing.T, in string) []string {
	t.Helper()
	r, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	err = r.Finding.WazuhEvents(LogInfo{LogFile: "k", S3Bucket: "b"}, func(ev []byte) error {
		out = append(out, string(ev))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const prefix = `{"integration":"aws","aws":{"log_info":{"aws_account_alias":"","log_file":"k","s3bucket":"b"},`

func TestWazuhEventsShapes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"minimal", `{"id":"a","type":"b"}`, []string{prefix + `"id":"a","type":"b","source":"guardduty"}}`}},
		{"null removed", `{"id":"a","type":"b","x":null,"o":{"y":null,"z":1}}`,
			[]string{prefix + `"id":"a","type":"b","o":{"z":1},"source":"guardduty"}}`}},
		{"nulls kept in lists", `{"id":"a","type":"b","l":[null,{"y":null}]}`,
			[]string{prefix + `"id":"a","type":"b","l":[null,{"y":null}],"source":"guardduty"}}`}},
		{"one-element list unwrapped shallowly", `{"id":"a","type":"b","o":{"l":[{"m":[1],"n":null}]}}`,
			[]string{prefix + `"id":"a","type":"b","o":{"l":{"m":[1],"n":null}},"source":"guardduty"}}`}},
		{"top-level one-element list", `{"id":"a","type":["b"]}`, []string{prefix + `"id":"a","type":"b","source":"guardduty"}}`}},
		{"split keeps lists", `{"id":"a","type":"b","l":[1],"service":{"action":{"portProbeAction":{"portProbeDetails":[{"p":1},{"p":2}],"x":null}}}}`,
			[]string{
				prefix + `"id":"a","type":"b","l":[1],"service":{"action":{"portProbeAction":{"portProbeDetails":{"p":1}}}},"source":"guardduty"}}`,
				prefix + `"id":"a","type":"b","l":[1],"service":{"action":{"portProbeAction":{"portProbeDetails":{"p":2}}}},"source":"guardduty"}}`,
			}},
		{"split ignores tags rule", `{"id":"a","type":"b","tags":"t","service":{"action":{"portProbeAction":{"portProbeDetails":[1,2]}}}}`,
			[]string{
				prefix + `"id":"a","type":"b","tags":"t","service":{"action":{"portProbeAction":{"portProbeDetails":1}}},"source":"guardduty"}}`,
				prefix + `"id":"a","type":"b","tags":"t","service":{"action":{"portProbeAction":{"portProbeDetails":2}}},"source":"guardduty"}}`,
			}},
		{"no split under null action", `{"id":"a","type":"b","service":{"action":null}}`,
			[]string{prefix + `"id":"a","type":"b","service":{},"source":"guardduty"}}`}},
		{"empty details no split", `{"id":"a","type":"b","service":{"action":{"portProbeAction":{"portProbeDetails":[]}}}}`,
			[]string{prefix + `"id":"a","type":"b","service":{"action":{"portProbeAction":{"portProbeDetails":[]}}},"source":"guardduty"}}`}},
		{"tags object untouched", `{"id":"a","type":"b","tags":{"k":[1]}}`, []string{prefix + `"id":"a","type":"b","tags":{"k":1},"source":"guardduty"}}`}},
		{"tags number", `{"id":"a","type":"b","tags":7}`, []string{prefix + `"id":"a","type":"b","tags":{"value":7},"source":"guardduty"}}`}},
		{"tags empty list", `{"id":"a","type":"b","tags":[]}`, []string{prefix + `"id":"a","type":"b","tags":{"value":[]},"source":"guardduty"}}`}},
		{"nested tags untouched", `{"id":"a","type":"b","r":{"tags":"x"}}`, []string{prefix + `"id":"a","type":"b","r":{"tags":"x"},"source":"guardduty"}}`}},
		{"source ip unicode digits", `{"id":"a","type":"b","sourceIPAddress":"١.٢x٣y٤"}`,
			[]string{prefix + `"id":"a","type":"b","sourceIPAddress":"١.٢x٣y٤","source":"guardduty","source_ip_address":"١.٢x٣y٤"}}`}},
		{"source ip not matching", `{"id":"a","type":"b","sourceIPAddress":"1.2"}`,
			[]string{prefix + `"id":"a","type":"b","sourceIPAddress":"1.2","source":"guardduty"}}`}},
		{"own log_info dropped", `{"id":"a","type":"b","log_info":{"log_file":"spoof"}}`,
			[]string{prefix + `"id":"a","type":"b","source":"guardduty"}}`}},
		{"duplicate keys", `{"id":"a","type":"b","id":"c","o":{"k":1,"k":null}}`,
			[]string{prefix + `"id":"c","type":"b","o":{},"source":"guardduty"}}`}},
		{"whitespace compacted", "{ \"id\" : \"a\" ,\n \"type\" : [ \"b\" , 2 ] , \"o\" : { \"l\" : [ 1 , 2 ] } }",
			[]string{prefix + `"id":"a","type":["b",2],"o":{"l":[1,2]},"source":"guardduty"}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := events(t, tt.in)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestWazuhEventsSplitNeedsGuardDutySource(t *testing.T) {
	in := `{"detail-type":"GuardDuty Finding","source":"aws.other","detail":{"id":"a","type":"b",` +
		`"service":{"action":{"portProbeAction":{"portProbeDetails":[1,2]}}}}}`
	got := events(t, in)
	want := prefix + `"id":"a","type":"b","service":{"action":{"portProbeAction":{"portProbeDetails":[1,2]}}},"source":"other"}}`
	if len(got) != 1 || got[0] != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestWazuhEventsEmitError(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "portprobe-three", "input.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	calls := 0
	err = r.Finding.WazuhEvents(LogInfo{}, func([]byte) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("got %v after %d calls, want stop after 1", err, calls)
	}
}

func TestWazuhEventsBadRaw(t *testing.T) {
	for _, raw := range []string{`{"a":`, `[1]`} {
		f := &Finding{Raw: []byte(raw), Source: "guardduty"}
		if err := f.WazuhEvents(LogInfo{}, func([]byte) error { return nil }); err == nil {
			t.Errorf("%s: no error", raw)
		}
	}
}

func TestErrorEvent(t *testing.T) {
	got := string(ErrorEvent(LogInfo{AccountAlias: "prod", LogFile: "a/b.gz", S3Bucket: "bk"},
		"Failed to parse file a/b.gz: <bad> & \"quoted\"\n"))
	want := `{"integration":"aws","aws":{"log_info":{"aws_account_alias":"prod","log_file":"a/b.gz","s3bucket":"bk"}},` +
		`"error_msg":"Failed to parse file a/b.gz: <bad> & \"quoted\"\n"}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{"é漢", `"é漢"`},
		{"<&>", `"<&>"`},
		{"a\"b\\c", `"a\"b\\c"`},
		{"\t\r\n\x01\x1f", `"\t\r\n\u0001\u001f"`},
		{"bad\xffbyte", "\"bad\uFFFDbyte\""},
	}
	for _, tt := range tests {
		got := string(appendString(nil, tt.in))
		if got != tt.want {
			t.Errorf("%q: got %s, want %s", tt.in, got, tt.want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Errorf("%q: invalid JSON: %v", tt.in, err)
		}
	}
}

func TestDiscard(t *testing.T) {
	in := withAction(`{"actionType":"PORT_PROBE","portProbeAction":{"portProbeDetails":[` +
		`{"localPortDetails":{"port":22},"remoteIpDetails":{"ipAddressV4":"198.51.100.1"}},` +
		`{"localPortDetails":{"port":80},"remoteIpDetails":{"ipAddressV4":"203.0.113.7"}}]}}`)
	in = strings.Replace(in, `"type":"T"`, `"type":"Recon:EC2/PortProbeUnprotectedPort","severity":2,"tags":[["x","prod-eu"]]`, 1)
	r, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		field, re string
		want      bool
	}{
		{"type", "Recon:EC2", true},
		{"type", "EC2", false}, // anchored at the start
		{"type", "Recon:EC2/PortProbeUnprotectedPort$", true},
		{"type", "recon", false},
		{"type", "(?i)recon", true},
		{"severity", "2", false}, // numbers never match
		{"service.action.actionType", "PORT_", true},
		{"service.action.portProbeAction.portProbeDetails.remoteIpDetails.ipAddressV4", `203\.0\.113\.`, true},
		{"service.action.portProbeAction.portProbeDetails.remoteIpDetails.ipAddressV4", `192\.`, false},
		{"service.action.portProbeAction.portProbeDetails.localPortDetails.port", `22`, false},
		{"service.action.portProbeAction.portProbeDetails", `.`, false}, // objects never match
		{"tags", "prod", true}, // nested lists searched
		{"missing.path", ".*", false},
		{"type.sub", ".*", false},
		{"source", "guardduty", true},
	}
	for _, tt := range tests {
		t.Run(tt.field+"~"+tt.re, func(t *testing.T) {
			d, err := NewDiscard(tt.field, tt.re)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Match(r.Finding); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := NewDiscard("type", "(?=x)"); err == nil {
		t.Error("look-ahead compiled")
	}
	if _, err := NewDiscard("", "x"); err == nil {
		t.Error("empty field accepted")
	}
	d, _ := NewDiscard("a.b", "x|y")
	if d.String() != "a.b=~x|y" {
		t.Errorf("String() = %q", d.String())
	}
}
