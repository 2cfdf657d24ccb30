package rules

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
)

// A small port of the parts of cJSON (1.7.x) that analysisd's JSON decoder
// depends on: cJSON_Parse's grammar and cJSON_Print's formatted output. The
// decoder prints arrays with cJSON_Print, so the exact text of an array
// field (spaces, tabs, number formatting) comes from here.

type jKind uint8

const (
	jNull jKind = iota
	jFalse
	jTrue
	jNumber
	jString
	jArray
	jObject
)

type jValue struct {
	kind    jKind
	num     float64
	str     string
	items   []*jValue
	members []jMember
}

type jMember struct {
	key string
	val *jValue
}

// cjsonNestingLimit is CJSON_NESTING_LIMIT.
const cjsonNestingLimit = 1000

type cjParser struct {
	s     string
	i     int
	depth int
	// Values come from slabs, and an object's members and an array's items
	// are gathered on stacks shared by the whole parse and copied out once
	// complete: an event of a few hundred values costs a handful of
	// allocations instead of one per value and per slice growth.
	slab    []jValue
	members []jMember
	items   []*jValue
}

// slabSize is how many values one slab allocation holds.
const slabSize = 64

func (p *cjParser) newValue(v jValue) *jValue {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]jValue, 0, slabSize)
	}
	p.slab = append(p.slab, v)
	return &p.slab[len(p.slab)-1]
}

// parseCJSON parses s as cJSON_Parse does: input ends at the first NUL
// byte, a UTF-8 BOM and leading whitespace are skipped, and text after the
// first value is ignored.
func parseCJSON(s string) (*jValue, error) {
	return newCJParser(s).value()
}

// newCJParser returns a parser at the first value of s.
func newCJParser(s string) *cjParser {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	p := &cjParser{s: strings.TrimPrefix(s, "\xef\xbb\xbf")}
	p.skipWS()
	return p
}

func (p *cjParser) skipWS() {
	for p.i < len(p.s) && p.s[p.i] <= ' ' {
		p.i++
	}
}

func (p *cjParser) value() (*jValue, error) {
	rest := p.s[p.i:]
	switch {
	case strings.HasPrefix(rest, "null"):
		p.i += 4
		return p.newValue(jValue{kind: jNull}), nil
	case strings.HasPrefix(rest, "false"):
		p.i += 5
		return p.newValue(jValue{kind: jFalse}), nil
	case strings.HasPrefix(rest, "true"):
		p.i += 4
		return p.newValue(jValue{kind: jTrue}), nil
	case rest == "":
		return nil, jsonErrorf(p.i, "unexpected end of input")
	}
	switch c := rest[0]; {
	case c == '"':
		s, err := p.string()
		if err != nil {
			return nil, err
		}
		return p.newValue(jValue{kind: jString, str: s}), nil
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	case c == '[':
		return p.array()
	case c == '{':
		return p.object()
	}
	return nil, jsonErrorf(p.i, "unexpected character %q", rest[0])
}

// number is parse_number: the longest run of [0-9+-eE.] (at most 63 bytes)
// is handed to strtod, which takes its longest valid prefix.
func (p *cjParser) number() (*jValue, error) {
	d, err := p.float()
	if err != nil {
		return nil, err
	}
	return p.newValue(jValue{kind: jNumber, num: d}), nil
}

// float reads a number as number does.
func (p *cjParser) float() (float64, error) {
	j := p.i
	for j < len(p.s) && j-p.i < 63 && strings.IndexByte("0123456789+-eE.", p.s[j]) >= 0 {
		j++
	}
	n := strtodPrefix(p.s[p.i:j])
	if n == 0 {
		return 0, jsonErrorf(p.i, "invalid number")
	}
	d, err := strconv.ParseFloat(p.s[p.i:p.i+n], 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, jsonErrorf(p.i, "invalid number: %v", err)
	}
	p.i += n
	return d, nil
}

// strtodPrefix returns the length of the longest prefix of s that strtod
// reads as a decimal number: [sign] (digits [. digits] | . digits)
// [(e|E) [sign] digits].
func strtodPrefix(s string) int {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
		}
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// string is parse_string. Escapes \b \f \n \r \t \" \\ \/ and \uXXXX (with
// surrogate pairs) are decoded; any other escape is an error. The value
// ends at a decoded NUL, as a C string does.
func (p *cjParser) string() (string, error) {
	start := p.i
	end := p.i + 1
	for end < len(p.s) && p.s[end] != '"' {
		if p.s[end] == '\\' {
			if end+1 >= len(p.s) {
				return "", jsonErrorf(start, "unterminated string")
			}
			end++
		}
		end++
	}
	if end >= len(p.s) {
		return "", jsonErrorf(start, "unterminated string")
	}
	raw := p.s[start+1 : end]
	p.i = end + 1
	if strings.IndexByte(raw, '\\') < 0 {
		return raw, nil
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			b.WriteByte(raw[i])
			continue
		}
		i++
		switch c := raw[i]; c {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case '"', '\\', '/':
			b.WriteByte(c)
		case 'u':
			r, n, err := utf16Literal(raw[i-1:])
			if err != nil {
				return "", jsonErrorf(start+1+i, "%v", err)
			}
			if r == 0 {
				return b.String(), nil
			}
			b.WriteRune(r)
			i += n - 2
		default:
			return "", jsonErrorf(start+1+i, "invalid escape \\%c", c)
		}
	}
	return b.String(), nil
}

