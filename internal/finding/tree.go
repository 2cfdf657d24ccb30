package finding

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// tree is an ordered JSON document: one node per value, in document order,
// each pointing at its bytes in src. It is built in one pass by a
// hand-written scanner that also validates the syntax, so later walks
// (typed fields, the Wazuh event, discard paths) never re-read src and can
// copy untouched subtrees byte for byte. A tree is reused through pools; it
// is not safe for concurrent use.
type tree struct {
	src   []byte
	nodes []node
	// strs, when set, is a string copy of src[strsAt:strsAt+len(strs)];
	// str slices plain strings out of it instead of allocating each.
	strs   string
	strsAt int32
}

type kind uint8

const (
	kNull kind = iota + 1
	kFalse
	kTrue
	kNumber
	kString
	kObject
	kArray
)

// Node flags. The "fix" flags mean the bytes of the subtree differ from
// the compact form we write (whitespace between tokens, or strings with
// invalid UTF-8); the others drive the Wazuh reformat and duplicate keys.
const (
	fSpace      uint16 = 1 << iota // whitespace between tokens inside the value
	fBadUTF8                       // a string (or key) holds invalid UTF-8
	fEscaped                       // string: has backslash escapes
	fKeyEscaped                    // member key has backslash escapes
	fKeyBad                        // member key holds invalid UTF-8
	fDupHere                       // object: two members share a key
	fDup                           // some object in the subtree has duplicate keys
	fNullInObj                     // a member reachable through objects only is null
	fListInObj                     // a member reachable through objects only is a 1-element list

	fFix = fSpace | fBadUTF8 | fDup
)

// node is one JSON value. Members of objects carry their key's bytes
// (quotes included). Children of a container follow it directly; skip is
// the index of the first node after the subtree, which is also the next
// sibling.
type node struct {
	kind   kind
	flags  uint16
	n      int32 // number of children (containers)
	start  int32 // offset of the value's first byte
	end    int32 // offset after the value's last byte
	key    int32 // offset of the key's opening quote, -1 if none
	keyEnd int32 // offset after the key's closing quote
	skip   int32
}

// maxDepth bounds nesting, so hostile input cannot exhaust the stack.
const maxDepth = 512

