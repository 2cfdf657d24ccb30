package rules

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The transient form of an Event hands a decoded event from the goroutine
// that decoded it to the one that evaluates it, through a spool (a buffer
// or a temporary file) of the same process: the pipeline's workers decode
// in parallel, and its sequencer, which must evaluate in commit order,
// reads events back for a fraction of the cost of decoding them. It carries
// the field index as it is, whose hashes are seeded per process, so it is
// never valid in another process and never stored. The log is not in it:
// callers keep the raw log beside it anyway.

// AppendTransient appends e, without its Log, in the transient form.
func (e *Event) AppendTransient(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(e.Dropped))
	dst = binary.AppendUvarint(dst, uint64(e.present))
	for f := range numStatic {
		if e.present&(1<<f) != 0 {
			dst = appendString(dst, e.static[f])
		}
	}
	dst = appendString(dst, e.Location)
	dst = appendString(dst, e.AgentID)
	dst = appendString(dst, e.Decoder)
	dst = binary.AppendUvarint(dst, uint64(len(e.fields)))
	for _, f := range e.fields {
		dst = appendString(dst, f.Key)
		dst = appendString(dst, f.Value)
	}
	dst = binary.AppendUvarint(dst, uint64(len(e.index)))
	for _, s := range e.index {
		dst = binary.LittleEndian.AppendUint64(dst, s)
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

var errTransient = errors.New("bad transient event")

// ReadTransientEvent reads an event AppendTransient wrote in this process,
// with log as its Log.
func ReadTransientEvent(log string, data []byte) (*Event, error) {
	r := transientReader{s: string(data)} // one copy; every string is cut from it
	e := &Event{Log: log}
	e.Dropped = int(r.uvarint())
	present := r.uvarint()
	if present >= 1<<numStatic {
		return nil, fmt.Errorf("%w: static fields %#x", errTransient, present)
	}
	e.present = uint32(present)
	for f := range numStatic {
		if e.present&(1<<f) != 0 {
			e.static[f] = r.str()
		}
	}
	e.Location, e.AgentID, e.Decoder = r.str(), r.str(), r.str()
	n := r.uvarint()
	if n > uint64(len(r.s)) { // each field takes at least two bytes
		return nil, fmt.Errorf("%w: %d fields in %d bytes", errTransient, n, len(r.s))
	}
	if n > 0 {
		e.fields = make([]Field, n)
	}
	for i := range e.fields {
		e.fields[i] = Field{Key: r.str(), Value: r.str()}
	}
	slots := r.uvarint()
	if slots > uint64(len(r.s)-r.i)/8 || slots&(slots-1) != 0 || (slots == 0 && n > 0) {
		return nil, fmt.Errorf("%w: index of %d slots", errTransient, slots)
	}
	if slots > 0 {
		e.index = make(fieldIndex, slots)
		for i := range e.index {
			s := load64(r.s[r.i : r.i+8])
			r.i += 8
			if pos := uint32(s); pos > uint32(n) {
				return nil, fmt.Errorf("%w: index slot names field %d of %d", errTransient, pos, n)
			}
			e.index[i] = s
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if r.i != len(r.s) {
		return nil, fmt.Errorf("%w: %d bytes left over", errTransient, len(r.s)-r.i)
	}
	return e, nil
}

type transientReader struct {
	s   string
	i   int
	err error
}

func (r *transientReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		if r.i >= len(r.s) {
			break
		}
		c := r.s[r.i]
		r.i++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
	r.err = fmt.Errorf("%w: bad varint at byte %d", errTransient, r.i)
	return 0
}

func (r *transientReader) str() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.s)-r.i) {
		r.err = fmt.Errorf("%w: string of %d bytes at byte %d of %d", errTransient, n, r.i, len(r.s))
		return ""
	}
	s := r.s[r.i : r.i+int(n)]
	r.i += int(n)
	return s
}
