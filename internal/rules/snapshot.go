package rules

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"slices"
)

// ErrStateMismatch is wrapped by RestoreState when a snapshot was taken
// with another ruleset layout (rules added, removed or rewired, other
// correlation lists, timeframes or same_field/different_field names) or
// by a build that writes another snapshot format. The snapshot is intact
// but cannot be used: correlation state starts empty.
var ErrStateMismatch = errors.New("snapshot does not fit this ruleset")

// Snapshot encoding, version 1. Integers are varints (encoding/binary:
// "u" unsigned, "s" zigzag); a string is a uvarint length and its bytes;
// an interned string ("istr") is uvarint 0 and a string, which is added to
// the table, or uvarint k >= 1, the table's entry k-1; an optional
// interned string is 0 for absent, 1 and a string for a new one, k >= 2
// for entry k-2.
//
//	"DWRS" version:byte fingerprint:[16]byte
//	hour:s
//	fired:  n:u  n × (gap:u count:u)      rules with a nonzero count; gap
//	ignore: n:u  n × (gap:u at:s)         is the rule index minus the
//	                                      previous one's, minus one
//	events: n:u  n × event                each stored event once, in order
//	                                      of first appearance in the lists
//	lists:  n:u  n × (pushes%256:u items:u items × event-index:u)
//
//	event: at-delta:s (from the previous event's; the first from 0)
//	       agent:istr location:istr log:string matched:s present:u
//	       (log is "" when no rule can read it: Ruleset.readsStoredLogs)
//	       one istr per set bit of present (static fields, slot order)
//	       flags:byte (bit 0: the event had dynamic fields)
//	       one optional istr per Ruleset.corrFields entry
//
// List items are written oldest first without sequence numbers: restore
// numbers them from 0 (only their order matters) and rebuilds the
// same_field indexes from them. The encoding is deterministic: one State
// always gives the same bytes, and a restored State gives the bytes it
// was restored from (when they came from MarshalBinary).
const (
	snapshotMagic   = "DWRS"
	snapshotVersion = 1
	fingerprintLen  = 16
	headerLen       = len(snapshotMagic) + 1 + fingerprintLen
)

// Changed reports whether an Eval changed the State's persistent part (a
// firedtimes counter, an ignore window, a correlation list or an event's
// consumed mark) since the State was made, restored or ClearChanged was
// last called. Nearly every match changes a counter, so in practice it
// reports whether any event matched a rule.
func (st *State) Changed() bool { return st.changed }

// ClearChanged resets Changed. Call it once a snapshot is durable (after
// the commit that saved it), not when it is taken, so a rolled-back save
// is retried with the next one.
func (st *State) ClearChanged() { st.changed = false }

// MarshalBinary encodes what of the State affects future Eval results:
// firedtimes counters and their hour, ignore windows, and the correlation
// lists with their events (an event kept in several lists is written once,
// so its consumed mark stays shared). Ruleset.RestoreState reads it back.
// It does not clear Changed.
func (st *State) MarshalBinary() ([]byte, error) { return st.AppendBinary(nil) }

// AppendBinary appends the MarshalBinary encoding of the State to b.
func (st *State) AppendBinary(b []byte) ([]byte, error) {
	order, index, size := st.storedEvents(st.rs.readsStoredLogs())
	b = slices.Grow(b, headerLen+size+8*len(st.fired)+4*len(order))
	fp := st.rs.fingerprint()
	b = append(b, snapshotMagic...)
	b = append(b, snapshotVersion)
	b = append(b, fp[:]...)
	b = binary.AppendVarint(b, st.hour)
	b = appendSparse(b, st.fired, func(b []byte, v int) []byte { return binary.AppendUvarint(b, uint64(v)) })
	b = appendSparse(b, st.ignoredAt, binary.AppendVarint)

	enc := encoder{b: b, strs: map[string]uint64{}, logs: st.rs.readsStoredLogs()}
	enc.uvarint(uint64(len(order)))
	var prevAt int64
	for _, e := range order {
		enc.varint(e.at - prevAt)
		prevAt = e.at
		enc.event(e, len(st.rs.corrFields))
	}
	enc.uvarint(uint64(len(st.lists)))
	for _, l := range st.lists {
		enc.uvarint(uint64(l.pushes % 256))
		enc.uvarint(uint64(l.len()))
		for i := range l.len() {
			enc.uvarint(index[l.at(i)])
		}
	}
	return enc.b, nil
}