// utf16Literal decodes "\uXXXX" or a "\uXXXX\uXXXX" surrogate pair at the
// start of s, returning the code point and the bytes used. An invalid hex
// digit reads as code 0, as parse_hex4 does.
func utf16Literal(s string) (rune, int, error) {
	if len(s) < 6 {
		return 0, 0, errors.New("truncated \\u escape")
	}
	first := parseHex4(s[2:6])
	if first >= 0xDC00 && first <= 0xDFFF {
		return 0, 0, errors.New("invalid \\u escape: low surrogate first")
	}
	if first < 0xD800 || first > 0xDBFF {
		return rune(first), 6, nil
	}
	if len(s) < 12 || s[6] != '\\' || s[7] != 'u' {
		return 0, 0, errors.New("invalid \\u escape: lone high surrogate")
	}
	second := parseHex4(s[8:12])
	if second < 0xDC00 || second > 0xDFFF {
		return 0, 0, errors.New("invalid \\u escape: bad low surrogate")
	}
	return rune(0x10000 + ((first&0x3FF)<<10 | second&0x3FF)), 12, nil
}

func parseHex4(s string) uint32 {
	var h uint32
	for i := 0; i < 4; i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			h = h<<4 | uint32(c-'0')
		case 'a' <= c && c <= 'f':
			h = h<<4 | uint32(c-'a'+10)
		case 'A' <= c && c <= 'F':
			h = h<<4 | uint32(c-'A'+10)
		default:
			return 0
		}
	}
	return h
}

func (p *cjParser) enter() error {
	if p.depth >= cjsonNestingLimit {
		return jsonErrorf(p.i, "nesting deeper than %d", cjsonNestingLimit)
	}
	p.depth++
	return nil
}

func (p *cjParser) array() (*jValue, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	v := p.newValue(jValue{kind: jArray})
	p.i++ // '['
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return v, nil
	}
	base := len(p.items)
	defer func() { p.items = p.items[:base] }()
	for {
		p.skipWS()
		item, err := p.value()
		if err != nil {
			return nil, err
		}
		p.items = append(p.items, item)
		p.skipWS()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			v.items = slices.Clone(p.items[base:])
			return v, nil
		}
		return nil, jsonErrorf(p.i, "expected ',' or ']'")
	}
}

func (p *cjParser) object() (*jValue, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	v := p.newValue(jValue{kind: jObject})
	p.i++ // '{'
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return v, nil
	}
	base := len(p.members)
	defer func() { p.members = p.members[:base] }()
	for {
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, jsonErrorf(p.i, "expected a string key")
		}
		key, err := p.string()
		if err != nil {
			return nil, err
		}
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, jsonErrorf(p.i, "expected ':'")
		}
		p.i++
		p.skipWS()
		val, err := p.value()
		if err != nil {
			return nil, err
		}
		p.members = append(p.members, jMember{key: key, val: val})
		p.skipWS()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			v.members = slices.Clone(p.members[base:])
			return v, nil
		}
		return nil, jsonErrorf(p.i, "expected ',' or '}'")
	}
}

// printCJSON is cJSON_Print: formatted output, arrays on one line with ", "
// between items, objects one member per line indented with tabs.
func printCJSON(v *jValue) string {
	var b strings.Builder
	printCJSONValue(&b, v, 0)
	return b.String()
}

func printCJSONValue(b *strings.Builder, v *jValue, depth int) {
	switch v.kind {
	case jNull:
		b.WriteString("null")
	case jFalse:
		b.WriteString("false")
	case jTrue:
		b.WriteString("true")
	case jNumber:
		b.WriteString(printCJSONNumber(v.num))
	case jString:
		printCJSONString(b, v.str)
	case jArray:
		b.WriteByte('[')
		for i, it := range v.items {
			if i > 0 {
				b.WriteString(", ")
			}
			printCJSONValue(b, it, depth+1)
		}
		b.WriteByte(']')
	case jObject:
		d := depth + 1
		b.WriteString("{\n")
		for i, m := range v.members {
			b.WriteString(strings.Repeat("\t", d))
			printCJSONString(b, m.key)
			b.WriteString(":\t")
			printCJSONValue(b, m.val, d)
			if i < len(v.members)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(strings.Repeat("\t", d-1))
		b.WriteByte('}')
	}
}

// printCJSONNumber is print_number: "%d" when the value equals valueint,
// else "%1.15g", or "%1.17g" when 15 digits do not round-trip.
func printCJSONNumber(d float64) string {
	if math.IsNaN(d) || math.IsInf(d, 0) {
		return "null"
	}
	if vi := cjsonValueInt(d); float64(vi) == d {
		return strconv.Itoa(int(vi))
	}
	s := strconv.FormatFloat(d, 'g', 15, 64)
	// sscanf reads an overflowing text as inf, which compare_double then
	// accepts; ParseFloat returns the same inf with ErrRange.
	t, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) || !closeFloat(t, d) {
		s = strconv.FormatFloat(d, 'g', 17, 64)
	}
	return s
}

// closeFloat is cJSON's compare_double.
func closeFloat(a, b float64) bool {
	m := math.Max(math.Abs(a), math.Abs(b))
	return math.Abs(a-b) <= m*2.220446049250313e-16
}

func printCJSONString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 32 {
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}
