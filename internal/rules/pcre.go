package rules

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// PCRE2 translation. analysisd compiles type="pcre2" with options 0:
// case-sensitive, not anchored, byte (non-UTF) mode. Go's regexp (RE2)
// shares most of PCRE's syntax; this translation handles the differences
// that matter and refuses what RE2 cannot do:
//
//	^(?!X)Y, ^(?=X)Y   leading lookaheads right after the start anchor are
//	                   split off: Y must match at the start and X must not
//	                   (or must) match at the start. This is exact, since
//	                   both are anchored at position 0. The rest may not
//	                   have a top-level '|'.
//	$, \Z              PCRE matches at the end or before a final newline:
//	                   (?:\n?\z)
//	\s, \S (outside a class)  PCRE includes VT (0x0B): [\t-\r ] / [^\t-\r ]
//	\h, \H             [\t \xa0] / [^\t \xa0]
//	\v, \V             vertical space [\n-\r\x85] / [^\n-\r\x85]
//	\e                 \x1b
//
// Rejected with an error (the loader names the rule): other lookaround,
// backreferences (\1, \g, \k), atomic groups, possessive quantifiers,
// recursion, conditionals, backtracking verbs, \R, \X, \K, \G, \C, \c, and
// anything else Go's regexp does not parse. Matching is on bytes, as PCRE2
// without PCRE2_UTF does: see latin1.

var errPCRE2 = errors.New("invalid or unsupported PCRE2")

// CompilePCRE2 compiles a PCRE2 pattern into a Matcher.
func CompilePCRE2(pattern string) (Matcher, error) {
	m := &regexMatcher{kind: "pcre2", raw: pattern}
	rest := latin1(pattern) // byte mode: see latin1
	if strings.HasPrefix(rest, "^(?!") || strings.HasPrefix(rest, "^(?=") {
		rest = rest[1:]
		for strings.HasPrefix(rest, "(?!") || strings.HasPrefix(rest, "(?=") {
			end, err := groupEnd(rest)
			if err != nil {
				return nil, fmt.Errorf("%w %q: %w", errPCRE2, pattern, err)
			}
			inner, err := translatePCRE(rest[3:end])
			if err != nil {
				return nil, fmt.Errorf("%w %q: %w", errPCRE2, pattern, err)
			}
			re, err := regexp.Compile(`^(?:` + inner + `)`)
			if err != nil {
				return nil, fmt.Errorf("%w %q: %w", errPCRE2, pattern, err)
			}
			m.pre = append(m.pre, lookahead{re: re, want: rest[2] == '='})
			rest = rest[end+1:]
		}
		if hasTopLevelBar(rest) {
			return nil, fmt.Errorf("%w %q: lookahead before a top-level '|'", errPCRE2, pattern)
		}
		rest = "^(?:" + rest + ")"
	}
	expr, err := translatePCRE(rest)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w", errPCRE2, pattern, err)
	}
	if m.re, err = regexp.Compile(expr); err != nil {
		return nil, fmt.Errorf("%w %q: %w", errPCRE2, pattern, err)
	}
	return m, nil
}

// pcreScanner walks a pattern one syntactic unit at a time, tracking
// escapes, character classes and \Q...\E quoting.
type pcreScanner struct {
	s       string
	i       int
	inClass bool
	quoted  bool
}

// next returns the next unit (one byte, a two-byte escape, or a whole
// \Q...\E span) and whether it is outside any class.
func (p *pcreScanner) next() (unit string, outside bool) {
	s, i := p.s, p.i
	if p.quoted {
		if j := strings.Index(s[i:], `\E`); j >= 0 {
			p.i, p.quoted = i+j+2, false
			return s[i : i+j+2], false
		}
		p.i = len(s)
		return s[i:], false
	}
	if s[i] == '\\' && i+1 < len(s) {
		p.i = i + 2
		if s[i+1] == 'Q' {
			p.quoted = true
		}
		return s[i : i+2], !p.inClass
	}
	p.i = i + 1
	outside = !p.inClass
	switch {
	case s[i] == '[' && !p.inClass:
		p.inClass = true
		// a ']' right after '[' or '[^' is a literal member
		if strings.HasPrefix(s[p.i:], "^]") {
			p.i += 2
		} else if strings.HasPrefix(s[p.i:], "]") {
			p.i++
		}
		return s[i:p.i], outside
	case s[i] == ']' && p.inClass:
		p.inClass = false
	}
	return s[i : i+1], outside
}

