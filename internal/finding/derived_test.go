package finding

import (
	"encoding/json"
	"testing"
)

func TestBandAndTypeParts(t *testing.T) {
	for sev, want := range map[float64]string{1: "low", 3.9: "low", 4: "medium", 6.9: "medium", 7: "high", 8.9: "high", 9: "critical", 10: "critical"} {
		if got := Band(sev); got != want {
			t.Errorf("Band(%v) = %s; want %s", sev, got, want)
		}
	}
	for typ, want := range map[string][4]string{
		"CryptoCurrency:EC2/BitcoinTool.B!DNS":      {"CryptoCurrency", "EC2", "BitcoinTool.B", "DNS"},
		"UnauthorizedAccess:EC2/SSHBruteForce":      {"UnauthorizedAccess", "EC2", "SSHBruteForce", ""},
		"AttackSequence:IAM/CompromisedCredentials": {"AttackSequence", "IAM", "CompromisedCredentials", ""},
		"weird": {"", "", "weird", ""},
	} {
		p, r, f, a := TypeParts(typ)
		if [4]string{p, r, f, a} != want {
			t.Errorf("TypeParts(%s) = %q %q %q %q; want %q", typ, p, r, f, a, want)
		}
	}
}

func TestWithDerivedPicksTheProbeOfEachEvent(t *testing.T) {
	f := &Finding{Type: "Recon:EC2/PortProbeUnprotectedPort", Severity: 2, ActionType: "PORT_PROBE", InstanceID: "i-1",
		RemoteIPs: []RemoteIP{{IP: "198.51.100.1", Country: "A", LocalPort: 22}, {IP: "198.51.100.2", Country: `B"<x>`, LocalPort: 3389}}}
	for i, want := range []string{"198.51.100.2", "198.51.100.1"} {
		out := f.WithDerived(nil, []byte(`{"integration":"aws","aws":{"x":1}}`), 1-i)
		var got struct {
			Integration string
			Dutywatch   struct {
				SeverityBand string `json:"severity_band"`
				TypeFamily   string `json:"type_family"`
				RemoteIP     string `json:"remote_ip"`
				LocalPort    int    `json:"local_port"`
				InstanceID   string `json:"instance_id"`
			}
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if got.Integration != "aws" || got.Dutywatch.SeverityBand != "low" || got.Dutywatch.TypeFamily != "PortProbeUnprotectedPort" ||
			got.Dutywatch.RemoteIP != want || got.Dutywatch.InstanceID != "i-1" {
			t.Errorf("event %d: %+v\n%s", 1-i, got, out)
		}
	}
}
