package rules

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// dispatchXML hangs, under one parent, children of every kind a dispatch
// on field x must tell apart: keyed ones (exact literals, in any case,
// listed twice, with bytes >= 0x80, noalert with a child, with a second
// field), and unkeyed ones between them (negated, prefix, regex,
// case-sensitive pcre2, a test on another field).
func dispatchXML() string {
	return `<group name="dispatch,">
<rule id="100" level="0"><decoded_as>json</decoded_as><field name="kind">^test$</field><description>parent</description></rule>
<rule id="101" level="3"><if_sid>100</if_sid><field name="x">^A$|^Bb$</field><description>x is a or bb</description></rule>
<rule id="102" level="5"><if_sid>100</if_sid><field name="x" negate="yes">^A$</field><field name="y">^neg$</field><description>x is not a</description></rule>
<rule id="103" level="4" noalert="1"><if_sid>100</if_sid><field name="x">^C$</field><description>x is c (noalert)</description></rule>
<rule id="104" level="9"><if_sid>103</if_sid><field name="y">^yes$</field><description>c with y</description></rule>
<rule id="105" level="4"><if_sid>100</if_sid><field name="x">^C$|^D$</field><description>x is c or d</description></rule>
<rule id="106" level="4"><if_sid>100</if_sid><field name="x">^caf` + "\xe9" + `$|^E$</field><description>x is e</description></rule>
<rule id="107" level="4"><if_sid>100</if_sid><field name="x" type="osmatch">^F$|^f$</field><description>x is f</description></rule>
<rule id="108" level="6"><if_sid>100</if_sid><field name="x">^G$</field><field name="z">^1$</field><description>x is g, z is 1</description></rule>
<rule id="109" level="2"><if_sid>100</if_sid><field name="x" type="osmatch">^H</field><description>x starts with h</description></rule>
<rule id="110" level="2"><if_sid>100</if_sid><field name="x">^\w+Long$</field><description>x ends in long</description></rule>
<rule id="111" level="2"><if_sid>100</if_sid><field name="x" type="pcre2">^I$</field><description>x is I exactly</description></rule>
<rule id="112" level="1"><if_sid>100</if_sid><field name="y">^any$</field><description>y is any</description></rule>
<rule id="113" level="1"><if_sid>100</if_sid><field name="x">^G$|^` + strings.Repeat("Q", 100) + `$</field><description>x is g or long q</description></rule>
</group>
`
}

func loadXML(t testing.TB, name, xml string) *Ruleset {
	t.Helper()
	var l Loader
	if err := l.AddCategoryRoots(); err != nil {
		t.Fatal(err)
	}
	if err := l.LoadFile(name, []byte(xml)); err != nil {
		t.Fatal(err)
	}
	rs, err := l.Ruleset()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// sameAsPlainWalk evaluates events in order in two States, one traced
// (which walks every child) and one not (which dispatches), and fails on
// the first difference.
func sameAsPlainWalk(t *testing.T, rs *Ruleset, events []*Event) {
	t.Helper()
	plain, fast := rs.NewState(), rs.NewState()
	now := t0
	for i, ev := range events {
		now = now.Add(7 * time.Second)
		var tr Trace
		want := plain.Eval(ev, now, &tr)
		got := fast.Eval(ev, now, nil)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("event %d (%.200s): dispatched %+v, plain walk %+v\n%s", i, ev.Log, got, want, tr.String())
		}
	}
}

func TestDispatchSameAsPlainWalk(t *testing.T) {
	rs := loadXML(t, "dispatch.xml", dispatchXML())
	if n := findFirst(rs.roots, 100); n == nil || n.disp == nil {
		t.Fatal("rule 100 has no dispatch")
	}
	cases := []struct {
		name string
		x    any // nil: no field x
		y, z string
		want int
	}{
		{"exact", "A", "", "", 101},
		{"exact, other case", "bB", "", "", 101},
		{"negated test on another value", "zz", "neg", "", 102},
		{"noalert child", "c", "yes", "", 104},
		{"noalert, no child: next sibling", "C", "", "", 105},
		{"second literal", "D", "", "", 105},
		{"literal with a high byte never matches", "caf\xe9", "", "", 0},
		{"literal beside it", "e", "", "", 106},
		{"osmatch literal listed twice", "F", "", "", 107},
		{"second field passes", "g", "", "1", 108},
		{"second field fails: next keyed sibling", "G", "", "2", 113},
		{"prefix", "Hello", "", "", 109},
		{"regex", "VeryLong", "", "", 110},
		{"case-sensitive pcre2", "I", "", "", 111},
		{"case-sensitive pcre2, other case", "i", "", "", 0},
		{"unknown value, other field", "nothing", "any", "", 112},
		{"no field x", nil, "any", "", 112},
		{"no field x, negated test fails", nil, "neg", "", 0},
		{"number value", 7, "", "", 0},
		{"long value", strings.Repeat("q", 100), "", "", 113},
		{"long value, upper case", strings.Repeat("Q", 99) + "q", "", "", 113},
		{"lower-case value", "a", "", "", 101},
	}
	var events []*Event
	for _, tc := range cases {
		v := map[string]any{"kind": "test"}
		if tc.x != nil {
			v["x"] = tc.x
		}
		if tc.y != "" {
			v["y"] = tc.y
		}
		if tc.z != "" {
			v["z"] = tc.z
		}
		ev := jsonEvent(t, v)
		events = append(events, ev)
		m := rs.NewState().Eval(ev, t0, nil)
		got := 0
		if m != nil && m.Rule.ID != 100 {
			got = m.Rule.ID
		}
		if got != tc.want {
			t.Errorf("%s: rule %d, want %d", tc.name, got, tc.want)
		}
	}
	sameAsPlainWalk(t, rs, events)
}

func TestDispatchOtherRulesets(t *testing.T) {
	large := loadXML(t, "large.xml", largeRulesetXML(80))
	var events []*Event
	for i, sev := range []any{2, 5, 8, 5.5, 10} {
		for k := range 90 {
			events = append(events, gdEvent(t, map[string]any{
				"severity": sev, "type": fmt.Sprintf("family%d:EC2/KIND%d", k%7, k),
				"resource.instanceDetails.instanceId": fmt.Sprintf("i-%d", i%2),
				"service.resourceRole":                []string{"TARGET", "ACTOR", "OTHER"}[k%3],
			}))
		}
	}
	t.Run("large", func(t *testing.T) {
		if findFirst(large.roots, 200010).disp == nil {
			t.Fatal("no dispatch under 200010")
		}
		sameAsPlainWalk(t, large, events)
	})
	t.Run("testdata", func(t *testing.T) {
		rs, _ := loadTestdata(t)
		sameAsPlainWalk(t, rs, append(gdBenchEvents(t), events...))
	})
	t.Run("wazuh", func(t *testing.T) {
		rs, _ := loadWazuhAWS(t, nil) // skips without the reference files
		sameAsPlainWalk(t, rs, append(gdBenchEvents(t), events...))
	})
}
