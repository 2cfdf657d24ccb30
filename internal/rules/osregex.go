package rules

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// OS_Regex translation (os_regex_compile.c / os_regex_execute.c), one
// construct at a time:
//
//	pattern text        analysisd meaning                     Go (RE2)
//	a|b                 alternatives, split before anything   (?:a)|(?:b)
//	^ first in an alt   anchor at the start of the subject    ^
//	$ last in an alt    anchor at the end of the subject      $
//	letter x            literal, ASCII case-insensitive       [xX]
//	other byte          literal (., +, *, ?, [, {, ^, $ too)  escaped literal
//	\d  \D              0-9 / any byte but 0-9                [0-9] / [^0-9]
//	\w  \W              A-Za-z0-9 _ - @ / its complement      [-0-9@A-Z_a-z] / [^...]
//	\s  \S              space (only 0x20) / anything else     \x20 / [^\x20]
//	\p                  !"#$%&'()*+,-.:;<=>?[]{|}             [!-.:-?\[\]{-}]
//	\t                  tab                                   \t
//	\.                  any byte, newline included            (?s:.)
//	\( \) \\ \$ \| \<   the literal character                 escaped literal
//	\X+  \X*            one-or-more / zero-or-more of class X  +  *
//	( )                 capture, one level, zero-width        ( )
//
// Everything else is an error, as in analysisd: an unknown escape or a
// trailing backslash, a parenthesis nested deeper than one level or left
// open, and '|' inside parentheses. '+' and '*' are quantifiers only right
// after a \X class; elsewhere they are literal characters.
//
// Matching is on bytes, as in analysisd (see latin1): \. or \S consumes one
// byte of a multi-byte UTF-8 character. An alternative with a non-ASCII
// literal byte never matches, as on x86-64 analysisd (see hasHighByte).
//
// Known differences: _OS_Regex is not a backtracking regex engine. After a
// quantified class it jumps to the next token at the first character that
// fits it and keeps at most four restart points, so it can miss a match
// RE2 finds ("\S+: x" on "a:: x"), and it has a few outright bugs (an
// all-optional pattern such as "\d*$" fails on "pattern123"). RE2 gives the
// regular-expression answer. Differential runs against analysisd's C code
// over the 2,130 OS_Regex patterns of the Wazuh 4.14.7 ruleset disagreed
// on 20 patterns (about 0.1% of sampled subjects, all with a quantified
// class followed by text that the class also matches); none of them is an
// AWS rule. Adjacent parentheses ")(" also break analysisd's matcher (it
// skips one parenthesis per subject byte); here they are zero-width.
//
// One analysisd quirk is kept on purpose: an alternative that is only "$"
// (end anchor with nothing to match) matches the empty string only, because
// _OS_Regex never records a match position for it on a non-empty subject.

var errOSRegex = errors.New("invalid OS_Regex")

// osregex class bodies, shared by the translator and the tests.
const (
	classW = `-0-9@A-Z_a-z`
	classP = `\x21-\x2e\x3a-\x3f\x5b\x5d\x7b-\x7d`
)

type osrToken struct {
	lit   byte // literal byte when class == 0
	class byte // escape letter (d, w, s, ...) or 0 for a literal
	quant byte // '+', '*' or 0
	paren byte // '(' or ')' (zero-width)
}

// CompileOSRegex compiles an OS_Regex pattern (case-insensitive, as rules
// compile it) into a Matcher.
func CompileOSRegex(pattern string) (Matcher, error) {
	alts, err := parseOSRegex(pattern)
	if err != nil {
		return nil, err
	}
	if lits, ok := osregexLiterals(alts); ok {
		return &literalMatcher{kind: "osregex", raw: pattern, alts: lits}, nil
	}
	if m, ok := osregexByteSet(pattern, alts); ok {
		return m, nil
	}
	re, err := regexp.Compile(osregexToRE2(alts))
	if err != nil {
		return nil, fmt.Errorf("%w %q: translate: %w", errOSRegex, pattern, err)
	}
	return &regexMatcher{kind: "osregex", raw: pattern, re: re}, nil
}

