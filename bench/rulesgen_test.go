package main

import (
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/finding"
	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/internal/rules"
	"github.com/dutywatch/dutywatch/ruleset"
)

func TestPurposeRules(t *testing.T) {
	parents, err := purposeRules(ruleset.FS(), ruleset.Files()[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"Recon", "UnauthorizedAccess", "Object", "S3Object"} {
		if parents[p] == "" {
			t.Errorf("no purpose rule for %s in %v", p, parents)
		}
	}
}

// TestExtraRulesNeverMatch loads the built-in ruleset with and without 400
// extra rules, strictly, and checks that one finding of every generated
// type ends on the same rule either way, while extra rules are tried.
func TestExtraRulesNeverMatch(t *testing.T) {
	builtin := loadRuleset(t, "")
	xml, err := extraRules(400)
	if err != nil {
		t.Fatal(err)
	}
	extra := loadRuleset(t, xml)
	now := time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)
	tried := 0
	for i, typ := range generator.Types() {
		if typ.Retired {
			continue
		}
		raw, err := generator.DefaultConfig().FindingOfType(i, typ.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events(t, raw) {
			var trace rules.Trace
			want, got := builtin.Eval(decodeEvent(t, ev), now, nil), extra.Eval(decodeEvent(t, ev), now, &trace)
			if ruleID(want) != ruleID(got) {
				t.Errorf("%s: rule %d with extra rules, %d without", typ.Name, ruleID(got), ruleID(want))
			}
			for _, s := range trace.Steps {
				if s.Rule != nil && s.Rule.ID >= firstExtraID && s.Rule.ID < firstExtraID+400 {
					tried++
				}
			}
		}
	}
	if tried == 0 {
		t.Error("no extra rule was ever tried")
	}
	t.Logf("%d extra rule tries", tried)
}

func loadRuleset(t *testing.T, extra string) *rules.Ruleset {
	t.Helper()
	l := rules.Loader{Strict: true}
	if err := ruleset.Load(&l); err != nil {
		t.Fatal(err)
	}
	if extra != "" {
		if err := l.LoadFile("extra.xml", []byte(extra)); err != nil {
			t.Fatalf("load extra rules: %v", err)
		}
	}
	rs, err := l.Ruleset()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func events(t *testing.T, raw []byte) [][]byte {
	t.Helper()
	rec, err := finding.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	f := rec.Finding
	var out [][]byte
	info := finding.LogInfo{LogFile: "firehose/2025/01/15/00/x.gz", S3Bucket: "bench"}
	err = f.WazuhEvents(info, func(ev []byte) error {
		out = append(out, f.WithDerived(nil, ev, len(out)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func decodeEvent(t *testing.T, line []byte) *rules.Event {
	t.Helper()
	ev, err := rules.DecodeJSON(line)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func ruleID(m *rules.Match) int {
	if m == nil {
		return 0
	}
	return m.Rule.ID
}
