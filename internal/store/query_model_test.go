package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// randomAlerts makes n alerts over [from, from+span) with few enough
// labels for ties and many enough (remote IPs) for several threshold
// rounds; a third fall on or next to bucket edges.
func randomAlerts(r *rand.Rand, n int, from time.Time, span time.Duration) []Alert {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	groups := []string{"gd_a", "gd_b", "gd_c", "aws", "guardduty", "", `we"ird\`, "tab\tbad", "gd_d", "gd_e", "gd_f", "gd_g", "gd_h", "gd_i", "gd_j"}
	var as []Alert
	for i := range n {
		at := from.Add(time.Duration(r.Int64N(int64(span)))).Truncate(time.Millisecond)
		switch i % 6 {
		case 0:
			at = at.Truncate(time.Hour)
		case 1:
			at = at.Truncate(24 * time.Hour).Add(-time.Millisecond)
		}
		a := Alert{
			ID: fmt.Sprintf("r%04d", i), Time: at, EventTime: at, Severity: []float64{1, 3.99, 4, 6.9, 7, 8.99, 9, 10}[r.IntN(8)],
			Type: pick("T1", "T2", "T3", "UnauthorizedAccess:EC2/SSHBruteForce", ""), InstanceID: pick("i-1", "i-2", "i-3", "", "i-4"),
			RemoteIP: fmt.Sprintf("192.0.2.%d", int(r.ExpFloat64()*40)%250), RemoteCountry: pick("NL", "DE", "", "CN"),
			LocalPort: []int{0, 22, 3389}[r.IntN(3)], Data: []byte("{}"),
		}
		if r.IntN(5) > 0 {
			a.RemoteASN, a.RemoteOrg = pick("64496", "64497", "64498"), pick("", "Org A", "Org B ")
		}
		if r.IntN(4) > 0 {
			a.HasGeo, a.Lat, a.Lon, a.RemoteCity = true, float64(r.IntN(5))+0.25, -float64(r.IntN(3))-0.5, pick("X", "Y")
		}
		for range r.IntN(4) {
			a.Groups = append(a.Groups, groups[r.IntN(len(groups))])
		}
		as = append(as, a)
	}
	return as
}

// randomRange returns a range within [from, from+span): often aligned to
// 5 minutes, hours or days, sometimes open at either end.
func randomRange(r *rand.Rand, from time.Time, span time.Duration) TimeRange {
	at := func() time.Time {
		t := from.Add(time.Duration(r.Int64N(int64(span)))).Truncate(time.Millisecond)
		return t.Truncate([]time.Duration{time.Millisecond, 5 * time.Minute, time.Hour, 24 * time.Hour}[r.IntN(4)])
	}
	a, b := at(), at()
	if b.Before(a) {
		a, b = b, a
	}
	switch r.IntN(10) {
	case 0:
		return TimeRange{From: a}
	case 1:
		return TimeRange{To: b}
	}
	return TimeRange{From: a, To: b}
}

// modelOverview counts as plainly, the way Overview is specified.
func modelOverview(as []Alert, r TimeRange, top int) Overview {
	o := Overview{ByBand: bandCounts(nil)}
	lo := slices.MinFunc(as, byTime).EventTime.UnixMilli()
	hi := slices.MaxFunc(as, byTime).EventTime.UnixMilli() + 1
	if !r.From.IsZero() {
		lo = r.From.UnixMilli()
	}
	if !r.To.IsZero() {
		hi = r.To.UnixMilli()
	}
	if lo >= hi {
		return o
	}
	bands, groups := newSeries(window{lo, hi}), newSeries(window{lo, hi})
	counts := map[int]map[string]int64{}
	count := func(dim int, l string) {
		if l == "" {
			return
		}
		if counts[dim] == nil {
			counts[dim] = map[string]int64{}
		}
		counts[dim][l]++
	}
	for _, a := range as {
		t := a.EventTime.UnixMilli()
		if t < lo || t >= hi {
			continue
		}
		var band string
		switch {
		case a.Severity < 4:
			band = "low"
		case a.Severity < 7:
			band = "medium"
		case a.Severity < 9:
			band = "high"
		default:
			band = "critical"
		}
		bands.add(t, band, 1)
		seen := map[string]bool{}
		if strings.ContainsFunc(strings.Join(a.Groups, ","), func(r rune) bool { return r < 0x20 }) {
			seen = nil // not valid JSON once quoted: no groups counted
		}
		for _, g := range a.Groups {
			if seen == nil {
				break
			}
			if !seen[g] && !slices.Contains([]string{"", "amazon", "aws", "guardduty", "aws_guardduty"}, g) {
				groups.add(t, g, 1)
			}
			seen[g] = true
		}
		count(dimType, a.Type)
		count(dimInstance, a.InstanceID)
		count(dimRemoteIP, a.RemoteIP)
		if a.RemoteASN != "" {
			count(dimASN, strings.TrimRight("AS"+a.RemoteASN+" "+a.RemoteOrg, " "))
		}
		count(dimCountry, a.RemoteCountry)
		if a.HasGeo {
			count(dimGeo, fmt.Sprint(a.Lat)+"\x1f"+fmt.Sprint(a.Lon)+"\x1f"+a.RemoteCountry+"\x1f"+a.RemoteCity)
		}
	}
	o.ByBandTime = bands.series(bandNames())
	o.ByBand = bandCounts(bands.totals())
	for _, c := range o.ByBand {
		o.Total += c.Count
	}
	o.ByGroup = groups.fold(groupSeries, otherLabel)
	topOf := func(dim, n int) []Count {
		var cs []Count
		for l, c := range counts[dim] {
			cs = append(cs, Count{l, c})
		}
		sortCounts(cs)
		return cs[:min(n, len(cs))]
	}
	o.ByType, o.Instances, o.RemoteIPs = topOf(dimType, top), topOf(dimInstance, top), topOf(dimRemoteIP, top)
	o.ASNs, o.Countries, o.Geo = topOf(dimASN, top), topOf(dimCountry, top), geoFromLabels(topOf(dimGeo, geoPoints))
	return o
}

func byTime(a, b Alert) int { return a.EventTime.Compare(b.EventTime) }