type osrAlt struct {
	toks       []osrToken
	begin, end bool
}

// parseOSRegex splits the pattern into alternatives and tokens, with
// OSRegex_Compile's validation.
func parseOSRegex(pattern string) ([]osrAlt, error) {
	if len(pattern) > maxPatternSize {
		return nil, fmt.Errorf("%w: pattern longer than %d bytes", errOSRegex, maxPatternSize)
	}
	var alts []osrAlt
	var cur []osrToken
	depth := 0
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch c {
		case '\\':
			if i+1 >= len(pattern) {
				return nil, fmt.Errorf("%w %q: trailing backslash", errOSRegex, pattern)
			}
			i++
			e := pattern[i]
			if !strings.ContainsRune("dwspDWS.t()\\$|<", rune(e)) {
				return nil, fmt.Errorf("%w %q: unknown escape \\%c", errOSRegex, pattern, e)
			}
			cur = append(cur, osrToken{class: e})
			continue
		case '(':
			depth++
			if depth > 1 {
				return nil, fmt.Errorf("%w %q: nested parentheses", errOSRegex, pattern)
			}
			cur = append(cur, osrToken{paren: '('})
			continue
		case ')':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("%w %q: unbalanced parenthesis", errOSRegex, pattern)
			}
			cur = append(cur, osrToken{paren: ')'})
			continue
		case '|':
			if depth != 0 {
				return nil, fmt.Errorf("%w %q: '|' inside parentheses", errOSRegex, pattern)
			}
			alts = append(alts, newOSRAlt(cur))
			cur = nil
			continue
		case '+', '*':
			if n := len(cur); n > 0 && cur[n-1].class != 0 && cur[n-1].quant == 0 {
				cur[n-1].quant = c
				continue
			}
		}
		cur = append(cur, osrToken{lit: c})
	}
	if depth != 0 {
		return nil, fmt.Errorf("%w %q: unclosed parenthesis", errOSRegex, pattern)
	}
	return append(alts, newOSRAlt(cur)), nil
}

