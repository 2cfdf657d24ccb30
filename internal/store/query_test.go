package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// t0 is the start of the fixtures' day.
var t0 = time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)

func putAlerts(t testing.TB, s *Store, as ...Alert) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, a := range as {
		if a.Data == nil {
			a.Data = []byte("{}")
		}
		if err := tx.PutAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// fixture is a small, hand-countable set of alerts over two days.
func fixture() []Alert {
	nl := func(a Alert) Alert {
		a.RemoteIP, a.RemoteCountry, a.RemoteCity, a.RemoteASN, a.RemoteOrg = "198.51.100.1", "Netherlands", "Amsterdam", "64496", "Nord"
		a.HasGeo, a.Lat, a.Lon = true, 52.374, 4.8897
		return a
	}
	de := func(a Alert) Alert {
		a.RemoteIP, a.RemoteCountry, a.RemoteCity, a.RemoteASN, a.RemoteOrg = "203.0.113.9", "Germany", "Frankfurt", "64497", ""
		a.HasGeo, a.Lat, a.Lon = true, 50.1109, 8.6821
		return a
	}
	ssh, probe, dns, seq := "UnauthorizedAccess:EC2/SSHBruteForce", "Recon:EC2/PortProbeUnprotectedPort",
		"Backdoor:EC2/C&CActivity.B!DNS", "AttackSequence:EC2/CompromisedHost"
	g := func(s string) []string { return strings.Split(s, ",") }
	return []Alert{
		nl(Alert{ID: "a1", EventTime: t0.Add(10 * time.Minute), Severity: 2, Type: ssh, InstanceID: "i-1", LocalPort: 22,
			Groups: g("amazon,aws,aws_guardduty,guardduty,gd_brute_force,authentication_failures")}),
		nl(Alert{ID: "a2", EventTime: t0.Add(12 * time.Minute), Severity: 3.99, Type: ssh, InstanceID: "i-1", LocalPort: 22,
			Groups: g("gd_brute_force,authentication_failures,gd_brute_force")}),
		de(Alert{ID: "a3", EventTime: t0.Add(80 * time.Minute), Severity: 4, Type: probe, InstanceID: "i-1", LocalPort: 3389,
			Groups: g("gd_port_probe,gd_recon")}),
		{ID: "a4", EventTime: t0.Add(3 * time.Hour), Severity: 7, Type: dns, InstanceID: "i-2", Domain: "c2.example",
			Groups: g("guardduty,gd_dns")},
		de(Alert{ID: "a5", EventTime: t0.Add(25*time.Hour + 30*time.Minute), Severity: 9, Type: seq, InstanceID: "i-2",
			Groups: g("gd_attack_sequence")}),
		nl(Alert{ID: "a6", EventTime: t0.Add(47*time.Hour + 59*time.Minute), Severity: 8.99, Type: ssh, InstanceID: "i-3",
			LocalPort: 22, Groups: g("gd_brute_force")}),
	}
}

func TestOverviewKnown(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		putAlerts(t, s, fixture()...)
		tests := []struct {
			name                string
			r                   TimeRange
			total               int64
			bands               string
			types, inst, ips    string
			asns, countries     string
			geo                 string
			step                time.Duration
			buckets             int
			bandSeries, groupSr string
		}{
			{
				name: "two whole days", r: TimeRange{From: t0, To: t0.Add(48 * time.Hour)}, total: 6,
				bands: "[{low 2} {medium 1} {high 2} {critical 1}]",
				types: "[{UnauthorizedAccess:EC2/SSHBruteForce 3} {AttackSequence:EC2/CompromisedHost 1} {Backdoor:EC2/C&CActivity.B!DNS 1} {Recon:EC2/PortProbeUnprotectedPort 1}]",
				inst:  "[{i-1 3} {i-2 2} {i-3 1}]", ips: "[{198.51.100.1 3} {203.0.113.9 2}]",
				asns: "[{AS64496 Nord 3} {AS64497 2}]", countries: "[{Netherlands 3} {Germany 2}]",
				geo:  "[{Lat:52.374 Lon:4.8897 Country:Netherlands City:Amsterdam Count:3} {Lat:50.1109 Lon:8.6821 Country:Germany City:Frankfurt Count:2}]",
				step: time.Hour, buckets: 48,
				bandSeries: "low:0=2 medium:1=1 high:3=1 high:47=1 critical:25=1",
				groupSr:    "gd_brute_force:0=2 gd_brute_force:47=1 authentication_failures:0=2 gd_attack_sequence:25=1 gd_dns:3=1 gd_port_probe:1=1 gd_recon:1=1",
			},
			{
				name: "partial hours at both ends", r: TimeRange{From: t0.Add(11 * time.Minute), To: t0.Add(25*time.Hour + 31*time.Minute)},
				total: 4, bands: "[{low 1} {medium 1} {high 1} {critical 1}]",
				types: "[{AttackSequence:EC2/CompromisedHost 1} {Backdoor:EC2/C&CActivity.B!DNS 1} {Recon:EC2/PortProbeUnprotectedPort 1} {UnauthorizedAccess:EC2/SSHBruteForce 1}]",
				inst:  "[{i-1 2} {i-2 2}]", ips: "[{203.0.113.9 2} {198.51.100.1 1}]",
				asns: "[{AS64497 2} {AS64496 Nord 1}]", countries: "[{Germany 2} {Netherlands 1}]",
				geo:  "[{Lat:50.1109 Lon:8.6821 Country:Germany City:Frankfurt Count:2} {Lat:52.374 Lon:4.8897 Country:Netherlands City:Amsterdam Count:1}]",
				step: time.Hour, buckets: 26,
				bandSeries: "low:0=1 medium:1=1 high:3=1 critical:25=1",
				groupSr:    "authentication_failures:0=1 gd_attack_sequence:25=1 gd_brute_force:0=1 gd_dns:3=1 gd_port_probe:1=1 gd_recon:1=1",
			},
			{
				name: "short range in five-minute steps", r: TimeRange{From: t0.Add(5 * time.Minute), To: t0.Add(2 * time.Hour)},
				total: 3, bands: "[{low 2} {medium 1} {high 0} {critical 0}]",
				types: "[{UnauthorizedAccess:EC2/SSHBruteForce 2} {Recon:EC2/PortProbeUnprotectedPort 1}]",
				inst:  "[{i-1 3}]", ips: "[{198.51.100.1 2} {203.0.113.9 1}]",
				asns: "[{AS64496 Nord 2} {AS64497 1}]", countries: "[{Netherlands 2} {Germany 1}]",
				geo:  "[{Lat:52.374 Lon:4.8897 Country:Netherlands City:Amsterdam Count:2} {Lat:50.1109 Lon:8.6821 Country:Germany City:Frankfurt Count:1}]",
				step: 5 * time.Minute, buckets: 23,
				bandSeries: "low:1=2 medium:15=1",
				groupSr:    "authentication_failures:1=2 gd_brute_force:1=2 gd_port_probe:15=1 gd_recon:15=1",
			},
			{
				name: "empty range", r: TimeRange{From: t0.Add(4 * time.Hour), To: t0.Add(5 * time.Hour)},
				bands: "[{low 0} {medium 0} {high 0} {critical 0}]", types: "[]", inst: "[]", ips: "[]", asns: "[]", countries: "[]",
				geo: "[]", step: 5 * time.Minute, buckets: 12,
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				o, err := s.Overview(ctx, tt.r, 10)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range []struct{ what, got, want string }{
					{"Total", fmt.Sprint(o.Total), fmt.Sprint(tt.total)},
					{"ByBand", fmt.Sprint(o.ByBand), tt.bands},
					{"ByType", fmt.Sprint(o.ByType), tt.types},
					{"Instances", fmt.Sprint(o.Instances), tt.inst},
					{"RemoteIPs", fmt.Sprint(o.RemoteIPs), tt.ips},
					{"ASNs", fmt.Sprint(o.ASNs), tt.asns},
					{"Countries", fmt.Sprint(o.Countries), tt.countries},
					{"Geo", fmt.Sprintf("%+v", o.Geo), tt.geo},
					{"band step", fmt.Sprint(o.ByBandTime.Step, len(o.ByBandTime.Buckets)), fmt.Sprint(tt.step, tt.buckets)},
					{"band labels", fmt.Sprint(o.ByBandTime.Labels), "[low medium high critical]"},
					{"band series", sparse(o.ByBandTime), tt.bandSeries},
					{"group series", sparse(o.ByGroup), tt.groupSr},
				} {
					if c.got != c.want {
						t.Errorf("%s:\n got %s\nwant %s", c.what, c.got, c.want)
					}
				}
				checkSeriesShape(t, o.ByBandTime, tt.r)
				checkSeriesShape(t, o.ByGroup, tt.r)
			})
		}
	})
}

