package ruleset

import (
	"fmt"
	"strings"
	"testing"
)

// TestPortProbeOneAlertPerDetail checks that a port probe with three
// details gives three alerts, each naming its own prober, country and
// port.
func TestPortProbeOneAlertPerDetail(t *testing.T) {
	rs := newRuleset(t)
	for i := range 500 {
		f, events := findingEvents(t, generated(t, i, "Recon:EC2/PortProbeUnprotectedPort"))
		if len(events) != 3 || len(f.RemoteIPs) != 3 || !distinctIPs(f.RemoteIPs[0].IP, f.RemoteIPs[1].IP, f.RemoteIPs[2].IP) {
			continue
		}
		st := rs.NewState()
		for k, line := range events {
			m := st.Eval(decode(t, line), testNow, nil)
			if m == nil || m.Rule.ID < 200110 || m.Rule.ID > 200113 || !m.Alert {
				t.Fatalf("event %d: %v", k, ruleOf(m))
			}
			d := f.RemoteIPs[k]
			for _, want := range []string{d.IP + " (" + d.Country, fmt.Sprintf("port %d ", d.LocalPort), f.InstanceID} {
				if !strings.Contains(m.Description, want) {
					t.Errorf("event %d: description %q lacks %q", k, m.Description, want)
				}
			}
			for j, other := range f.RemoteIPs {
				if j != k && strings.Contains(m.Description, other.IP+" ") {
					t.Errorf("event %d names probe %d's address %s: %q", k, j, other.IP, m.Description)
				}
			}
		}
		return
	}
	t.Fatal("no generated port probe with three details from three addresses")
}

func distinctIPs(a, b, c string) bool { return a != b && b != c && a != c }
