package rules

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// RestoreState returns a new State holding a snapshot State.MarshalBinary
// wrote (see snapshot.go for the encoding). A snapshot of another ruleset
// layout, or of another snapshot format, gives an error wrapping
// ErrStateMismatch; a damaged one gives another error. The restored State
// reports Changed false. data is not retained.
func (rs *Ruleset) RestoreState(data []byte) (*State, error) {
	if len(data) < headerLen || string(data[:len(snapshotMagic)]) != snapshotMagic {
		return nil, errors.New("restore state: not a rule state snapshot")
	}
	if v := data[len(snapshotMagic)]; v != snapshotVersion {
		return nil, fmt.Errorf("restore state: snapshot format version %d, this build reads %d: %w", v, snapshotVersion, ErrStateMismatch)
	}
	fp := rs.fingerprint()
	if !bytes.Equal(data[len(snapshotMagic)+1:headerLen], fp[:]) {
		return nil, fmt.Errorf("restore state: rules changed since the snapshot: %w", ErrStateMismatch)
	}
	d := &decoder{data: data, off: headerLen}
	st := rs.NewState()
	st.hour = d.varint()
	d.sparse(len(st.fired), func(i int) {
		if v := d.uvarint(); v <= math.MaxInt32 {
			st.fired[i] = int(v)
		} else {
			d.fail("firedtimes %d out of range", v)
		}
	})
	d.sparse(len(st.ignoredAt), func(i int) { st.ignoredAt[i] = d.varint() })
	events := d.events(len(rs.corrFields))
	d.lists(st, events)
	if d.err == nil && d.off != len(data) {
		d.fail("%d bytes after the snapshot", len(data)-d.off)
	}
	if d.err != nil {
		return nil, fmt.Errorf("restore state: %w", d.err)
	}
	return st, nil
}

// decoder reads snapshot values from data at off. The first error sticks:
// later reads return zero values and loops end, since counts are checked
// against the bytes left.
type decoder struct {
	data []byte
	off  int
	err  error
	strs []string // interned strings, in order of appearance
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("byte %d: %s", d.off, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.data[d.off:])
	if n <= 0 {
		d.fail("truncated or overlong varint")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.data[d.off:])
	if n <= 0 {
		d.fail("truncated or overlong varint")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.data) {
		d.fail("truncated")
		return 0
	}
	d.off++
	return d.data[d.off-1]
}

// count reads a number of elements that take at least minBytes each, so a
// damaged count cannot make a large allocation.
func (d *decoder) count(minBytes int) int {
	v := d.uvarint()
	if v > uint64((len(d.data)-d.off)/minBytes) {
		d.fail("count %d exceeds the bytes left", v)
		return 0
	}
	return int(v)
}

func (d *decoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.data)-d.off) {
		d.fail("string of %d bytes is truncated", n)
		return ""
	}
	s := string(d.data[d.off : d.off+int(n)])
	d.off += int(n)
	return s
}

// ref returns interned string k.
func (d *decoder) ref(k uint64) string {
	if k >= uint64(len(d.strs)) {
		d.fail("string reference %d of %d", k, len(d.strs))
		return ""
	}
	return d.strs[k]
}

func (d *decoder) istr() string {
	k := d.uvarint()
	if k > 0 {
		return d.ref(k - 1)
	}
	s := d.str()
	d.strs = append(d.strs, s)
	return s
}

func (d *decoder) optIstr() (string, bool) {
	switch k := d.uvarint(); k {
	case 0:
		return "", false
	case 1:
		s := d.str()
		d.strs = append(d.strs, s)
		return s, true
	default:
		return d.ref(k - 2), true
	}
}

// sparse reads the nonzero entries of a per-rule slice of length size.
func (d *decoder) sparse(size int, read func(i int)) {
	n := d.count(2)
	i := -1
	for range n {
		gap := d.uvarint()
		if d.err != nil {
			return
		}
		if gap >= uint64(size-i-1) {
			d.fail("rule index out of range")
			return
		}
		i += int(gap) + 1
		read(i)
	}
}

// events reads the stored events; corrFields is len(Ruleset.corrFields).
func (d *decoder) events(corrFields int) []*stored {
	n := d.count(7 + corrFields) // the fewest bytes an event takes
	events := make([]*stored, n)
	var at int64
	for i := range events {
		at += d.varint()
		s := &stored{at: at}
		s.agent = d.istr()
		s.location = d.istr()
		s.log = d.str()
		if m := d.varint(); m >= 0 && m <= math.MaxInt32 {
			s.matched = int(m)
		} else {
			d.fail("consumed level %d out of range", m)
		}
		if p := d.uvarint(); p < 1<<numStatic {
			s.present = uint32(p)
		} else {
			d.fail("static field mask %#x out of range", p)
		}
		if s.present != 0 {
			var static [numStatic]string
			for slot := range numStatic {
				if s.present&(1<<slot) != 0 {
					static[slot] = d.istr()
				}
			}
			s.static = &static
		}
		switch f := d.byte(); f {
		case 0:
		case 1:
			s.fields = true
		default:
			d.fail("event flags %#x", f)
		}
		if corrFields > 0 {
			s.vals = s.inline[:0]
			if corrFields > len(s.inline) {
				s.vals = make([]corrVal, 0, corrFields)
			}
			for range corrFields {
				v, ok := d.optIstr()
				s.vals = append(s.vals, corrVal{v, ok})
			}
		}
		if d.err != nil {
			return nil
		}
		events[i] = s
	}
	return events
}

// lists reads the correlation lists into st's empty lists.
func (d *decoder) lists(st *State, events []*stored) {
	if n := d.uvarint(); d.err == nil && n != uint64(len(st.lists)) {
		d.fail("%d correlation lists, the ruleset has %d", n, len(st.lists))
	}
	for _, l := range st.lists {
		pushes := d.uvarint()
		if pushes >= 256 {
			d.fail("push phase %d out of range", pushes)
		}
		n := d.count(1)
		items := make([]ref, n)
		for i := range items {
			k := d.uvarint()
			if k >= uint64(len(events)) {
				d.fail("event %d of %d", k, len(events))
			}
			if d.err != nil {
				return
			}
			items[i].e = events[k]
		}
		if d.err != nil {
			return
		}
		l.restore(items, int(pushes))
	}
}

// restore fills an empty list with items, oldest first: they are numbered
// from 0, the oldest past the cap are dropped and the same_field indexes
// are rebuilt.
func (l *eventList) restore(items []ref, pushes int) {
	if len(items) > l.max {
		items = items[len(items)-l.max:]
	}
	for i := range items {
		items[i].seq = uint64(i)
	}
	l.items, l.head, l.nextSeq, l.pushes = items, 0, uint64(len(items)), pushes
	for _, ix := range l.indexes {
		for _, r := range items {
			key, ok := r.e.key(ix.fields)
			if !ok {
				continue
			}
			b := ix.buckets[key]
			if b == nil {
				b = &bucket{}
				ix.buckets[key] = b
			}
			b.items = append(b.items, r)
		}
	}
}
