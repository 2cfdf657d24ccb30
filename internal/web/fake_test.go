package web

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dutywatch/dutywatch/internal/store"
)

// fakeQueries answers the dashboard's queries from a slice of alerts, the
// simple way (the store does the same in SQL). err, when set, fails every
// call.
type fakeQueries struct {
	alerts []store.Alert
	health []store.SourceHealth
	err    error
}

var _ Queries = (*fakeQueries)(nil)

func (f *fakeQueries) in(r store.TimeRange) []store.Alert {
	var out []store.Alert
	for _, a := range f.alerts {
		if (r.From.IsZero() || !a.EventTime.Before(r.From)) && (r.To.IsZero() || a.EventTime.Before(r.To)) {
			out = append(out, a)
		}
	}
	return out
}

// tally counts by key, largest first, at most top (0: all).
func tally(as []store.Alert, top int, key func(store.Alert) string) []store.Count {
	m := map[string]int64{}
	for _, a := range as {
		if k := key(a); k != "" {
			m[k]++
		}
	}
	out := make([]store.Count, 0, len(m))
	for k, n := range m {
		out = append(out, store.Count{Label: k, Count: n})
	}
	slices.SortFunc(out, func(a, b store.Count) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Label, b.Label))
	})
	if top > 0 && len(out) > top {
		out = out[:top]
	}
	return out
}

func seriesOf(as []store.Alert, key func(store.Alert) []string) store.Series {
	s := store.Series{Step: time.Hour, Values: map[string][]int64{}}
	if len(as) == 0 {
		return s
	}
	lo, hi := as[0].EventTime, as[0].EventTime
	for _, a := range as {
		if a.EventTime.Before(lo) {
			lo = a.EventTime
		}
		if a.EventTime.After(hi) {
			hi = a.EventTime
		}
	}
	if hi.Sub(lo) > 48*time.Hour {
		s.Step = 24 * time.Hour
	}
	start := lo.Truncate(s.Step)
	for t := start; !t.After(hi); t = t.Add(s.Step) {
		s.Buckets = append(s.Buckets, t)
	}
	for _, a := range as {
		i := int(a.EventTime.Sub(start) / s.Step)
		for _, k := range key(a) {
			if _, ok := s.Values[k]; !ok {
				s.Values[k] = make([]int64, len(s.Buckets))
				s.Labels = append(s.Labels, k)
			}
			s.Values[k][i]++
		}
	}
	slices.Sort(s.Labels)
	return s
}

func geoOf(as []store.Alert) []store.GeoPoint {
	type key struct{ lat, lon float64 }
	m := map[key]*store.GeoPoint{}
	var out []store.GeoPoint
	for _, a := range as {
		if !a.HasGeo {
			continue
		}
		k := key{a.Lat, a.Lon}
		if p, ok := m[k]; ok {
			p.Count++
			continue
		}
		m[k] = &store.GeoPoint{Lat: a.Lat, Lon: a.Lon, Country: a.RemoteCountry, City: a.RemoteCity, Count: 1}
	}
	for _, p := range m {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b store.GeoPoint) int { return cmp.Compare(b.Count, a.Count) })
	return out
}

func (f *fakeQueries) Overview(_ context.Context, r store.TimeRange, top int) (store.Overview, error) {
	as := f.in(r)
	return store.Overview{
		Total:      int64(len(as)),
		ByBand:     tally(as, 0, func(a store.Alert) string { return bandOf(a.Severity) }),
		ByType:     tally(as, top, func(a store.Alert) string { return a.Type }),
		ByBandTime: seriesOf(as, func(a store.Alert) []string { return []string{bandOf(a.Severity)} }),
		ByGroup: seriesOf(as, func(a store.Alert) []string {
			var g []string
			for _, x := range a.Groups {
				if strings.HasPrefix(x, "gd_") {
					g = append(g, x)
				}
			}
			return g
		}),
		Instances: tally(as, top, func(a store.Alert) string { return a.InstanceID }),
		RemoteIPs: tally(as, top, func(a store.Alert) string { return a.RemoteIP }),
		ASNs: tally(as, top, func(a store.Alert) string {
			if a.RemoteASN == "" {
				return ""
			}
			return "AS" + a.RemoteASN + " " + a.RemoteOrg
		}),
		Countries: tally(as, top, func(a store.Alert) string { return a.RemoteCountry }),
		Geo:       geoOf(as),
	}, f.err
}

func (f *fakeQueries) BruteForce(_ context.Context, r store.TimeRange, limit int) (store.BruteForce, error) {
	var as []store.Alert
	for _, a := range f.in(r) {
		if strings.Contains(a.Type, "BruteForce") {
			as = append(as, a)
		}
	}
	rows := map[string]*store.BruteForceRow{}
	var b store.BruteForce
	for _, a := range as {
		k := a.InstanceID + "|" + a.RemoteIP + "|" + strconv.Itoa(a.LocalPort)
		row, ok := rows[k]
		if !ok {
			row = &store.BruteForceRow{InstanceID: a.InstanceID, RemoteIP: a.RemoteIP, Country: a.RemoteCountry, Port: a.LocalPort}
			rows[k] = row
		}
		row.Alerts++
		row.Attempts = max(row.Attempts, a.Count)
		if a.EventTime.After(row.Last) {
			row.Last = a.EventTime
		}
	}
	for _, row := range rows {
		b.Rows = append(b.Rows, *row)
	}
	slices.SortFunc(b.Rows, func(x, y store.BruteForceRow) int {
		return cmp.Or(cmp.Compare(y.Alerts, x.Alerts), strings.Compare(x.RemoteIP, y.RemoteIP))
	})
	if len(b.Rows) > limit {
		b.Rows = b.Rows[:limit]
	}
	port := func(a store.Alert) string { return portLabel(a.LocalPort) }
	b.ByPort = tally(as, 0, port)
	b.Series = seriesOf(as, func(a store.Alert) []string { return []string{port(a)} })
	return b, f.err
}

