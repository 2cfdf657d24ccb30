package rules

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// timed is one event of a stream and the manager clock it is evaluated at.
type timed struct {
	at time.Time
	ev *Event
}

// matchSummary is everything of a Match that state can influence.
func matchSummary(m *Match) string {
	if m == nil {
		return "no match"
	}
	ignored := 0
	if m.Ignored != nil {
		ignored = m.Ignored.ID
	}
	return fmt.Sprintf("rule %d level %d alert %v mail %v frequency %d fired %d ignored %d description %q previous %q",
		m.Rule.ID, m.Rule.Level, m.Alert, m.Mail, m.Frequency, m.FiredTimes, ignored, m.Description, m.PreviousOutput)
}

// checkSnapshotAt runs stream[:cut] through a State, restores its snapshot
// into a second State and feeds stream[cut:] to both: every result must be
// the same, and so must the two States' snapshots at the end. It returns
// the number of correlation matches after the cut.
func checkSnapshotAt(t testing.TB, rs *Ruleset, stream []timed, cut int) int {
	t.Helper()
	a := rs.NewState()
	for _, s := range stream[:cut] {
		a.Eval(s.ev, s.at, nil)
	}
	data, err := a.MarshalBinary()
	if err != nil {
		t.Fatalf("cut %d: marshal: %v", cut, err)
	}
	b, err := rs.RestoreState(data)
	if err != nil {
		t.Fatalf("cut %d: restore: %v", cut, err)
	}
	if again, _ := b.MarshalBinary(); !bytes.Equal(again, data) {
		t.Fatalf("cut %d: the restored State marshals to other bytes (%d, want %d)", cut, len(again), len(data))
	}
	sameState(t, a, b)
	corr := 0
	for i, s := range stream[cut:] {
		ma, mb := a.Eval(s.ev, s.at, nil), b.Eval(s.ev, s.at, nil)
		if sa, sb := matchSummary(ma), matchSummary(mb); sa != sb {
			t.Fatalf("cut %d, event %d: original %s\nrestored %s", cut, cut+i, sa, sb)
		}
		if ma != nil && ma.Frequency > 0 {
			corr++
		}
	}
	da, _ := a.MarshalBinary()
	db, _ := b.MarshalBinary()
	if !bytes.Equal(da, db) {
		t.Fatalf("cut %d: final snapshots differ", cut)
	}
	sameState(t, a, b)
	return corr
}

// sameState compares two States field by field: counters, list contents,
// the sharing of stored events between lists, and the same_field buckets'
// live entries.
func sameState(t testing.TB, a, b *State) {
	t.Helper()
	if a.hour != b.hour || !reflect.DeepEqual(a.fired, b.fired) || !reflect.DeepEqual(a.ignoredAt, b.ignoredAt) {
		t.Fatalf("counters differ: hour %d/%d fired %v/%v", a.hour, b.hour, a.fired, b.fired)
	}
	fwd, back := map[*stored]*stored{}, map[*stored]*stored{}
	logs := a.rs.readsStoredLogs()
	pair := func(where string, x, y *stored) {
		if fx, ok := fwd[x]; ok && fx != y || back[y] != nil && back[y] != x {
			t.Fatalf("%s: stored events are shared differently", where)
		}
		fwd[x], back[y] = y, x
		if x.at != y.at || x.agent != y.agent || x.location != y.location || logs && x.log != y.log || x.matched != y.matched ||
			x.present != y.present || x.fields != y.fields || !reflect.DeepEqual(x.vals, y.vals) ||
			(x.static == nil) != (y.static == nil) || x.static != nil && *x.static != *y.static {
			t.Fatalf("%s: stored events differ:\n%+v\n%+v", where, *x, *y)
		}
	}
	for i, la := range a.lists {
		lb := b.lists[i]
		if la.len() != lb.len() {
			t.Fatalf("list %d: %d items, restored %d", i, la.len(), lb.len())
		}
		for j := range la.len() {
			pair(fmt.Sprintf("list %d item %d", i, j), la.at(j), lb.at(j))
		}
		for k, ix := range la.indexes {
			live := func(l *eventList, bk *bucket) []*stored {
				var out []*stored
				for _, r := range bk.items[bk.head:] {
					if r.seq >= l.oldestSeq() {
						out = append(out, r.e)
					}
				}
				return out
			}
			for key, bk := range ix.buckets {
				ea := live(la, bk)
				var eb []*stored
				if bb := lb.indexes[k].buckets[key]; bb != nil {
					eb = live(lb, bb)
				}
				if len(ea) != len(eb) {
					t.Fatalf("list %d index %d key %q: %d live entries, restored %d", i, k, key, len(ea), len(eb))
				}
				for n := range ea {
					if fwd[ea[n]] != eb[n] {
						t.Fatalf("list %d index %d key %q: entry %d differs", i, k, key, n)
					}
				}
			}
		}
	}
}