// sparse prints a series' non-zero cells as label:bucket=count in label
// order.
func sparse(s Series) string {
	var out []string
	for _, l := range s.Labels {
		for i, v := range s.Values[l] {
			if v != 0 {
				out = append(out, fmt.Sprintf("%s:%d=%d", l, i, v))
			}
		}
	}
	return strings.Join(out, " ")
}

// checkSeriesShape checks that buckets are consecutive steps covering r and
// that every label has a value per bucket (empty buckets filled with 0).
func checkSeriesShape(t *testing.T, s Series, r TimeRange) {
	t.Helper()
	if len(s.Buckets) == 0 {
		t.Fatal("no buckets")
	}
	if s.Buckets[0].After(r.From) || !s.Buckets[len(s.Buckets)-1].Add(s.Step).After(r.To.Add(-time.Millisecond)) {
		t.Errorf("buckets %v…%v do not cover %v–%v", s.Buckets[0], s.Buckets[len(s.Buckets)-1], r.From, r.To)
	}
	for i := 1; i < len(s.Buckets); i++ {
		if s.Buckets[i].Sub(s.Buckets[i-1]) != s.Step {
			t.Fatalf("bucket %d at %v after %v", i, s.Buckets[i], s.Buckets[i-1])
		}
	}
	for _, l := range s.Labels {
		if len(s.Values[l]) != len(s.Buckets) {
			t.Errorf("label %s has %d values for %d buckets", l, len(s.Values[l]), len(s.Buckets))
		}
	}
}

