package ruleset

import (
	"testing"

	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/internal/rules"
)

// TestWalkIsShort keeps the tree shallow where it counts: thanks to the
// purpose rules, an event of any type tries few rules even when every
// sibling is tried in order (a traced walk, wazuh-logtest, or Wazuh
// itself), not the ~130 family rules one after the other.
func TestWalkIsShort(t *testing.T) {
	rs := newRuleset(t)
	total, n, most := 0, 0, 0
	for _, ty := range generator.Types() {
		for i := range 3 {
			_, events := findingEvents(t, generated(t, i, ty.Name))
			for _, line := range events {
				var tr rules.Trace
				rs.NewState().Eval(decode(t, line), testNow, &tr)
				tried := 0
				for _, s := range tr.Steps {
					if !s.Note {
						tried++
					}
				}
				total, n, most = total+tried, n+1, max(most, tried)
			}
		}
	}
	avg := float64(total) / float64(n)
	t.Logf("%d events: %.1f rules tried on average, at most %d", n, avg, most)
	if avg > 30 || most > 45 {
		t.Errorf("%.1f rules tried on average, at most %d: want at most 30 and 45", avg, most)
	}
}
