package store

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// viewLabels returns alert_labels' (dim, label) pairs of the alert with
// rowid id, sorted.
func viewLabels(t testing.TB, s *Store, id int64) []alertLabel {
	t.Helper()
	rows, err := s.db.Query(s.q(`SELECT dim, label FROM alert_labels WHERE id = ?`), id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ls []alertLabel
	for rows.Next() {
		var l alertLabel
		if err := rows.Scan(&l.dim, &l.label); err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sortLabels(ls)
	return ls
}

func sortLabels(ls []alertLabel) {
	slices.SortFunc(ls, func(a, b alertLabel) int {
		return cmpOr(a.dim-b.dim, strings.Compare(a.label, b.label))
	})
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// compareLabels stores a, then checks that the labels Go gives it are
// the view's, unless Go declines (ok false). It returns whether Go
// labelled it.
func compareLabels(t testing.TB, s *Store, a Alert) bool {
	t.Helper()
	ctx := context.Background()
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := tx.PutAlert(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit %+q: %v", a.Groups, err)
	}
	var id int64
	if err := s.db.QueryRow(s.q(`SELECT rowid FROM alerts WHERE id = ?`), a.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	l := labelledOf(&a, strings.Join(a.Groups, ","))
	got, ok := alertLabels(nil, &l, s.Backend() == "postgres")
	if !ok {
		return false
	}
	sortLabels(got)
	if want := viewLabels(t, s, id); !slices.Equal(got, want) {
		t.Errorf("alert %s: Go labels\n%+v\nthe view's\n%+v", a.ID, got, want)
	}
	return true
}

// hostileAlerts are alerts with values that quoting, splitting and number
// formatting may get wrong. sqliteOnly ones hold what PostgreSQL refuses
// to store (NUL, invalid UTF-8).
var hostileAlerts = []struct {
	name       string
	sqliteOnly bool
	edit       func(a *Alert)
}{
	{"plain", false, func(a *Alert) {}},
	{"empty everything", false, func(a *Alert) {
		*a = Alert{ID: a.ID, Time: a.Time, EventTime: a.EventTime, Data: []byte("{}")}
	}},
	{"control characters in groups", false, func(a *Alert) { a.Groups = []string{"gd_a\x01b", "gd_c"} }},
	{"tab and newline in groups", false, func(a *Alert) { a.Groups = []string{"a\tb", "c\nd"} }},
	{"DEL in groups", false, func(a *Alert) { a.Groups = []string{"a\x7fb", "c"} }},
	{"quotes and backslashes in groups", false, func(a *Alert) {
		a.Groups = []string{`a"b`, `c\d`, `\"`, `\\`, `"`, `\`, `\u0041`, `\n`}
	}},
	{"commas in groups", false, func(a *Alert) { a.Groups = []string{"", "a,b", ",", "c,,d,"} }},
	{"duplicate and generic groups", false, func(a *Alert) {
		a.Groups = []string{"aws", "x", "x", "GuardDuty", "guardduty", "amazon", "aws_guardduty", "X"}
	}},
	{"unicode", false, func(a *Alert) {
		a.Groups = []string{"日本", "ñ", "🔥", "\u2028", "İ"}
		a.Type, a.InstanceID, a.RemoteCountry, a.RemoteCity = "Ünïcödé:EC2/BrüteForce", "i-ü", "Việt Nam", "Chișinău"
		a.RemoteASN, a.RemoteOrg = "٣", "組織 "
	}},
	{"brute force spelled oddly", false, func(a *Alert) { a.Type, a.LocalPort = "x:bRUTEfORCE/y", -1 }},
	{"brute force with a space", false, func(a *Alert) { a.Type, a.LocalPort = "Brute Force", 22 }},
	{"trailing spaces of the ASN label", false, func(a *Alert) { a.RemoteASN, a.RemoteOrg = "64500", "Org   " }},
	{"ASN without org", false, func(a *Alert) { a.RemoteASN, a.RemoteOrg = " ", "" }},
	{"org without ASN", false, func(a *Alert) { a.RemoteASN, a.RemoteOrg = "", "Org" }},
	{"separators in city", false, func(a *Alert) { a.RemoteCity, a.RemoteCountry = "a\x1fb", "c\x1f" }},
	{"negative coordinates", false, func(a *Alert) { a.HasGeo, a.Lat, a.Lon = true, -33.4569, -70.6483 }},
	{"whole coordinates", false, func(a *Alert) { a.HasGeo, a.Lat, a.Lon = true, 90, -180 }},
	{"zero coordinates", false, func(a *Alert) { a.HasGeo, a.Lat, a.Lon = true, 0, math.Copysign(0, -1) }},
	{"tiny coordinates", false, func(a *Alert) { a.HasGeo, a.Lat, a.Lon = true, 1e-4, -1e-5 }},
	{"huge coordinates", false, func(a *Alert) { a.HasGeo, a.Lat, a.Lon = true, 1e20, 123456789012.5 }},
	{"long coordinates", false, func(a *Alert) { a.HasGeo, a.Lat, a.Lon = true, 0.1+0.2, 1.0/3 }},
	{"infinite coordinates", false, func(a *Alert) { a.HasGeo, a.Lat, a.Lon = true, math.Inf(1), math.Inf(-1) }},
	{"severity edges", false, func(a *Alert) { a.Severity = 3.9999999 }},
	{"severity four", false, func(a *Alert) { a.Severity = 4 }},
	{"severity nine", false, func(a *Alert) { a.Severity = 9 }},
	{"negative severity", false, func(a *Alert) { a.Severity = -1 }},
	{"before 1970", false, func(a *Alert) { a.EventTime = time.UnixMilli(-86400001) }},
	{"NUL in texts", true, func(a *Alert) {
		a.Type, a.Groups, a.RemoteIP = "a\x00BruteForce", []string{"x\x00y", "z"}, "1.2.3.4\x00"
	}},
	{"invalid UTF-8", true, func(a *Alert) {
		a.Groups, a.RemoteCountry, a.Type = []string{"\xff\xfe", "ok"}, "\xc3", "\xe2BruteForce"
	}},
}

func TestGoLabelsMatchView(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		s := open()
		w := newGenWorld(5)
		for i, c := range hostileAlerts {
			if c.sqliteOnly && s.Backend() != "sqlite" {
				continue
			}
			t.Run(c.name, func(t *testing.T) {
				a := w.alert(i, benchEnd)
				c.edit(&a)
				a.ID = fmt.Sprintf("hostile-%d", i)
				compareLabels(t, s, a)
			})
		}
		// Coordinates as GeoIP databases give them, and random ones.
		r := rand.New(rand.NewPCG(7, 8))
		labelled := 0
		const n = 300
		for i := range n {
			a := w.alert(1000+i, benchEnd)
			a.ID = fmt.Sprintf("geo-%d", i)
			scale := []float64{1e2, 1e4, 1e6, 1e9}[i%4]
			a.HasGeo = true
			a.Lat = math.Round((r.Float64()*180-90)*scale) / scale
			a.Lon = math.Round((r.Float64()*360-180)*scale) / scale
			if i%10 == 9 {
				a.Lat, a.Lon = r.Float64()*180-90, r.NormFloat64()*100
			}
			if compareLabels(t, s, a) {
				labelled++
			}
		}
		t.Logf("%d of %d random locations labelled in Go", labelled, n)
		if labelled < n*8/10 {
			t.Errorf("only %d of %d random locations labelled in Go", labelled, n)
		}
		checkRollups(t, s)
	})
}

// TestSQLiteRealMatches compares sqliteReal with SQLite's own text for
// many numbers of the shapes coordinates have.
func TestSQLiteRealMatches(t *testing.T) {
	s := opener(t, filepath.Join(t.TempDir(), "state.db"))()
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 20000 {
		v := (r.Float64()*360 - 180)
		if scale := []float64{1e1, 1e3, 1e4, 1e5, 1e6, 1e8, 0}[i%7]; scale != 0 {
			v = math.Round(v*scale) / scale
		}
		want, ok := sqliteReal(v)
		if !ok {
			continue
		}
		var got string
		if err := s.db.QueryRow(`SELECT CAST(? AS REAL) || ''`, v).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%v: SQLite says %q, sqliteReal %q", v, got, want)
		}
	}
}

// FuzzGoLabels checks Go's labels against SQLite's view for arbitrary
// values (PostgreSQL's are covered by TestGoLabelsMatchView).
func FuzzGoLabels(f *testing.F) {
	f.Add("UnauthorizedAccess:EC2/SSHBruteForce", "amazon,aws,gd_brute_force", "64500", "Org ", "Chile", "Santiago",
		true, -33.4569, -70.6483, 9.5, 22, int64(1748736000000))
	f.Add("", `a"b,c\d,,x`, "", "", "", "", false, 0.0, 0.0, 0.0, 0, int64(-1))
	f.Add("bruteforce", "a\x01b", " ", "", "\x1f", "é", true, 0.1+0.2, 1e-5, 4.0, -1, int64(1)<<61)
	s, err := Open(context.Background(), filepath.Join(f.TempDir(), "state.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	n := 0
	f.Fuzz(func(t *testing.T, typ, groups, asn, org, country, city string, geo bool, lat, lon, severity float64,
		port int, eventTime int64) {
		if math.IsNaN(severity) || (geo && (math.IsNaN(lat) || math.IsNaN(lon))) {
			t.Skip("SQLite stores NaN as NULL")
		}
		n++
		a := Alert{ID: fmt.Sprintf("fuzz-%d", n), EventTime: time.UnixMilli(eventTime), Type: typ,
			Groups: []string{groups}, RemoteASN: asn, RemoteOrg: org, RemoteCountry: country, RemoteCity: city,
			HasGeo: geo, Lat: lat, Lon: lon, Severity: severity, LocalPort: port, Data: []byte("{}")}
		compareLabels(t, s, a)
	})
}
