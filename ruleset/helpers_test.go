package ruleset

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/finding"
	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/internal/rules"
)

// testNow is the manager clock the tests evaluate at.
var testNow = time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)

// testLogInfo is the aws.log_info block of the tests' events.
var testLogInfo = finding.LogInfo{LogFile: "AWSLogs/111122223333/GuardDuty/us-east-1/2025/01/15/test.jsonl.gz", S3Bucket: "dutywatch-findings"}

func newRuleset(t testing.TB) *rules.Ruleset {
	t.Helper()
	rs, err := New()
	if err != nil {
		t.Fatalf("load ruleset: %v", err)
	}
	return rs
}

// findingEvents parses a finding and returns it with the events dutywatch
// evaluates for it: its Wazuh events, each with the derived members.
func findingEvents(t testing.TB, raw []byte) (*finding.Finding, [][]byte) {
	t.Helper()
	rec, err := finding.Parse(raw)
	if err != nil {
		t.Fatalf("parse finding: %v", err)
	}
	f := rec.Finding
	var out [][]byte
	err = f.WazuhEvents(testLogInfo, func(ev []byte) error {
		out = append(out, f.WithDerived(nil, ev, len(out)))
		return nil
	})
	if err != nil {
		t.Fatalf("wazuh events: %v", err)
	}
	return f, out
}

// generated returns finding i of the default generator config forced to
// typ.
func generated(t testing.TB, i int, typ string) []byte {
	t.Helper()
	raw, err := generator.DefaultConfig().FindingOfType(i, typ)
	if err != nil {
		t.Fatalf("generate %s: %v", typ, err)
	}
	return raw
}

func decode(t testing.TB, line []byte) *rules.Event {
	t.Helper()
	ev, err := rules.DecodeJSON(line)
	if err != nil {
		t.Fatalf("decode event: %v", err)
	}
	return ev
}

// familyOf maps each finding type to its family rule.
func familyOf() map[string]int {
	m := map[string]int{}
	for id, types := range familyTypes {
		for _, typ := range types {
			m[typ] = id
		}
	}
	return m
}

// familyParent is the rule a family rule hangs under: the purpose rule of
// its types, or the base rule when they span purposes.
func familyParent(fam int) int {
	parent := 0
	for _, typ := range familyTypes[fam] {
		purpose, _, _ := strings.Cut(typ, ":")
		p := ruleBase
		for id, purposes := range purposeRules {
			if slices.Contains(purposes, purpose) {
				p = id
			}
		}
		if parent != 0 && p != parent {
			return ruleBase
		}
		parent = p
	}
	return parent
}

// typeInfo returns the table entry of a finding type.
func typeInfo(name string) (generator.Type, bool) {
	for _, ty := range generator.Types() {
		if ty.Name == name {
			return ty, true
		}
	}
	return generator.Type{}, false
}

// defaultBand is the band of a type's default severity; "varies" types
// start low.
func defaultBand(ty generator.Type) string {
	if ty.Level == generator.Varies {
		return "low"
	}
	return strings.ToLower(string(ty.Level))
}

// expected returns the rule and level an event of f (of type ty) must get
// from a fresh state.
func expected(ty generator.Type, f *finding.Finding) (id, level int) {
	fam := familyOf()[ty.Name]
	if child, ok := actorChild[fam]; ok && f.ResourceRole == "ACTOR" {
		return child, levelOf["high"]
	}
	def, band := defaultBand(ty), finding.Band(f.Severity)
	if child := raising[fam][band]; child != 0 && bandRank[band] > bandRank[def] {
		return child, levelOf[band]
	}
	return fam, levelOf[def]
}
