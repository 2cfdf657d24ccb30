package rules

import (
	"fmt"
	"testing"
	"time"
)

type step struct {
	after time.Duration // since t0
	ev    *Event
	id    int // expected rule, 0 for none
}

func runSteps(t *testing.T, st *State, steps []step) []*Match {
	t.Helper()
	out := make([]*Match, len(steps))
	for i, s := range steps {
		var tr Trace
		m := st.Eval(s.ev, t0.Add(s.after), &tr)
		got := 0
		if m != nil {
			got = m.Rule.ID
		}
		if got != s.id {
			t.Fatalf("step %d at +%v: rule %d, want %d\n%s", i, s.after, got, s.id, tr.String())
		}
		out[i] = m
	}
	for cut := range len(steps) + 1 { // a snapshot at any point changes nothing
		checkSnapshotAt(t, st.rs, stepStream(steps), cut)
	}
	return out
}

func TestCorrelationSameField(t *testing.T) {
	rs, _ := loadTestdata(t)
	low := func(inst string) *Event {
		return gdEvent(t, map[string]any{"resource.instanceDetails.instanceId": inst, "service.action.actionType": "NETWORK_CONNECTION"})
	}
	ms := runSteps(t, rs.NewState(), []step{
		{0, low("i-1"), 100101},
		{10 * time.Second, low("i-2"), 100101}, // another instance: not counted
		{20 * time.Second, low("i-1"), 100101},
		{30 * time.Second, low("i-1"), 100500}, // third on i-1 fires
		{40 * time.Second, low("i-1"), 100101}, // the newest counted event is consumed: the search stops there
		{50 * time.Second, low("i-1"), 100101},
		{60 * time.Second, low("i-1"), 100500}, // two fresh ones since
	})
	m := ms[3]
	if m.Frequency != 3 || m.Rule.Level != 12 || m.Description != "Repeated low findings on i-1." {
		t.Errorf("correlation match %+v", m)
	}
	if len(m.PreviousOutput) != 2 || m.PreviousOutput[0] != low("i-1").Log {
		t.Errorf("previous output %q", m.PreviousOutput)
	}
	if ms[0].Frequency != 0 || ms[0].PreviousOutput != nil {
		t.Errorf("plain match has correlation data: %+v", ms[0])
	}
}

func TestCorrelationTimeframeAndAgent(t *testing.T) {
	rs, _ := loadTestdata(t)
	low := gdEvent(t, nil)
	other := gdEvent(t, nil)
	other.AgentID = "001"
	runSteps(t, rs.NewState(), []step{
		{0, low, 100101},
		{10 * time.Second, low, 100101},
		{611 * time.Second, low, 100101}, // the first is now 611 s old, the second 601 s: window is 600 s
		{620 * time.Second, other, 100101},
		{630 * time.Second, other, 100101}, // 001 has one earlier event only
		{640 * time.Second, low, 100101},   // 000: only the one at 611 (001's events do not count)
		{650 * time.Second, low, 100500},   // 000: 640 and 611
	})
}

func TestCorrelationIfMatchedGroup(t *testing.T) {
	rs, _ := loadTestdata(t)
	high := func(account string) *Event {
		return gdEvent(t, map[string]any{"severity": 8, "service.resourceRole": "ACTOR", "accountId": account})
	}
	ms := runSteps(t, rs.NewState(), []step{
		{0, high("333333333333"), 100103},
		{5 * time.Second, high("333333333333"), 100103}, // different_field: same account does not count
		{10 * time.Second, high("444444444444"), 101000},
	})
	if ms[2].Description != "High findings in two accounts." || ms[2].Frequency != 2 {
		t.Errorf("match %+v", ms[2])
	}
}

func TestIgnoreWindow(t *testing.T) {
	rs, _ := loadTestdata(t)
	recon := gdEvent(t, map[string]any{"severity": 5, "type": "Recon:EC2/Portscan", "service.action.actionType": "NETWORK_CONNECTION"})
	ms := runSteps(t, rs.NewState(), []step{
		{0, recon, 100900},
		{10 * time.Second, recon, 100102}, // inside ignore=60: the parent is reported
		{59 * time.Second, recon, 100102},
		{61 * time.Second, recon, 100900},
		{70 * time.Second, recon, 100102},
	})
	if ms[1].Ignored == nil || ms[1].Ignored.ID != 100900 || ms[1].Description != "GuardDuty medium: Recon:EC2/Portscan." {
		t.Errorf("ignored match %+v", ms[1])
	}
	if ms[1].FiredTimes != 2 {
		t.Errorf("firedtimes of the ignored rule = %d, want 2 (analysisd reports the child's count)", ms[1].FiredTimes)
	}
}

