package rules

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// loadTestdata loads this package's own test rules.
func loadTestdata(t testing.TB) (*Ruleset, *Loader) {
	t.Helper()
	l := &Loader{ListFS: os.DirFS("testdata")}
	if err := l.AddCategoryRoots(); err != nil {
		t.Fatal(err)
	}
	if err := l.LoadFS(os.DirFS("testdata/rules"), "0100-guardduty.xml", "0200-tuning.xml"); err != nil {
		t.Fatal(err)
	}
	rs, err := l.Ruleset()
	if err != nil {
		t.Fatal(err)
	}
	return rs, l
}

func ids(rules []*Rule) []int {
	out := make([]int, len(rules))
	for i, r := range rules {
		out[i] = r.ID
	}
	return out
}

func TestLoadTree(t *testing.T) {
	rs, l := loadTestdata(t)
	cases := []struct {
		parent int
		want   []int
	}{
		{0, []int{1, 2, 3, 4, 5, 6, 7}},
		{1, []int{100000, 100800}},
		// level 0 first, then by level, ties in load order; 100800 is a
		// child of every rule of level >= 10, and level-0 rules count as
		// 99 there (analysisd stores them as 9900).
		{100100, []int{100110, 100800, 100400, 100103, 100102, 100300, 100101}},
		{100101, []int{100500, 100600, 100200}},
		{100102, []int{100200, 100900, 100700}},
		// 100201 was overwritten to level 11 but keeps its place.
		{100103, []int{100800, 101000, 100201}},
	}
	for _, tc := range cases {
		if got := ids(rs.Children(tc.parent)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Children(%d) = %v, want %v", tc.parent, got, tc.want)
		}
	}
	if rs.Children(424242) != nil {
		t.Errorf("Children of a missing rule")
	}
	var warned []int
	for _, w := range l.Warnings() {
		var le *LoadError
		if !errors.As(w, &le) {
			t.Fatalf("warning %v is not a *LoadError", w)
		}
		warned = append(warned, le.RuleID)
	}
	if !reflect.DeepEqual(warned, []int{100200, 101100}) {
		t.Errorf("warnings for rules %v, want duplicate 100200 and orphan 101100", warned)
	}
	if rs.Rule(101100) != nil || rs.Len() != 7+17 {
		t.Errorf("loaded %d rules %v", rs.Len(), rs.IDs())
	}
	if !strings.Contains(rs.Tree(), "    100500 (12) Repeated low findings") {
		t.Errorf("Tree() misses the correlation rule:\n%s", rs.Tree())
	}
}

func TestLoadRuleDetails(t *testing.T) {
	rs, _ := loadTestdata(t)
	r := rs.Rule(100200)
	if r.GroupString != "cloud,authentication_failures,pci_dss_10.2.4,gdpr_IV_35.7.d,pci_dss_11.4,nist_800_53_AU.14,tsc_CC6.1," {
		t.Errorf("GroupString = %q", r.GroupString)
	}
	if !reflect.DeepEqual(r.Groups, []string{"cloud", "authentication_failures"}) {
		t.Errorf("Groups = %q", r.Groups)
	}
	wantComp := []Compliance{
		{"pci_dss", []string{"10.2.4", "11.4"}}, {"gdpr", []string{"IV_35.7.d"}},
		{"nist_800_53", []string{"AU.14"}}, {"tsc", []string{"CC6.1"}},
	}
	if !reflect.DeepEqual(r.Compliance, wantComp) {
		t.Errorf("Compliance = %v", r.Compliance)
	}
	if !reflect.DeepEqual(r.MITRE.IDs, []string{"T1110"}) || r.IfSID != "100101, 100102" || r.File != "0100-guardduty.xml" {
		t.Errorf("MITRE %v IfSID %q File %q", r.MITRE, r.IfSID, r.File)
	}
	if o := r.Options; !o.LogAlert || o.EmailAlert || o.NoFullLog {
		t.Errorf("100200 options = %+v", o)
	}
	if o := rs.Rule(100000).Options; !o.NoFullLog || o.LogAlert {
		t.Errorf("100000 options = %+v", o)
	}
	if o := rs.Rule(100400).Options; !o.EmailAlert {
		t.Errorf("alert_by_email not set: %+v", o)
	}
	if o := rs.Rule(100301).Options; !o.NoCounter {
		t.Errorf("no_counter not set: %+v", o)
	}
	tuned := rs.Rule(100201)
	if tuned.Level != 11 || tuned.File != "0200-tuning.xml" || tuned.GroupString != "cloud,tuning,tuned," {
		t.Errorf("overwritten rule = level %d file %s groups %q", tuned.Level, tuned.File, tuned.GroupString)
	}
	if c := rs.Rule(100500); c.Frequency != 3 || c.Timeframe != 600 || c.IfMatchedSID != 100101 || c.IfSID != "100101" {
		t.Errorf("correlation rule = %+v", c)
	}
	if !rs.Rule(100300).NoAlert || rs.Rule(100900).IgnoreTime != 60 {
		t.Errorf("noalert / ignore attributes lost")
	}
}