// SyntaxError reports malformed JSON at a byte offset of the record.
type SyntaxError struct {
	Offset int64
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

// byte classes for the string scanner.
const (
	cPlain = iota
	cQuote
	cBackslash
	cControl
	cHigh
)

var strClass = func() (t [256]uint8) {
	for i := range 0x20 {
		t[i] = cControl
	}
	t['"'] = cQuote
	t['\\'] = cBackslash
	for i := 0x80; i < 0x100; i++ {
		t[i] = cHigh
	}
	return t
}()

// parse builds the tree of src, which must hold exactly one JSON value
// with optional surrounding whitespace.
func (t *tree) parse(src []byte) error {
	if len(src) >= math.MaxInt32 {
		return &SyntaxError{0, "record too large"}
	}
	t.src = src
	t.nodes = t.nodes[:0]
	t.strs, t.strsAt = "", 0
	p := &parser{t: t}
	i := p.space(0)
	i, err := p.value(i, -1, -1, 0)
	if err != nil {
		return err
	}
	if i = p.space(i); i != len(src) {
		return p.errf(i, "unexpected %q after the value", src[i])
	}
	return nil
}

type parser struct {
	t      *tree
	spaced bool // whitespace seen since the flag was last cleared
}

func (p *parser) errf(off int, format string, args ...any) error {
	return &SyntaxError{int64(off), fmt.Sprintf(format, args...)}
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func (p *parser) space(i int) int {
	src := p.t.src
	j := i
	for j < len(src) && isSpace(src[j]) {
		j++
	}
	if j != i {
		p.spaced = true
	}
	return j
}

// value scans the value at src[i:] and appends its node (and its
// subtree). key/keyEnd give the member key, or -1.
func (p *parser) value(i, key, keyEnd, depth int) (int, error) {
	src := p.t.src
	if i >= len(src) {
		return i, p.errf(i, "unexpected end of input")
	}
	idx := len(p.t.nodes)
	p.t.nodes = append(p.t.nodes, node{start: int32(i), key: int32(key), keyEnd: int32(keyEnd)})
	var (
		k     kind
		flags uint16
		n     int32
		j     int
		err   error
	)
	switch c := src[i]; {
	case c == '{':
		k = kObject
		j, n, flags, err = p.object(i, idx, depth)
	case c == '[':
		k = kArray
		j, n, flags, err = p.array(i, depth)
	case c == '"':
		k = kString
		j, flags, err = p.str(i)
	case c == '-' || (c >= '0' && c <= '9'):
		k = kNumber
		j, err = p.number(i)
	case c == 't':
		k, j, err = kTrue, i+4, p.literal(i, "true")
	case c == 'f':
		k, j, err = kFalse, i+5, p.literal(i, "false")
	case c == 'n':
		k, j, err = kNull, i+4, p.literal(i, "null")
	default:
		return i, p.errf(i, "unexpected %q", c)
	}
	if err != nil {
		return j, err
	}
	nd := &p.t.nodes[idx]
	nd.kind, nd.flags, nd.n, nd.end, nd.skip = k, nd.flags|flags, n, int32(j), int32(len(p.t.nodes))
	return j, nil
}

func (p *parser) literal(i int, lit string) error {
	if len(p.t.src)-i < len(lit) || string(p.t.src[i:i+len(lit)]) != lit {
		return p.errf(i, "invalid literal")
	}
	return nil
}

// childFlags gives the flags a container inherits from child c. Null and
// one-element-list marks travel through objects only: Wazuh's cleanup
// never looks inside lists.
func childFlags(c *node, parentIsObject bool) uint16 {
	f := c.flags & (fSpace | fBadUTF8 | fKeyBad | fDup)
	if c.flags&fKeyBad != 0 {
		f |= fBadUTF8
	}
	if c.flags&fDupHere != 0 {
		f |= fDup
	}
	if !parentIsObject {
		return f &^ fKeyBad
	}
	switch {
	case c.kind == kNull:
		f |= fNullInObj
	case c.kind == kArray && c.n == 1:
		f |= fListInObj
	case c.kind == kObject:
		f |= c.flags & (fNullInObj | fListInObj)
	}
	return f &^ fKeyBad
}

func (p *parser) object(i, idx, depth int) (int, int32, uint16, error) {
	if depth >= maxDepth {
		return i, 0, 0, p.errf(i, "nesting deeper than %d", maxDepth)
	}
	src := p.t.src
	saved := p.spaced
	p.spaced = false
	var flags uint16
	var n int32
	j := p.space(i + 1)
	if j < len(src) && src[j] == '}' {
		flags = p.spacedFlag()
		p.spaced = saved
		return j + 1, 0, flags, nil
	}
	for {
		if j >= len(src) || src[j] != '"' {
			return j, 0, 0, p.errf(j, "expected a member name")
		}
		ks := j
		ke, kf, err := p.str(j)
		if err != nil {
			return ke, 0, 0, err
		}
		j = p.space(ke)
		if j >= len(src) || src[j] != ':' {
			return j, 0, 0, p.errf(j, "expected ':' after a member name")
		}
		j = p.space(j + 1)
		c := len(p.t.nodes)
		if j, err = p.value(j, ks, ke, depth+1); err != nil {
			return j, 0, 0, err
		}
		cn := &p.t.nodes[c]
		if kf&fEscaped != 0 {
			cn.flags |= fKeyEscaped
		}
		if kf&fBadUTF8 != 0 {
			cn.flags |= fKeyBad
		}
		flags |= childFlags(cn, true)
		n++
		j = p.space(j)
		if j >= len(src) {
			return j, 0, 0, p.errf(j, "unexpected end of input in an object")
		}
		if src[j] == '}' {
			j++
			break
		}
		if src[j] != ',' {
			return j, 0, 0, p.errf(j, "expected ',' or '}' in an object")
		}
		j = p.space(j + 1)
	}
	flags |= p.spacedFlag()
	p.spaced = saved
	if n > 1 && p.t.hasDupKeys(int32(idx), n) {
		flags |= fDupHere | fDup
	}
	return j, n, flags, nil
}

func (p *parser) array(i, depth int) (int, int32, uint16, error) {
	if depth >= maxDepth {
		return i, 0, 0, p.errf(i, "nesting deeper than %d", maxDepth)
	}
	src := p.t.src
	saved := p.spaced
	p.spaced = false
	var flags uint16
	var n int32
	j := p.space(i + 1)
	if j < len(src) && src[j] == ']' {
		flags = p.spacedFlag()
		p.spaced = saved
		return j + 1, 0, flags, nil
	}
	for {
		c := len(p.t.nodes)
		var err error
		if j, err = p.value(j, -1, -1, depth+1); err != nil {
			return j, 0, 0, err
		}
		flags |= childFlags(&p.t.nodes[c], false)
		n++
		j = p.space(j)
		if j >= len(src) {
			return j, 0, 0, p.errf(j, "unexpected end of input in a list")
		}
		if src[j] == ']' {
			j++
			break
		}
		if src[j] != ',' {
			return j, 0, 0, p.errf(j, "expected ',' or ']' in a list")
		}
		j = p.space(j + 1)
	}
	flags |= p.spacedFlag()
	p.spaced = saved
	return j, n, flags, nil
}

func (p *parser) spacedFlag() uint16 {
	if p.spaced {
		return fSpace
	}
	return 0
}

// str scans the string starting at the quote src[i]; it returns the offset
// after the closing quote and fEscaped/fBadUTF8.
func (p *parser) str(i int) (int, uint16, error) {
	src := p.t.src
	var flags uint16
	high := false
	j := i + 1
	for {
		j = skipPlain(src, j)
		if j >= len(src) {
			return j, 0, p.errf(j, "unterminated string")
		}
		switch strClass[src[j]] {
		case cQuote:
			if high && !utf8.Valid(src[i+1:j]) {
				flags |= fBadUTF8
			}
			return j + 1, flags, nil
		case cBackslash:
			flags |= fEscaped
			if j+1 >= len(src) {
				return j, 0, p.errf(j, "unterminated string")
			}
			switch src[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if len(src)-j < 6 || !isHex4(src[j+2:j+6]) {
					return j, 0, p.errf(j, "invalid \\u escape")
				}
				j += 6
			default:
				return j, 0, p.errf(j, "invalid escape")
			}
		case cControl:
			return j, 0, p.errf(j, "control character in a string")
		case cHigh:
			high = true
			j++
		}
	}
}

// skipPlain returns the offset of the first byte at or after j that is not
// plain string content (a quote, backslash, control or non-ASCII byte),
// testing eight bytes at a time.
func skipPlain(src []byte, j int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; j+8 <= len(src); j += 8 {
		x := binary.LittleEndian.Uint64(src[j:])
		q := x ^ (ones * '"')
		b := x ^ (ones * '\\')
		// A byte is special if it is zero after the XORs, below 0x20, or
		// has its high bit set; false positives only fall back to the
		// byte loop.
		special := ((q - ones) &^ q) | ((b - ones) &^ b) | (x - ones*0x20) | x
		if special&highs != 0 {
			break
		}
	}
	for j < len(src) && strClass[src[j]] == cPlain {
		j++
	}
	return j
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// number checks the JSON number grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number(i int) (int, error) {
	src := p.t.src
	j := i
	if src[j] == '-' {
		j++
	}
	digits := func() int {
		s := j
		for j < len(src) && src[j] >= '0' && src[j] <= '9' {
			j++
		}
		return j - s
	}
	switch {
	case j < len(src) && src[j] == '0':
		j++
	case digits() == 0:
		return j, p.errf(j, "invalid number")
	}
	if j < len(src) && src[j] == '.' {
		j++
		if digits() == 0 {
			return j, p.errf(j, "invalid number")
		}
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		j++
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if digits() == 0 {
			return j, p.errf(j, "invalid number")
		}
	}
	return j, nil
}