func TestOverviewTopAndGroupFold(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		var as []Alert
		for i := range 12 { // group g00 has 12 alerts, g01 11, … g11 1
			for j := range 12 - i {
				as = append(as, Alert{ID: fmt.Sprintf("g%d-%d", i, j), EventTime: t0.Add(time.Duration(i*12+j) * time.Minute),
					Groups: []string{fmt.Sprintf("g%02d", i)}, Severity: 5, Type: "T", InstanceID: fmt.Sprintf("i-%02d", i)})
			}
		}
		putAlerts(t, s, as...)
		o, err := s.Overview(ctx, TimeRange{From: t0, To: t0.Add(24 * time.Hour)}, 3)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(o.ByGroup.Labels); got != "[g00 g01 g02 g03 g04 g05 g06 g07 other]" {
			t.Errorf("group labels = %s", got)
		}
		var other int64
		for _, v := range o.ByGroup.Values["other"] {
			other += v
		}
		if other != 4+3+2+1 {
			t.Errorf("other = %d; want 10", other)
		}
		if got := fmt.Sprint(o.Instances); got != "[{i-00 12} {i-01 11} {i-02 10}]" {
			t.Errorf("top 3 instances = %s", got)
		}
		inst, err := s.Instances(ctx, TimeRange{From: t0, To: t0.Add(24 * time.Hour)}, 0)
		if err != nil || len(inst) != 12 || inst[11] != (Count{"i-11", 1}) {
			t.Errorf("Instances = %v, %v", inst, err)
		}
	})
}

func TestOverviewOpenRangeAndErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		o, err := s.Overview(ctx, TimeRange{}, 0)
		if err != nil || o.Total != 0 || fmt.Sprint(o.ByBand) != "[{low 0} {medium 0} {high 0} {critical 0}]" {
			t.Errorf("empty store: %+v, %v", o, err)
		}
		putAlerts(t, s, fixture()...)
		o, err = s.Overview(ctx, TimeRange{}, 0)
		if err != nil || o.Total != 6 {
			t.Errorf("open range: total %d, %v", o.Total, err)
		}
		if o, err = s.Overview(ctx, TimeRange{From: t0.Add(25 * time.Hour)}, 0); err != nil || o.Total != 2 {
			t.Errorf("open end: total %d, %v", o.Total, err)
		}
		if _, err := s.Overview(ctx, TimeRange{From: t0, To: t0.Add(-time.Hour)}, 0); err == nil {
			t.Error("a range ending before it starts gave no error")
		}
		// A finding with no time is stored at year 1: an open range still
		// charts in few buckets.
		putAlerts(t, s, Alert{ID: "timeless", Severity: 5, Type: "T"})
		o, err = s.Overview(ctx, TimeRange{}, 0)
		if err != nil || o.Total != 7 || len(o.ByBandTime.Buckets) > maxBuckets+1 || sparse(o.ByBandTime) == "" {
			t.Errorf("open range from year 1: total %d, %d buckets, %v", o.Total, len(o.ByBandTime.Buckets), err)
		}
		if o.ByBandTime.Values["medium"][0] != 1 {
			t.Errorf("the timeless alert is not in the first bucket: %s", sparse(o.ByBandTime))
		}
	})
}

// TestOverviewMatchesModel compares Overview with a plain count of the
// alerts over many ranges: aligned and not, short and long, over data
// that falls on bucket edges, with ties and many labels.
func TestOverviewMatchesModel(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		r := rand.New(rand.NewPCG(7, 7))
		as := randomAlerts(r, 600, t0, 4*24*time.Hour)
		putAlerts(t, s, as...)
		for i := range 120 {
			rg := randomRange(r, t0.Add(-2*time.Hour), 4*24*time.Hour+4*time.Hour)
			top := []int{1, 3, 10, 200}[i%4]
			got, err := s.Overview(ctx, rg, top)
			if err != nil {
				t.Fatal(err)
			}
			want := modelOverview(as, rg, top)
			if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want); g != w {
				t.Fatalf("range %v–%v top %d:\n got %s\nwant %s", rg.From, rg.To, top, g, w)
			}
		}
	})
}

