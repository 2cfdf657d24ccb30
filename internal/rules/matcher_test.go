package rules

import (
	"regexp"
	"strings"
	"testing"
)

type matchCase struct {
	name    string
	pattern string
	subject string
	want    bool
}

func runMatchCases(t *testing.T, compile func(string) (Matcher, error), cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := compile(tc.pattern)
			if err != nil {
				t.Fatalf("compile %q: %v", tc.pattern, err)
			}
			if got := m.Match(tc.subject); got != tc.want {
				t.Errorf("%s on %q = %v, want %v", m, tc.subject, got, tc.want)
			}
		})
	}
}

func TestOSRegexMatch(t *testing.T) {
	runMatchCases(t, CompileOSRegex, []matchCase{
		{"literal substring", "guardduty", "aws.guardduty.x", true},
		{"literal case-insensitive", "GuardDuty", "GUARDDUTY", true},
		{"literal miss", "guardduty", "macie", false},
		{"alternatives", "7|8|9", "3.900000", true},
		{"alternatives miss", "7|8|9", "2", false},
		{"severity 10 quirk", "0|1|2|3", "10", true},
		{"dot is literal", "REST.GET", "REST-GET", false},
		{"escaped dot is any", `REST\.GET`, "REST-GET", true},
		{"anchored both", "^REST.GET.OBJECT$", "rest.get.object", true},
		{"anchored both, longer", "^REST.GET.OBJECT$", "REST.GET.OBJECTS", false},
		{"anchor per alternative", "^a$|b", "xbx", true},
		{"anchor per alternative 2", "^a$|b", "xax", false},
		{"caret mid-pattern literal", "a^b", "a^b", true},
		{"dollar mid-pattern literal", "a$b", "xa$by", true},
		{"end only alt", "abc$", "xxabc", true},
		{"end only alt miss", "abc$", "abcx", false},
		{"lone dollar matches empty only", "$", "", true},
		{"lone dollar on text", "$", "abc", false},
		{"lone caret", "^", "abc", true},
		{"empty pattern", "", "abc", true},
		{"digits plus", `^\d+$`, "2024", true},
		{"digits plus miss", `^\d+$`, "20a4", false},
		{"digit class only ascii", `\d`, "٣", false},
		{"word includes dash and at", `^\w+$`, "a-b@c_D9", true},
		{"word excludes dot", `^\w+$`, "a.b", false},
		{"space is only 0x20", `a\sb`, "a\tb", false},
		{"space", `a\sb`, "a b", true},
		{"tab", `a\tb`, "a\tb", true},
		{"punct", `^\p+$`, `!"#$%&'()*+,-.:;<=>?[]{|}`, true},
		{"punct excludes slash", `\p`, "/", false},
		{"non-digit", `^\D+$`, "abc", true},
		{"non-word", `\W`, "abc", false},
		{"non-space", `^\S+$`, "a\tb", true},
		{"any plus", `\.+`, "x", true},
		{"any plus empty", `\.+`, "", false},
		{"any star empty", `^\.*$`, "", true},
		{"any matches newline", `a\.b`, "a\nb", true},
		{"escaped specials", `\$\(\)\\\|\<`, `$()\|<`, true},
		{"plus after literal is literal", "a+", "a+", true},
		{"plus after literal not a quantifier", "a+", "aa", false},
		{"second plus literal", `\d++`, "1+", true},
		{"parens zero width", "(ab)c", "xabcx", true},
		{"parens with class", `^(\d+)-(\w+)$`, "12-ab", true},
		{"byte semantics", `^\.\.$`, "é", true},
		{"byte semantics one class", `^\.$`, "é", false},
		{"non-ascii literal never matches", "café", "café", false},
		{"non-ascii subject via class", `^caf\.\.$`, "café", true},
		{"GuardDuty control id", `^GuardDuty.\d+`, "GuardDuty.1", true},
		{"backslash-lt from xml", `\<script`, "<SCRIPT>", true},
	})
}