func TestLoadErrors(t *testing.T) {
	rule := func(body string) string {
		return `<group name="g,"><rule id="200" level="3">` + body + `</rule></group>`
	}
	desc := `<description>d</description>`
	cases := []struct {
		name, xml, want string
		line            int
	}{
		{"bad xml", "<group name=\"g\">\n<rule>", "xml:", 2},
		{"no elements", "<!-- nothing -->", "no elements", 0},
		{"root not group", `<rules><rule id="1" level="0"/></rules>`, `invalid root element "rules"`, 1},
		{"group with extra attribute", `<group name="a" x="1"><rule id="1" level="0"/></group>`, "only the group name", 1},
		{"group without rules", `<group name="a"></group>`, "without any rule", 1},
		{"not a rule", `<group name="a"><decoder/></group>`, `"decoder" is not a valid element`, 1},
		{"missing level", `<group name="a"><rule id="5"><description>x</description></rule></group>`, "no rule id or level", 1},
		{"id too long", `<group name="a"><rule id="1234567" level="1"/></group>`, "invalid rule id", 1},
		{"level too high", `<group name="a"><rule id="20" level="17"/></group>`, "invalid level 17", 1},
		{"frequency too low", `<group name="a"><rule id="20" level="1" frequency="1"/></group>`, "invalid frequency 1", 1},
		{"bad attribute", `<group name="a"><rule id="20" level="1" color="red"/></group>`, `invalid attribute "color"`, 1},
		{"no options", `<group name="a"><rule id="20" level="1"/></group>`, "without any option", 1},
		{"no description", rule(`<match>x</match>`), "no description", 1},
		{"unknown element", rule(desc + `<colour>x</colour>`), "invalid option <colour>", 1},
		{"unsupported element", rule(desc + `<time>6 pm - 8 am</time>`), "<time> is not supported", 1},
		{"bad osregex", rule(desc + `<field name="a">\q</field>`), `<field name="a">: invalid OS_Regex`, 1},
		{"pcre2 backreference", rule(desc + `<field name="a" type="pcre2">(a)\1</field>`), "backreference", 1},
		{"static field name", rule(desc + `<field name="srcip">x</field>`), "field is static", 1},
		{"unknown decoder", rule(desc + `<decoded_as>sshd</decoded_as>`), `invalid decoder name "sshd"`, 1},
		{"bad option", rule(desc + `<options>loud</options>`), `invalid option "loud"`, 1},
		{"frequency without if_matched", `<group name="g,"><rule id="200" level="3" frequency="5">` + desc + `</rule></group>`, "missing if_matched", 1},
		{"same_field without if_matched", rule(desc + `<same_field>x</same_field>`), "missing if_matched", 1},
		{"bad ip", rule(desc + `<srcip>300.1.1.1</srcip>`), "invalid ip", 1},
		{"bad list lookup", rule(desc + `<list field="a" lookup="fuzzy">l</list>`), `lookup "fuzzy"`, 1},
		{"list without field", rule(desc + `<list lookup="match_key">l</list>`), "requires the field", 1},
		{"too long", rule(desc + `<match>` + strings.Repeat("a", 2048) + `</match>`), "value too long", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var l Loader
			if err := l.AddCategoryRoots(); err != nil {
				t.Fatal(err)
			}
			err := l.LoadFile("bad.xml", []byte(tc.xml))
			var le *LoadError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tc.want) || le.File != "bad.xml" || le.Line != tc.line {
				t.Fatalf("err = %v, want %q at line %d", err, tc.want, tc.line)
			}
			if _, err2 := l.Ruleset(); err2 != err {
				t.Errorf("Ruleset() after a failed load = %v", err2)
			}
			if err3 := l.LoadFile("next.xml", []byte(rule(desc))); err3 != err {
				t.Errorf("LoadFile after a failed load = %v", err3)
			}
		})
	}
}

