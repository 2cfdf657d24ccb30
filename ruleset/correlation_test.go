package ruleset

import (
	"strings"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/rules"
)

// onInstance returns a generated finding of typ whose resource is the
// given instance (the generator picks instances from a small cast, so some
// index lands on each), and the first event dutywatch makes of it.
func onInstance(t testing.TB, typ, instance string) []byte {
	t.Helper()
	for i := range 2000 {
		f, events := findingEvents(t, generated(t, i, typ))
		if f.InstanceID == instance && f.ResourceRole != "ACTOR" {
			return events[0]
		}
	}
	t.Fatalf("no generated %s finding on %s", typ, instance)
	return nil
}

// instances returns n distinct instance ids from generated findings.
func instances(t testing.TB, n int) []string {
	t.Helper()
	var ids []string
	for i := 0; len(ids) < n && i < 1000; i++ {
		f, _ := findingEvents(t, generated(t, i, "UnauthorizedAccess:EC2/TorClient"))
		if !strings.Contains(strings.Join(ids, " "), f.InstanceID) {
			ids = append(ids, f.InstanceID)
		}
	}
	if len(ids) < n {
		t.Fatalf("only %d instances", len(ids))
	}
	return ids
}

type step struct {
	typ      string
	instance int // index into the test's instances
	after    time.Duration
	want     int // rule id of the final match
}

// TestCompromiseCorrelation feeds stories of compromise findings through
// one state and checks the rule each event ends on: 200951 needs three
// distinct compromise types on one instance within 24 hours.
func TestCompromiseCorrelation(t *testing.T) {
	const (
		cc     = "Backdoor:EC2/C&CActivity.B!DNS"
		miner  = "CryptoCurrency:EC2/BitcoinTool.B!DNS"
		tor    = "UnauthorizedAccess:EC2/TorClient"
		exfil  = "Trojan:EC2/DNSDataExfiltration"
		other  = "UnauthorizedAccess:EC2/MaliciousIPCaller.Custom" // not compromise class
		hour   = time.Hour
		family = -1 // the type's own family rule
	)
	cases := []struct {
		name  string
		steps []step
	}{
		{"three distinct types on one instance", []step{
			{cc, 0, 0, family}, {miner, 0, hour, ruleTwoTypes}, {tor, 0, 2 * hour, ruleThreeTypes},
		}},
		{"four distinct types keep firing", []step{
			{cc, 0, 0, family}, {miner, 0, hour, ruleTwoTypes}, {tor, 0, hour, ruleThreeTypes}, {exfil, 0, hour, ruleThreeTypes},
		}},
		{"one type repeated many times", []step{
			{cc, 0, 0, family}, {cc, 0, hour, family}, {cc, 0, hour, family}, {cc, 0, hour, family}, {cc, 0, hour, family}, {cc, 0, hour, family},
		}},
		{"A A B is two types, not three", []step{
			{cc, 0, 0, family}, {cc, 0, hour, family}, {miner, 0, hour, ruleTwoTypes},
		}},
		{"A B B is two types, not three", []step{
			{cc, 0, 0, family}, {miner, 0, hour, ruleTwoTypes}, {miner, 0, hour, ruleTwoTypes},
		}},
		{"A B A B stays at two types", []step{
			{cc, 0, 0, family}, {miner, 0, hour, ruleTwoTypes}, {cc, 0, hour, family}, {miner, 0, hour, ruleTwoTypes},
		}},
		{"types spread over different instances", []step{
			{cc, 0, 0, family}, {miner, 1, hour, family}, {tor, 2, hour, family}, {exfil, 3, hour, family},
		}},
		{"two instances interleaved", []step{
			{cc, 0, 0, family}, {cc, 1, 0, family}, {miner, 1, hour, ruleTwoTypes}, {miner, 0, hour, ruleTwoTypes},
			{tor, 1, hour, ruleThreeTypes}, {exfil, 0, hour, ruleThreeTypes},
		}},
		{"other classes do not count", []step{
			{cc, 0, 0, family}, {other, 0, hour, family}, {miner, 0, hour, ruleTwoTypes}, {other, 0, hour, family},
		}},
		{"outside the 24 hour window", []step{
			{cc, 0, 0, family}, {miner, 0, hour, ruleTwoTypes}, {tor, 0, 25 * hour, family},
		}},
	}
	rs := newRuleset(t)
	ids := instances(t, 4)
	fam := familyOf()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := rs.NewState()
			now := testNow
			for k, s := range tc.steps {
				now = now.Add(s.after)
				m := st.Eval(decode(t, onInstance(t, s.typ, ids[s.instance])), now, nil)
				want := s.want
				if want == family {
					want = fam[s.typ]
				}
				if m == nil || m.Rule.ID != want {
					t.Fatalf("step %d (%s on %s): got %v, want rule %d", k, s.typ, ids[s.instance], ruleOf(m), want)
				}
				if want == ruleThreeTypes && (m.Rule.Level < 13 || !strings.Contains(m.Description, ids[s.instance])) {
					t.Errorf("step %d: level %d, description %q", k, m.Rule.Level, m.Description)
				}
			}
		})
	}
}

func ruleOf(m *rules.Match) any {
	if m == nil {
		return "no match"
	}
	return m.Rule.ID
}