// stepStream turns runSteps' steps into a stream.
func stepStream(steps []step) []timed {
	out := make([]timed, len(steps))
	for i, s := range steps {
		out[i] = timed{t0.Add(s.after), s.ev}
	}
	return out
}

// xorshift is a deterministic random source: no clocks in tests.
type xorshift uint64

func (x *xorshift) intn(n int) int {
	*x ^= *x << 13
	*x ^= *x >> 7
	*x ^= *x << 17
	return int(uint64(*x) % uint64(n))
}

// randomGuardDuty is a stream over the testdata rules: several severities,
// instances, accounts, roles and agents, so frequency, same_field,
// different_field, if_matched_group and ignore rules all fire.
func randomGuardDuty(t testing.TB, n int, seed xorshift) []timed {
	now := t0
	var out []timed
	for range n {
		set := map[string]any{
			"severity":                            []any{2, 3, 5, 8}[seed.intn(4)],
			"resource.instanceDetails.instanceId": fmt.Sprintf("i-%d", seed.intn(4)),
			"accountId":                           fmt.Sprintf("%012d", seed.intn(3)),
			"service.resourceRole":                []string{"TARGET", "ACTOR"}[seed.intn(2)],
			"type":                                []string{"Recon:EC2/PortProbeUnprotectedPort", "Recon:EC2/Portscan"}[seed.intn(2)],
			"service.action.actionType":           []string{"PORT_PROBE", "NETWORK_CONNECTION"}[seed.intn(2)],
		}
		if seed.intn(10) == 0 {
			set["resource"] = nil
		}
		ev := gdEvent(t, set)
		if seed.intn(7) == 0 {
			ev.AgentID = "001"
		}
		now = now.Add(time.Duration(seed.intn(40)) * time.Second)
		if seed.intn(200) == 0 {
			now = now.Add(time.Hour) // firedtimes reset
		}
		out = append(out, timed{now, ev})
	}
	return out
}

func TestSnapshotEquivalence(t *testing.T) {
	rs, _ := loadTestdata(t)
	corrRS := loadCorrelationXML(t, 0)
	small := loadCorrelationXML(t, 5)
	cases := []struct {
		name   string
		rs     *Ruleset
		stream []timed
	}{
		{"guardduty testdata", rs, randomGuardDuty(t, 1500, 1)},
		{"guardduty testdata, other seed", rs, randomGuardDuty(t, 1500, 99)},
		{"static fields and if_matched_regex", corrRS, randomStatic(t, 1500, 7)},
		{"lists past their cap", small, randomStatic(t, 800, 3)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			seed := xorshift(42)
			cuts := []int{0, 1, len(tc.stream) / 2, len(tc.stream)}
			for range 6 {
				cuts = append(cuts, seed.intn(len(tc.stream)))
			}
			corr := 0
			for _, cut := range cuts {
				corr += checkSnapshotAt(t, tc.rs, tc.stream, cut)
			}
			if corr == 0 {
				t.Errorf("no correlation rule fired after a cut: the test proves little")
			}
		})
	}
}

func loadCorrelationXML(t testing.TB, maxPerList int) *Ruleset {
	t.Helper()
	l := Loader{MaxEventsPerList: maxPerList}
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
	return rs
}

// randomStatic is a stream over correlationXML: same_source_ip,
// if_matched_regex and different_srcip with global_frequency.
func randomStatic(t testing.TB, n int, seed xorshift) []timed {
	now := t0
	var out []timed
	for range n {
		e := jsonEvent(t, map[string]any{
			"kind":  []string{"fail", "login", "sudo", "scan", "other"}[seed.intn(5)],
			"srcip": fmt.Sprintf("10.0.0.%d", seed.intn(3)),
			"user":  []string{"bob", "alice"}[seed.intn(2)],
		})
		e.AgentID = fmt.Sprintf("%03d", seed.intn(3))
		now = now.Add(time.Duration(seed.intn(20)) * time.Second)
		out = append(out, timed{now, e})
	}
	return out
}

