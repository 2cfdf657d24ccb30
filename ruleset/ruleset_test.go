package ruleset

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/dutywatch/dutywatch/internal/rules"
)

func TestFilesInLoadOrder(t *testing.T) {
	names := Files()
	if len(names) < 10 {
		t.Fatalf("files %v", names)
	}
	if names[0] != "0000-dutywatch-base.xml" || names[len(names)-1] != "0990-dutywatch-fallback.xml" {
		t.Errorf("base must load first and the fallback last: %v", names)
	}
	for _, n := range names {
		if _, err := fs.Stat(FS(), n); err != nil || !strings.HasSuffix(n, ".xml") {
			t.Errorf("%s: %v", n, err)
		}
	}
	var l rules.Loader
	l.Strict = true
	if err := Load(&l); err != nil {
		t.Fatal(err)
	}
	if w := l.Warnings(); len(w) > 0 {
		t.Errorf("warnings: %v", w)
	}
}

// TestOverride shows how a user changes a built-in rule: overwrite="yes"
// in a file loaded after the ruleset keeps the rule's place and children.
func TestOverride(t *testing.T) {
	const user = `<group name="local,">
  <rule id="200110" level="3" overwrite="yes">
    <if_sid>200017</if_sid>
    <field name="aws.type">^Recon:EC2/PortProbeUnprotectedPort$</field>
    <description>Port probe on $(dutywatch.instance_id) (tuned down).</description>
  </rule>
</group>`
	var l rules.Loader
	if err := Load(&l); err != nil {
		t.Fatal(err)
	}
	if err := l.LoadFile("local_rules.xml", []byte(user)); err != nil {
		t.Fatal(err)
	}
	rs, err := l.Ruleset()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		f, events := findingEvents(t, generated(t, i, "Recon:EC2/PortProbeUnprotectedPort"))
		m := rs.NewState().Eval(decode(t, events[0]), testNow, nil)
		want := 200110
		if f.Severity >= 7 {
			want = 200112 // the children still hang under the changed rule
		}
		if m.Rule.ID != want || (want == 200110 && (m.Rule.Level != 3 || !strings.Contains(m.Description, "tuned down"))) {
			t.Fatalf("finding %d: rule %d level %d %q", i, m.Rule.ID, m.Rule.Level, m.Description)
		}
	}
}
