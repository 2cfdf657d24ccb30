package web

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/dutywatch/dutywatch/internal/store"
)

// The types below are the JSON API (see API.md) and, the same values, what
// the page templates and the page scripts read. They keep the API's field
// names stable whatever the store's Go types become. Slices are never nil,
// so the JSON has [] rather than null.

// bands are GuardDuty's severity bands, lowest first.
var bands = [...]string{"low", "medium", "high", "critical"}

// bandOf maps a GuardDuty severity to its band: Low 1.0–3.9, Medium
// 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0.
func bandOf(severity float64) string {
	switch {
	case severity >= 9:
		return "critical"
	case severity >= 7:
		return "high"
	case severity >= 4:
		return "medium"
	}
	return "low"
}

type apiTime struct {
	Range string     `json:"range"`
	From  *time.Time `json:"from,omitempty"`
	To    *time.Time `json:"to,omitempty"`
}

type apiCount struct {
	Label string `json:"label"`
	Count int64  `json:"count"`
}

type apiSeries struct {
	Buckets     []time.Time `json:"buckets"`
	StepSeconds int64       `json:"step_seconds"`
	Series      []apiLine   `json:"series"`
}

type apiLine struct {
	Label  string  `json:"label"`
	Values []int64 `json:"values"`
}

type apiGeo struct {
	Lat     float64 `json:"lat"`
	Lon     float64 `json:"lon"`
	Country string  `json:"country"`
	City    string  `json:"city"`
	Count   int64   `json:"count"`
}

type overviewView struct {
	Time       apiTime    `json:"time"`
	Total      int64      `json:"total"`
	ByBand     []apiCount `json:"by_band"`
	ByType     []apiCount `json:"by_type"`
	ByBandTime apiSeries  `json:"by_band_time"`
	ByGroup    apiSeries  `json:"by_group_time"`
	Instances  []apiCount `json:"top_instances"`
	RemoteIPs  []apiCount `json:"top_remote_ips"`
	ASNs       []apiCount `json:"top_asns"`
	Countries  []apiCount `json:"top_countries"`
	Geo        []apiGeo   `json:"geo"`
}

type bruteForceRow struct {
	InstanceID string    `json:"instance_id"`
	RemoteIP   string    `json:"remote_ip"`
	Country    string    `json:"country"`
	Port       int       `json:"port"`
	Alerts     int64     `json:"alerts"`
	Attempts   int64     `json:"attempts"`
	Last       time.Time `json:"last"`
}

type bruteForceView struct {
	Time   apiTime         `json:"time"`
	Rows   []bruteForceRow `json:"rows"`
	ByPort []apiCount      `json:"by_port"`
	Series apiSeries       `json:"by_port_time"`
}

type unusualRow struct {
	Principal string    `json:"principal"`
	RemoteIP  string    `json:"remote_ip"`
	Country   string    `json:"country"`
	City      string    `json:"city"`
	ASN       string    `json:"asn"`
	Org       string    `json:"org"`
	API       string    `json:"api"`
	Alerts    int64     `json:"alerts"`
	Last      time.Time `json:"last"`
}

type unusualView struct {
	Time       apiTime      `json:"time"`
	Rows       []unusualRow `json:"rows"`
	Principals []apiCount   `json:"principals"`
	APIs       []apiCount   `json:"apis"`
	Countries  []apiCount   `json:"countries"`
	Geo        []apiGeo     `json:"geo"`
}

type instancesView struct {
	Time      apiTime    `json:"time"`
	Instances []apiCount `json:"instances"`
}

