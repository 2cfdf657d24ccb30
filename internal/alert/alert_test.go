package alert

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/rules"
)

func TestAppendHasWazuhShape(t *testing.T) {
	r := &rules.Rule{ID: 100205, Level: 10, Groups: []string{"guardduty", "gd_bruteforce"},
		Compliance: []rules.Compliance{{Framework: "pci_dss", Controls: []string{"10.6.1"}}},
		MITRE:      rules.MITRE{IDs: []string{"T1110", "T9999"}}}
	m := &rules.Match{Rule: r, Description: `SSH brute force on i-1 from "<b>"`, FiredTimes: 3}
	line := NewFormatter("mgr").Append(nil, "abc", time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC), m, []byte(`{"integration":"aws","aws":{"severity":2}}`))
	if !strings.HasSuffix(string(line), "\n") {
		t.Fatal("no newline")
	}
	var got struct {
		Timestamp string `json:"timestamp"`
		Rule      struct {
			Level       int      `json:"level"`
			Description string   `json:"description"`
			ID          string   `json:"id"`
			FiredTimes  int      `json:"firedtimes"`
			Mail        bool     `json:"mail"`
			Groups      []string `json:"groups"`
			PCI         []string `json:"pci_dss"`
			MITRE       struct {
				ID, Tactic, Technique []string
			} `json:"mitre"`
		} `json:"rule"`
		Agent    struct{ ID, Name string }
		ID       string          `json:"id"`
		Data     json.RawMessage `json:"data"`
		Location string          `json:"location"`
	}
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("%v\n%s", err, line)
	}
	r2 := got.Rule
	if r2.Level != 10 || r2.ID != "100205" || r2.FiredTimes != 3 || r2.Description != m.Description ||
		len(r2.Groups) != 2 || len(r2.PCI) != 1 || got.Agent.ID != "000" || got.ID != "abc" || got.Location != "Wazuh-AWS" {
		t.Errorf("alert = %+v", got)
	}
	if len(r2.MITRE.ID) != 1 || r2.MITRE.Technique[0] != "Brute Force" || r2.MITRE.Tactic[0] != "Credential Access" {
		t.Errorf("mitre = %+v; want only the known id with its names", r2.MITRE)
	}
	if string(got.Data) != `{"integration":"aws","aws":{"severity":2}}` {
		t.Errorf("data = %s", got.Data)
	}
	// The key order is analysisd's.
	order := []string{`"timestamp"`, `"rule"`, `"agent"`, `"manager"`, `"id":"abc"`, `"decoder"`, `"data"`, `"location"`}
	last := -1
	for _, k := range order {
		i := strings.Index(string(line), k)
		if i < last {
			t.Errorf("%s out of order in %s", k, line)
		}
		last = i
	}
}

func TestIDIsDeterministic(t *testing.T) {
	if ID("e", 1) != ID("e", 1) || ID("e", 1) == ID("e", 2) || ID("e", 1) == ID("f", 1) {
		t.Error("alert ids must depend on exactly the event and the rule")
	}
}