// storedEvents numbers the live stored events in order of first
// appearance (list by list, oldest first) and sums their string bytes.
func (st *State) storedEvents(logs bool) (order []*stored, index map[*stored]uint64, size int) {
	index = map[*stored]uint64{}
	for _, l := range st.lists {
		for i := range l.len() {
			e := l.at(i)
			if _, ok := index[e]; ok {
				continue
			}
			index[e] = uint64(len(order))
			order = append(order, e)
			size += 16
			if logs {
				size += len(e.log)
			}
		}
	}
	return order, index, size
}

// appendSparse writes the nonzero entries of a per-rule slice.
func appendSparse[T int | int64](b []byte, vals []T, put func([]byte, T) []byte) []byte {
	n := 0
	for _, v := range vals {
		if v != 0 {
			n++
		}
	}
	b = binary.AppendUvarint(b, uint64(n))
	prev := -1
	for i, v := range vals {
		if v != 0 {
			b = binary.AppendUvarint(b, uint64(i-prev-1))
			b = put(b, v)
			prev = i
		}
	}
	return b
}

// encoder appends snapshot values, interning repeated strings.
type encoder struct {
	b    []byte
	strs map[string]uint64 // interned string -> table index
	logs bool              // write stored events' logs (readsStoredLogs)
}

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) istr(s string) {
	if k, ok := e.strs[s]; ok {
		e.uvarint(k + 1)
		return
	}
	e.uvarint(0)
	e.str(s)
	e.strs[s] = uint64(len(e.strs))
}

func (e *encoder) optIstr(s string, ok bool) {
	switch k, seen := e.strs[s]; {
	case !ok:
		e.uvarint(0)
	case seen:
		e.uvarint(k + 2)
	default:
		e.uvarint(1)
		e.str(s)
		e.strs[s] = uint64(len(e.strs))
	}
}

// event writes a stored event after its time.
func (e *encoder) event(s *stored, corrFields int) {
	e.istr(s.agent)
	e.istr(s.location)
	if e.logs {
		e.str(s.log)
	} else {
		e.str("")
	}
	e.varint(int64(s.matched))
	e.uvarint(uint64(s.present))
	for slot := range numStatic {
		if s.present&(1<<slot) != 0 {
			e.istr(s.static[slot])
		}
	}
	var flags byte
	if s.fields {
		flags |= 1
	}
	e.b = append(e.b, flags)
	for i := range corrFields {
		v := s.vals[i]
		e.optIstr(v.v, v.ok)
	}
}

// readsStoredLogs reports whether any correlation rule can read a stored
// event's log: if_matched_regex tests it, and previous_output shows the
// logs a search collected once there are two. A search collects a second
// log only for a rule of frequency 3 or more (frequency 2 fires on the
// first earlier event), so with no such rule and no if_matched_regex the
// logs never affect a result and snapshots leave them out (they are most
// of a snapshot's size).
func (rs *Ruleset) readsStoredLogs() bool {
	for _, r := range rs.rules {
		if r.corr != nil && r.w.search != searchNone && (r.w.search == searchEvents || r.corr.freq >= 1) {
			return true
		}
	}
	return false
}

// fingerprint hashes what a snapshot's layout depends on: the stored
// static slots, every rule's id, position and correlation wiring (firedtimes
// and ignore windows are per rule index; lists are fed and searched by
// rule), each list's timeframe, kind and same_field index combinations,
// the correlation field names stored events keep values of, and whether
// logs are kept (readsStoredLogs).
func (rs *Ruleset) fingerprint() [fingerprintLen]byte {
	b := []byte("dutywatch rules state layout\x00")
	u := func(v int) { b = binary.AppendVarint(b, int64(v)) }
	u(int(numStatic))
	if rs.readsStoredLogs() {
		u(1)
	} else {
		u(0)
	}
	u(len(rs.rules))
	for _, r := range rs.rules {
		u(r.ID)
		u(int(r.w.search))
		u(r.w.searchList)
		u(r.w.sidList)
		u(len(r.w.groupLists))
		for _, g := range r.w.groupLists {
			u(g)
		}
	}
	u(len(rs.lists))
	for _, li := range rs.lists {
		b = binary.AppendVarint(b, li.timeframe)
		if li.global {
			u(1)
		} else {
			u(0)
		}
		u(len(li.sameSigs))
		for _, sig := range li.sameSigs {
			u(len(sig))
			for _, f := range sig {
				u(f)
			}
		}
	}
	u(len(rs.corrFields))
	for _, f := range rs.corrFields {
		u(len(f))
		b = append(b, f...)
	}
	sum := sha256.Sum256(b)
	var fp [fingerprintLen]byte
	copy(fp[:], sum[:])
	return fp
}
