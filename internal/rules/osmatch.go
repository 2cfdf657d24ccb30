package rules

import (
	"fmt"
	"strings"
)

// OS_Match translation (os_match_compile.c / os_match_execute.c). OS_Match
// has no metacharacters besides these, so no regexp is needed:
//
//	!pattern     leading '!' negates the whole pattern
//	a|b          alternatives (no escaping: a '|' always splits)
//	^abc$        subject equals abc
//	^abc         subject starts with abc
//	abc$         subject ends with abc
//	abc          subject contains abc
//	(empty alt)  always matches
//
// Comparison ignores ASCII case (analysisd lowercases the pattern and each
// subject byte through its charmap, or uses strcasecmp). A '^' or '$' that
// is not first or last in its alternative is a literal character. An
// unanchored alternative with a non-ASCII byte never matches (hasHighByte).

// CompileOSMatch compiles an OS_Match pattern into a Matcher.
func CompileOSMatch(pattern string) (Matcher, error) {
	if len(pattern) > maxPatternSize {
		return nil, fmt.Errorf("invalid OS_Match: pattern longer than %d bytes", maxPatternSize)
	}
	m := &literalMatcher{kind: "osmatch", raw: pattern}
	p := pattern
	if strings.HasPrefix(p, "!") {
		m.negate = true
		p = p[1:]
	}
	for _, alt := range strings.Split(toLowerASCII(p), "|") {
		var a litAlt
		switch {
		case len(alt) >= 2 && alt[0] == '^' && alt[len(alt)-1] == '$':
			a = litAlt{s: alt[1 : len(alt)-1], begin: true, end: true}
		case alt == "":
			a = litAlt{}
		case alt[len(alt)-1] == '$':
			a = litAlt{s: alt[:len(alt)-1], end: true}
		case alt[0] == '^':
			a = litAlt{s: alt[1:], begin: true}
		default:
			a = litAlt{s: alt, never: hasHighByte(alt)}
		}
		m.alts = append(m.alts, a)
	}
	return m, nil
}

// wordMatch is OS_WordMatch, used to attach if_group children: pattern is
// split on '|'; an alternative starting with '^' is a case-insensitive
// prefix test, any other a case-insensitive substring test. An empty
// pattern never matches; an empty last alternative always does. It is a
// direct port of the C loop, including how a leading or doubled '|' is
// handled.
func wordMatch(pattern, s string) bool {
	if pattern == "" {
		return false
	}
	count := 0
	for {
		if pattern[count] == '|' {
			if internalWordMatch(pattern, s, count) {
				return true
			}
			pattern = pattern[count+1:]
			count = 0
		} else {
			count++
		}
		if count >= len(pattern) {
			break
		}
	}
	return internalWordMatch(pattern, s, count)
}

// internalWordMatch is _InternalMatch: pattern[:size] is one alternative,
// and pattern[size] (or the end) is the character that ends it.
func internalWordMatch(pattern, s string, size int) bool {
	if pattern == "" {
		return true
	}
	if pattern[0] == '^' {
		// strncasecmp(pattern+1, s, size-1)
		return hasPrefixFold(s, toLowerASCII(pattern[1:size]))
	}
	if s == "" {
		return false
	}
	var last byte // pattern[size], 0 at the end
	if size < len(pattern) {
		last = pattern[size]
	}
	at := func(str string, i int) byte { // C string indexing: 0 past the end
		if i < len(str) {
			return str[i]
		}
		return 0
	}
	for st := 0; st < len(s); st++ {
		if lowerASCII(s[st]) != lowerASCII(pattern[0]) {
			continue
		}
		pt, j := 1, st+1
		for at(pattern, pt) != last {
			if j >= len(s) {
				return false
			}
			if lowerASCII(at(pattern, pt)) != lowerASCII(s[j]) {
				break
			}
			pt++
			j++
		}
		if at(pattern, pt) == last {
			return true
		}
	}
	return false
}
