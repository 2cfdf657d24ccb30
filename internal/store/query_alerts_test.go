package store

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func alertsFixture() []Alert {
	return []Alert{
		{ID: "f1", EventTime: t0.Add(time.Hour), Level: 5, Severity: 2, Type: "A", Account: "111", Region: "r1", InstanceID: "i-1",
			RuleID: 100, RemoteIP: "198.51.100.7", Description: "SSH brute force against i-0abc from 198.51.100.7"},
		{ID: "f2", EventTime: t0.Add(2 * time.Hour), Level: 10, Severity: 8, Type: "B", Account: "222", Region: "r2",
			InstanceID: "i-0abc", RuleID: 200, Domain: "evil.example.com",
			Description: `Probe "evil" <script>alert(1)</script> NEAR(x) from tor`},
		{ID: "f3", EventTime: t0.Add(2 * time.Hour), Level: 12, Severity: 9.5, Type: "A", Account: "111", Region: "r1",
			InstanceID: "i-2", RuleID: 100, Principal: "arn:aws:iam::111:user/alice", API: "ListBuckets",
			Description: "API call by alice"},
		{ID: "f4", EventTime: t0.Add(30 * time.Hour), Level: 3, Severity: 5, Type: "C", Account: "333", Region: "r1",
			InstanceID: "i-1", RuleID: 300, Description: `He said "; DROP TABLE alerts; -- hi`},
	}
}

func TestAlertsFilter(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		putAlerts(t, s, alertsFixture()...)
		day := TimeRange{From: t0, To: t0.Add(24 * time.Hour)}
		tests := []struct {
			name  string
			f     AlertFilter
			want  string
			total int64
		}{
			{"everything newest first, ties by id", AlertFilter{}, "[f4 f3 f2 f1]", 4},
			{"range", AlertFilter{Range: day}, "[f3 f2 f1]", 3},
			{"range from only", AlertFilter{Range: TimeRange{From: t0.Add(2 * time.Hour)}}, "[f4 f3 f2]", 3},
			{"range to only", AlertFilter{Range: TimeRange{To: t0.Add(2 * time.Hour)}}, "[f1]", 1},
			{"min level", AlertFilter{MinLevel: 10}, "[f3 f2]", 2},
			{"band low", AlertFilter{Band: "low"}, "[f1]", 1},
			{"band medium", AlertFilter{Band: "medium"}, "[f4]", 1},
			{"band high", AlertFilter{Band: "high"}, "[f2]", 1},
			{"band critical", AlertFilter{Band: "critical"}, "[f3]", 1},
			{"type", AlertFilter{Type: "A"}, "[f3 f1]", 2},
			{"account", AlertFilter{Account: "222"}, "[f2]", 1},
			{"region", AlertFilter{Region: "r1"}, "[f4 f3 f1]", 3},
			{"instance", AlertFilter{InstanceID: "i-1"}, "[f4 f1]", 2},
			{"rule", AlertFilter{RuleID: 100}, "[f3 f1]", 2},
			{"all fields", AlertFilter{Range: day, MinLevel: 11, Band: "critical", Type: "A", Account: "111", Region: "r1",
				InstanceID: "i-2", RuleID: 100, Text: "alice"}, "[f3]", 1},
			{"page", AlertFilter{Limit: 2, Offset: 1}, "[f3 f2]", 4},
			{"page past the end", AlertFilter{Offset: 9}, "[]", 4},
			{"negative offset", AlertFilter{Offset: -3, Limit: 1}, "[f4]", 4},
			{"text word", AlertFilter{Text: "brute"}, "[f1]", 1},
			{"text every word must match", AlertFilter{Text: "alice   ListBuckets"}, "[f3]", 1},
			{"text words from different alerts", AlertFilter{Text: "alice brute"}, "[]", 0},
			{"text instance id", AlertFilter{Text: "i-0abc"}, "[f2 f1]", 2},
			{"text IP", AlertFilter{Text: "198.51.100.7"}, "[f1]", 1},
			{"text domain", AlertFilter{Text: "evil.example.com"}, "[f2]", 1},
			{"text principal", AlertFilter{Text: "arn:aws:iam::111:user/alice"}, "[f3]", 1},
			{"text case", AlertFilter{Text: "BRUTE"}, "[f1]", 1},
			{"hostile: sql", AlertFilter{Text: `"; DROP`}, "[f4]", 1},
			{"hostile: NEAR(", AlertFilter{Text: "NEAR("}, "[f2]", 1},
			{"hostile: html", AlertFilter{Text: "<script>"}, "[f2]", 1},
			{"hostile: lone quote", AlertFilter{Text: `"`}, "[]", 0},
			{"hostile: quote inside", AlertFilter{Text: `evil"`}, "[f2]", 1},
			{"hostile: quotes joining", AlertFilter{Text: `a"b`}, "[]", 0},
			{"hostile: star", AlertFilter{Text: "brute*"}, "[f1]", 1},
			{"hostile: caret", AlertFilter{Text: "^brute"}, "[f1]", 1},
			{"hostile: operators", AlertFilter{Text: "NOT brute"}, "[]", 0},
			{"hostile: OR", AlertFilter{Text: "OR"}, "[]", 0},
			{"hostile: column filter", AlertFilter{Text: "description:brute"}, "[]", 0},
			{"hostile: brackets only", AlertFilter{Text: "( ) { } * - + \\"}, "[]", 0},
			{"hostile: NUL", AlertFilter{Text: "\x00"}, "[]", 0},
			{"hostile: NUL inside", AlertFilter{Text: "brute\x00force"}, "[f1]", 1},
			{"blank text does not filter", AlertFilter{Text: "  \t"}, "[f4 f3 f2 f1]", 4},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				page, err := s.Alerts(ctx, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, a := range page.Alerts {
					ids = append(ids, a.ID)
				}
				if got := fmt.Sprint(ids); got != tt.want || page.Total != tt.total {
					t.Errorf("got %s total %d; want %s total %d", got, page.Total, tt.want, tt.total)
				}
			})
		}
		if _, err := s.Alerts(ctx, AlertFilter{Band: "severe"}); err == nil {
			t.Error("an unknown band gave no error")
		}
		if _, err := s.Alerts(ctx, AlertFilter{Range: TimeRange{From: t0, To: t0.Add(-time.Second)}}); err == nil {
			t.Error("a range ending before it starts gave no error")
		}
		if n := countRows(t, s, "alerts"); n != 4 {
			t.Errorf("%d alerts after the searches; want 4", n)
		}
	})
}