// groupEnd returns the index of the ')' closing the group that opens at
// s[0].
func groupEnd(s string) (int, error) {
	p := &pcreScanner{s: s}
	depth := 0
	for p.i < len(s) {
		at := p.i
		u, out := p.next()
		if !out {
			continue
		}
		switch u {
		case "(":
			depth++
		case ")":
			depth--
			if depth == 0 {
				return at, nil
			}
		}
	}
	return 0, errors.New("unclosed group")
}

func hasTopLevelBar(s string) bool {
	p := &pcreScanner{s: s}
	depth := 0
	for p.i < len(s) {
		u, out := p.next()
		if !out {
			continue
		}
		switch u {
		case "(":
			depth++
		case ")":
			depth--
		case "|":
			if depth == 0 {
				return true
			}
		}
	}
	return false
}

// translatePCRE rewrites the PCRE-only constructs listed above.
func translatePCRE(s string) (string, error) {
	multiline := hasInlineFlag(s, 'm')
	var b strings.Builder
	p := &pcreScanner{s: s}
	for p.i < len(s) {
		u, out := p.next()
		r, bad := pcreUnit(u, out, multiline)
		if bad != "" {
			return "", fmt.Errorf("%s is not supported", bad)
		}
		b.WriteString(r)
		if !out || p.i >= len(s) {
			continue
		}
		if u == "(" && s[p.i] == '?' {
			if bad := pcreGroupKind(s[p.i:]); bad != "" {
				return "", fmt.Errorf("%s is not supported", bad)
			}
		}
		if s[p.i] == '+' && isQuantifierEnd(u) {
			return "", errors.New("possessive quantifier is not supported")
		}
	}
	return b.String(), nil
}

// hasInlineFlag reports whether an inline option group such as (?m) or
// (?im: sets flag f.
func hasInlineFlag(s string, f byte) bool {
	for i := strings.Index(s, "(?"); i >= 0; {
		j := i + 2
		for j < len(s) && strings.IndexByte("imsxUJn-^", s[j]) >= 0 {
			if s[j] == f {
				return true
			}
			j++
		}
		k := strings.Index(s[j:], "(?")
		if k < 0 {
			break
		}
		i = j + k
	}
	return false
}

// pcreUnit translates one unit; bad names an unsupported construct.
func pcreUnit(u string, outside, multiline bool) (out, bad string) {
	if len(u) == 2 && u[0] == '\\' {
		switch c := u[1]; {
		case c >= '1' && c <= '9', c == 'g', c == 'k':
			return "", "backreference " + u
		case strings.IndexByte("RXKGCcNo", c) >= 0:
			return "", "escape " + u
		case c == 'Z' && outside:
			return `(?:\n?\z)`, ""
		case c == 'e':
			return `\x1b`, ""
		case c == 's' && outside:
			return `[\t-\r ]`, ""
		case c == 'S' && outside:
			return `[^\t-\r ]`, ""
		case c == 'h':
			if outside {
				return `[\t \xa0]`, ""
			}
			return `\t \xa0`, ""
		case c == 'H' && outside:
			return `[^\t \xa0]`, ""
		case c == 'v':
			if outside {
				return `[\n-\r\x85]`, ""
			}
			return `\n-\r\x85`, ""
		case c == 'V' && outside:
			return `[^\n-\r\x85]`, ""
		}
		return u, ""
	}
	if u == "$" && outside && !multiline {
		return `(?:\n?\z)`, ""
	}
	return u, ""
}

// pcreGroupKind names an unsupported group syntax starting at "?...".
func pcreGroupKind(s string) string {
	for _, k := range []string{"?=", "?!", "?<=", "?<!", "?>", "?|", "?R", "?(", "?#", "?&", "?P>", "?P="} {
		if strings.HasPrefix(s, k) {
			return "group (" + k
		}
	}
	if len(s) > 1 && (s[1] >= '0' && s[1] <= '9' || s[1] == '+' || s[1] == '-' && len(s) > 2 && s[2] >= '0' && s[2] <= '9') {
		return "recursion (" + s[:2]
	}
	return ""
}

func isQuantifierEnd(u string) bool {
	return u == "+" || u == "*" || u == "?" || u == "}"
}
