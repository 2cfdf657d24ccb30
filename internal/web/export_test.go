package web

import (
	"encoding/csv"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dutywatch/dutywatch/internal/store"
)

func TestCell(t *testing.T) {
	cases := map[string]string{
		"":                        "",
		"plain":                   "plain",
		"=HYPERLINK(\"x\",\"y\")": "'=HYPERLINK(\"x\",\"y\")",
		"+1+2":                    "'+1+2",
		"-2+3":                    "'-2+3",
		"@SUM(A1)":                "'@SUM(A1)",
		"\t=1":                    "'\t=1",
		"\r=1":                    "'\r=1",
		"a=1":                     "a=1",
		"192.0.2.1":               "192.0.2.1",
	}
	for in, want := range cases {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCSVExport(t *testing.T) {
	a := store.Alert{
		ID: "csv1", Time: testNow, EventTime: testNow.Add(-time.Minute), RuleID: 100100, Level: 5, Severity: 2.5,
		Description: "=HYPERLINK(\"http://evil.example\",\"click\")", Type: "UnauthorizedAccess:EC2/SSHBruteForce",
		Title: "quote \" comma , and\nnewline", Account: "123456789012", Region: "us-east-1", InstanceID: "i-1",
		Principal: "+cmd|' /C calc'!A0", RemoteIP: "192.0.2.1", RemoteCity: "-2+3", API: "@SUM(1)",
		Domain: "\t=1", Groups: []string{"a", "b"}, MITRE: []string{"T1110"}, Count: 12,
	}
	q := &fakeQueries{alerts: []store.Alert{a}}
	s, _ := newTestServer(t, DefaultConfig(), q)
	w := get(t, s.Handler(), "GET", "/alerts.csv?range=all")
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	if cd := w.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="dutywatch-alerts-`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	rows, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || strings.Join(rows[0], ",") != strings.Join(csvHeader, ",") {
		t.Fatalf("rows %q", rows)
	}
	got := map[string]string{}
	for i, h := range csvHeader {
		got[h] = rows[1][i]
	}
	want := map[string]string{
		"description": "'=HYPERLINK(\"http://evil.example\",\"click\")",
		"title":       "quote \" comma , and\nnewline",
		"principal":   "'+cmd|' /C calc'!A0",
		"remote_city": "'-2+3",
		"api":         "'@SUM(1)",
		"domain":      "'\t=1",
		"level":       "5",
		"severity":    "2.5",
		"band":        "low",
		"count":       "12",
		"groups":      "a,b",
		"event_time":  "2025-01-15T11:59:00Z",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// TestCSVExportPagesThroughEverything exports more alerts than one query
// page and applies the filter.
func TestCSVExportPagesThroughEverything(t *testing.T) {
	var as []store.Alert
	for i := range 2*exportPage + 17 {
		sev := 2.0
		if i%2 == 0 {
			sev = 8
		}
		as = append(as, store.Alert{ID: fmt.Sprintf("a%05d", i), EventTime: testNow.Add(-time.Duration(3*i) * time.Second),
			Severity: sev, Type: "T"})
	}
	s, _ := newTestServer(t, DefaultConfig(), &fakeQueries{alerts: as})
	for _, c := range []struct {
		query string
		rows  int
	}{{"range=all", len(as)}, {"range=all&band=high", (len(as) + 1) / 2}, {"range=1h&band=low", 600}} {
		w := get(t, s.Handler(), "GET", "/alerts.csv?"+c.query)
		rows, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows)-1 != c.rows {
			t.Errorf("%s: %d rows, want %d", c.query, len(rows)-1, c.rows)
		}
		seen := map[string]bool{}
		for _, r := range rows[1:] {
			if seen[r[2]] {
				t.Errorf("%s: %s twice", c.query, r[2])
			}
			seen[r[2]] = true
		}
	}
}

func TestAlertsPageLinks(t *testing.T) {
	q := demoQueries()
	s, _ := newTestServer(t, DefaultConfig(), q)
	body := get(t, s.Handler(), "GET", "/alerts?range=7d&band=low&size=25&page=2").Body.String()
	for _, want := range []string{
		`href="/alerts?band=low&amp;page=1&amp;range=7d&amp;size=25"`,
		`href="/alerts?band=low&amp;page=3&amp;range=7d&amp;size=25"`,
		`href="/alerts.csv?band=low&amp;range=7d"`,
		`href="/api/alerts?band=low&amp;range=7d&amp;size=25"`,
		// The range picker keeps the filter and goes back to page 1.
		`href="/alerts?band=low&amp;range=24h&amp;size=25"`,
		`<option value="low" selected>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	v := url.Values{"range": {"7d"}}
	if got := href("/x", v); got != "/x?range=7d" {
		t.Errorf("href = %q", got)
	}
}
