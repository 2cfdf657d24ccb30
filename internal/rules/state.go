package rules

import (
	"fmt"
	"time"
)

// State is the mutable side of evaluation: firedtimes counters, ignore
// windows and the correlation lists. One State is used by one goroutine
// at a time. Memory is bounded: each correlation list keeps at most the
// Loader's MaxEventsPerList events and drops those older than the longest
// timeframe that searches it. Stored events keep only what correlation
// reads: time, agent, location, static fields, the dynamic fields named by
// same_field/different_field, and the log (for previous_output and
// if_matched_regex).
type State struct {
	rs        *Ruleset
	fired     []int
	ignoredAt []int64
	hour      int64
	lists     []*eventList
	changed   bool // persistent state changed since ClearChanged (snapshot.go)

	// per-event memo of dynamic field lookups (evalCtx.field), by fid
	gen  uint32
	memo []memoEntry

	ctx evalCtx    // the walk's state, reused by every Eval
	cv  corrValues // a search's field values, reused by every search
}

// memoEntry is one field's lookup, valid while gen is the State's gen:
// the position of the event's field, or -1. It holds no pointer, so
// filling it needs no GC write barrier.
type memoEntry struct {
	gen uint32
	pos int32
}

// NewState returns an empty State for rs.
func (rs *Ruleset) NewState() *State {
	st := &State{
		rs:        rs,
		fired:     make([]int, len(rs.rules)),
		ignoredAt: make([]int64, len(rs.rules)),
		lists:     make([]*eventList, len(rs.lists)),
		memo:      make([]memoEntry, len(rs.fieldNames)),
	}
	for i, li := range rs.lists {
		st.lists[i] = newEventList(li, rs.maxPerList)
	}
	return st
}

// FiredTimes returns how often rule id was a final match since the last
// hourly reset.
func (st *State) FiredTimes(id int) int {
	if r := st.rs.byID[id]; r != nil {
		return st.fired[r.index]
	}
	return 0
}

// nextGen starts a new event for the field memo.
func (st *State) nextGen() {
	st.gen++
	if st.gen == 0 { // wrapped: forget everything
		clear(st.memo)
		st.gen = 1
	}
}

// rollHour resets firedtimes when the hour changes, as analysisd's hourly
// stats dump (DumpLogstats) does.
func (st *State) rollHour(now time.Time) {
	h := now.Unix() / 3600
	if h == st.hour {
		return
	}
	st.hour = h
	for _, n := range st.fired {
		if n != 0 { // counters to forget: the persistent state changes
			st.changed = true
			break
		}
	}
	clear(st.fired)
}

// store keeps the event of a final match: in the list of its rule if some
// if_matched_sid rule targets it, else in the if_matched_group lists it
// feeds, and in the last-events list when if_matched_regex rules exist.
func (st *State) store(r *Rule, c *evalCtx) {
	var s *stored
	get := func() *stored {
		if s == nil {
			s = st.snapshot(c)
		}
		return s
	}
	if r.w.sidList >= 0 {
		st.lists[r.w.sidList].push(get(), c.now)
	} else {
		for _, id := range r.w.groupLists {
			st.lists[id].push(get(), c.now)
		}
	}
	for i, li := range st.rs.lists {
		if li.global {
			st.lists[i].push(get(), c.now)
		}
	}
}

func (st *State) snapshot(c *evalCtx) *stored {
	ev := c.ev
	s := &stored{
		at: c.now, agent: ev.AgentID, location: ev.Location, log: ev.Log,
		matched: c.matched, present: ev.present,
		fields: len(ev.fields) > 0,
	}
	if ev.present != 0 {
		static := ev.static
		s.static = &static
	}
	if n := len(st.rs.corrFields); n > 0 {
		s.vals = s.inline[:0]
		if n > len(s.inline) {
			s.vals = make([]corrVal, 0, n)
		}
		for i, f := range st.rs.corrFields {
			v, ok := c.field(st.rs.corrFids[i], f)
			s.vals = append(s.vals, corrVal{v, ok})
		}
	}
	return s
}

