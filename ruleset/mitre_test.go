package ruleset

import (
	"testing"

	"github.com/dutywatch/dutywatch/internal/alert"
)

// Alerts drop ATT&CK ids their table lacks, as analysisd does; every id the
// built-in rules use must therefore be known.
func TestEveryMITREIDIsKnown(t *testing.T) {
	rs, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs.Rules() {
		for _, id := range r.MITRE.IDs {
			if !alert.KnownTechnique(id) {
				t.Errorf("rule %d uses %s, which internal/alert's ATT&CK table lacks", r.ID, id)
			}
		}
	}
}
