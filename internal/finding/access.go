package finding

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Reading the tree. Index 0 is the root; -1 means "absent". Lookups follow
// Python's json.loads, which Wazuh uses: with duplicate keys the last value
// wins (and keeps the first key's position, see effective).

// first returns the index of the first child of container i.
func first(i int32) int32 { return i + 1 }

func (t *tree) next(i int32) int32 { return t.nodes[i].skip }

// keyRaw returns the key bytes of member i without quotes (escapes kept).
func (t *tree) keyRaw(i int32) []byte {
	nd := &t.nodes[i]
	return t.src[nd.key+1 : nd.keyEnd-1]
}

// keyIs reports whether member i's decoded key equals k.
func (t *tree) keyIs(i int32, k string) bool {
	if t.nodes[i].flags&fKeyEscaped == 0 {
		return string(t.keyRaw(i)) == k
	}
	return t.unquote(t.src[t.nodes[i].key:t.nodes[i].keyEnd]) == k
}

// sameKey reports whether members a and b have the same decoded key.
func (t *tree) sameKey(a, b int32) bool {
	na, nb := &t.nodes[a], &t.nodes[b]
	if (na.flags|nb.flags)&fKeyEscaped == 0 {
		return string(t.keyRaw(a)) == string(t.keyRaw(b))
	}
	return t.unquote(t.src[na.key:na.keyEnd]) == t.unquote(t.src[nb.key:nb.keyEnd])
}

// hasDupKeys reports whether object obj, with n members, repeats a key.
func (t *tree) hasDupKeys(obj, n int32) bool {
	// Fast path: a 64-bit sketch of (length, first byte, last byte). Only
	// when two keys land on the same bit, or a key has escapes, are the
	// keys compared pairwise.
	var sketch uint64
	escaped, collide := false, false
	for c, k := first(obj), int32(0); k < n; c, k = t.next(c), k+1 {
		if t.nodes[c].flags&fKeyEscaped != 0 {
			escaped = true
			break
		}
		kr := t.keyRaw(c)
		h := uint(len(kr)) * 31
		if len(kr) > 0 {
			h += uint(kr[0])*7 + uint(kr[len(kr)-1])
		}
		bit := uint64(1) << (h & 63)
		if sketch&bit != 0 {
			collide = true
		}
		sketch |= bit
	}
	if !escaped && !collide {
		return false
	}
	for a, i := first(obj), int32(0); i < n; a, i = t.next(a), i+1 {
		ka := t.keyRaw(a)
		for b, j := t.next(a), i+1; j < n; b, j = t.next(b), j+1 {
			if escaped {
				if t.sameKey(a, b) {
					return true
				}
				continue
			}
			kb := t.keyRaw(b)
			if len(ka) == len(kb) && string(ka) == string(kb) {
				return true
			}
		}
	}
	return false
}

// get returns the value of member k of object i, or -1.
func (t *tree) get(i int32, k string) int32 {
	if i < 0 || t.nodes[i].kind != kObject {
		return -1
	}
	nd := &t.nodes[i]
	found := int32(-1)
	for c, j := first(i), int32(0); j < nd.n; c, j = t.next(c), j+1 {
		if t.keyIs(c, k) {
			found = c
			if nd.flags&fDupHere == 0 {
				break
			}
		}
	}
	return found
}

// path follows keys from i.
func (t *tree) path(i int32, keys ...string) int32 {
	for _, k := range keys {
		if i = t.get(i, k); i < 0 {
			return -1
		}
	}
	return i
}

func (t *tree) raw(i int32) []byte { return t.src[t.nodes[i].start:t.nodes[i].end] }

func (t *tree) kindOf(i int32) kind {
	if i < 0 {
		return 0
	}
	return t.nodes[i].kind
}