func TestSnapshotFiredTimesAndIgnore(t *testing.T) {
	rs, _ := loadTestdata(t)
	recon := gdEvent(t, map[string]any{"severity": 5, "type": "Recon:EC2/Portscan", "service.action.actionType": "NETWORK_CONNECTION"})
	probe := gdEvent(t, map[string]any{"service.action.portProbeAction.portProbeDetails.localPortDetails.port": 22})
	var stream []timed
	for _, at := range []time.Duration{0, 10 * time.Second, 30 * time.Second, 59 * time.Minute, 59*time.Minute + 30*time.Second,
		61 * time.Minute, 61*time.Minute + 10*time.Second, 62 * time.Minute, 3 * time.Hour} {
		stream = append(stream, timed{t0.Add(at), recon}, timed{t0.Add(at), probe})
	}
	for cut := range len(stream) + 1 {
		checkSnapshotAt(t, rs, stream, cut)
	}
	st := rs.NewState()
	for _, s := range stream[:6] {
		st.Eval(s.ev, s.at, nil)
	}
	data, _ := st.MarshalBinary()
	back, err := rs.RestoreState(data)
	if err != nil {
		t.Fatal(err)
	}
	if back.FiredTimes(100301) != 3 || back.ignoredAt[rs.Rule(100900).index] != t0.Unix() {
		t.Errorf("restored firedtimes %d, ignore window from %d", back.FiredTimes(100301), back.ignoredAt[rs.Rule(100900).index])
	}
}

// TestSnapshotSharedEvent: correlationXML keeps rule 400's events both in
// 401's list and in the last-events list of if_matched_regex.
func TestSnapshotSharedEvent(t *testing.T) {
	rs := loadCorrelationXML(t, 0)
	st := rs.NewState()
	for _, s := range randomStatic(t, 300, 5) {
		st.Eval(s.ev, s.at, nil)
	}
	seen := map[*stored]int{}
	for _, l := range st.lists {
		for i := range l.len() {
			seen[l.at(i)]++
		}
	}
	shared := 0
	for _, n := range seen {
		if n > 1 {
			shared++
		}
	}
	if shared == 0 {
		t.Fatal("no event sits in two lists: the test proves nothing")
	}
	data, _ := st.MarshalBinary()
	back, err := rs.RestoreState(data)
	if err != nil {
		t.Fatal(err)
	}
	sameState(t, st, back) // checks the sharing
	if len(data) > 300*len(`{"kind":"login","srcip":"10.0.0.1","user":"alice"}`) {
		t.Errorf("snapshot of %d bytes for 300 events: shared events written twice?", len(data))
	}
}

func TestRestoreStateMismatch(t *testing.T) {
	rs, _ := loadTestdata(t)
	st := rs.NewState()
	for _, s := range randomGuardDuty(t, 50, 1) {
		st.Eval(s.ev, s.at, nil)
	}
	data, _ := st.MarshalBinary()
	timeframe := strings.Replace(correlationXML, `timeframe="60"`, `timeframe="61"`, 1)
	sameField := strings.Replace(correlationXML, `<same_source_ip />`, `<same_field>user</same_field>`, 1)
	extraRule := strings.Replace(correlationXML, `</group>`, `<rule id="430" level="3"><decoded_as>json</decoded_as><description>x</description></rule></group>`, 1)
	wording := strings.Replace(correlationXML, `Failures from`, `Repeated failures from`, 1)
	base := loadXML(t, "rules.xml", correlationXML)
	corr, _ := base.NewState().MarshalBinary()
	version := bytes.Clone(corr)
	version[len(snapshotMagic)] = snapshotVersion + 1
	cases := []struct {
		name     string
		rs       *Ruleset
		data     []byte
		mismatch bool
	}{
		{"another ruleset", base, data, true},
		{"a timeframe changed", loadXML(t, "rules.xml", timeframe), corr, true},
		{"same_field added", loadXML(t, "rules.xml", sameField), corr, true},
		{"a rule added", loadXML(t, "rules.xml", extraRule), corr, true},
		{"newer format", base, version, true},
		{"only a description changed", loadXML(t, "rules.xml", wording), corr, false},
		{"the same rules loaded again", loadXML(t, "rules.xml", correlationXML), corr, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.rs.RestoreState(tc.data)
			if got := errors.Is(err, ErrStateMismatch); got != tc.mismatch {
				t.Errorf("error %v, want mismatch %v", err, tc.mismatch)
			}
		})
	}
}