func TestFiredTimes(t *testing.T) {
	rs, _ := loadTestdata(t)
	st := rs.NewState()
	ev := gdEvent(t, map[string]any{"service.action.portProbeAction.portProbeDetails.localPortDetails.port": 22})
	var got []int
	for _, at := range []time.Duration{0, time.Minute, 59 * time.Minute, 61 * time.Minute} {
		got = append(got, st.Eval(ev, t0.Add(at), nil).FiredTimes)
	}
	if fmt.Sprint(got) != "[1 2 3 1]" {
		t.Errorf("firedtimes %v, want [1 2 3 1] (reset at the hour)", got)
	}
	if st.FiredTimes(100301) != 1 || st.FiredTimes(424242) != 0 {
		t.Errorf("State.FiredTimes = %d", st.FiredTimes(100301))
	}
}

const correlationXML = `<group name="corr,">
  <rule id="400" level="3">
    <decoded_as>json</decoded_as>
    <field name="kind">^fail$</field>
    <description>Failure from $(srcip).</description>
  </rule>
  <rule id="401" level="10" frequency="3" timeframe="60">
    <if_matched_sid>400</if_matched_sid>
    <same_source_ip />
    <description>Failures from $(srcip).</description>
  </rule>
  <rule id="410" level="3">
    <decoded_as>json</decoded_as>
    <field name="kind">^login$</field>
    <description>Login.</description>
  </rule>
  <rule id="411" level="8" frequency="2" timeframe="60">
    <if_matched_regex>"user":"bob"</if_matched_regex>
    <field name="kind">^sudo$</field>
    <description>Sudo after a login by bob.</description>
  </rule>
  <rule id="420" level="3">
    <decoded_as>json</decoded_as>
    <field name="kind">^scan$</field>
    <description>Scan.</description>
  </rule>
  <rule id="421" level="9" frequency="2" timeframe="60">
    <if_matched_sid>420</if_matched_sid>
    <different_srcip />
    <global_frequency />
    <description>Scans from two sources.</description>
  </rule>
</group>`

func TestCorrelationStatic(t *testing.T) {
	var l Loader
	if err := l.AddCategoryRoots(); err != nil {
		t.Fatal(err)
	}
	if err := l.LoadFile("corr.xml", []byte(correlationXML)); err != nil {
		t.Fatal(err)
	}
	rs, err := l.Ruleset()
	if err != nil {
		t.Fatal(err)
	}
	ev := func(kind, src, user, agent string) *Event {
		e := jsonEvent(t, map[string]any{"kind": kind, "srcip": src, "user": user})
		e.AgentID = agent
		return e
	}
	t.Run("same_source_ip", func(t *testing.T) {
		ms := runSteps(t, rs.NewState(), []step{
			{0, ev("fail", "1.1.1.1", "a", "000"), 400},
			{1 * time.Second, ev("fail", "2.2.2.2", "a", "000"), 400},
			{2 * time.Second, ev("fail", "1.1.1.1", "a", "000"), 400},
			{3 * time.Second, ev("fail", "1.1.1.1", "a", "000"), 401},
		})
		if ms[3].Description != "Failures from 1.1.1.1." {
			t.Errorf("description %q", ms[3].Description)
		}
	})
	t.Run("if_matched_regex on earlier logs", func(t *testing.T) {
		runSteps(t, rs.NewState(), []step{
			{0, ev("sudo", "1.1.1.1", "bob", "000"), 0},
			{1 * time.Second, ev("login", "1.1.1.1", "alice", "000"), 410},
			{2 * time.Second, ev("sudo", "1.1.1.1", "x", "000"), 0},
			{3 * time.Second, ev("login", "1.1.1.1", "bob", "000"), 410},
			{4 * time.Second, ev("sudo", "1.1.1.1", "x", "000"), 411},
		})
	})
	t.Run("different_srcip across agents", func(t *testing.T) {
		runSteps(t, rs.NewState(), []step{
			{0, ev("scan", "1.1.1.1", "a", "001"), 420},
			{1 * time.Second, ev("scan", "1.1.1.1", "a", "002"), 420}, // same source
			{2 * time.Second, ev("scan", "3.3.3.3", "a", "003"), 421}, // global_frequency: other agents count
		})
	})
}