type timelineEntry struct {
	Time        time.Time `json:"time"`
	AlertID     string    `json:"alert_id,omitempty"`
	RuleID      int       `json:"rule_id,omitempty"`
	Level       int       `json:"level,omitempty"`
	Type        string    `json:"type"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Severity    float64   `json:"severity"`
	Band        string    `json:"band"`
	RemoteIP    string    `json:"remote_ip,omitempty"`
	Count       int64     `json:"count"`
}

type instanceView struct {
	Time       apiTime         `json:"time"`
	InstanceID string          `json:"instance_id"`
	Account    string          `json:"account"`
	Region     string          `json:"region"`
	Types      []apiCount      `json:"types"`
	Timeline   []timelineEntry `json:"timeline"`
}

type apiRemote struct {
	IP      string   `json:"ip,omitempty"`
	Country string   `json:"country,omitempty"`
	City    string   `json:"city,omitempty"`
	ASN     string   `json:"asn,omitempty"`
	Org     string   `json:"org,omitempty"`
	Lat     *float64 `json:"lat,omitempty"`
	Lon     *float64 `json:"lon,omitempty"`
}

type apiAlert struct {
	ID          string    `json:"id"`
	Time        time.Time `json:"time"`
	EventTime   time.Time `json:"event_time"`
	RuleID      int       `json:"rule_id"`
	Level       int       `json:"level"`
	Description string    `json:"description"`
	Groups      []string  `json:"groups"`
	MITRE       []string  `json:"mitre"`
	FindingID   string    `json:"finding_id"`
	Type        string    `json:"type"`
	Title       string    `json:"title"`
	Severity    float64   `json:"severity"`
	Band        string    `json:"band"`
	Account     string    `json:"account"`
	Region      string    `json:"region"`
	InstanceID  string    `json:"instance_id,omitempty"`
	Principal   string    `json:"principal,omitempty"`
	Remote      apiRemote `json:"remote"`
	LocalPort   int       `json:"local_port,omitempty"`
	API         string    `json:"api,omitempty"`
	Domain      string    `json:"domain,omitempty"`
	Count       int64     `json:"count"`
	Source      string    `json:"source"`
	Object      string    `json:"object"`
	// Event is the event the alert was raised on; only in the single
	// alert's answer.
	Event json.RawMessage `json:"event,omitempty"`
}

type alertsView struct {
	Time   apiTime    `json:"time"`
	Filter alertQuery `json:"filter"`
	Total  int64      `json:"total"`
	Page   int        `json:"page"`
	Size   int        `json:"size"`
	Pages  int        `json:"pages"`
	Alerts []apiAlert `json:"alerts"`
}

type apiCursor struct {
	Scope   string    `json:"scope"`
	Key     string    `json:"key"`
	Updated time.Time `json:"updated"`
}

type apiFailure struct {
	Object    string    `json:"object"`
	Scope     string    `json:"scope"`
	Error     string    `json:"error"`
	Transient bool      `json:"transient"`
	Attempts  int       `json:"attempts"`
	FirstAt   time.Time `json:"first_at"`
	LastAt    time.Time `json:"last_at"`
}

type apiSource struct {
	Source    string       `json:"source"`
	LastPoll  *time.Time   `json:"last_poll"`
	LastError string       `json:"last_error,omitempty"`
	Done      int64        `json:"done"`
	Partial   int64        `json:"partial"`
	Failed    int64        `json:"failed"`
	Events    int64        `json:"events"`
	Cursors   []apiCursor  `json:"cursors"`
	Failures  []apiFailure `json:"failures"`
}

type healthView struct {
	Sources []apiSource `json:"sources"`
}

func counts(in []store.Count) []apiCount {
	out := make([]apiCount, 0, len(in))
	for _, c := range in {
		out = append(out, apiCount{Label: c.Label, Count: c.Count})
	}
	return out
}

// bandCounts returns the four bands in order, zero when missing.
func bandCounts(in []store.Count) []apiCount {
	out := make([]apiCount, 0, len(bands))
	for _, b := range bands {
		c := apiCount{Label: b}
		for _, x := range in {
			if x.Label == b {
				c.Count += x.Count
			}
		}
		out = append(out, c)
	}
	return out
}

// series converts s; with bandOrder the lines follow bands (low first, so
// critical stacks on top) rather than the store's order.
func series(s store.Series, bandOrder bool) apiSeries {
	out := apiSeries{Buckets: make([]time.Time, 0, len(s.Buckets)), StepSeconds: int64(s.Step / time.Second)}
	for _, b := range s.Buckets {
		out.Buckets = append(out.Buckets, b.UTC())
	}
	labels := s.Labels
	if bandOrder {
		labels = nil
		for _, b := range bands {
			if _, ok := s.Values[b]; ok {
				labels = append(labels, b)
			}
		}
	}
	out.Series = make([]apiLine, 0, len(labels))
	for _, l := range labels {
		v := s.Values[l]
		if v == nil {
			v = make([]int64, len(s.Buckets))
		}
		out.Series = append(out.Series, apiLine{Label: l, Values: v})
	}
	return out
}

func geo(in []store.GeoPoint) []apiGeo {
	out := make([]apiGeo, 0, len(in))
	for _, g := range in {
		out = append(out, apiGeo{Lat: g.Lat, Lon: g.Lon, Country: g.Country, City: g.City, Count: g.Count})
	}
	return out
}

func overview(t apiTime, o store.Overview) overviewView {
	return overviewView{
		Time: t, Total: o.Total, ByBand: bandCounts(o.ByBand), ByType: counts(o.ByType),
		ByBandTime: series(o.ByBandTime, true), ByGroup: series(o.ByGroup, false),
		Instances: counts(o.Instances), RemoteIPs: counts(o.RemoteIPs), ASNs: counts(o.ASNs),
		Countries: counts(o.Countries), Geo: geo(o.Geo),
	}
}

func bruteForce(t apiTime, b store.BruteForce) bruteForceView {
	v := bruteForceView{Time: t, Rows: make([]bruteForceRow, 0, len(b.Rows)), ByPort: counts(b.ByPort),
		Series: series(b.Series, false)}
	for _, r := range b.Rows {
		v.Rows = append(v.Rows, bruteForceRow{InstanceID: r.InstanceID, RemoteIP: r.RemoteIP, Country: r.Country,
			Port: r.Port, Alerts: r.Alerts, Attempts: r.Attempts, Last: r.Last.UTC()})
	}
	return v
}

func unusual(t apiTime, u store.UnusualNetwork) unusualView {
	v := unusualView{Time: t, Rows: make([]unusualRow, 0, len(u.Rows)), Principals: counts(u.Principals),
		APIs: counts(u.APIs), Countries: counts(u.Countries), Geo: geo(u.Geo)}
	for _, r := range u.Rows {
		v.Rows = append(v.Rows, unusualRow{Principal: r.Principal, RemoteIP: r.RemoteIP, Country: r.Country,
			City: r.City, ASN: r.ASN, Org: r.Org, API: r.API, Alerts: r.Alerts, Last: r.Last.UTC()})
	}
	return v
}

func instance(t apiTime, s store.InstanceStory) instanceView {
	v := instanceView{Time: t, InstanceID: s.InstanceID, Account: s.Account, Region: s.Region, Types: counts(s.Types),
		Timeline: make([]timelineEntry, 0, len(s.Timeline))}
	for _, e := range s.Timeline {
		v.Timeline = append(v.Timeline, timelineEntry{Time: e.Time.UTC(), AlertID: e.AlertID, RuleID: e.RuleID,
			Level: e.Level, Type: e.Type, Title: e.Title, Description: e.Description, Severity: e.Severity,
			Band: bandOf(e.Severity), RemoteIP: e.RemoteIP, Count: e.Count})
	}
	return v
}

// alert converts a; withEvent adds the event JSON (the detail answer).
func alert(a store.Alert, withEvent bool) apiAlert {
	v := apiAlert{
		ID: a.ID, Time: a.Time.UTC(), EventTime: a.EventTime.UTC(), RuleID: a.RuleID, Level: a.Level,
		Description: a.Description, Groups: nonNil(a.Groups), MITRE: nonNil(a.MITRE), FindingID: a.FindingID,
		Type: a.Type, Title: a.Title, Severity: a.Severity, Band: bandOf(a.Severity), Account: a.Account,
		Region: a.Region, InstanceID: a.InstanceID, Principal: a.Principal,
		Remote: apiRemote{IP: a.RemoteIP, Country: a.RemoteCountry, City: a.RemoteCity, ASN: a.RemoteASN,
			Org: a.RemoteOrg},
		LocalPort: a.LocalPort, API: a.API, Domain: a.Domain, Count: a.Count, Source: a.Source, Object: a.Object,
	}
	if a.HasGeo {
		lat, lon := a.Lat, a.Lon
		v.Remote.Lat, v.Remote.Lon = &lat, &lon
	}
	if withEvent && len(a.Data) > 0 {
		if json.Valid(a.Data) {
			v.Event = json.RawMessage(a.Data)
		} else {
			// Not JSON: keep it, as a string.
			v.Event, _ = json.Marshal(string(a.Data))
		}
	}
	return v
}

func health(in []store.SourceHealth) healthView {
	v := healthView{Sources: make([]apiSource, 0, len(in))}
	for _, h := range in {
		s := apiSource{Source: h.Source, LastError: h.LastError, Done: h.Done, Partial: h.Partial,
			Failed: h.Failed, Events: h.Events, Cursors: make([]apiCursor, 0, len(h.Cursors)),
			Failures: make([]apiFailure, 0, len(h.Failures))}
		if !h.LastPoll.IsZero() {
			t := h.LastPoll.UTC()
			s.LastPoll = &t
		}
		for _, c := range h.Cursors {
			s.Cursors = append(s.Cursors, apiCursor{Scope: c.Scope, Key: c.Key, Updated: c.Updated.UTC()})
		}
		for _, f := range h.Failures {
			s.Failures = append(s.Failures, apiFailure{Object: f.Object.URI(), Scope: f.Object.Scope, Error: f.Error,
				Transient: f.Transient, Attempts: f.Attempts, FirstAt: f.FirstAt.UTC(), LastAt: f.LastAt.UTC()})
		}
		v.Sources = append(v.Sources, s)
	}
	slices.SortFunc(v.Sources, func(a, b apiSource) int { return strings.Compare(a.Source, b.Source) })
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
