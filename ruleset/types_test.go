package ruleset

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/internal/rules"
)

// TestEveryTypeReachesItsFamilyRule makes findings of every type of the
// AWS table with the generator and checks that each event reaches the
// type's own family rule (or the child that raises it), never the base or
// the fallback, with a MITRE technique and the level of its severity band.
func TestEveryTypeReachesItsFamilyRule(t *testing.T) {
	rs := newRuleset(t)
	for _, ty := range generator.Types() {
		t.Run(ty.Name, func(t *testing.T) {
			// Several findings per type: the generator varies actors,
			// ports, severities and resource roles between them.
			for i := range 8 {
				f, events := findingEvents(t, generated(t, i, ty.Name))
				for k, line := range events {
					m := rs.NewState().Eval(decode(t, line), testNow, nil)
					if m == nil {
						t.Fatalf("finding %d event %d: no rule matched", i, k)
					}
					wantID, wantLevel := expected(ty, f)
					got := m.Rule
					switch {
					case got.ID == ruleBase || got.ID >= ruleFallback:
						t.Errorf("finding %d event %d: reached base/fallback rule %d", i, k, got.ID)
					case got.ID != wantID || got.Level != wantLevel:
						t.Errorf("finding %d event %d (severity %v, role %s): rule %d level %d, want %d level %d",
							i, k, f.Severity, f.ResourceRole, got.ID, got.Level, wantID, wantLevel)
					case len(got.MITRE.IDs) == 0:
						t.Errorf("rule %d has no MITRE technique", got.ID)
					case !m.Alert:
						t.Errorf("rule %d level %d does not alert", got.ID, got.Level)
					case strings.Contains(m.Description, "$("):
						t.Errorf("description not expanded: %s", m.Description)
					}
				}
			}
		})
	}
}

// TestFamilyTableMatchesTypes keeps the hand-written family table honest:
// every type of the AWS table is in it exactly once, and every family rule
// of the XML (a child of a purpose rule, or of the base rule for a family
// spanning purposes) is in it, under the parent its types give.
func TestFamilyTableMatchesTypes(t *testing.T) {
	seen := map[string]int{}
	for id, types := range familyTypes {
		for _, typ := range types {
			if prev, ok := seen[typ]; ok {
				t.Errorf("%s is in rules %d and %d", typ, prev, id)
			}
			seen[typ] = id
			if _, ok := typeInfo(typ); !ok {
				t.Errorf("rule %d: %s is not a GuardDuty type", id, typ)
			}
		}
	}
	for _, ty := range generator.Types() {
		if _, ok := seen[ty.Name]; !ok {
			t.Errorf("type %s has no family rule", ty.Name)
		}
	}
	rs := newRuleset(t)
	under := func(parent int) []*rules.Rule { return rs.Children(parent) }
	for _, r := range under(ruleBase) {
		_, fam := familyTypes[r.ID]
		_, purpose := purposeRules[r.ID]
		if !fam && !purpose && r.ID != ruleFallback {
			t.Errorf("rule %d under the base rule is neither a purpose nor a family rule", r.ID)
		}
	}
	for id := range purposeRules {
		r := rs.Rule(id)
		if r == nil || r.IfSID != strconv.Itoa(ruleBase) || r.Level != 0 || !r.NoAlert {
			t.Errorf("purpose rule %d: missing, not under the base rule, or not level 0 noalert", id)
			continue
		}
		for _, c := range under(id) {
			if _, ok := familyTypes[c.ID]; !ok {
				t.Errorf("rule %d under purpose rule %d is not a family rule", c.ID, id)
			}
		}
	}
	for id := range familyTypes {
		if r := rs.Rule(id); r == nil || r.IfSID != strconv.Itoa(familyParent(id)) {
			t.Errorf("family rule %d: missing or not under rule %d", id, familyParent(id))
		}
	}
}

// TestFamilyLevelsFollowDefaultSeverity checks that all types of a family
// rule share one default band and that the rule's level is that band's.
func TestFamilyLevelsFollowDefaultSeverity(t *testing.T) {
	rs := newRuleset(t)
	for id, types := range familyTypes {
		bands := map[string]bool{}
		for _, typ := range types {
			ty, _ := typeInfo(typ)
			bands[defaultBand(ty)] = true
		}
		if len(bands) != 1 {
			t.Errorf("rule %d mixes default bands %v", id, bands)
			continue
		}
		for band := range bands {
			if got := rs.Rule(id).Level; got != levelOf[band] {
				t.Errorf("rule %d: level %d, want %d for %s", id, got, levelOf[band], band)
			}
		}
	}
	for fam, children := range raising {
		for band, child := range children {
			r := rs.Rule(child)
			if r == nil || r.Level != levelOf[band] || r.IfSID != strconv.Itoa(fam) {
				t.Errorf("raising child %d (%s of %d): %+v", child, band, fam, r)
			}
		}
	}
}

var mitreID = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)

// TestRuleHygiene checks what every rule of the set must have.
func TestRuleHygiene(t *testing.T) {
	rs := newRuleset(t)
	n := 0
	for _, r := range rs.Rules() {
		if r.ID < 10 {
			continue // category roots
		}
		n++
		if r.ID < 200000 || r.ID > 200999 {
			t.Errorf("rule %d outside dutywatch's range", r.ID)
		}
		if !slices.Contains(r.Groups, "guardduty") || !slices.Contains(r.Groups, "amazon") {
			t.Errorf("rule %d groups %v", r.ID, r.Groups)
		}
		if r.Description == "" || !r.Options.NoFullLog {
			t.Errorf("rule %d: description %q, no_full_log %v", r.ID, r.Description, r.Options.NoFullLog)
		}
		for _, id := range r.MITRE.IDs {
			if !mitreID.MatchString(id) {
				t.Errorf("rule %d: bad MITRE id %q", r.ID, id)
			}
		}
		_, purpose := purposeRules[r.ID]
		needsMITRE := r.ID != ruleBase && !purpose && r.ID < ruleTwoTypes
		if needsMITRE && len(r.MITRE.IDs) == 0 {
			t.Errorf("rule %d has no MITRE technique", r.ID)
		}
		if compromise := slices.Contains(r.Groups, "gd_compromise"); compromise && r.Level > rs.Rule(ruleTwoTypes).Level {
			t.Errorf("rule %d (level %d) is in gd_compromise above the correlation's level", r.ID, r.Level)
		}
	}
	if n < 150 {
		t.Errorf("only %d rules", n)
	}
}