func portLabel(p int) string {
	switch p {
	case 22:
		return "22/ssh"
	case 3389:
		return "3389/rdp"
	}
	return strconv.Itoa(p)
}

func (f *fakeQueries) UnusualNetwork(_ context.Context, r store.TimeRange, limit int) (store.UnusualNetwork, error) {
	var as []store.Alert
	for _, a := range f.in(r) {
		if a.API != "" {
			as = append(as, a)
		}
	}
	rows := map[string]*store.UnusualNetworkRow{}
	var u store.UnusualNetwork
	for _, a := range as {
		k := a.Principal + "|" + a.RemoteIP + "|" + a.API
		row, ok := rows[k]
		if !ok {
			row = &store.UnusualNetworkRow{Principal: a.Principal, RemoteIP: a.RemoteIP, Country: a.RemoteCountry,
				City: a.RemoteCity, ASN: a.RemoteASN, Org: a.RemoteOrg, API: a.API}
			rows[k] = row
		}
		row.Alerts++
		if a.EventTime.After(row.Last) {
			row.Last = a.EventTime
		}
	}
	for _, row := range rows {
		u.Rows = append(u.Rows, *row)
	}
	slices.SortFunc(u.Rows, func(x, y store.UnusualNetworkRow) int {
		return cmp.Or(cmp.Compare(y.Alerts, x.Alerts), strings.Compare(x.Principal+x.API, y.Principal+y.API))
	})
	if len(u.Rows) > limit {
		u.Rows = u.Rows[:limit]
	}
	u.Principals = tally(as, 10, func(a store.Alert) string { return a.Principal })
	u.APIs = tally(as, 10, func(a store.Alert) string { return a.API })
	u.Countries = tally(as, 10, func(a store.Alert) string { return a.RemoteCountry })
	u.Geo = geoOf(as)
	return u, f.err
}

func (f *fakeQueries) InstanceStory(_ context.Context, id string, r store.TimeRange) (store.InstanceStory, error) {
	s := store.InstanceStory{InstanceID: id}
	var as []store.Alert
	for _, a := range f.in(r) {
		if a.InstanceID == id {
			as = append(as, a)
			s.Account, s.Region = a.Account, a.Region
			s.Timeline = append(s.Timeline, store.TimelineEntry{Time: a.EventTime, AlertID: a.ID, RuleID: a.RuleID,
				Level: a.Level, Type: a.Type, Title: a.Title, Description: a.Description, Severity: a.Severity,
				RemoteIP: a.RemoteIP, Count: a.Count})
		}
	}
	slices.SortFunc(s.Timeline, func(x, y store.TimelineEntry) int { return x.Time.Compare(y.Time) })
	s.Types = tally(as, 0, func(a store.Alert) string { return a.Type })
	return s, f.err
}

func (f *fakeQueries) match(a store.Alert, q store.AlertFilter) bool {
	if a.Level < q.MinLevel || q.Band != "" && bandOf(a.Severity) != q.Band || q.Type != "" && a.Type != q.Type ||
		q.Account != "" && a.Account != q.Account || q.Region != "" && a.Region != q.Region ||
		q.InstanceID != "" && a.InstanceID != q.InstanceID || q.RuleID != 0 && a.RuleID != q.RuleID {
		return false
	}
	hay := strings.ToLower(strings.Join([]string{a.Description, a.Title, a.Type, a.InstanceID, a.Principal,
		a.RemoteIP, a.Domain, a.API}, " "))
	for _, w := range strings.Fields(strings.ToLower(q.Text)) {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

func (f *fakeQueries) Alerts(_ context.Context, q store.AlertFilter) (store.AlertPage, error) {
	var p store.AlertPage
	var as []store.Alert
	for _, a := range f.in(q.Range) {
		if f.match(a, q) {
			as = append(as, a)
		}
	}
	slices.SortFunc(as, func(x, y store.Alert) int {
		return cmp.Or(y.EventTime.Compare(x.EventTime), strings.Compare(x.ID, y.ID))
	})
	p.Total = int64(len(as))
	lo := min(q.Offset, len(as))
	hi := min(lo+q.Limit, len(as))
	p.Alerts = as[lo:hi]
	return p, f.err
}

func (f *fakeQueries) Alert(_ context.Context, id string) (store.Alert, bool, error) {
	for _, a := range f.alerts {
		if a.ID == id {
			return a, true, f.err
		}
	}
	return store.Alert{}, false, f.err
}

func (f *fakeQueries) Health(context.Context) ([]store.SourceHealth, error) { return f.health, f.err }

func (f *fakeQueries) Instances(_ context.Context, r store.TimeRange, limit int) ([]store.Count, error) {
	return tally(f.in(r), limit, func(a store.Alert) string { return a.InstanceID }), f.err
}
