package rules

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// These tests run Wazuh's own AWS rules, unchanged, and Wazuh's rule tests
// and the GuardDuty vectors from the shared reference folder. Wazuh files
// are GPL and stay outside the repository: without the folder the tests
// skip.
const wazuhRef = "/work/shared/reference/data"

func wazuhFile(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(wazuhRef, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("Wazuh reference data not available (%s): %v", p, err)
	}
	return p
}

func loadWazuhAWS(t testing.TB, lists map[string]*List) (*Ruleset, *Loader) {
	t.Helper()
	l := &Loader{Lists: lists}
	for _, f := range []string{"0010-rules_config.xml", "0350-amazon_rules.xml", "0998-aws-security-hub-rules.xml"} {
		data, err := os.ReadFile(wazuhFile(t, filepath.Join("wazuh", f)))
		if err != nil {
			t.Fatal(err)
		}
		if err := l.LoadFile(f, data); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := l.Ruleset()
	if err != nil {
		t.Fatal(err)
	}
	return rs, l
}

func TestWazuhAWSRulesLoad(t *testing.T) {
	rs, l := loadWazuhAWS(t, nil)
	// 80202 needs the aws-eventnames CDB list; without it analysisd skips
	// it and, in turn, the CloudTrail rules under it.
	var skipped []int
	for _, w := range l.Warnings() {
		skipped = append(skipped, w.(*LoadError).RuleID)
	}
	if !reflect.DeepEqual(skipped, []int{80202, 80203, 80250, 80251, 80252, 80253, 80254, 80255}) {
		t.Errorf("skipped %v", skipped)
	}
	want := []int{80300, 80325, 80350, 80360, 80400, 80440, 80450, 80480, 80490, 80495, 99800}
	if got := ids(rs.Children(80200)); !reflect.DeepEqual(got, want) {
		t.Errorf("80200 children %v, want %v", got, want)
	}
	if got := ids(rs.Children(80300)); !reflect.DeepEqual(got, []int{80303, 80302, 80301}) {
		t.Errorf("80300 children %v", got)
	}
	r := rs.Rule(80305)
	if !reflect.DeepEqual(r.Groups, []string{"amazon", "aws", "aws_guardduty"}) || !r.Options.NoFullLog || r.Compliance != nil {
		t.Errorf("80305 = %+v", r)
	}
	sh := rs.Rule(99845)
	if len(sh.Compliance) != 3 || sh.Compliance[1].Framework != "cis" || sh.Compliance[1].Controls[0] != "aws_foundations_benchmark_1.12" {
		t.Errorf("99845 compliance %+v", sh.Compliance)
	}
}

// knownDisagreements lists vectors of wazuh-guardduty-rule-tests.txt where
// the engine, following analysisd's source, gives another answer, with the
// evidence. There are none: every derived vector agrees.
var knownDisagreements = map[string]string{}

func TestWazuhGuardDutyVectors(t *testing.T) {
	rs, _ := loadWazuhAWS(t, nil)
	path := wazuhFile(t, "wazuh-guardduty-rule-tests.txt")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cases, err := ParseTestFile(f)
	if err != nil {
		t.Fatal(err)
	}
	descs := expectedDescriptions(t, path)
	if len(cases) != 17 || len(descs) != 17 {
		t.Fatalf("%d cases, %d descriptions; want 17", len(cases), len(descs))
	}
	for i := range cases {
		tc := &cases[i]
		for _, r := range rs.RunTest(tc, time.Now()) {
			if why, known := knownDisagreements[tc.Name]; known {
				t.Logf("[%s] known disagreement (%s): got %s", tc.Name, why, r.Got)
				continue
			}
			if !r.Passed {
				t.Errorf("[%s]: got %s, want %s:%s:%s", tc.Name, r.Got, tc.Rule, tc.Alert, tc.Decoder)
				continue
			}
			if want := descs[tc.Name]; !strings.HasPrefix(want, "(none") && r.Match.Description != want {
				t.Errorf("[%s]: description %q, want %q", tc.Name, r.Match.Description, want)
			}
		}
	}
}

// expectedDescriptions reads the "; expected description:" comment of each
// section.
func expectedDescriptions(t *testing.T, path string) map[string]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "[") {
			section = line[1:strings.LastIndexByte(line, ']')]
		}
		if d, ok := strings.CutPrefix(line, "; expected description: "); ok && section != "" {
			out[section] = d
		}
	}
	return out
}

func TestWazuhRuleTestFiles(t *testing.T) {
	rs, _ := loadWazuhAWS(t, nil)
	for _, name := range []string{"aws_s3_access.ini", "aws_security_hub.ini"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(wazuhFile(t, filepath.Join("wazuh", name)))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			cases, err := ParseTestFile(f)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for i := range cases {
				for _, r := range rs.RunTest(&cases[i], time.Now()) {
					n++
					if !r.Passed {
						t.Errorf("[%s] %s: got %s, want %s:%s:%s", r.Case.Name, r.Log.Name, r.Got, r.Case.Rule, r.Case.Alert, r.Case.Decoder)
					}
				}
			}
			if n == 0 {
				t.Errorf("no tests ran")
			}
		})
	}
}

func TestWazuhCloudTrailCorrelation(t *testing.T) {
	lists := map[string]*List{"etc/lists/amazon/aws-eventnames": NewList(map[string]string{"ConsoleLogin": ""})}
	rs, l := loadWazuhAWS(t, lists)
	if len(l.Warnings()) != 0 {
		t.Fatalf("warnings with the list loaded: %v", l.Warnings())
	}
	ev := jsonEvent(t, map[string]any{"integration": "aws", "aws": map[string]any{
		"source": "cloudtrail", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
		"responseElements": map[string]any{"ConsoleLogin": "Failure"},
	}})
	st := rs.NewState()
	for i := 0; i < 5; i++ {
		if m := st.Eval(ev, t0.Add(time.Duration(i)*time.Second), nil); m == nil || m.Rule.ID != 80254 {
			t.Fatalf("event %d: %v", i, m)
		}
	}
	m := st.Eval(ev, t0.Add(10*time.Second), nil)
	if m == nil || m.Rule.ID != 80255 || m.Rule.Level != 10 || m.Frequency != 6 || len(m.PreviousOutput) != 5 {
		t.Fatalf("sixth failure: %+v", m)
	}
	if m.Description != "AWS Cloudtrail: signin.amazonaws.com - ConsoleLogin - Possible break in attempt (high number of login attempts)." ||
		!reflect.DeepEqual(m.Rule.MITRE.IDs, []string{"T1110"}) || m.Rule.Groups[2] != "authentication_failures" {
		t.Errorf("80255 match %+v", m)
	}
}
