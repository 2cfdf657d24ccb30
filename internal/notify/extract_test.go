package notify

import (
	"testing"
	"time"
)

func TestExtract(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want summary
	}{
		{"rdp alert", "", summary{ID: "5f0c8a1e2b3d4c5e6f708192a3b4c5d6", DocTime: time.Date(2025, 1, 15, 10, 41, 12, 0, time.UTC),
			Description: "GuardDuty: RDP brute force against i-07f6e5d4c3b2a1908 from 192.0.2.150 (Brazil) <!channel> & co",
			RuleLevel:   10, RuleNum: 100210, FindingType: "UnauthorizedAccess:EC2/RDPBruteForce", Severity: 2,
			Account: "444455556666", Region: "eu-west-1",
			Title:      "192.0.2.150 is performing RDP brute force attacks against i-07f6e5d4c3b2a1908.",
			Finding:    "192.0.2.150 is performing RDP brute force attacks against i-07f6e5d4c3b2a1908.",
			InstanceID: "i-07f6e5d4c3b2a1908", RemoteIP: "192.0.2.150", Country: "Brazil"}},
		{"wazuh strings", `{"rule":{"level":"12","id":"80202"},"data":{"aws":{"severity":"8.0","accountId":123456789012}}}`,
			summary{RuleLevel: 12, RuleNum: 80202, Severity: 8, Account: "123456789012"}},
		{"port probe list", `{"data":{"aws":{"service":{"action":{"portProbeAction":{"portProbeDetails":[` +
			`{"remoteIpDetails":{"ipAddressV4":"198.51.100.1","country":{"countryName":"Chile"}}},{"remoteIpDetails":{"ipAddressV4":"203.0.113.7"}}]}}}}}}`,
			summary{RemoteIP: "198.51.100.1", Country: "Chile"}},
		{"port probe split", `{"data":{"aws":{"service":{"action":{"portProbeAction":{"portProbeDetails":` +
			`{"remoteIpDetails":{"ipAddressV4":"203.0.113.7"}}}}}}}}`,
			summary{RemoteIP: "203.0.113.7"}},
		{"api call ipv6", `{"data":{"aws":{"service":{"action":{"awsApiCallAction":{"remoteIpDetails":{"ipAddressV6":"2001:db8::1"}}}}}}}`,
			summary{RemoteIP: "2001:db8::1"}},
		{"source ip fallback", `{"data":{"aws":{"source_ip_address":"192.0.2.9"}}}`, summary{RemoteIP: "192.0.2.9"}},
		{"wrong kinds read as empty", `{"id":["x"],"rule":3,"data":{"aws":{"type":{"a":1},"severity":true,"region":"eu-west-1",` +
			`"service":{"action":{"portProbeAction":{"portProbeDetails":[7]},"networkConnectionAction":"x"}}}}}`,
			summary{Region: "eu-west-1"}},
		{"remote ip of wrong kind keeps the rest", `{"data":{"aws":{"region":"r","service":{"action":{"portProbeAction":{"portProbeDetails":{"remoteIpDetails":5}}}}}}}`,
			summary{Region: "r"}},
		{"severity out of range", `{"data":{"aws":{"severity":1e300}}}`, summary{}},
		{"nulls", `{"id":null,"rule":null,"data":{"aws":null}}`, summary{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := []byte(c.doc)
			if c.doc == "" {
				doc = rdpAlert(t)
			}
			got, err := extract(doc)
			if err != nil {
				t.Fatalf("extract: %v", err)
			}
			if got != c.want {
				t.Errorf("extract =\n%+v\nwant\n%+v", got, c.want)
			}
		})
	}
}

func TestExtractRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"empty":       "",
		"array":       `[{"id":"a"}]`,
		"string":      `"x"`,
		"truncated":   `{"id":"a"`,
		"two objects": `{"id":"a"}{"id":"b"}`,
		"garbage":     "\x00\xff",
	} {
		if _, err := extract([]byte(doc)); err == nil {
			t.Errorf("%s: extract accepted %q", name, doc)
		}
	}
}

func TestSeverityLabel(t *testing.T) {
	for v, want := range map[float64]string{0: "", 1: "Low", 3.9: "Low", 4: "Medium", 6.9: "Medium", 7: "High", 8.9: "High", 9: "Critical", 10: "Critical"} {
		if got := severityLabel(v); got != want {
			t.Errorf("severityLabel(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestTruncate(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"ünïcödé", 4, "ünï…"},
		{"", 1, ""},
	} {
		if got := truncate(c.s, c.n); got != c.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}