func (a osrAlt) hasHighLiteral() bool {
	for _, t := range a.toks {
		if t.class == 0 && t.paren == 0 && t.lit >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// newOSRAlt takes a leading literal '^' and a trailing literal '$' as
// anchors, as OSRegex_Compile does per alternative.
func newOSRAlt(t []osrToken) osrAlt {
	var a osrAlt
	if len(t) > 0 && t[0].class == 0 && t[0].paren == 0 && t[0].lit == '^' {
		a.begin = true
		t = t[1:]
	}
	if n := len(t); n > 0 && t[n-1].class == 0 && t[n-1].paren == 0 && t[n-1].lit == '$' {
		a.end = true
		t = t[:n-1]
	}
	a.toks = t
	return a
}

// byteSetMatcher is an unanchored pattern of one class (\S, \d+, ...):
// it matches a subject holding a byte of the class.
type byteSetMatcher struct {
	raw string
	set [256]bool
}

func (m *byteSetMatcher) Match(v string) bool {
	for i := 0; i < len(v); i++ {
		if m.set[v[i]] {
			return true
		}
	}
	return false
}

func (m *byteSetMatcher) String() string { return "osregex:" + m.raw }

// osregexByteSet compiles a pattern that is one unanchored class, alone or
// with '+', to a byteSetMatcher. The set is read off the class's Go
// translation byte by byte (as latin1 presents bytes to it), so it matches
// exactly what the regexp would.
func osregexByteSet(pattern string, alts []osrAlt) (Matcher, bool) {
	if len(alts) != 1 || alts[0].begin || alts[0].end || len(alts[0].toks) != 1 {
		return nil, false
	}
	t := alts[0].toks[0]
	if t.paren != 0 || t.class == 0 || (t.quant != 0 && t.quant != '+') {
		return nil, false
	}
	re, err := regexp.Compile(`^(?:` + osregexClass(t.class) + `)$`)
	if err != nil {
		return nil, false
	}
	m := &byteSetMatcher{raw: pattern}
	for b := range 256 {
		m.set[b] = re.MatchString(string(rune(b)))
	}
	return m, true
}

// osregexLiterals returns the alternatives as literals when no alternative
// uses a class; parentheses are zero-width and dropped.
func osregexLiterals(alts []osrAlt) ([]litAlt, bool) {
	out := make([]litAlt, 0, len(alts))
	for _, a := range alts {
		var b strings.Builder
		for _, t := range a.toks {
			switch {
			case t.paren != 0:
			case t.class != 0:
				if t.quant != 0 {
					return nil, false
				}
				switch {
				case t.class == 't':
					b.WriteByte('\t')
				case strings.ContainsRune("()\\$|<", rune(t.class)):
					b.WriteByte(t.class)
				default:
					return nil, false
				}
			default:
				b.WriteByte(lowerASCII(t.lit))
			}
		}
		l := litAlt{s: b.String(), begin: a.begin, end: a.end, never: hasHighByte(b.String())}
		if a.end && !a.begin && l.s == "" {
			l.begin = true // the "$"-only quirk: empty subject only
		}
		out = append(out, l)
	}
	return out, true
}

// osregexToRE2 writes the RE2 expression for the alternatives.
func osregexToRE2(alts []osrAlt) string {
	var b strings.Builder
	for i, a := range alts {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString("(?:")
		if a.hasHighLiteral() {
			b.WriteString(`[^\x00-\x{10FFFF}])`) // never matches: see hasHighByte
			continue
		}
		if a.begin || (a.end && len(a.toks) == 0) {
			b.WriteByte('^')
		}
		var lit []byte // pending run of literal bytes
		flush := func() {
			for _, c := range lit {
				writeFoldedByte(&b, c)
			}
			lit = lit[:0]
		}
		for _, t := range a.toks {
			if t.class == 0 && t.paren == 0 {
				lit = append(lit, t.lit)
				continue
			}
			flush()
			if t.paren != 0 {
				b.WriteByte(t.paren)
				continue
			}
			b.WriteString(osregexClass(t.class))
			if t.quant != 0 {
				b.WriteByte(t.quant)
			}
		}
		flush()
		if a.end {
			b.WriteByte('$')
		}
		b.WriteByte(')')
	}
	return b.String()
}

// writeFoldedByte writes one literal byte: ASCII letters as a two-case
// class, bytes >= 0x80 as the Latin-1 rune of that value (see latin1).
func writeFoldedByte(b *strings.Builder, c byte) {
	switch {
	case 'a' <= c && c <= 'z':
		b.WriteString("[" + string(rune(c)) + string(rune(c-'a'+'A')) + "]")
	case 'A' <= c && c <= 'Z':
		b.WriteString("[" + string(rune(c-'A'+'a')) + string(rune(c)) + "]")
	case c >= utf8.RuneSelf:
		fmt.Fprintf(b, `\x{%x}`, c)
	default:
		b.WriteString(regexp.QuoteMeta(string(rune(c))))
	}
}

func osregexClass(e byte) string {
	switch e {
	case 'd':
		return `[0-9]`
	case 'D':
		return `[^0-9]`
	case 'w':
		return `[` + classW + `]`
	case 'W':
		return `[^` + classW + `]`
	case 's':
		return `\x20`
	case 'S':
		return `[^\x20]`
	case 'p':
		return `[` + classP + `]`
	case 't':
		return `\t`
	case '.':
		return `(?s:.)`
	case '<':
		return `<`
	}
	return regexp.QuoteMeta(string(e)) // ( ) \ $ |
}