// search is Search_LastSids / Search_LastGroups / Search_LastEvents: walk
// the rule's list newest first, counting stored events that qualify; the
// rule fires when frequency-1 of them are found within the timeframe
// (frequency events counting this one). An event already consumed by a
// correlation rule of this level or higher stops the search.
func (st *State) search(r *Rule, c *evalCtx, why *string) bool {
	cr := r.corr
	if r.w.searchList < 0 {
		if why != nil {
			*why = fmt.Sprintf("if_matched_sid %d: no such rule to correlate with", r.w.ifMatchedSID)
		}
		return false
	}
	cv := st.corrValues(c, cr)
	entries, same, ok := st.lists[r.w.searchList].candidates(cr, cv, len(c.ev.fields) > 0)
	if !ok {
		entries = nil
	}
	count := 0
	var first *stored
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i].e
		if c.now-e.at > cr.timeframe {
			break
		}
		if !st.qualifies(r, c, cv, e, same) {
			continue
		}
		if e.matched >= r.Level {
			if why != nil {
				*why = fmt.Sprintf("correlation: reached an event already used by a level-%d correlation", e.matched)
			}
			return false
		}
		if r.w.search != searchEvents || count < cr.freq {
			if count <= 10 && count >= len(c.lastEvents) {
				c.lastEvents = append(c.lastEvents, e.log)
			}
		}
		if count < cr.freq {
			count++
			if first == nil {
				first = e
			}
			continue
		}
		c.matched = r.Level
		if first != nil {
			first.matched = r.Level
			st.changed = true
		}
		return true
	}
	if why != nil {
		*why = fmt.Sprintf("correlation: %d of %d earlier matching events within %ds", count, cr.freq+1, cr.timeframe)
	}
	return false
}

// corrValues are the current event's values of a rule's same_field and
// different_field names, looked up once per search. The State reuses one.
type corrValues struct {
	same, diff     []string
	sameOK, diffOK []bool
}

func (st *State) corrValues(c *evalCtx, cr *correlation) *corrValues {
	v := &st.cv
	v.same, v.sameOK, v.diff, v.diffOK = v.same[:0], v.sameOK[:0], v.diff[:0], v.diffOK[:0]
	for i, f := range cr.sameFields {
		s, ok := c.field(cr.sameFids[i], f)
		v.same, v.sameOK = append(v.same, s), append(v.sameOK, ok)
	}
	for i, f := range cr.diffFields {
		s, ok := c.field(cr.diffFids[i], f)
		v.diff, v.diffOK = append(v.diff, s), append(v.diffOK, ok)
	}
	return v
}

// qualifies applies the agent, if_matched_regex and same_*/different_*
// filters to one stored event; same skips the same_field test, which the
// candidate list already applied.
func (st *State) qualifies(r *Rule, c *evalCtx, cv *corrValues, e *stored, same bool) bool {
	cr, ev := r.corr, c.ev
	if !cr.global && (e.agent == "" || ev.AgentID == "" || e.agent != ev.AgentID) {
		return false
	}
	if r.w.search == searchEvents && cr.regex != nil && !cr.regex.Match(e.log) {
		return false
	}
	for _, bit := range []uint32{fieldID, fieldSrcIP} {
		if cr.sameMask&bit != 0 && !bothEqual(bit, ev, e) {
			return false
		}
	}
	if len(cr.sameIdx) > 0 && !same {
		if len(ev.fields) == 0 || !e.fields {
			return false
		}
		for k, i := range cr.sameIdx {
			if !cv.sameOK[k] || !e.vals[i].ok || e.vals[i].v != cv.same[k] {
				return false
			}
		}
	}
	if len(cr.diffIdx) > 0 {
		if len(ev.fields) == 0 && !e.fields {
			return false
		}
		for k, i := range cr.diffIdx {
			if cv.diffOK[k] && e.vals[i].ok && e.vals[i].v == cv.diff[k] {
				return false
			}
		}
	}
	if r.opts&optSameExtra != 0 || r.w.search == searchEvents {
		for b := 2; b < numFieldBits; b++ {
			if cr.sameMask&(1<<b) != 0 && !bothEqual(1<<b, ev, e) {
				return false
			}
		}
		for b := 0; b < numFieldBits; b++ {
			if cr.diffMask&(1<<b) != 0 && bothEqual(1<<b, ev, e) {
				return false
			}
		}
	}
	return true
}

// bothEqual reports whether the FIELD_* bit's field is set in both events
// and equal.
func bothEqual(bit uint32, ev *Event, e *stored) bool {
	i := 0
	for bit > 1 {
		bit >>= 1
		i++
	}
	slot := fieldBitSlot[i]
	if slot < 0 {
		return ev.Location == e.location
	}
	a, ok := ev.staticValue(staticField(slot))
	if !ok || e.present&(1<<slot) == 0 {
		return false
	}
	return a == e.static[slot]
}