func TestRestoreStateCorrupt(t *testing.T) {
	rs, _ := loadTestdata(t)
	st := rs.NewState()
	for _, s := range randomGuardDuty(t, 200, 3) {
		st.Eval(s.ev, s.at, nil)
	}
	data, _ := st.MarshalBinary()
	for n := range len(data) {
		if _, err := rs.RestoreState(data[:n]); err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", n, len(data))
		}
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a rule state snapshot"},
		{"other magic", append([]byte("XXXX"), data[4:]...), "not a rule state snapshot"},
		{"trailing bytes", append(bytes.Clone(data), 0), "bytes after the snapshot"},
		{"huge count", append(bytes.Clone(data[:headerLen]), 0, 0xff, 0xff, 0xff, 0xff, 0x0f), "exceeds the bytes left"},
		{"overlong varint", append(bytes.Clone(data[:headerLen]), bytes.Repeat([]byte{0x80}, 11)...), "varint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rs.RestoreState(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrStateMismatch) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	// Every single-byte change must give an error or a usable State.
	for i := headerLen; i < len(data); i++ {
		bad := bytes.Clone(data)
		bad[i] ^= 0x5a
		if st, err := rs.RestoreState(bad); err == nil {
			st.Eval(gdEvent(t, nil), t0, nil)
		}
	}
}

// changedXML has a correlation rule (501) whose walk ends without a
// final rule: both it and its parent are noalert, yet its search consumes
// an earlier event.
const changedXML = `<group name="grpa,">
  <rule id="500" level="3">
    <decoded_as>json</decoded_as>
    <field name="kind">^a$</field>
    <description>a</description>
  </rule>
</group>
<group name="other,">
  <rule id="510" level="2" noalert="1">
    <decoded_as>json</decoded_as>
    <field name="kind">^b$</field>
    <description>b</description>
  </rule>
  <rule id="501" level="5" noalert="1" frequency="3" timeframe="60">
    <if_sid>510</if_sid>
    <if_matched_group>grpa</if_matched_group>
    <description>b after a</description>
  </rule>
</group>`

func TestStateChanged(t *testing.T) {
	rs := loadXML(t, "rules.xml", changedXML)
	ev := func(kind string) *Event { return jsonEvent(t, map[string]any{"kind": kind}) }
	st := rs.NewState()
	check := func(step string, want bool) {
		t.Helper()
		if st.Changed() != want {
			t.Fatalf("%s: Changed %v, want %v", step, st.Changed(), want)
		}
	}
	check("new state", false)
	if m := st.Eval(ev("none"), t0, nil); m != nil {
		t.Fatalf("unexpected match %s", matchSummary(m))
	}
	check("an event no rule matched", false)
	st.Eval(ev("a"), t0, nil)
	check("a match", true)
	st.Eval(ev("a"), t0, nil)
	if _, err := st.MarshalBinary(); err != nil {
		t.Fatal(err)
	}
	check("after MarshalBinary", true)
	st.ClearChanged()
	check("after ClearChanged", false)
	if m := st.Eval(ev("b"), t0.Add(time.Second), nil); m != nil {
		t.Fatalf("noalert correlation rule reported: %s", matchSummary(m))
	}
	check("a correlation consumed an event, no rule reported", true)
	if st.lists[0].at(1).matched != 5 { // the newest counted one
		t.Fatalf("the earlier event was not consumed")
	}
	data, _ := st.MarshalBinary()
	st, _ = rs.RestoreState(data)
	check("restored", false)
	st.Eval(ev("none"), t0.Add(2*time.Second), nil)
	check("an event no rule matched, same hour", false)
	st.Eval(ev("none"), t0.Add(2*time.Hour), nil)
	check("next hour: firedtimes reset", true)
	st.ClearChanged()
	st.Eval(ev("none"), t0.Add(5*time.Hour), nil)
	check("next hour again, counters already zero", false)
}

// FuzzRestoreState restores arbitrary bytes on two rulesets (one with
// same_field/different_field values, one with static fields and a shared
// last-events list): it must fail cleanly or give a State that evaluates
// and marshals to a snapshot that restores to the same bytes.
func FuzzRestoreState(f *testing.F) {
	gd, _ := loadTestdata(f)
	corr := loadCorrelationXML(f, 0)
	for _, seed := range []struct {
		rs     *Ruleset
		stream []timed
	}{{gd, randomGuardDuty(f, 12, 2)}, {corr, randomStatic(f, 30, 4)}, {corr, nil}} {
		st := seed.rs.NewState()
		for _, s := range seed.stream {
			st.Eval(s.ev, s.at, nil)
		}
		data, err := st.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	events := append([]*Event{gdEvent(f, nil)}, randomStatic(f, 5, 9)[0].ev, randomStatic(f, 5, 10)[0].ev)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, rs := range []*Ruleset{gd, corr} {
			st, err := rs.RestoreState(data)
			if err != nil {
				continue
			}
			again, err := st.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			back, err := rs.RestoreState(again)
			if err != nil {
				t.Fatalf("restore a restored State's snapshot: %v", err)
			}
			if third, _ := back.MarshalBinary(); !bytes.Equal(third, again) {
				t.Fatalf("snapshot not stable across restores")
			}
			for i, ev := range events {
				st.Eval(ev, t0.Add(time.Duration(i)*time.Second), nil)
			}
		}
	})
}
