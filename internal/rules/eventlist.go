package rules

import "strings"

// stored is what a correlation list keeps of one event. One stored event
// may sit in several lists (its matched mark is shared, as analysisd's
// Eventinfo is).
type stored struct {
	at       int64
	agent    string
	location string
	log      string
	matched  int                // level of the correlation rule that consumed the event
	static   *[numStatic]string // nil when present is 0
	present  uint32
	fields   bool      // the event had dynamic fields
	vals     []corrVal // values of Ruleset.corrFields
	inline   [2]corrVal
}

// corrVal is a stored event's value of one correlation field.
type corrVal struct {
	v  string
	ok bool // the event has the field
}

// eventList is one correlation list, oldest first. Entries past max, or
// older than timeframe when a new one arrives, are dropped from the front.
// For each same_field combination searched on the list it also keeps an
// index: the entries grouped by those fields' values, so a search walks
// only the entries that can qualify. Index buckets hold the same entries
// in the same order, so the result is the same as walking the whole list.
type eventList struct {
	items     []ref
	head      int
	timeframe int64
	max       int
	nextSeq   uint64
	indexes   []*sameIndex
	pushes    int
}

// sameIndex groups a list's entries by the values of some corrFields.
type sameIndex struct {
	fields  []int // positions in Ruleset.corrFields
	sig     string
	buckets map[string]*bucket
}

type bucket struct {
	items []ref
	head  int
}

// ref is a list entry: the event and its sequence number in that list.
type ref struct {
	seq uint64
	e   *stored
}

func newEventList(li listInfo, max int) *eventList {
	l := &eventList{timeframe: li.timeframe, max: max}
	for _, f := range li.sameSigs {
		l.indexes = append(l.indexes, &sameIndex{fields: f, sig: sigOf(f), buckets: map[string]*bucket{}})
	}
	return l
}

func sigOf(fields []int) string {
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(string(rune(f + 1)))
	}
	return b.String()
}

func (l *eventList) len() int { return len(l.items) - l.head }

func (l *eventList) at(i int) *stored { return l.items[l.head+i].e }

// oldestSeq is the sequence number of the oldest live entry.
func (l *eventList) oldestSeq() uint64 {
	if l.len() == 0 {
		return l.nextSeq
	}
	return l.items[l.head].seq
}

// push appends e and drops entries past the cap or older than timeframe.
func (l *eventList) push(e *stored, now int64) {
	r := ref{seq: l.nextSeq, e: e}
	l.nextSeq++
	l.items = append(l.items, r)
	for l.len() > 0 && (l.len() > l.max || now-l.items[l.head].e.at > l.timeframe) {
		l.items[l.head] = ref{}
		l.head++
	}
	if l.head > 64 && l.head > len(l.items)/2 {
		n := copy(l.items, l.items[l.head:])
		clear(l.items[n:])
		l.items = l.items[:n]
		l.head = 0
	}
	if len(l.indexes) == 0 {
		return
	}
	oldest := l.oldestSeq()
	for _, ix := range l.indexes {
		if key, ok := e.key(ix.fields); ok {
			b := ix.buckets[key]
			if b == nil {
				b = &bucket{}
				ix.buckets[key] = b
			}
			b.items = append(b.items, r)
			b.prune(oldest)
		}
	}
	l.pushes++
	if l.pushes%256 == 0 {
		l.sweep(oldest)
	}
}

// sweep drops dead entries from every bucket and removes empty buckets,
// so the index never outgrows the list.
func (l *eventList) sweep(oldest uint64) {
	for _, ix := range l.indexes {
		for k, b := range ix.buckets {
			if b.prune(oldest); len(b.items)-b.head == 0 {
				delete(ix.buckets, k)
			}
		}
	}
}

func (b *bucket) prune(oldest uint64) {
	for b.head < len(b.items) && b.items[b.head].seq < oldest {
		b.items[b.head] = ref{}
		b.head++
	}
	if b.head > 16 && b.head > len(b.items)/2 {
		n := copy(b.items, b.items[b.head:])
		clear(b.items[n:])
		b.items = b.items[:n]
		b.head = 0
	}
}

// key is the index key of an entry, or false when it lacks a field (such
// an entry never qualifies for same_field).
func (e *stored) key(fields []int) (string, bool) {
	if !e.fields {
		return "", false
	}
	var b strings.Builder
	for _, f := range fields {
		if !e.vals[f].ok {
			return "", false
		}
		b.WriteString(e.vals[f].v)
		b.WriteByte(0) // values never hold NUL: the decoder ends strings there
	}
	return b.String(), true
}

// candidates returns the entries a search must consider, oldest first:
// the index bucket for the current event's same_field values when the
// rule has same_field, else the whole list. ok is false when no entry can
// qualify. same is true when every entry returned is known to pass the
// same_field test: the bucket of a single field holds exactly the entries
// with the event's value (with several fields, values holding NUL could
// make two keys alike).
func (l *eventList) candidates(cr *correlation, cv *corrValues, evHasFields bool) (list []ref, same, ok bool) {
	if len(cr.sameIdx) == 0 || len(l.indexes) == 0 {
		return l.items[l.head:], false, true
	}
	sig := sigOf(cr.sameIdx)
	for _, ix := range l.indexes {
		if ix.sig != sig {
			continue
		}
		if !evHasFields {
			return nil, false, false
		}
		var b strings.Builder
		for k := range cr.sameIdx {
			if !cv.sameOK[k] {
				return nil, false, false
			}
			b.WriteString(cv.same[k])
			b.WriteByte(0)
		}
		bk := ix.buckets[b.String()]
		if bk == nil {
			return nil, false, false
		}
		bk.prune(l.oldestSeq())
		return bk.items[bk.head:], len(cr.sameIdx) == 1, true
	}
	return l.items[l.head:], false, true
}
