package rules

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// gdFinding returns a GuardDuty-shaped message as the aws-s3 wodle sends
// it; set overrides dotted paths under "aws" (nil deletes).
func gdFinding(set map[string]any) map[string]any {
	aws := map[string]any{
		"source": "guardduty", "accountId": "123456789012", "region": "us-east-1",
		"type": "Recon:EC2/PortProbeUnprotectedPort", "severity": 2, "title": "Test finding.",
		"resource": map[string]any{"instanceDetails": map[string]any{"instanceId": "i-1"}},
		"service": map[string]any{
			"archived": false, "resourceRole": "TARGET",
			"action": map[string]any{
				"actionType": "PORT_PROBE",
				"portProbeAction": map[string]any{"portProbeDetails": map[string]any{
					"localPortDetails": map[string]any{"port": 80},
					"remoteIpDetails":  map[string]any{"ipAddressV4": "198.51.100.7"},
				}},
			},
		},
	}
	for path, v := range set {
		parts := strings.Split(path, ".")
		m := aws
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		if v == nil {
			delete(m, parts[len(parts)-1])
		} else {
			m[parts[len(parts)-1]] = v
		}
	}
	return map[string]any{"integration": "aws", "aws": aws}
}

func gdEvent(t testing.TB, set map[string]any) *Event {
	t.Helper()
	return jsonEvent(t, gdFinding(set))
}

func jsonEvent(t testing.TB, v any) *Event {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := DecodeJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	ev.Location = "Wazuh-AWS"
	return ev
}

func TestEval(t *testing.T) {
	rs, _ := loadTestdata(t)
	cases := []struct {
		name  string
		ev    map[string]any // GuardDuty overrides, or a whole message under "raw"
		id    int            // 0: no match
		level int
		desc  string
		alert bool
	}{
		{"low port probe falls through the noalert rule", nil, 100101, 3, "GuardDuty low: Recon:EC2/PortProbeUnprotectedPort.", true},
		{"admin port under a noalert parent",
			map[string]any{"service.action.portProbeAction.portProbeDetails.localPortDetails.port": 22},
			100301, 7, "Admin port 22 probed.", true},
		{"level-0 sibling first", map[string]any{"service.archived": true}, 100110, 0, "Archived finding.", false},
		{"lower child overrides parent (overwritten to 11)", map[string]any{"severity": 8}, 100201, 11, "High finding on a target resource (tuned).", true},
		{"parent when no child matches", map[string]any{"severity": 8, "service.resourceRole": "ACTOR"}, 100103, 10, "GuardDuty high: Recon:EC2/PortProbeUnprotectedPort.", true},
		{"fractional severity and second parent",
			map[string]any{"severity": 5.5, "type": "UnauthorizedAccess:EC2/SSHBruteForce", "service.action.actionType": "NETWORK_CONNECTION",
				"service.action.networkConnectionAction.remoteIpDetails.ipAddressV4": "203.0.113.5"},
			100200, 8, "SSH brute force against i-1 from 203.0.113.5.", true},
		{"if_group child", map[string]any{"service.resourceRole": "ACTOR"}, 100600, 9, "One of our resources acts as the attacker.", true},
		{"CDB list", map[string]any{"accountId": "111111111111"}, 100400, 12, "Finding in critical account 111111111111.", true},
		{"CDB list quoted key", map[string]any{"accountId": "222222222222"}, 100400, 12, "Finding in critical account 222222222222.", true},
		{"match on log and negated field",
			map[string]any{"severity": 5, "region": "eu-west-1", "type": "Discovery:Kubernetes/TorIPCaller", "service.action.actionType": "KUBERNETES_API_CALL"},
			100700, 4, "Kubernetes medium finding outside US regions.", true},
		{"negated field fails",
			map[string]any{"severity": 5, "type": "Discovery:Kubernetes/TorIPCaller", "service.action.actionType": "KUBERNETES_API_CALL"},
			100102, 6, "GuardDuty medium: Discovery:Kubernetes/TorIPCaller.", true},
		{"if_level child tried before the bands", map[string]any{"severity": 8, "service.evidence.threatIntelligenceDetails.threatListName": "ProofPoint"},
			100800, 13, "Threat intel hit on a high finding.", true},
		{"no severity: the level-0 parent", map[string]any{"severity": nil}, 100100, 0, "GuardDuty finding.", false},
		{"if_level also hangs under level-0 roots",
			map[string]any{"raw": map[string]any{"aws": map[string]any{"service": map[string]any{"evidence": map[string]any{"threatIntelligenceDetails": map[string]any{"threatListName": "ProofPoint"}}}}}},
			100800, 13, "Threat intel hit on a high finding.", true},
		{"unrelated JSON", map[string]any{"raw": map[string]any{"integration": "gcp"}}, 0, 0, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ev *Event
			if raw, ok := tc.ev["raw"]; ok {
				ev = jsonEvent(t, raw)
			} else {
				ev = gdEvent(t, tc.ev)
			}
			var tr Trace
			m := rs.NewState().Eval(ev, t0, &tr)
			if tc.id == 0 {
				if m != nil {
					t.Fatalf("matched %d, want no match", m.Rule.ID)
				}
				return
			}
			if m == nil {
				t.Fatalf("no match, want %d\n%s", tc.id, tr.String())
			}
			if m.Rule.ID != tc.id || m.Rule.Level != tc.level || m.Description != tc.desc || m.Alert != tc.alert {
				t.Errorf("got %d level %d %q alert %v, want %d level %d %q alert %v\n%s",
					m.Rule.ID, m.Rule.Level, m.Description, m.Alert, tc.id, tc.level, tc.desc, tc.alert, tr.String())
			}
		})
	}
}