// TestThresholdMatchesSort checks the threshold method against sorting
// every label, for the top-N lists of ranges with whole days.
func TestThresholdMatchesSort(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		r := rand.New(rand.NewPCG(3, 9))
		putAlerts(t, s, randomAlerts(r, 1500, t0, 5*24*time.Hour)...)
		decided := 0
		err := s.read(ctx, func(q reader) error {
			for i := range 60 {
				from := t0.Add(time.Duration(r.Int64N(int64(48 * time.Hour))))
				w := window{from.UnixMilli(), from.Add(time.Duration(r.Int64N(int64(72*time.Hour))) + 25*time.Hour).UnixMilli()}
				p := split(w)
				edges, err := readEdges(ctx, q, p)
				if err != nil {
					return err
				}
				for _, dim := range []int{dimType, dimInstance, dimRemoteIP, dimASN, dimGeo} {
					n := []int{1, 5, 20}[i%3]
					ta, ok, err := topByThreshold(ctx, q, dim, p, edges.totals[dim], n)
					if err != nil {
						return err
					}
					sorted, err := topBySort(ctx, q, dim, p, edges.totals[dim], n)
					if err != nil {
						return err
					}
					if ok {
						decided++
						if fmt.Sprint(ta) != fmt.Sprint(sorted) {
							t.Errorf("dim %d top %d over %v: threshold %v, sort %v", dim, n, w, ta, sorted)
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if decided == 0 {
			t.Error("the threshold method never decided")
		}
	})
}

func TestSplit(t *testing.T) {
	h, d := int64(spanHour), int64(spanDay)
	base := t0.UnixMilli()
	tests := []struct {
		name string
		w    window
		want string
	}{
		{"inside one hour", window{base + 1, base + 5}, fmt.Sprintf("{inner:{from:0 to:0} days:{from:0 to:0} hours:[{from:0 to:0} {from:0 to:0}] edges:[{from:%d to:%d}]}", base+1, base+5)},
		{"aligned hours", window{base + h, base + 3*h}, fmt.Sprintf("{inner:{from:%d to:%d} days:{from:0 to:0} hours:[{from:%[1]d to:%[2]d} {from:0 to:0}] edges:[]}", base+h, base+3*h)},
		{"days with edges", window{base - h/2, base + 2*d + h + 1}, fmt.Sprintf("{inner:{from:%d to:%d} days:{from:%d to:%d} hours:[{from:%d to:%d} {from:%d to:%d}] edges:[{from:%d to:%d} {from:%d to:%d}]}",
			base, base+2*d+h, base, base+2*d, base, base, base+2*d, base+2*d+h, base-h/2, base, base+2*d+h, base+2*d+h+1)},
		{"before 1970", window{-h - 5, 5}, fmt.Sprintf("{inner:{from:%d to:0} days:{from:0 to:0} hours:[{from:%[1]d to:0} {from:0 to:0}] edges:[{from:%d to:%[1]d} {from:0 to:5}]}", -h, -h-5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmt.Sprintf("%+v", split(tt.w)); got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestSeriesStep(t *testing.T) {
	const day = 24 * time.Hour
	for _, tt := range []struct {
		d, want time.Duration
	}{
		{time.Minute, 5 * time.Minute}, {5 * time.Hour, 5 * time.Minute}, {5*time.Hour + time.Millisecond, 15 * time.Minute},
		{24 * time.Hour, time.Hour}, {60 * time.Hour, time.Hour}, {7 * day, 3 * time.Hour},
		{30 * day, 12 * time.Hour}, {90 * day, 7 * day}, {10 * 365 * day, 90 * day},
		{250 * 365 * day, 1521 * day},
	} {
		if got := time.Duration(seriesStep(tt.d.Milliseconds())) * time.Millisecond; got != tt.want {
			t.Errorf("seriesStep(%v) = %v; want %v", tt.d, got, tt.want)
		}
	}
	// A range from year 1 (a finding with no time) to now: about 2,025
	// years in buckets of 12,322 days.
	if got := seriesStep(t0.UnixMilli() - time.Time{}.UnixMilli()); got/spanDay != 12322 {
		t.Errorf("seriesStep(2025 years) = %d days", got/spanDay)
	}
}

// TestThresholdBound builds the case where the threshold method must read
// a second round: 64 instances with many alerts, few of them in range,
// and a 65th with fewer alerts, all in range, which is the answer.
func TestThresholdBound(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func() *Store) {
		ctx := context.Background()
		s := open()
		var as []Alert
		for k := range 64 {
			for j := range 10 {
				at := t0.Add(time.Duration(j) * time.Hour) // day 0: outside the range
				if j < 3 {
					at = at.Add(24 * time.Hour)
				}
				as = append(as, Alert{ID: fmt.Sprintf("a%02d-%d", k, j), EventTime: at, InstanceID: fmt.Sprintf("i-%02d", k)})
			}
		}
		for j := range 4 {
			as = append(as, Alert{ID: fmt.Sprintf("z%d", j), EventTime: t0.Add(24*time.Hour + time.Duration(j)*time.Minute), InstanceID: "i-zz"})
		}
		putAlerts(t, s, as...)
		got, err := s.Instances(ctx, TimeRange{From: t0.Add(24 * time.Hour), To: t0.Add(48 * time.Hour)}, 1)
		if err != nil || fmt.Sprint(got) != "[{i-zz 4}]" {
			t.Errorf("top instance = %v, %v; want [{i-zz 4}]", got, err)
		}
	})
}
