package rules

import (
	"fmt"
	"strings"
	"testing"
)

// dumpXML renders parsed nodes for comparison: one line per element with
// its attributes and content.
func dumpXML(nodes []*xmlNode) string {
	var b strings.Builder
	var rec func([]*xmlNode, int)
	rec = func(list []*xmlNode, depth int) {
		for _, n := range list {
			fmt.Fprintf(&b, "%s<%s", strings.Repeat(" ", depth*2), n.name)
			for _, a := range n.attrs {
				fmt.Fprintf(&b, " %s=[%s]", a.name, a.value)
			}
			fmt.Fprintf(&b, ">[%s]\n", n.content)
			rec(n.children, depth+1)
		}
	}
	rec(nodes, 0)
	return b.String()
}

func TestParseXML(t *testing.T) {
	cases := []struct {
		name, in, want, err string
	}{
		{name: "several roots, text between ignored", in: "<a x=\"1\">t<b>u</b>v</a> junk <!-- c --><c/>",
			want: "<a x=[1]>[v]\n  <b>[u]\n<c>[]\n"},
		{name: "no entities", in: `<a>x&amp;y &lt; &</a>`, want: "<a>[x&amp;y &lt; &]\n"},
		{name: "backslash keeps a less-than", in: `<a>a\<b</a>`, want: "<a>[a\\<b]\n"},
		{name: "even backslashes do not", in: `<a>\\<b>c</b></a>`, want: "<a>[]\n  <b>[c]\n"},
		{name: "content kept exactly", in: "<a>\n  v \n</a>", want: "<a>[\n  v \n]\n"},
		{name: "comment inside content", in: `<a>x<!-- y -->z</a>`, want: "<a>[xz]\n"},
		{name: "bang comment", in: `<a><!x!>y</a>`, want: "<a>[y]\n"},
		{name: "attributes with both quotes", in: `<a x="1"  y='2' />`, want: "<a x=[1] y=[2]>[]\n"},
		{name: "space before equals", in: `<a x = "1"/>`, err: "has no value"},
		{name: "comma before closing tag", in: "<group name=\"g,\"><rule/>\n,</group>", want: "<group name=[g,]>[\n,]\n  <rule>[]\n"},
		{name: "closing tag must match exactly", in: `<a>1</a >`, err: "not closed"},
		{name: "wrong closing tag", in: `<a>x</b>`, err: "not closed"},
		{name: "unopened", in: `</a>`, err: "not opened"},
		{name: "unterminated", in: `<a>`, err: "not closed"},
		{name: "comment not closed", in: `<a><!-- open`, err: "comment not closed"},
		{name: "xml declaration is rejected", in: `<?xml version="1.0"?><a/>`, err: "bad attribute closing"},
		{name: "duplicate attribute", in: `<a x="1" x="2"/>`, err: "already defined"},
		{name: "unquoted attribute", in: `<a x=1/>`, err: "not followed by"},
		{name: "attributes need a space", in: `<a x="1"y="2"/>`, err: "bad attribute closing"},
		{name: "greater-than in attribute", in: `<a x="a>b"/>`, err: "not closed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nodes, err := parseXML(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := dumpXML(nodes); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestParseXMLLines(t *testing.T) {
	_, err := parseXML("<a>\n<b>\n</c>\n</a>")
	if err == nil || !strings.HasPrefix(err.Error(), "line 3:") {
		t.Errorf("err = %v, want line 3", err)
	}
}

func TestApplyVariables(t *testing.T) {
	cases := []struct {
		name, in, want, err string
	}{
		{name: "substitution", in: `<var name="V">val</var><a k="x$V.y">$V.x|$V,$V $V</a>`,
			want: "<a k=[xval.y]>[val.x|val,val val]\n"},
		{name: "case-insensitive names", in: `<var name="Ports">22</var><a>^$PORTS$</a>`, want: "<a>[^22$]\n"},
		{name: "field templates and bare dollars kept", in: `<var name="V">1</var><a>$(x.y) a$ $$</a>`, want: "<a>[$(x.y) a$ $$]\n"},
		{name: "short strings untouched", in: `<var name="V">1</var><a>$V</a>`, want: "<a>[$V]\n"},
		{name: "use before definition untouched", in: `<a>$V1</a><var name="V">1</var>`, want: "<a>[$V1]\n"},
		{name: "unknown variable", in: `<var name="V">1</var><a>$W1</a>`, err: "unknown variable"},
		{name: "var needs a name", in: `<var>1</var>`, err: "no value"},
		{name: "var name attribute only", in: `<var id="x">1</var>`, err: "only \"name\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nodes, err := parseXML(tc.in)
			if err == nil {
				nodes, err = applyVariables(nodes)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := dumpXML(nodes); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
