package ruleset

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/internal/rules"
)

// timed is one event of a stream and the manager clock it is evaluated at.
type timed struct {
	at time.Time
	ev *rules.Event
}

// corpus returns the events of the first n generated findings (every
// finding type, derived fields included), as BenchmarkEvalBuiltin uses.
func corpus(t testing.TB, n int) []*rules.Event {
	t.Helper()
	var events []*rules.Event
	g := generator.DefaultConfig()
	for i := range n {
		raw, err := g.Finding(i)
		if err != nil {
			t.Fatal(err)
		}
		_, lines := findingEvents(t, raw)
		for _, l := range lines {
			events = append(events, decode(t, l))
		}
	}
	return events
}

// spaced evaluates events every step, cycling through them n times over.
func spaced(events []*rules.Event, n int, step time.Duration) []timed {
	out := make([]timed, n)
	for i := range out {
		out[i] = timed{testNow.Add(time.Duration(i) * step), events[i%len(events)]}
	}
	return out
}

func summary(m *rules.Match) string {
	if m == nil {
		return "no match"
	}
	ignored := 0
	if m.Ignored != nil {
		ignored = m.Ignored.ID
	}
	return fmt.Sprintf("rule %d level %d alert %v frequency %d fired %d ignored %d description %q previous %d",
		m.Rule.ID, m.Rule.Level, m.Alert, m.Frequency, m.FiredTimes, ignored, m.Description, len(m.PreviousOutput))
}

// snapshotAt runs stream[:cut] through a State, restores its snapshot into
// a second one and feeds stream[cut:] to both, comparing every result and
// the final snapshots. It returns the correlation matches after the cut.
func snapshotAt(t *testing.T, rs *rules.Ruleset, stream []timed, cut int) int {
	t.Helper()
	a := rs.NewState()
	for _, s := range stream[:cut] {
		a.Eval(s.ev, s.at, nil)
	}
	data, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b, err := rs.RestoreState(data)
	if err != nil {
		t.Fatalf("cut %d: restore: %v", cut, err)
	}
	corr := 0
	for i, s := range stream[cut:] {
		ma, mb := a.Eval(s.ev, s.at, nil), b.Eval(s.ev, s.at, nil)
		if sa, sb := summary(ma), summary(mb); sa != sb {
			t.Fatalf("cut %d, event %d: original %s\nrestored %s", cut, cut+i, sa, sb)
		}
		if ma != nil && ma.Frequency > 0 {
			corr++
		}
	}
	da, _ := a.MarshalBinary()
	db, _ := b.MarshalBinary()
	if !bytes.Equal(da, db) {
		t.Fatalf("cut %d: final snapshots differ (%d and %d bytes)", cut, len(da), len(db))
	}
	return corr
}

// TestSnapshotBuiltin checks that a snapshot taken anywhere in a stream of
// generated findings, restored, gives the results the original State
// gives, including the compromise correlation rules 200950 and 200951.
func TestSnapshotBuiltin(t *testing.T) {
	rs := newRuleset(t)
	stream := spaced(corpus(t, 300), 1500, 2*time.Minute) // about two days: correlations leave the 24 h window
	corr := 0
	for _, cut := range []int{0, 1, 97, 400, 750, 1111, 1499} {
		corr += snapshotAt(t, rs, stream, cut)
	}
	if corr == 0 {
		t.Fatal("no correlation rule fired after a cut: the test proves little")
	}
	// No built-in rule can read a stored event's log (no if_matched_regex,
	// no frequency above 2), so snapshots leave the logs out.
	st := rs.NewState()
	for _, s := range stream {
		st.Eval(s.ev, s.at, nil)
	}
	if data, _ := st.MarshalBinary(); len(data) > 64<<10 {
		t.Errorf("snapshot of %d bytes: stored logs written?", len(data))
	}

	t.Run("compromise story", func(t *testing.T) {
		ids := instances(t, 2)
		var story []timed
		now := testNow
		for _, s := range []struct {
			typ      string
			instance int
		}{
			{"Backdoor:EC2/C&CActivity.B!DNS", 0}, {"Backdoor:EC2/C&CActivity.B!DNS", 1},
			{"CryptoCurrency:EC2/BitcoinTool.B!DNS", 1}, {"CryptoCurrency:EC2/BitcoinTool.B!DNS", 0},
			{"UnauthorizedAccess:EC2/TorClient", 1}, {"Trojan:EC2/DNSDataExfiltration", 0},
			{"UnauthorizedAccess:EC2/TorClient", 0},
		} {
			now = now.Add(time.Hour)
			story = append(story, timed{now, decode(t, onInstance(t, s.typ, ids[s.instance]))})
		}
		fired := 0
		for cut := range len(story) + 1 {
			fired += snapshotAt(t, rs, story, cut)
		}
		if fired == 0 {
			t.Fatal("the story fired no correlation rule")
		}
	})
}

func TestSnapshotBuiltinMismatch(t *testing.T) {
	rs := newRuleset(t)
	st := rs.NewState()
	for _, s := range spaced(corpus(t, 20), 50, time.Minute) {
		st.Eval(s.ev, s.at, nil)
	}
	data, _ := st.MarshalBinary()
	if _, err := newRuleset(t).RestoreState(data); err != nil {
		t.Fatalf("same rules loaded again: %v", err)
	}
	var l rules.Loader
	if err := l.AddCategoryRoots(); err != nil {
		t.Fatal(err)
	}
	if err := l.LoadFS(FS(), Files()[:len(Files())-1]...); err != nil { // without the fallback
		t.Fatal(err)
	}
	other, err := l.Ruleset()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.RestoreState(data); !errors.Is(err, rules.ErrStateMismatch) {
		t.Fatalf("restore on a ruleset without the fallback file: %v, want ErrStateMismatch", err)
	}
}

// BenchmarkStateSnapshot marshals and restores the State 100,000 corpus
// events leave behind (one per second: about 28 hours, so the 24-hour
// correlation lists are full).
func BenchmarkStateSnapshot(b *testing.B) {
	rs, err := New()
	if err != nil {
		b.Fatal(err)
	}
	st := rs.NewState()
	for _, s := range spaced(corpus(b, 2000), 100_000, time.Second) {
		st.Eval(s.ev, s.at, nil)
	}
	data, err := st.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := st.MarshalBinary(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(data)), "snapshot-bytes")
	})
	b.Run("restore", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := rs.RestoreState(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