func TestOSRegexErrors(t *testing.T) {
	for _, p := range []string{`\`, `a\q`, `((a))`, `(a`, `a)`, `(a|b)`, `\n`, strings.Repeat("a", maxPatternSize+1)} {
		if _, err := CompileOSRegex(p); err == nil {
			t.Errorf("CompileOSRegex(%.20q) succeeded, want error", p)
		}
	}
}

func TestOSRegexTranslation(t *testing.T) {
	cases := []struct{ pattern, want string }{
		{`^\d+\.\w*$`, `(?:^[0-9]+(?s:.)[-0-9@A-Z_a-z]*$)`},
		{`a.b|\s`, `(?:[aA]\.[bB])|(?:\x20)`},
		{`$`, `(?:^$)`},
		{`(\S+)`, `(?:([^\x20]+))`},
	}
	for _, tc := range cases {
		alts, err := parseOSRegex(tc.pattern)
		if err != nil {
			t.Fatalf("parse %q: %v", tc.pattern, err)
		}
		if got := osregexToRE2(alts); got != tc.want {
			t.Errorf("translate %q = %s, want %s", tc.pattern, got, tc.want)
		}
	}
}

func TestOSMatch(t *testing.T) {
	runMatchCases(t, CompileOSMatch, []matchCase{
		{"substring", "PORT_PROBE", "x port_probe y", true},
		{"prefix", "^UnauthorizedAccess:", "unauthorizedaccess:EC2/x", true},
		{"prefix miss", "^Unauthorized", "x Unauthorized", false},
		{"suffix", "Login$", "ConsoleLogin", true},
		{"suffix miss", "Login$", "LoginX", false},
		{"exact", "^ok$", "OK", true},
		{"exact miss", "^ok$", "okay", false},
		{"alternatives", "a|^b$|c$", "b", true},
		{"negated", "!guardduty", "macie", true},
		{"negated hit", "!guardduty", "guardduty", false},
		{"empty alt always", "x|", "anything", true},
		{"empty pattern", "", "", true},
		{"caret-dollar only", "^$", "", true},
		{"caret-dollar only miss", "^$", "a", false},
		{"regex chars literal", `\d+.`, `a\d+.b`, true},
		{"dot literal", "a.b", "axb", false},
		{"non-ascii substring never matches", "café", "café", false},
		{"non-ascii exact matches", "^café$", "CAFé", true},
	})
}

func TestWordMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"authentication_failed", "syslog,sshd,authentication_failed,", true},
		{"AUTHENTICATION", "x,authentication_success,", true},
		{"^syslog", "syslog,sshd,", true},
		{"^sshd", "syslog,sshd,", false},
		{"web|sshd", "syslog,sshd,", true},
		{"nope|other", "syslog,sshd,", false},
		{"x|", "anything", true},
		{"", "anything", false},
		{"gd_low", "", false},
	}
	for _, tc := range cases {
		if got := wordMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("wordMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestPCRE2(t *testing.T) {
	runMatchCases(t, CompilePCRE2, []matchCase{
		{"case sensitive", "^AccessDenied$", "accessdenied", false},
		{"plain", `^(?:AccessDenied|UnauthorizedAccess)$`, "UnauthorizedAccess", true},
		{"leading negative lookahead", `^(?!^$|^-$).*`, "AccessDenied", true},
		{"leading negative lookahead dash", `^(?!^$|^-$).*`, "-", false},
		{"leading negative lookahead empty", `^(?!^$|^-$).*`, "", false},
		{"leading positive lookahead", `^(?=.*b)a`, "axb", true},
		{"leading positive lookahead miss", `^(?=.*b)a`, "axc", false},
		{"two lookaheads", `^(?!x)(?!y)\w`, "z", true},
		{"two lookaheads miss", `^(?!x)(?!y)\w`, "y", false},
		{"dollar before final newline", `^abc$`, "abc\n", true},
		{"dollar not before other newline", `^abc$`, "abc\n\n", false},
		{"Z", `abc\Z`, "abc\n", true},
		{"s includes VT", `a\sb`, "a\vb", true},
		{"S excludes VT", `a\Sb`, "a\vb", false},
		{"escape e", `\e`, "\x1b", true},
		{"h", `a\hb`, "a\tb", true},
		{"byte dot", `^..$`, "é", true},
		{"multiline dollar", `(?m)^a$`, "a\nb", true},
		{"class dollar literal", `[$]`, "$", true},
		{"quoted dollar", `\Qa$\E`, "a$", true},
	})
	for _, p := range []string{`(a)\1`, `a(?=b)`, `(?<=a)b`, `(?>a)`, `a++`, `\R`, `(?R)`, `^(?!a)b|c`, `(`, `^(?!a`, `\K`} {
		if _, err := CompilePCRE2(p); err == nil {
			t.Errorf("CompilePCRE2(%q) succeeded, want error", p)
		}
	}
}

func TestCompileExpression(t *testing.T) {
	m, err := CompileExpression("STRING", "ACCEPT")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Match("ACCEPT") || m.Match("accept") {
		t.Errorf("string matcher is not exact")
	}
	if _, err := CompileExpression("glob", "x"); err == nil {
		t.Errorf("unknown type accepted")
	}
}

func TestEqualFold(t *testing.T) {
	// Every pair of bytes, in every position of a 9-byte string (one word
	// and a tail), against the byte-wise definitions.
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			want := lowerASCII(byte(a)) == lowerASCII(byte(b))
			wantPrefix := lowerASCII(byte(a)) == byte(b)
			for pos := 0; pos < 9; pos++ {
				x, y := []byte("aWs.TyPe0"), []byte("AwS.tYpE0")
				x[pos], y[pos] = byte(a), byte(b)
				if got := equalFold(string(x), string(y)); got != want {
					t.Fatalf("equalFold(%q, %q) = %v", x, y, got)
				}
				p := []byte("aws.type0")
				p[pos] = byte(b)
				if got := hasPrefixFold(string(x)+"tail", string(p)); got != wantPrefix {
					t.Fatalf("hasPrefixFold(%q, %q) = %v", x, p, got)
				}
			}
		}
	}
	if equalFold("abc", "abcd") || !equalFold("", "") {
		t.Error("lengths")
	}
	// Every length up to three words, with one byte changed anywhere.
	const text = "Aws.Service.Action.RemoteIp!"
	for n := 0; n <= len(text); n++ {
		a, b := text[:n], toLowerASCII(text[:n])
		if !equalFold(a, b) {
			t.Errorf("equalFold(%q, %q) = false", a, b)
		}
		for pos := 0; pos < n; pos++ {
			c := []byte(b)
			c[pos] ^= 0x01
			if equalFold(a, string(c)) {
				t.Errorf("equalFold(%q, %q) = true", a, c)
			}
		}
	}
}

// TestOSRegexByteSet checks the one-class fast path against the regexp
// translation it replaces.
func TestOSRegexByteSet(t *testing.T) {
	subjects := []string{"", " ", "  ", "a", " a ", "\t", "5", "x-y", "é", "\x80", "!", "( )", "\\", "$", "|", "<"}
	for b := range 256 {
		subjects = append(subjects, string([]byte{byte(b)}), "  "+string([]byte{byte(b)}))
	}
	for _, class := range "dDwWsSpt.()\\$|<" {
		for _, quant := range []string{"", "+"} {
			pattern := `\` + string(class) + quant
			m, err := CompileOSRegex(pattern)
			if err != nil {
				t.Fatalf("%s: %v", pattern, err)
			}
			_, set := m.(*byteSetMatcher)
			if literal := quant == "" && strings.ContainsRune("t()\\$|<", class); set == literal {
				t.Fatalf("%s: %T", pattern, m)
			}
			alts, _ := parseOSRegex(pattern)
			ref := &regexMatcher{re: regexp.MustCompile(osregexToRE2(alts))}
			for _, s := range subjects {
				if got, want := m.Match(s), ref.Match(s); got != want {
					t.Errorf("%s on %q: %v, regexp says %v", pattern, s, got, want)
				}
			}
		}
	}
	for _, pattern := range []string{`^\S`, `\S$`, `\S*`, `\d\d`, `a\S`, `\S|x`} {
		if m, _ := CompileOSRegex(pattern); m != nil {
			if _, ok := m.(*byteSetMatcher); ok {
				t.Errorf("%s: byte-set matcher for a pattern it cannot express", pattern)
			}
		}
	}
}
