package rules

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Matcher tests one string, as one of analysisd's expression types does.
// Implementations are immutable and safe for concurrent use.
type Matcher interface {
	// Match reports whether s matches.
	Match(s string) bool
	// String names the expression type and its source pattern,
	// e.g. `osregex:7|8|9`.
	String() string
}

// maxPatternSize is OS_PATTERN_MAXSIZE: longer OS_Regex/OS_Match patterns
// do not compile.
const maxPatternSize = 20480

// litAlt is one alternative of a literal matcher: a lowercase string that
// must equal, prefix, suffix or occur in the subject, ignoring ASCII case.
type litAlt struct {
	s          string // lowercase ASCII-folded
	begin, end bool
	never      bool // see hasHighByte
}

func (a litAlt) match(v string) bool {
	switch {
	case a.never:
		return false
	case a.begin && a.end:
		return len(v) == len(a.s) && hasPrefixFold(v, a.s)
	case a.begin:
		return hasPrefixFold(v, a.s)
	case a.end:
		return len(v) >= len(a.s) && hasPrefixFold(v[len(v)-len(a.s):], a.s)
	default:
		return containsFold(v, a.s)
	}
}

// literalMatcher is the fast path shared by OS_Match and by OS_Regex
// patterns without classes: alternatives of case-insensitive literals.
type literalMatcher struct {
	kind   string
	raw    string
	alts   []litAlt
	negate bool // OS_Match leading '!'
}

func (m *literalMatcher) Match(v string) bool {
	for _, a := range m.alts {
		if a.match(v) {
			return !m.negate
		}
	}
	return m.negate
}

func (m *literalMatcher) String() string { return m.kind + ":" + m.raw }

// regexMatcher runs a translated pattern on Go's regexp (RE2, linear time).
type regexMatcher struct {
	kind string
	raw  string
	re   *regexp.Regexp
	// pre are PCRE2 leading lookaheads, split off because RE2 has none:
	// each is anchored at the start and must (want) or must not match.
	pre []lookahead
}

type lookahead struct {
	re   *regexp.Regexp
	want bool
}

func (m *regexMatcher) Match(v string) bool {
	v = latin1(v)
	for _, p := range m.pre {
		if p.re.MatchString(v) != p.want {
			return false
		}
	}
	return m.re.MatchString(v)
}

// latin1 makes RE2 match bytes, as analysisd's engines do: patterns are
// compiled with every byte >= 0x80 written as the rune of the same value,
// and subjects are converted the same way, so '.' or a class consumes one
// byte. ASCII strings, the common case, are returned as they are.
func latin1(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return s
	}
	r := make([]rune, len(s))
	for j := 0; j < len(s); j++ {
		r[j] = rune(s[j])
	}
	return string(r)
}

func (m *regexMatcher) String() string { return m.kind + ":" + m.raw }

// stringMatcher is analysisd's EXP_TYPE_STRING: exact, case-sensitive.
type stringMatcher struct{ s string }

func (m stringMatcher) Match(v string) bool { return v == m.s }
func (m stringMatcher) String() string      { return "string:" + m.s }

// CompileExpression compiles pattern with the named analysisd expression
// type: "osregex", "osmatch", "pcre2" or "string" (case-insensitive).
func CompileExpression(kind, pattern string) (Matcher, error) {
	switch strings.ToLower(kind) {
	case "osregex":
		return CompileOSRegex(pattern)
	case "osmatch":
		return CompileOSMatch(pattern)
	case "pcre2":
		return CompilePCRE2(pattern)
	case "string":
		return stringMatcher{pattern}, nil
	}
	return nil, fmt.Errorf("unknown expression type %q", kind)
}

// lowerASCII maps A-Z to a-z, as analysisd's charmap does; other bytes
// (including UTF-8) are unchanged.
func lowerASCII(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

func toLowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lowerASCII(b[j])
			}
			return string(b)
		}
	}
	return s
}

// hasHighByte reports whether s has a byte >= 0x80. analysisd compares
// such a pattern byte as a (signed, on x86-64) char with the subject byte
// as an unsigned one, so an OS_Regex literal or an unanchored OS_Match
// alternative holding one never matches; that behavior is kept.
func hasHighByte(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// hasPrefixFold reports whether v starts with the lowercase string p,
// ignoring ASCII case in v; it compares eight bytes at a time.
func hasPrefixFold(v, p string) bool {
	if len(v) < len(p) {
		return false
	}
	i := 0
	for ; i+8 <= len(p); i += 8 {
		if lower64(load64(v[i:i+8])) != load64(p[i:i+8]) {
			return false
		}
	}
	for ; i < len(p); i++ {
		if lowerASCII(v[i]) != p[i] {
			return false
		}
	}
	return true
}

// containsFold reports whether the lowercase string p occurs in v,
// ignoring ASCII case in v.
func containsFold(v, p string) bool {
	if len(p) == 0 {
		return true
	}
	c0 := p[0]
	up := c0
	if 'a' <= c0 && c0 <= 'z' {
		up = c0 - ('a' - 'A')
	}
	last := len(v) - len(p)
	for i := 0; i <= last; i++ {
		if b := v[i]; b != c0 && b != up {
			continue
		}
		if hasPrefixFold(v[i+1:], p[1:]) {
			return true
		}
	}
	return false
}