// str returns the decoded string at i, or "" when i is not a string.
func (t *tree) str(i int32) string {
	if i < 0 || t.nodes[i].kind != kString {
		return ""
	}
	nd := &t.nodes[i]
	if nd.flags&(fEscaped|fBadUTF8) != 0 {
		return t.unquote(t.raw(i))
	}
	if s, e := nd.start+1-t.strsAt, nd.end-1-t.strsAt; t.strs != "" && s >= 0 && int(e) <= len(t.strs) {
		return t.strs[s:e]
	}
	return string(t.src[nd.start+1 : nd.end-1])
}

// unquote decodes a JSON string token (rare path: escapes or bad UTF-8).
func (t *tree) unquote(tok []byte) string {
	var s string
	if err := json.Unmarshal(tok, &s); err != nil {
		return string(tok)
	}
	return s
}

// text returns a string value, or the literal of a number (asn can be
// either on the wire).
func (t *tree) text(i int32) string {
	switch t.kindOf(i) {
	case kString:
		return t.str(i)
	case kNumber:
		return string(t.raw(i))
	}
	return ""
}

// float returns a number (or a numeric string) at i.
func (t *tree) float(i int32) (float64, bool) {
	var s string
	switch t.kindOf(i) {
	case kNumber:
		s = string(t.raw(i))
	case kString:
		s = t.str(i)
	default:
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// int returns an integer at i; a float is truncated.
func (t *tree) int(i int32) (int64, bool) {
	var s string
	switch t.kindOf(i) {
	case kNumber:
		s = string(t.raw(i))
	case kString:
		s = t.str(i)
	default:
		return 0, false
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != f || f > 9.2e18 || f < -9.2e18 {
		return 0, false
	}
	return int64(f), true
}

// bool returns true/false at i; the strings "true"/"false" count too.
func (t *tree) bool(i int32) bool {
	switch t.kindOf(i) {
	case kTrue:
		return true
	case kString:
		return t.str(i) == "true"
	}
	return false
}

// member is one effective member of an object: the key of its first
// occurrence and the value of its last.
type member struct{ key, val int32 }

// effective appends the members of object i to dst as Python's json.loads
// would keep them: a repeated key keeps its first position and takes its
// last value.
func (t *tree) effective(dst []member, i int32) []member {
	nd := &t.nodes[i]
	for c, j := first(i), int32(0); j < nd.n; c, j = t.next(c), j+1 {
		if nd.flags&fDupHere == 0 {
			dst = append(dst, member{c, c})
			continue
		}
		seen := false
		for d, k := first(i), int32(0); k < j; d, k = t.next(d), k+1 {
			if t.sameKey(c, d) {
				seen = true
				break
			}
		}
		if seen {
			continue
		}
		last := c
		for d, k := t.next(c), j+1; k < nd.n; d, k = t.next(d), k+1 {
			if t.sameKey(c, d) {
				last = d
			}
		}
		dst = append(dst, member{c, last})
	}
	return dst
}

// appendString appends s as a JSON string: no HTML escaping, non-ASCII kept
// as UTF-8, invalid UTF-8 replaced by U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				const hex = "0123456789abcdef"
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\ufffd"...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendFixedToken appends a string token whose bytes hold invalid UTF-8,
// with each bad byte replaced by U+FFFD; escapes are kept as written.
func appendFixedToken(dst, tok []byte) []byte {
	for i := 0; i < len(tok); {
		if tok[i] < utf8.RuneSelf {
			dst = append(dst, tok[i])
			i++
			continue
		}
		r, size := utf8.DecodeRune(tok[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\ufffd"...)
		} else {
			dst = append(dst, tok[i:i+size]...)
		}
		i += size
	}
	return dst
}

// keyName returns member i's key without quotes, decoded if escaped.
func (t *tree) keyName(i int32) []byte {
	if t.nodes[i].flags&fKeyEscaped == 0 {
		return t.keyRaw(i)
	}
	return []byte(t.unquote(t.src[t.nodes[i].key:t.nodes[i].keyEnd]))
}
