package rules

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseTestFile(t *testing.T) {
	in := `; comment
# another
[First [with brackets]]
log 1 pass = {"a": "b=c"}
rule = 1
alert: 3
Decoder = json

[Second]
log 1 pass = one
	two
log 2 fail = x
log 1 pass = three
rule = 2
alert = 0
decoder =

[First [with brackets]]
log 9 pass = merged
`
	cases, err := ParseTestFile(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []TestCase{
		{Name: "First [with brackets]", Line: 3, Rule: "1", Alert: "3", Decoder: "json", Logs: []TestLog{
			{Name: "log 1 pass", Line: 4, Log: `{"a": "b=c"}`, Pass: true},
			{Name: "log 9 pass", Line: 19, Log: "merged", Pass: true},
		}},
		{Name: "Second", Line: 9, Rule: "2", Alert: "0", Decoder: "", Logs: []TestLog{
			{Name: "log 1 pass", Line: 10, Log: "one\ntwo\nthree", Pass: true},
			{Name: "log 2 fail", Line: 12, Log: "x", Pass: false},
		}},
	}
	if !reflect.DeepEqual(cases, want) {
		t.Errorf("got  %+v\nwant %+v", cases, want)
	}
}

func TestParseTestFileErrors(t *testing.T) {
	for _, in := range []string{
		"rule = 1\n",
		"[a]\nrule = 1\nalert = 3\n",
		"[a]\njust text\n",
		"[]\n",
		"\tcontinued\n",
	} {
		if _, err := ParseTestFile(strings.NewReader(in)); err == nil {
			t.Errorf("ParseTestFile(%q) succeeded", in)
		}
	}
}

func TestRunTestdataTests(t *testing.T) {
	rs, _ := loadTestdata(t)
	f, err := os.Open("testdata/tests/guardduty.ini")
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
		for _, r := range rs.RunTest(&cases[i], t0) {
			n++
			if !r.Passed {
				t.Errorf("[%s] %s: got %s, want %s:%s:%s", r.Case.Name, r.Log.Name, r.Got, r.Case.Rule, r.Case.Alert, r.Case.Decoder)
			}
		}
	}
	if n != 8 {
		t.Errorf("ran %d logs, want 8", n)
	}
}

func TestRunTestEmptyExpectation(t *testing.T) {
	rs, _ := loadTestdata(t)
	// wazuh-logtest exits with the number of empty expected values even on
	// a match, so such a "pass" log fails and a "fail" log passes.
	tc := TestCase{Name: "x", Logs: []TestLog{{Log: "plain", Pass: true}, {Log: "plain", Pass: false}}}
	res := rs.RunTest(&tc, t0)
	if res[0].Passed || !res[1].Passed || res[0].Got != "::" {
		t.Errorf("results %+v", res)
	}
}
