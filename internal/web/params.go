package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dutywatch/dutywatch/internal/store"
)

// timeSel is the time range a request asked for: a rolling window
// (range=1h|24h|7d|30d), everything (range=all) or custom from/to.
// Rolling windows have no end, so a reload shows new alerts.
type timeSel struct {
	Key      string // 1h, 24h, 7d, 30d, all or custom
	From, To time.Time
}

// rangeKeys are the rolling choices of the picker, in order.
var rangeKeys = [...]string{"1h", "24h", "7d", "30d", "all"}

func rangeDuration(key string) (time.Duration, bool) {
	switch key {
	case "1h":
		return time.Hour, true
	case "24h":
		return 24 * time.Hour, true
	case "7d":
		return 7 * 24 * time.Hour, true
	case "30d":
		return 30 * 24 * time.Hour, true
	}
	return 0, false
}

func validRange(key string) bool {
	_, ok := rangeDuration(key)
	return ok || key == "all"
}

// timeLayouts are what from and to accept; all but RFC 3339 are UTC.
var timeLayouts = [...]string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"}

func parseInstant(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%s: want a time like 2006-01-02T15:04 (UTC) or RFC 3339, got %q", name, s)
}

// parseTimeSel reads from/to (custom) or range from q; def is the range
// when none is given.
func parseTimeSel(q url.Values, now time.Time, def string) (timeSel, error) {
	if q.Get("from") != "" || q.Get("to") != "" {
		from, err := parseInstant("from", q.Get("from"))
		if err != nil {
			return timeSel{}, err
		}
		to, err := parseInstant("to", q.Get("to"))
		if err != nil {
			return timeSel{}, err
		}
		if !from.IsZero() && !to.IsZero() && !from.Before(to) {
			return timeSel{}, fmt.Errorf("from (%s) must be before to (%s)", q.Get("from"), q.Get("to"))
		}
		return timeSel{Key: "custom", From: from, To: to}, nil
	}
	key := q.Get("range")
	if key == "" {
		key = def
	}
	if key == "all" {
		return timeSel{Key: key}, nil
	}
	d, ok := rangeDuration(key)
	if !ok {
		return timeSel{}, fmt.Errorf("range: want 1h, 24h, 7d, 30d or all, got %q", key)
	}
	return timeSel{Key: key, From: now.Add(-d).UTC()}, nil
}

func (t timeSel) storeRange() store.TimeRange { return store.TimeRange{From: t.From, To: t.To} }

func (t timeSel) api() apiTime {
	a := apiTime{Range: t.Key}
	if !t.From.IsZero() {
		f := t.From
		a.From = &f
	}
	if !t.To.IsZero() {
		to := t.To
		a.To = &to
	}
	return a
}

// values is t as query parameters, for links that keep the range.
func (t timeSel) values() url.Values {
	v := url.Values{}
	if t.Key != "custom" {
		v.Set("range", t.Key)
		return v
	}
	if !t.From.IsZero() {
		v.Set("from", t.From.Format("2006-01-02T15:04"))
	}
	if !t.To.IsZero() {
		v.Set("to", t.To.Format("2006-01-02T15:04"))
	}
	return v
}

// Values is values, for templates.
func (t timeSel) Values() url.Values { return t.values() }

// Label names t for the page ("Last 24 hours").
func (t timeSel) Label() string {
	switch t.Key {
	case "1h":
		return "Last hour"
	case "24h":
		return "Last 24 hours"
	case "7d":
		return "Last 7 days"
	case "30d":
		return "Last 30 days"
	case "all":
		return "All time"
	}
	from, to := "the beginning", "now"
	if !t.From.IsZero() {
		from = t.From.Format("2006-01-02 15:04")
	}
	if !t.To.IsZero() {
		to = t.To.Format("2006-01-02 15:04")
	}
	return from + " → " + to + " UTC"
}

// Input formats a bound for a datetime-local input.
func (t timeSel) Input(which string) string {
	v := t.From
	if which == "to" {
		v = t.To
	}
	if t.Key != "custom" || v.IsZero() {
		return ""
	}
	return v.Format("2006-01-02T15:04")
}

// alertQuery is the alerts page's filter as the URL carries it.
type alertQuery struct {
	MinLevel   int    `json:"min_level,omitempty"`
	Band       string `json:"band,omitempty"`
	Type       string `json:"type,omitempty"`
	Account    string `json:"account,omitempty"`
	Region     string `json:"region,omitempty"`
	InstanceID string `json:"instance,omitempty"`
	RuleID     int    `json:"rule_id,omitempty"`
	Text       string `json:"q,omitempty"`
}

const (
	defaultPageSize = 50
	maxPageSize     = 500
)

// pageSizes are the page-size choices the alerts page offers.
var pageSizes = [...]int{25, 50, 100, 200, 500}

// parseAlertQuery reads the filter and the paging (page from 1, size).
func parseAlertQuery(q url.Values) (f alertQuery, page, size int, err error) {
	intParam := func(name string, lo, hi, def int) int {
		s := strings.TrimSpace(q.Get(name))
		if s == "" || err != nil {
			return def
		}
		n, perr := strconv.Atoi(s)
		if perr != nil || n < lo || n > hi {
			err = fmt.Errorf("%s: want a whole number from %d to %d, got %q", name, lo, hi, s)
			return def
		}
		return n
	}
	f = alertQuery{
		MinLevel: intParam("level", 0, 16, 0), RuleID: intParam("rule", 0, 1<<31-1, 0),
		Band: strings.ToLower(strings.TrimSpace(q.Get("band"))), Type: strings.TrimSpace(q.Get("type")),
		Account: strings.TrimSpace(q.Get("account")), Region: strings.TrimSpace(q.Get("region")),
		InstanceID: strings.TrimSpace(q.Get("instance")), Text: strings.TrimSpace(q.Get("q")),
	}
	page = intParam("page", 1, 1<<31-1, 1)
	size = intParam("size", 1, maxPageSize, defaultPageSize)
	if err != nil {
		return alertQuery{}, 0, 0, err
	}
	if f.Band != "" && bandIndex(f.Band) < 0 {
		return alertQuery{}, 0, 0, fmt.Errorf("band: want low, medium, high or critical, got %q", f.Band)
	}
	return f, page, size, nil
}

func bandIndex(b string) int {
	for i, x := range bands {
		if x == b {
			return i
		}
	}
	return -1
}

func (f alertQuery) storeFilter(t timeSel, page, size int) store.AlertFilter {
	return store.AlertFilter{Range: t.storeRange(), MinLevel: f.MinLevel, Band: f.Band, Type: f.Type,
		Account: f.Account, Region: f.Region, InstanceID: f.InstanceID, RuleID: f.RuleID, Text: f.Text,
		Offset: (page - 1) * size, Limit: size}
}

// values is f as query parameters.
func (f alertQuery) values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	if f.MinLevel > 0 {
		v.Set("level", strconv.Itoa(f.MinLevel))
	}
	if f.RuleID > 0 {
		v.Set("rule", strconv.Itoa(f.RuleID))
	}
	set("band", f.Band)
	set("type", f.Type)
	set("account", f.Account)
	set("region", f.Region)
	set("instance", f.InstanceID)
	set("q", f.Text)
	return v
}

// Active says whether any filter is set.
func (f alertQuery) Active() bool { return f != alertQuery{} }

// merge returns the union of vs (later values win).
func merge(vs ...url.Values) url.Values {
	out := url.Values{}
	for _, v := range vs {
		for k, x := range v {
			out[k] = x
		}
	}
	return out
}

// href is path with the query q, or path alone when q is empty.
func href(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
