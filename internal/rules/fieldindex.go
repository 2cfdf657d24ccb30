package rules

import "hash/maphash"

// keySeed seeds the hash of field names. It is chosen once per process and
// never changes: events and rulesets of one process hash names alike.
var keySeed = maphash.MakeSeed()

// keyHash hashes a field name without ASCII case.
func keyHash(name string) uint64 {
	var buf [128]byte
	b := buf[:0]
	for i := 0; i < len(name); i++ {
		b = append(b, lowerASCII(name[i]))
	}
	return maphash.Bytes(keySeed, b)
}

// fieldIndex finds an event's first dynamic field of a name, ignoring
// ASCII case. It is an open-addressing table with linear probing, at most
// half full: each slot holds the low 32 bits of the name's hash (which
// also pick the first slot tried) and the field's position plus one, 0
// when the slot is empty. It keeps no copy of the names: a candidate is
// confirmed against the field's key.
type fieldIndex []uint64

// find returns the position of the first field named name (in any case;
// h is its keyHash), or -1.
func (x fieldIndex) find(fields []Field, name string, h uint64) int {
	if len(x) == 0 {
		return -1
	}
	tag, mask := uint32(h), uint32(len(x)-1)
	for p := tag & mask; ; p = (p + 1) & mask {
		s := x[p]
		if s == 0 {
			return -1
		}
		if uint32(s>>32) == tag {
			if i := int(uint32(s)) - 1; equalFold(fields[i].Key, name) {
				return i
			}
		}
	}
}

// add records field i under hash h, for a name no earlier field has,
// growing the table to keep it at most half full.
func (x fieldIndex) add(i int, h uint64) fieldIndex {
	if 2*(i+1) > len(x) {
		x = x.grow()
	}
	x.put(uint32(h), i)
	return x
}

func (x fieldIndex) put(tag uint32, i int) {
	mask := uint32(len(x) - 1)
	p := tag & mask
	for x[p] != 0 {
		p = (p + 1) & mask
	}
	x[p] = uint64(tag)<<32 | uint64(i+1)
}

// indexSlots is the size of a table that holds n fields without growing.
func indexSlots(n int) int {
	slots := 16
	for slots < 2*n {
		slots *= 2
	}
	return slots
}

// grow returns a table twice as large (at least 16 slots) holding the
// same entries.
func (x fieldIndex) grow() fieldIndex {
	n := 2 * len(x)
	if n < 16 {
		n = 16
	}
	nx := make(fieldIndex, n)
	for _, s := range x {
		if s != 0 {
			nx.put(uint32(s>>32), int(uint32(s))-1)
		}
	}
	return nx
}

// equalFold reports whether a and b are equal ignoring ASCII case, eight
// bytes at a time (the last eight of a longer string overlap the word
// before them).
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) < 8 {
		for i := 0; i < len(a); i++ {
			if a[i] != b[i] && lowerASCII(a[i]) != lowerASCII(b[i]) {
				return false
			}
		}
		return true
	}
	for i := 0; ; i += 8 {
		if i > len(a)-8 {
			i = len(a) - 8
		}
		if x, y := load64(a[i:i+8]), load64(b[i:i+8]); x != y && lower64(x) != lower64(y) {
			return false
		}
		if i == len(a)-8 {
			return true
		}
	}
}

// load64 reads eight bytes, little-endian (the compiler makes it one
// load).
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// lower64 is lowerASCII on each byte of w: a byte is an upper-case letter
// when its low seven bits are at least 'A' and at most 'Z' and its high bit
// is clear; adding to the low seven bits never carries into the next byte.
func lower64(w uint64) uint64 {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	low7 := w &^ high
	atLeastA := low7 + (0x80-'A')*ones
	aboveZ := low7 + (0x80-'Z'-1)*ones
	upper := atLeastA &^ aboveZ &^ w & high
	return w | upper>>2
}
