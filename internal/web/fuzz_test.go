package web

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// FuzzQuery feeds any query string to the pages and exports that parse
// one: the answer is 200 or 400, never a 500, and always carries the
// security headers.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"", "range=7d", "from=2025-01-01T00:00&to=2025-01-02", "level=5&band=high&page=2&size=25",
		"q=%3Cscript%3E&type=%22%3E", "from=1736942400000", "range=all&instance=i-1&rule=100100"} {
		f.Add(s)
	}
	s, err := New(DefaultConfig(), demoQueries(), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if _, err := url.ParseRequestURI("/alerts?" + raw); err != nil || strings.ContainsAny(raw, "# ") {
			return // not a query string a client could send
		}
		for _, p := range []string{"/alerts?", "/api/alerts?", "/alerts.csv?", "/api/overview?"} {
			w := get(t, s.Handler(), "GET", p+raw)
			if w.Code != 200 && w.Code != 400 {
				t.Fatalf("%s%s: status %d: %s", p, raw, w.Code, w.Body)
			}
			checkSecurityHeaders(t, p+raw, w.Header())
		}
	})
}

// FuzzUnescapeHTML checks the event view reads back as the same value.
func FuzzUnescapeHTML(f *testing.F) {
	for _, s := range []string{"", "<script>", `a\u003cb`, `\`, `"&'`, "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, _ := json.Marshal(map[string]string{s: s})
		var back map[string]string
		if err := json.Unmarshal(unescapeHTML(b), &back); err != nil {
			t.Fatalf("%q: %v", unescapeHTML(b), err)
		}
		var want map[string]string
		json.Unmarshal(b, &want)
		if back[want[s]] != want[s] || len(back) != 1 {
			t.Fatalf("%q read back as %q", s, back)
		}
	})
}
