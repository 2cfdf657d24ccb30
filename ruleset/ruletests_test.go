package ruleset

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/dutywatch/dutywatch/internal/rules"
)

// readRuleTests parses every tests/*.ini file.
func readRuleTests(t *testing.T) map[string][]rules.TestCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("tests", "*.ini"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no rule tests: %v", err)
	}
	out := map[string][]rules.TestCase{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		cases, err := rules.ParseTestFile(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[p] = cases
	}
	return out
}

// TestRuleTests runs the rule tests in Wazuh's .ini format as runtests.py
// does with wazuh-logtest: each log in a fresh state, the last line
// checked.
func TestRuleTests(t *testing.T) {
	rs := newRuleset(t)
	total := 0
	for path, cases := range readRuleTests(t) {
		for i := range cases {
			for _, res := range rs.RunTest(&cases[i], testNow) {
				total++
				if !res.Passed {
					t.Errorf("%s:%d [%s] %s: got %s, want %s:%s:%s", path, res.Log.Line, res.Case.Name, res.Log.Name,
						res.Got, res.Case.Rule, res.Case.Alert, res.Case.Decoder)
				}
			}
		}
	}
	t.Logf("%d rule test logs", total)
}

// TestRuleTestsCoverEveryRule checks that every rule of the set is the
// expected result of some passing rule test, except the noalert purpose
// rules, which never are a result (TestFamilyTableMatchesTypes checks
// them).
func TestRuleTestsCoverEveryRule(t *testing.T) {
	tested := map[int]bool{}
	for _, cases := range readRuleTests(t) {
		for _, tc := range cases {
			id, err := strconv.Atoi(tc.Rule)
			if err != nil {
				t.Errorf("[%s]: rule %q", tc.Name, tc.Rule)
				continue
			}
			for _, l := range tc.Logs {
				if l.Pass {
					tested[id] = true
				}
			}
		}
	}
	var missing []int
	rs := newRuleset(t)
	for _, id := range rs.IDs() {
		if id >= 200000 && !tested[id] && !rs.Rule(id).NoAlert {
			missing = append(missing, id)
		}
	}
	sort.Ints(missing)
	if len(missing) > 0 {
		t.Errorf("rules without a rule test: %v", missing)
	}
}
