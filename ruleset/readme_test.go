package ruleset

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/dutywatch/dutywatch/internal/rules"
)

const (
	readmeBegin = "<!-- rules:begin (generated: go test ./ruleset -run TestREADME -update) -->\n"
	readmeEnd   = "<!-- rules:end -->\n"
)

// TestREADME checks that README.md lists the rules as they are, and
// rewrites the list with -update.
func TestREADME(t *testing.T) {
	old, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	begin, end := bytes.Index(old, []byte(readmeBegin)), bytes.Index(old, []byte(readmeEnd))
	if begin < 0 || end < begin {
		t.Fatal("README.md lacks the rules markers")
	}
	list := ruleList(newRuleset(t))
	if *update {
		var b bytes.Buffer
		b.Write(old[:begin+len(readmeBegin)])
		b.WriteString(list)
		b.Write(old[end:])
		if err := os.WriteFile("README.md", b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got := string(old[begin+len(readmeBegin) : end]); got != list {
		t.Error("README.md's rule list is out of date: run go test ./ruleset -run TestREADME -update")
	}
}

// ruleList renders every rule, file by file, as Markdown tables.
func ruleList(rs *rules.Ruleset) string {
	var b strings.Builder
	file := ""
	for _, r := range rs.Rules() {
		if r.ID < 10 {
			continue
		}
		if r.File != file {
			file = r.File
			fmt.Fprintf(&b, "\n### %s\n\n", file)
			b.WriteString("| id | level | under | matches | MITRE ATT&CK | groups |\n| --- | --- | --- | --- | --- | --- |\n")
		}
		fmt.Fprintf(&b, "| %d | %d | %s | %s | %s | %s |\n", r.ID, r.Level, parentOf(r), matchesOf(r),
			strings.Join(r.MITRE.IDs, ", "), strings.Join(ownGroups(r), ", "))
	}
	return b.String()
}

func parentOf(r *rules.Rule) string {
	switch {
	case r.IfMatchedGroup != "":
		return "group " + r.IfMatchedGroup
	case r.IfGroup != "":
		return "group " + r.IfGroup
	case r.IfSID != "":
		return r.IfSID
	}
	return "root"
}

func matchesOf(r *rules.Rule) string {
	if types, ok := familyTypes[r.ID]; ok {
		return "`" + strings.Join(types, "`, `") + "`"
	}
	for fam, children := range raising {
		for band, id := range children {
			if id == r.ID {
				return fmt.Sprintf("a %d finding rated %s", fam, band)
			}
		}
	}
	for fam, id := range actorChild {
		if id == r.ID {
			return fmt.Sprintf("a %d finding whose instance is the attacker (resource role ACTOR)", fam)
		}
	}
	if purposes, ok := purposeRules[r.ID]; ok {
		return "types `" + strings.Join(purposes, ":*`, `") + ":*`: tries their family rules, never alerts"
	}
	switch {
	case r.ID == ruleBase:
		return "every dutywatch GuardDuty event (integration aws, source guardduty, a dutywatch object)"
	case r.ID == ruleTwoTypes:
		return "a gd_compromise finding on an instance that had one of another type within 24 hours"
	case r.ID == ruleThreeTypes:
		return "a third distinct gd_compromise type on the instance within 24 hours"
	case r.ID == ruleFallback:
		return "a finding of any other type, rated low"
	case r.ID > ruleFallback && r.ID <= ruleFallbackLast:
		return "a finding of any other type, rated " + []string{"medium", "high", "critical"}[r.ID-ruleFallback-1]
	}
	return ""
}

// ownGroups are the rule's groups without the ones every rule has.
func ownGroups(r *rules.Rule) []string {
	common := []string{"amazon", "aws", "aws_guardduty", "guardduty"}
	var out []string
	for _, g := range r.Groups {
		if !slices.Contains(common, g) {
			out = append(out, g)
		}
	}
	return out
}
