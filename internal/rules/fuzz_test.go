package rules

import (
	"bytes"
	"os"
	"reflect"
	"regexp"
	"testing"
	"time"
)

func FuzzLoadXML(f *testing.F) {
	for _, name := range []string{"testdata/rules/0100-guardduty.xml", "testdata/rules/0200-tuning.xml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(correlationXML))
	f.Add([]byte(`<var name="X">a|b</var><group name="g,"><rule id="10" level="3"><match>$X</match><description>$(f)</description></rule></group>`))
	f.Add([]byte(dispatchXML()))
	events := []*Event{gdEvent(f, nil), gdEvent(f, map[string]any{"type": "Recon:EC2/Portscan", "severity": 8})}
	for _, x := range []string{"A", "c", "G", "caf\xe9", "Hello"} {
		events = append(events, jsonEvent(f, map[string]any{"kind": "test", "x": x, "y": "yes", "z": "1"}))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var l Loader
		if err := l.AddCategoryRoots(); err != nil {
			t.Fatal(err)
		}
		if err := l.LoadFile("fuzz.xml", data); err != nil {
			return
		}
		rs, err := l.Ruleset()
		if err != nil {
			t.Fatalf("Ruleset after a clean load: %v", err)
		}
		// A traced walk tries every child; an untraced one may dispatch.
		// Both must give the same matches.
		plain, fast := rs.NewState(), rs.NewState()
		var tr Trace
		for i, ev := range events {
			now := t0.Add(time.Duration(i) * time.Second)
			want := plain.Eval(ev, now, &tr)
			if got := fast.Eval(ev, now, nil); !reflect.DeepEqual(got, want) {
				t.Fatalf("event %d: untraced %+v, traced %+v", i, got, want)
			}
		}
		_ = tr.String() + rs.Tree()
	})
}

func FuzzOSRegex(f *testing.F) {
	for _, s := range [][2]string{
		{`^\d+$`, "123"}, {"7|8|9", "3.900000"}, {`\.+`, ""}, {`^REST.GET.OBJECT$`, "rest.get.object"},
		{`(\w+)@\S+`, "a@b"}, {`$`, ""}, {`a\$b`, "a$b"}, {"café", "café"}, {`\p*\t\s`, "!\t "},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, subject string) {
		m, err := CompileOSRegex(pattern)
		if err != nil {
			return
		}
		got := m.Match(subject)
		// When a fast path (literals, one class) is used, the RE2
		// translation must agree.
		alts, err := parseOSRegex(pattern)
		if err != nil {
			t.Fatalf("compiled but does not parse: %v", err)
		}
		re, err := regexp.Compile(osregexToRE2(alts))
		if err != nil {
			t.Fatalf("translation of %q does not compile: %v", pattern, err)
		}
		if _, viaRE := m.(*regexMatcher); !viaRE && re.MatchString(latin1(subject)) != got {
			t.Fatalf("%q on %q: fast path (%T) %v, regexp %v", pattern, subject, m, got, !got)
		}
	})
}

func FuzzOSMatch(f *testing.F) {
	for _, s := range [][2]string{{"!a|^b$|c$|^d", "xd"}, {"", ""}, {"^$", "x"}, {"é", "é"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, subject string) {
		m, err := CompileOSMatch(pattern)
		if err != nil {
			return
		}
		m.Match(subject)
		wordMatch(pattern, subject)
	})
}

func FuzzPCRE2(f *testing.F) {
	for _, s := range [][2]string{
		{`^(?!^$|^-$).*`, "-"}, {`^(?:AccessDenied|X)$`, "X"}, {`^(?=a)(?!ab)\w+$`, "ac"},
		{`a$|\Z[\s\S]\h\v\e`, "a\n"}, {`\Qa$\E[$\]]`, "a$$"}, {`(?m)^x$`, "y\nx"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, subject string) {
		if m, err := CompilePCRE2(pattern); err == nil {
			m.Match(subject)
		}
	})
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"integration":"aws","aws":{"severity":5.5,"a":[1,"x",{"b":null}],"c":{}}}`))
	f.Add([]byte(`{"srcip":"1.2.3.4","user":"u","x":"\u00e9\ud83d\ude00\u0000y"}`))
	f.Add([]byte("\xef\xbb\xbf{\"a\":01,\"b\":1.,\"c\":-.5} trailing"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := DecodeJSON(data)
		DecodeLog("stdin", string(data))
		if err != nil {
			return
		}
		for _, fl := range ev.Fields() {
			want := firstFold(ev, fl.Key)
			for _, k := range []string{fl.Key, toLowerASCII(fl.Key), upperASCII(fl.Key)} {
				if v, ok := ev.Get(k); !ok || v != want {
					t.Fatalf("Get(%q) = %q, %v; want %q", k, v, ok, want)
				}
			}
		}
		if _, ok := ev.Get("no such field\x00"); ok {
			t.Fatal("Get found a field that is not there")
		}
		// Array fields are cJSON output and must read back to the same text.
		root, err := parseCJSON(string(data))
		if err != nil {
			t.Fatalf("DecodeJSON accepted what parseCJSON rejects: %v", err)
		}
		checkArrays(t, root)
	})
}

func checkArrays(t *testing.T, v *jValue) {
	if v.kind == jArray {
		text := printCJSON(v)
		again, err := parseCJSON(text)
		if err != nil || printCJSON(again) != text {
			t.Fatalf("array text %q does not read back: %v", text, err)
		}
	}
	for _, it := range v.items {
		checkArrays(t, it)
	}
	for _, m := range v.members {
		checkArrays(t, m.val)
	}
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// firstFold is the value Get must return for key: the first field's whose
// key equals it ignoring ASCII case.
func firstFold(ev *Event, key string) string {
	for _, fl := range ev.Fields() {
		if toLowerASCII(fl.Key) == toLowerASCII(key) {
			return fl.Value
		}
	}
	return ""
}

func FuzzParseTestFile(f *testing.F) {
	data, err := os.ReadFile("testdata/tests/guardduty.ini")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("[a [b]]\nlog 1 pass = x\n\ty\nrule: 1\nalert = 0\ndecoder =\n"))
	rs, _ := loadTestdata(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		cases, err := ParseTestFile(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i := range cases {
			rs.RunTest(&cases[i], t0)
		}
	})
}