func TestCorrelationMemoryBound(t *testing.T) {
	l := Loader{MaxEventsPerList: 5}
	if err := l.AddCategoryRoots(); err != nil {
		t.Fatal(err)
	}
	if err := l.LoadFile("corr.xml", []byte(correlationXML)); err != nil {
		t.Fatal(err)
	}
	rs, err := l.Ruleset()
	if err != nil {
		t.Fatal(err)
	}
	st := rs.NewState()
	list := st.lists[rs.Rule(400).w.sidList]
	for i := 0; i < 200; i++ {
		e := jsonEvent(t, map[string]any{"kind": "fail", "srcip": fmt.Sprintf("10.0.0.%d", i)})
		st.Eval(e, t0.Add(time.Duration(i)*time.Millisecond), nil)
		if list.len() > 5 || len(list.items) > 200 {
			t.Fatalf("list grew to %d (%d slots)", list.len(), len(list.items))
		}
	}
	// Entries older than the longest timeframe (60 s) are dropped.
	st.Eval(jsonEvent(t, map[string]any{"kind": "fail", "srcip": "9.9.9.9"}), t0.Add(time.Hour), nil)
	if list.len() != 1 {
		t.Errorf("after an hour the list holds %d events, want 1", list.len())
	}
	if g := st.lists[rs.Rule(411).w.searchList]; g.len() > 5 {
		t.Errorf("last-events list holds %d", g.len())
	}
}

// TestSameFieldIndex checks that the same_field index gives the results of
// a plain walk of the list, on a random stream of events.
func TestSameFieldIndex(t *testing.T) {
	rs, _ := loadTestdata(t)
	indexed, plain := rs.NewState(), rs.NewState()
	for _, l := range plain.lists {
		l.indexes = nil
	}
	seed := uint64(1)
	rnd := func(n int) int { // xorshift: deterministic, no sleeps or clocks
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return int(seed % uint64(n))
	}
	now := t0
	fired := 0
	for i := 0; i < 3000; i++ {
		set := map[string]any{
			"severity":                            []any{2, 3, 8}[rnd(3)],
			"resource.instanceDetails.instanceId": fmt.Sprintf("i-%d", rnd(4)),
			"accountId":                           fmt.Sprintf("%012d", rnd(3)),
			"service.resourceRole":                []string{"TARGET", "ACTOR"}[rnd(2)],
		}
		if rnd(10) == 0 {
			set["resource"] = nil // no instance id: never qualifies
		}
		ev := gdEvent(t, set)
		if rnd(7) == 0 {
			ev.AgentID = "001"
		}
		now = now.Add(time.Duration(rnd(30)) * time.Second)
		a, b := indexed.Eval(ev, now, nil), plain.Eval(ev, now, nil)
		if (a == nil) != (b == nil) || a != nil && (a.Rule.ID != b.Rule.ID || len(a.PreviousOutput) != len(b.PreviousOutput)) {
			t.Fatalf("event %d: indexed %v, plain %v", i, a, b)
		}
		if a != nil && a.Rule.ID == 100500 {
			fired++
		}
	}
	if fired == 0 {
		t.Errorf("the same_field rule never fired; the test proves nothing")
	}
	for _, l := range indexed.lists {
		for _, ix := range l.indexes {
			if len(ix.buckets) > 4 {
				t.Errorf("index keeps %d buckets for 4 instances", len(ix.buckets))
			}
		}
	}
}

// TestConcurrentStates shares one Ruleset between goroutines, each with
// its own State (run with -race).
func TestConcurrentStates(t *testing.T) {
	rs, _ := loadTestdata(t)
	events := []*Event{gdEvent(t, nil), gdEvent(t, map[string]any{"severity": 8}), gdEvent(t, map[string]any{"severity": 5.5})}
	done := make(chan int)
	for g := 0; g < 4; g++ {
		go func() {
			st := rs.NewState()
			n := 0
			for i := 0; i < 200; i++ {
				if m := st.Eval(events[i%len(events)], t0.Add(time.Duration(i)*time.Second), nil); m != nil {
					n++
				}
			}
			done <- n
		}()
	}
	for g := 0; g < 4; g++ {
		if n := <-done; n != 200 {
			t.Errorf("goroutine matched %d of 200", n)
		}
	}
}