func countRows(t *testing.T, s *Store, table string) int64 {
	t.Helper()
	var n int64
	if err := s.db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFTSQuery(t *testing.T) {
	for in, want := range map[string]string{
		"i-0abc":           `"i-0abc"`,
		`"; DROP`:          `"DROP"`,
		`say "hi"`:         `"say" AND """hi"""`,
		"NEAR( x":          `"NEAR(" AND "x"`,
		"  ":               "",
		"* ( )":            "",
		"10.0.0.1 eu-west": `"10.0.0.1" AND "eu-west"`,
		"0\x00x":           `"0" AND "x"`,
	} {
		if got := ftsQuery(in); got != want {
			t.Errorf("ftsQuery(%q) = %s; want %s", in, got, want)
		}
	}
}

func TestAlertsLimit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		var as []Alert
		for i := range 1100 {
			as = append(as, Alert{ID: fmt.Sprintf("a%04d", i), EventTime: t0.Add(time.Duration(i) * time.Second)})
		}
		putAlerts(t, s, as...)
		for _, tt := range []struct{ limit, want int }{{0, 50}, {-1, 50}, {7, 7}, {1000, 1000}, {5000, 1000}} {
			page, err := s.Alerts(ctx, AlertFilter{Limit: tt.limit})
			if err != nil || len(page.Alerts) != tt.want || page.Total != 1100 || page.Alerts[0].ID != "a1099" {
				t.Errorf("limit %d: %d alerts, total %d, %v; want %d of 1100", tt.limit, len(page.Alerts), page.Total, err, tt.want)
			}
		}
	})
}

func TestAlertRoundTrip(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		want := Alert{ID: "x1", Time: t0.Add(time.Minute), EventTime: t0, RuleID: 100100, Level: 5, Description: "d",
			Groups: []string{"amazon", "gd_brute_force"}, MITRE: []string{"T1110.001"}, FindingKey: "arn:f", FindingID: "f",
			Type: "T", Title: "t", Severity: 2.5, Account: "111", Region: "eu-west-1", InstanceID: "i-1", Principal: "p",
			RemoteIP: "198.51.100.1", RemoteCountry: "NL", RemoteCity: "Amsterdam", RemoteASN: "64496", RemoteOrg: "Org",
			HasGeo: true, Lat: 52.374, Lon: 4.8897, LocalPort: 22, API: "api", Domain: "d.example", Count: 3, Source: "src",
			Object: "s3://b/k", Data: []byte(`{"a":1}`)}
		noGeo := Alert{ID: "x2", Time: t0, EventTime: t0, Data: []byte(`{}`)}
		putAlerts(t, s, want, noGeo)
		for _, w := range []Alert{want, noGeo} {
			got, ok, err := s.Alert(ctx, w.ID)
			if err != nil || !ok {
				t.Fatalf("Alert(%s): %v %v", w.ID, ok, err)
			}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, w)
			}
		}
		if _, ok, err := s.Alert(ctx, "nope"); ok || err != nil {
			t.Errorf("unknown alert: %v %v", ok, err)
		}
	})
}

// FuzzAlertSearch checks that no search text is FTS syntax: every input
// must run without error.
func FuzzAlertSearch(f *testing.F) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(f.TempDir(), "state.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	tx, err := s.Begin(ctx)
	if err != nil {
		f.Fatal(err)
	}
	for _, a := range alertsFixture() {
		a.Data = []byte("{}")
		if err := tx.PutAlert(ctx, a); err != nil {
			f.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		f.Fatal(err)
	}
	f.Add("i-0abc")
	f.Fuzz(func(t *testing.T, text string) {
		if _, err := s.Alerts(ctx, AlertFilter{Text: text, Limit: 5}); err != nil {
			t.Fatalf("search %q (%s): %v", text, ftsQuery(text), err)
		}
	})
}
