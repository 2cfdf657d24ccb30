package store

import "time"

// The types below are what the dashboard's queries return. The queries
// themselves (methods on *Store) live in query*.go.

// TimeRange bounds a query by alert event time, [From, To).
type TimeRange struct {
	From, To time.Time
}

// Count is one labelled count, e.g. a finding type and its alerts.
type Count struct {
	Label string
	Count int64
}

// Series is counts per time bucket for several labels (a stacked chart):
// Buckets[i] is the start of bucket i and Values[label][i] its count.
type Series struct {
	Buckets []time.Time
	Step    time.Duration
	Labels  []string
	Values  map[string][]int64
}

// GeoPoint is an attacker location with its alert count.
type GeoPoint struct {
	Lat, Lon float64
	Country  string
	City     string
	Count    int64
}

// Overview is the dashboard's first page.
type Overview struct {
	Total int64
	// ByBand counts alerts by AWS severity band: low, medium, high, critical.
	ByBand     []Count
	ByType     []Count // top finding types
	ByBandTime Series  // stacked by severity band over time
	ByGroup    Series  // stacked by rule group over time
	Instances  []Count // top attacked instances
	RemoteIPs  []Count // top attacker IPs
	ASNs       []Count // top attacker ASNs ("AS<asn> <org>")
	Countries  []Count // top attacker countries
	Geo        []GeoPoint
}

// BruteForceRow is one (instance, attacker, port) of brute-force alerts.
type BruteForceRow struct {
	InstanceID string
	RemoteIP   string
	Country    string
	Port       int
	Alerts     int64
	Attempts   int64 // the largest finding count seen
	Last       time.Time
}

// BruteForce is the brute-force page.
type BruteForce struct {
	Rows   []BruteForceRow
	ByPort []Count
	Series Series // alerts over time by target port ("22/ssh", ...)
}

// UnusualNetworkRow is one (principal, origin, API) of unusual-network alerts.
type UnusualNetworkRow struct {
	Principal string
	RemoteIP  string
	Country   string
	City      string
	ASN       string
	Org       string
	API       string
	Alerts    int64
	Last      time.Time
}

// UnusualNetwork is the API-calls-from-an-unusual-network page.
type UnusualNetwork struct {
	Rows       []UnusualNetworkRow
	Principals []Count
	APIs       []Count
	Countries  []Count
	Geo        []GeoPoint
}

// TimelineEntry is one alert or finding version on an instance's timeline.
type TimelineEntry struct {
	Time        time.Time
	AlertID     string // empty for a finding that raised no alert
	RuleID      int
	Level       int
	Type        string
	Title       string
	Description string
	Severity    float64
	RemoteIP    string
	Count       int64
}

// InstanceStory is the compromised-instance page: everything about one
// instance, oldest first.
type InstanceStory struct {
	InstanceID string
	Account    string
	Region     string
	Types      []Count
	Timeline   []TimelineEntry
}

// AlertFilter selects alerts for the alerts page and the exports. Zero
// fields do not filter.
type AlertFilter struct {
	Range      TimeRange
	MinLevel   int
	Band       string // low, medium, high or critical
	Type       string
	Account    string
	Region     string
	InstanceID string
	RuleID     int
	// Text is a full-text query over description, title, type, instance,
	// principal, IP, domain and API; each word must match.
	Text   string
	Offset int
	Limit  int
}

// AlertPage is one page of alerts, newest first, and the total matching.
type AlertPage struct {
	Alerts []Alert
	Total  int64
}

// SourceHealth is one source's state on the health page.
type SourceHealth struct {
	Source    string
	LastPoll  time.Time
	LastError string
	Done      int64
	Partial   int64
	Failed    int64
	Events    int64
	Cursors   []Cursor
	Failures  []Failure
}

// Cursor is one scope's position.
type Cursor struct {
	Scope   string
	Key     string
	Updated time.Time
}
