package ruleset

import (
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/internal/rules"
)

// BenchmarkEvalBuiltin evaluates pre-decoded events of every finding type
// (the generator's mix, derived fields included) against the built-in
// ruleset, the way the pipeline's sequencer does: one State, one goroutine.
// events/s is per core.
func BenchmarkEvalBuiltin(b *testing.B) {
	rs, err := New()
	if err != nil {
		b.Fatal(err)
	}
	var events []*rules.Event
	g := generator.DefaultConfig()
	for i := range 2000 {
		raw, err := g.Finding(i)
		if err != nil {
			b.Fatal(err)
		}
		_, lines := findingEvents(b, raw)
		for _, l := range lines {
			events = append(events, decode(b, l))
		}
	}
	st := rs.NewState()
	now := time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		st.Eval(events[i%len(events)], now.Add(time.Duration(i)*time.Millisecond), nil)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
