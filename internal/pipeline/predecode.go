package pipeline

import (
	"sync/atomic"

	"github.com/dutywatch/dutywatch/internal/rules"
)

// Decoding an event for the rules (JSON into analysisd's flat fields) is
// stateless and costs as much as the rest of rule evaluation; it is done by
// the workers, in parallel, so that the sequencer — which must evaluate in
// commit order — only evaluates. Decoded events take about three times
// their JSON's size in memory and wait for the sequencer with their
// object, so the bytes of event JSON held decoded across all objects in
// flight are bounded by predecodeBudget; an object that does not fit keeps
// only its spooled JSON and the sequencer decodes it, as before.
const predecodeBudget = 24 << 20

// predecoded holds one object's events decoded by its worker, in the order
// of its rule input's event records.
type predecoded struct {
	budget *atomic.Int64 // bytes still available to all objects
	events []*rules.Event
	held   int64 // bytes taken from budget
	// off is set once an event was not decoded here: from then on the
	// sequencer decodes every event of the object itself.
	off bool
}

// add decodes ev for the rules, if the budget allows.
func (d *predecoded) add(opt rules.DecodeOptions, ev []byte) {
	if d == nil || d.off {
		return
	}
	n := int64(len(ev))
	if d.budget.Add(-n) < 0 {
		d.budget.Add(n)
		d.drop()
		return
	}
	d.held += n
	e, err := opt.DecodeJSON(ev)
	if err != nil {
		// The sequencer decodes it again and reports the error there,
		// with the commit that it fails.
		d.drop()
		return
	}
	e.Location = ruleLocation
	d.events = append(d.events, e)
}

// event returns the i-th event of the object if it was decoded here.
func (d *predecoded) event(i int) *rules.Event {
	if d == nil || d.off || i >= len(d.events) {
		return nil
	}
	return d.events[i]
}

// drop frees the decoded events and turns decoding off for the object.
func (d *predecoded) drop() {
	d.release()
	d.off = true
}

// release gives the held bytes back to the budget.
func (d *predecoded) release() {
	if d == nil {
		return
	}
	d.budget.Add(d.held)
	d.held, d.events = 0, nil
}
