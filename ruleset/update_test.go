package ruleset

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dutywatch/dutywatch/internal/finding"
	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/internal/rules"
)

var update = flag.Bool("update", false, "rewrite tests/*.ini and README.md")

// iniCase is one section of a rule-test file. Expectations come from the
// hand-written tables and the rules' levels, never from evaluating.
type iniCase struct {
	name string
	rule int
	logs [][][]byte // each log is one or more events; the last is checked
	fail [][][]byte // logs whose last event must not give rule
}

// slimPaths are members of a finding that no rule reads and that make the
// test files long; they are removed from the findings the tests use.
var slimPaths = []string{
	"resource.instanceDetails.networkInterfaces", "resource.instanceDetails.iamInstanceProfile",
	"resource.instanceDetails.productCodes", "resource.instanceDetails.imageDescription",
	"resource.instanceDetails.tags", "resource.lambdaDetails.vpcConfig", "resource.lambdaDetails.tags",
	"resource.eksClusterDetails.tags", "service.additionalInfo.value", "service.runtimeDetails.process.uuid",
	"service.runtimeDetails.process.parentUuid",
}

// slim returns raw without slimPaths, edited by edit when not nil.
func slim(t testing.TB, raw []byte, edit func(*jsonObject)) []byte {
	t.Helper()
	v, err := parseJSON(raw)
	if err != nil {
		t.Fatalf("parse generated finding: %v", err)
	}
	for _, p := range slimPaths {
		prune(v, strings.Split(p, "."))
	}
	if edit != nil {
		edit(v.(*jsonObject))
	}
	var b bytes.Buffer
	writeJSON(&b, v)
	return b.Bytes()
}

func withSeverity(s string) func(*jsonObject) {
	return func(o *jsonObject) { o.set("severity", json.Number(s)) }
}

// bandSeverity is a severity GuardDuty writes in each band.
var bandSeverity = map[string]string{"low": "2", "medium": "5", "high": "8", "critical": "9.5"}

// TestWriteRuleTests rewrites tests/*.ini when run with -update.
func TestWriteRuleTests(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite tests/*.ini")
	}
	rs := newRuleset(t)
	files := []struct {
		name, about string
		cases       []iniCase
	}{
		{"types.ini", "one finding of every GuardDuty type, at its default severity, and the family rule it reaches", typeCases(t)},
		{"severity.ini", "findings rated above their type's default, instances that attack (resource role ACTOR), unknown types and the base rule", severityCases(t)},
		{"usecases.ini", "the use cases of Wazuh's GuardDuty guide, port probes split per detail, and the correlation of compromise types", useCases(t)},
	}
	for _, f := range files {
		writeINI(t, rs, filepath.Join("tests", f.name), f.about, f.cases)
	}
}

func writeINI(t *testing.T, rs *rules.Ruleset, path, about string, cases []iniCase) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# dutywatch built-in GuardDuty ruleset: rule tests in Wazuh's format (runtests.py, wazuh-logtest -U).\n")
	fmt.Fprintf(&b, "# This file: %s.\n", about)
	fmt.Fprintf(&b, "# Events are generated findings as dutywatch sends them (the Wazuh event plus the \"dutywatch\" object),\n")
	fmt.Fprintf(&b, "# with bulky members no rule reads removed. Each log runs in a fresh session; a log of several lines\n")
	fmt.Fprintf(&b, "# feeds them in order and checks the last. Rewrite with: go test ./ruleset -run TestWriteRuleTests -update\n")
	for _, c := range cases {
		r := rs.Rule(c.rule)
		if r == nil {
			t.Fatalf("[%s]: no rule %d", c.name, c.rule)
		}
		fmt.Fprintf(&b, "\n[%s]\n", c.name)
		n := 0
		write := func(kind string, log [][]byte) {
			n++
			for k, line := range log {
				if k == 0 {
					fmt.Fprintf(&b, "log %d %s = %s\n", n, kind, line)
				} else {
					fmt.Fprintf(&b, "  %s\n", line)
				}
			}
		}
		for _, l := range c.logs {
			write("pass", l)
		}
		for _, l := range c.fail {
			write("fail", l)
		}
		fmt.Fprintf(&b, "rule = %d\nalert = %d\ndecoder = json\n", r.ID, r.Level)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// firstEvent returns the first event of a finding.
func firstEvent(t testing.TB, raw []byte) (*finding.Finding, []byte) {
	t.Helper()
	f, events := findingEvents(t, raw)
	return f, events[0]
}

func typeCases(t *testing.T) []iniCase {
	var out []iniCase
	for _, ty := range generator.Types() {
		found := false
		for i := 0; i < 50 && !found; i++ {
			f, line := firstEvent(t, slim(t, generated(t, i, ty.Name), nil))
			id, _ := expected(ty, f)
			if id != familyOf()[ty.Name] {
				continue // raised: severity.ini has those
			}
			out = append(out, iniCase{name: ty.Name, rule: id, logs: [][][]byte{{line}}})
			found = true
		}
		if !found {
			t.Fatalf("no generated %s finding at its default severity", ty.Name)
		}
	}
	return out
}

func severityCases(t *testing.T) []iniCase {
	var out []iniCase
	for _, fam := range sortedKeys(actorChild) {
		typ, child := familyTypes[fam][0], actorChild[fam]
		for i := 0; ; i++ {
			f, line := firstEvent(t, slim(t, generated(t, i, typ), nil))
			if f.ResourceRole == "ACTOR" {
				out = append(out, iniCase{name: typ + " by the instance (ACTOR)", rule: child, logs: [][][]byte{{line}}})
				break
			}
		}
	}
	for _, fam := range sortedKeys(raising) {
		typ := familyTypes[fam][0]
		for _, band := range []string{"medium", "high", "critical"} {
			child := raising[fam][band]
			if child == 0 {
				continue
			}
			_, line := firstEvent(t, slim(t, generated(t, 0, typ), withSeverity(bandSeverity[band])))
			out = append(out, iniCase{name: typ + " rated " + band, rule: child, logs: [][][]byte{{line}}})
		}
	}
	// Types the ruleset does not know: older names GuardDuty no longer
	// uses reach the fallback, by band.
	unknown := []struct{ typ, band string }{
		{"Backdoor:EC2/XORDDOS", "low"}, {"CryptoCurrency:EC2/BitcoinTool.A", "medium"},
		{"UnauthorizedAccess:EC2/TorIPCaller", "high"}, {"UnauthorizedAccess:IAMUser/UnusualASNCaller", "critical"},
	}
	for k, u := range unknown {
		_, line := firstEvent(t, slim(t, generated(t, 0, "UnauthorizedAccess:EC2/TorClient"), func(o *jsonObject) {
			o.set("type", u.typ)
			o.set("severity", json.Number(bandSeverity[u.band]))
		}))
		out = append(out, iniCase{name: "unknown type " + u.typ + " rated " + u.band, rule: ruleFallback + k, logs: [][][]byte{{line}}})
	}
	_, typeless := firstEvent(t, slim(t, generated(t, 0, "UnauthorizedAccess:EC2/TorClient"), func(o *jsonObject) { o.remove("type") }))
	out = append(out, iniCase{name: "finding without a type: base rule only, no alert", rule: ruleBase, logs: [][][]byte{{typeless}}})
	return out
}

func sortedKeys[V any](m map[int]V) []int { return slices.Sorted(maps.Keys(m)) }