func TestLoadWarnings(t *testing.T) {
	rule := func(id, body string) string {
		return `<rule id="` + id + `" level="3">` + body + `<description>d</description></rule>`
	}
	cases := []struct {
		name, body, want string
	}{
		{"missing parent", rule("300", "<if_sid>299</if_sid>"), "if_sid parent 299 not found"},
		{"invalid if_sid", rule("300", "<if_sid>1a</if_sid>"), `invalid if_sid "1a"`},
		{"empty if_sid", rule("300", "<if_sid></if_sid>"), `invalid if_sid ""`},
		{"missing list", rule("300", `<list field="x">nolist</list>`), `list "nolist"`},
		{"missing group", rule("300", "<if_group>nogroup</if_group>"), `no loaded rule in group "nogroup"`},
		{"zero if_level", rule("300", "<if_level>0</if_level>"), `invalid if_level "0"`},
		{"bad if_level", rule("300", "<if_level>x</if_level>"), `invalid if_level "x"`},
		{"bad if_matched_sid", rule("300", "<if_matched_sid>x</if_matched_sid>"), `invalid if_matched_sid "x"`},
		{"missing if_matched_sid", rule("300", "<if_matched_sid>299</if_matched_sid>"), "if_matched_sid parent 299 not found"},
		{"duplicate", rule("1", "<match>x</match>"), "duplicated rule id"},
		{"overwrite missing", `<rule id="300" level="3" overwrite="yes"><description>d</description></rule>`, "does not exist"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(`<group name="g,">` + tc.body + `</group>`)
			var l Loader
			if err := l.AddCategoryRoots(); err != nil {
				t.Fatal(err)
			}
			if err := l.LoadFile("w.xml", data); err != nil {
				t.Fatal(err)
			}
			if w := l.Warnings(); len(w) != 1 || !strings.Contains(w[0].Error(), tc.want) {
				t.Fatalf("warnings = %v, want %q", w, tc.want)
			}
			strict := Loader{Strict: true}
			if err := strict.AddCategoryRoots(); err != nil {
				t.Fatal(err)
			}
			if err := strict.LoadFile("w.xml", data); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("strict load err = %v", err)
			}
		})
	}
}

func TestLoadMisc(t *testing.T) {
	t.Run("empty file", func(t *testing.T) {
		var l Loader
		if err := l.LoadFile("empty.xml", nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("no category root", func(t *testing.T) {
		var l Loader
		if err := l.LoadFile("x.xml", []byte(`<group name="g"><rule id="10" level="1"><description>d</description></rule></group>`)); err != nil {
			t.Fatal(err)
		}
		if w := l.Warnings(); len(w) != 1 || !strings.Contains(w[0].Error(), `no root rule for category "syslog"`) {
			t.Errorf("warnings = %v", w)
		}
	})
	t.Run("LoadFiles and Load", func(t *testing.T) {
		if _, err := LoadFiles("testdata/rules/missing.xml"); err == nil {
			t.Errorf("missing file accepted")
		}
		if _, err := Load(os.DirFS("testdata/rules"), "missing.xml"); err == nil {
			t.Errorf("missing file accepted")
		}
		rs, err := LoadFiles("testdata/rules/0100-guardduty.xml")
		if err != nil || rs.Len() != 0 {
			t.Errorf("rules without roots: %v %d", err, rs.Len())
		}
	})
	t.Run("trailing comma in if_sid also attaches to the root", func(t *testing.T) {
		var l Loader
		if err := l.AddCategoryRoots(); err != nil {
			t.Fatal(err)
		}
		x := `<group name="g,"><rule id="10" level="1"><match>a</match><description>d</description></rule>` +
			`<rule id="11" level="2"><if_sid>10,</if_sid><description>d</description></rule></group>`
		if err := l.LoadFile("x.xml", []byte(x)); err != nil {
			t.Fatal(err)
		}
		rs, err := l.Ruleset()
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(rs.Children(1)); !reflect.DeepEqual(got, []int{11, 10}) {
			t.Errorf("root children %v, want [11 10]", got)
		}
	})
	t.Run("mitre formats", func(t *testing.T) {
		var l Loader
		if err := l.AddCategoryRoots(); err != nil {
			t.Fatal(err)
		}
		x := `<group name="g,"><rule id="10" level="1"><description>d</description>` +
			`<mitre><id>T1</id><id>T1</id><id>T2</id></mitre>` +
			`<mitre><tacticID>TA1</tacticID><techniqueID>T9</techniqueID></mitre>` +
			`<mitre><tacticID>TA1</tacticID></mitre></rule></group>`
		if err := l.LoadFile("x.xml", []byte(x)); err != nil {
			t.Fatal(err)
		}
		rs, _ := l.Ruleset()
		m := rs.Rule(10).MITRE
		if m.IDs != nil || !reflect.DeepEqual(m.TacticIDs, []string{"TA1"}) || !reflect.DeepEqual(m.TechniqueIDs, []string{"T9"}) {
			t.Errorf("MITRE = %+v; the new format discards the old one", m)
		}
	})
}
