package dedup

import (
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	t0 := time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)
	v := func(min int, count int64, sev float64, actor string) Version {
		return Version{Severity: sev, UpdatedAt: t0.Add(time.Duration(min) * time.Minute), Count: count, Actor: actor, Resource: "i-1"}
	}
	alerted := &State{Latest: v(10, 3, 5, "a"), Alerted: v(0, 1, 5, "a"), HasAlerted: true}
	tests := []struct {
		name   string
		prev   *State
		cur    Version
		opt    Options
		want   Outcome
		reason string
	}{
		{"new finding", nil, v(0, 1, 5, "a"), Options{Policy: Changes}, Alert, "new finding"},
		{"redelivered version", alerted, v(10, 3, 5, "a"), Options{Policy: Changes}, Stale, ""},
		{"older version read late", alerted, v(5, 2, 5, "a"), Options{Policy: Changes}, Stale, ""},
		{"count grows", alerted, v(20, 4, 5, "a"), Options{Policy: Changes}, Update, ""},
		{"severity rises", alerted, v(20, 4, 8, "a"), Options{Policy: Changes}, Alert, "severity rose from 5.0 to 8.0"},
		{"severity falls", alerted, v(20, 4, 2, "a"), Options{Policy: Changes}, Update, ""},
		{"new actor", alerted, v(20, 4, 5, "b"), Options{Policy: Changes}, Alert, "new actor b"},
		{"new actor, escalations only", alerted, v(20, 4, 5, "b"), Options{Policy: Escalations}, Update, ""},
		{"severity rises, escalations", alerted, v(20, 4, 8, "a"), Options{Policy: Escalations}, Alert, ""},
		{"every update", alerted, v(20, 4, 5, "a"), Options{Policy: Every}, Alert, "updated finding"},
		{"first only", alerted, v(20, 4, 9, "b"), Options{Policy: First}, Update, ""},
		{"sample", nil, Version{Sample: true, UpdatedAt: t0}, Options{Policy: Changes}, Update, "sample finding: recorded, not alerted"},
		{"sample allowed", nil, Version{Sample: true, UpdatedAt: t0}, Options{Policy: Changes, AlertSamples: true}, Alert, ""},
		{"archived", nil, Version{Archived: true, UpdatedAt: t0}, Options{Policy: Changes}, Update, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, next := Decide(tt.prev, tt.cur, tt.opt)
			if d.Outcome != tt.want || (tt.reason != "" && d.Reason != tt.reason) {
				t.Fatalf("Decide = %+v; want outcome %v reason %q", d, tt.want, tt.reason)
			}
			if d.Outcome != Stale && next.Latest != tt.cur {
				t.Errorf("state not moved to the new version: %+v", next)
			}
			if d.Outcome == Alert && (!next.HasAlerted || next.Alerted != tt.cur) {
				t.Errorf("alerted version not recorded: %+v", next)
			}
		})
	}
}

func TestFiveReExportsOneAlertThenEscalation(t *testing.T) {
	t0 := time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)
	var st *State
	alerts := 0
	for i := range 5 {
		d, next := Decide(st, Version{Severity: 5, UpdatedAt: t0.Add(time.Duration(i) * time.Hour), Count: int64(i + 1), Actor: "a"}, Options{Policy: Changes})
		if d.Outcome == Alert {
			alerts++
		}
		st = &next
	}
	if alerts != 1 || st.Latest.Count != 5 {
		t.Fatalf("five re-exports gave %d alerts, latest count %d; want 1 alert, count 5", alerts, st.Latest.Count)
	}
	if d, _ := Decide(st, Version{Severity: 8, UpdatedAt: t0.Add(6 * time.Hour), Count: 6, Actor: "a"}, Options{Policy: Changes}); d.Outcome != Alert {
		t.Errorf("a severity rise gave %+v; want a second alert", d)
	}
}

func TestParsePolicy(t *testing.T) {
	for _, s := range []string{"", "changes", "escalations", "every", "first"} {
		if _, err := ParsePolicy(s); err != nil {
			t.Errorf("ParsePolicy(%q): %v", s, err)
		}
	}
	if _, err := ParsePolicy("sometimes"); err == nil {
		t.Error("ParsePolicy accepted an unknown policy")
	}
}