func TestEvalNotJSON(t *testing.T) {
	rs, _ := loadTestdata(t)
	if m := rs.Eval(DecodeLog("stdin", "plain text"), t0, nil); m != nil {
		t.Errorf("plain text matched %d", m.Rule.ID)
	}
}

func TestTrace(t *testing.T) {
	rs, _ := loadTestdata(t)
	var tr Trace
	m := rs.NewState().Eval(gdEvent(t, nil), t0, &tr)
	if m == nil || m.Rule.ID != 100101 {
		t.Fatalf("match %v", m)
	}
	var tried []int
	var notes int
	for _, s := range tr.Steps {
		if s.Note {
			notes++
			continue
		}
		tried = append(tried, s.Rule.ID)
		if !s.Matched && s.Reason == "" {
			t.Errorf("rule %d failed without a reason", s.Rule.ID)
		}
	}
	want := []int{1, 100000, 100100, 100110, 100800, 100400, 100103, 100102, 100300, 100301, 100101, 100500, 100600, 100200}
	if !reflect.DeepEqual(tried, want) || notes != 1 {
		t.Errorf("tried %v (%d notes), want %v", tried, notes, want)
	}
	out := tr.String()
	for _, s := range []string{
		"Trying rule: 100100 - GuardDuty finding.\n      *Rule 100100 matched",
		`no: field aws.service.archived "false" does not match osregex:^true$`,
		"no: field aws.service.evidence.threatIntelligenceDetails.threatListName is not set",
		"rule 100300 is noalert and no child matched",
		`list lists/critical-accounts: aws.accountId "123456789012" fails its lookup`,
		"correlation: 0 of 2 earlier matching events within 600s",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("trace lacks %q:\n%s", s, out)
		}
	}
}

func TestExpandDescription(t *testing.T) {
	ev := jsonEvent(t, map[string]any{"srcip": "10.0.0.1", "a": map[string]any{"B": "x"}, "long": strings.Repeat("z", 1000)})
	cases := []struct{ tmpl, want string }{
		{"plain", "plain"},
		{"ip $(srcip) b $(a.b) c $(A.B)", "ip 10.0.0.1 b x c x"},
		{"missing [$(nope)]", "missing []"},
		{"static names are exact: $(SRCIP)", "static names are exact: "},
		{"open $(srcip", "open $(srcip"},
		{"$(srcip)$(srcip)", "10.0.0.110.0.0.1"},
		{"$(long)$(long)", "$(long)$(long)"},
		{strings.Repeat("y", 23) + "$(long)", strings.Repeat("y", 23) + strings.Repeat("z", 1000)},
		{strings.Repeat("y", 24) + "$(long)", strings.Repeat("y", 24) + "$(long)"}, // 1024 bytes: too long
	}
	for _, tc := range cases {
		if got := parseTemplate(tc.tmpl).expand(&evalCtx{ev: ev}); got != tc.want {
			t.Errorf("expand(%.40q) = %.60q, want %.60q", tc.tmpl, got, tc.want)
		}
	}
}

func TestSplitGroups(t *testing.T) {
	g, c := splitGroups("a,,pci_dss_1,b ,cis_x,gpg13_7,hipaa_1,gdpr_2,tsc_3,nist_800_53_4,pci_dss_5,")
	if !reflect.DeepEqual(g, []string{"a", "b "}) {
		t.Errorf("groups %q", g)
	}
	want := []Compliance{{"pci_dss", []string{"1", "5"}}, {"cis", []string{"x"}}, {"gpg13", []string{"7"}},
		{"hipaa", []string{"1"}}, {"gdpr", []string{"2"}}, {"tsc", []string{"3"}}, {"nist_800_53", []string{"4"}}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("compliance %v", c)
	}
}
