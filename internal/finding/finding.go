package finding

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Finding is one GuardDuty finding: the fields dutywatch reads, decoded
// into Go types, plus the finding's exact JSON.
type Finding struct {
	ID          string
	ARN         string
	Type        string
	Severity    float64 // 1.0–10.0; an integer or a decimal on the wire
	Title       string
	Description string
	AccountID   string
	Region      string
	Partition   string
	DetectorID  string    // service.detectorId
	CreatedAt   time.Time // zero when absent or unreadable
	UpdatedAt   time.Time
	// FirstSeen and LastSeen are service.eventFirstSeen/eventLastSeen.
	FirstSeen time.Time
	LastSeen  time.Time
	Count     int64 // service.count: occurrences aggregated so far
	Archived  bool  // service.archived
	// Sample is true for findings made by CreateSampleFindings
	// (service.additionalInfo.sample == true).
	Sample       bool
	ResourceType string // resource.resourceType
	ResourceRole string // service.resourceRole: TARGET or ACTOR
	InstanceID   string // resource.instanceDetails.instanceId
	// AccessKeyID, PrincipalID and UserName are resource.accessKeyDetails.*.
	AccessKeyID string
	PrincipalID string
	UserName    string
	ActionType  string // service.action.actionType
	// RemoteIPs holds the remote side of every action block, in document
	// order: one entry per portProbeDetails element.
	RemoteIPs []RemoteIP
	// Source is "guardduty": the envelope's source without "aws.", or
	// service.serviceName for a bare finding. It is Wazuh's aws.source.
	Source string
	// Raw is a copy of the finding object's bytes as read.
	Raw json.RawMessage
}

// RemoteIP is a remoteIpDetails block (plus the local port, when the
// action has one).
type RemoteIP struct {
	IP        string // ipAddressV4, else ipAddressV6
	Country   string
	City      string
	Lat, Lon  float64
	ASN       string // a string on the wire, a number in old data
	ASNOrg    string
	ISP       string
	Org       string
	LocalPort int // localPortDetails.port, 0 if none
}

// Envelope is the metadata of an EventBridge event.
type Envelope struct {
	EventID    string // the event's id (new per emission), not the finding's
	DetailType string
	Source     string // e.g. "aws.guardduty"
	Account    string
	Region     string
	Time       time.Time
}

// Record is one decoded JSON record of an object.
type Record struct {
	// Finding is nil when Skipped is set.
	Finding *Finding
	// Skipped is the detail-type of an EventBridge event that carries no
	// finding ("GuardDuty Runtime Protection Unhealthy", …). Callers count
	// these; they are not errors.
	Skipped string
	// Envelope is the EventBridge metadata; zero for a bare finding.
	Envelope Envelope
}

// DetailTypeFinding is the only EventBridge detail-type carrying a finding.
const DetailTypeFinding = "GuardDuty Finding"

// ErrNotFinding is returned by Parse for a JSON value that is neither a
// finding nor an EventBridge envelope.
var ErrNotFinding = errors.New("not a GuardDuty finding or EventBridge envelope")

var treePool = sync.Pool{New: func() any { return new(tree) }}

// Parse decodes one JSON record: an EventBridge envelope (as Firehose
// writes it) or a bare finding (a native export line or a GetFindings
// element). An envelope whose detail-type is not "GuardDuty Finding" gives a
// Record with Skipped set. Malformed JSON gives a *SyntaxError; valid JSON
// of another shape gives ErrNotFinding. Parse never keeps data.
func Parse(data []byte) (Record, error) {
	t := treePool.Get().(*tree)
	defer func() { t.src = nil; treePool.Put(t) }()
	if err := t.parse(data); err != nil {
		return Record{}, err
	}
	if t.nodes[0].kind != kObject {
		return Record{}, ErrNotFinding
	}
	detail := t.get(0, "detail")
	dtNode := t.get(0, "detail-type")
	if detail < 0 && dtNode < 0 {
		if !looksLikeFinding(t, 0) {
			return Record{}, ErrNotFinding
		}
		f := decode(t, 0)
		f.Source = t.str(t.path(0, "service", "serviceName"))
		if f.Source == "" {
			f.Source = "guardduty"
		}
		return Record{Finding: f}, nil
	}
	env := Envelope{
		EventID:    t.str(t.get(0, "id")),
		DetailType: t.str(dtNode),
		Source:     t.str(t.get(0, "source")),
		Account:    t.str(t.get(0, "account")),
		Region:     t.str(t.get(0, "region")),
		Time:       t.time(t.get(0, "time")),
	}
	// An envelope without detail-type (a hand-made test event) is taken
	// when its detail is a finding, as Wazuh takes it.
	if dtNode >= 0 && env.DetailType != DetailTypeFinding {
		if env.DetailType == "" {
			return Record{}, ErrNotFinding
		}
		return Record{Skipped: env.DetailType, Envelope: env}, nil
	}
	if !looksLikeFinding(t, detail) {
		return Record{}, fmt.Errorf("envelope detail: %w", ErrNotFinding)
	}
	f := decode(t, detail)
	f.Source = "guardduty"
	if env.Source != "" {
		// Wazuh: source.replace('aws.', '').
		f.Source = strings.ReplaceAll(env.Source, "aws.", "")
	}
	return Record{Finding: f, Envelope: env}, nil
}

// looksLikeFinding reports whether i is an object with schemaVersion, or
// with both id and type.
func looksLikeFinding(t *tree, i int32) bool {
	if t.kindOf(i) != kObject {
		return false
	}
	return t.get(i, "schemaVersion") >= 0 || (t.get(i, "id") >= 0 && t.get(i, "type") >= 0)
}

// decode reads the typed core of the finding object at i in one walk over
// the members that matter.
func decode(t *tree, i int32) *Finding {
	f := &Finding{Raw: append(json.RawMessage(nil), t.raw(i)...)}
	// One string copy of the finding serves every string field.
	t.strs, t.strsAt = string(f.Raw), t.nodes[i].start
	defer func() { t.strs = "" }()
	var buf [32]member
	for _, m := range t.effective(buf[:0], i) {
		v := m.val
		switch string(t.keyName(m.key)) {
		case "id":
			f.ID = t.str(v)
		case "arn":
			f.ARN = t.str(v)
		case "type":
			f.Type = t.str(v)
		case "severity":
			f.Severity, _ = t.float(v)
		case "title":
			f.Title = t.str(v)
		case "description":
			f.Description = t.str(v)
		case "accountId":
			f.AccountID = t.str(v)
		case "region":
			f.Region = t.str(v)
		case "partition":
			f.Partition = t.str(v)
		case "createdAt":
			f.CreatedAt = t.time(v)
		case "updatedAt":
			f.UpdatedAt = t.time(v)
		case "resource":
			decodeResource(t, v, f)
		case "service":
			decodeService(t, v, f)
		}
	}
	return f
}

func decodeResource(t *tree, r int32, f *Finding) {
	f.ResourceType = t.str(t.get(r, "resourceType"))
	f.InstanceID = t.str(t.path(r, "instanceDetails", "instanceId"))
	if ak := t.get(r, "accessKeyDetails"); ak >= 0 {
		f.AccessKeyID = t.str(t.get(ak, "accessKeyId"))
		f.PrincipalID = t.str(t.get(ak, "principalId"))
		f.UserName = t.str(t.get(ak, "userName"))
	}
}

func decodeService(t *tree, s int32, f *Finding) {
	if t.kindOf(s) != kObject {
		return
	}
	f.DetectorID = t.str(t.get(s, "detectorId"))
	f.ResourceRole = t.str(t.get(s, "resourceRole"))
	f.FirstSeen = t.time(t.get(s, "eventFirstSeen"))
	f.LastSeen = t.time(t.get(s, "eventLastSeen"))
	f.Count, _ = t.int(t.get(s, "count"))
	f.Archived = t.bool(t.get(s, "archived"))
	f.Sample = t.kindOf(t.path(s, "additionalInfo", "sample")) == kTrue
	a := t.get(s, "action")
	if t.kindOf(a) != kObject {
		return
	}
	var buf [16]member
	for _, m := range t.effective(buf[:0], a) {
		v := m.val
		switch string(t.keyName(m.key)) {
		case "actionType":
			f.ActionType = t.str(v)
		case "awsApiCallAction", "networkConnectionAction", "kubernetesApiCallAction", "rdsLoginAttemptAction":
			if ip, ok := remoteIP(t, v); ok {
				f.RemoteIPs = append(f.RemoteIPs, ip)
			}
		case "portProbeAction":
			d := t.get(v, "portProbeDetails")
			switch t.kindOf(d) {
			case kArray:
				for c, j := first(d), int32(0); j < t.nodes[d].n; c, j = t.next(c), j+1 {
					if ip, ok := remoteIP(t, c); ok {
						f.RemoteIPs = append(f.RemoteIPs, ip)
					}
				}
			case kObject:
				if ip, ok := remoteIP(t, d); ok {
					f.RemoteIPs = append(f.RemoteIPs, ip)
				}
			}
		}
	}
}

// remoteIP reads remoteIpDetails (and localPortDetails.port) of object i.
func remoteIP(t *tree, i int32) (RemoteIP, bool) {
	r := t.get(i, "remoteIpDetails")
	if t.kindOf(r) != kObject {
		return RemoteIP{}, false
	}
	ip := RemoteIP{
		IP:      t.str(t.get(r, "ipAddressV4")),
		Country: t.str(t.path(r, "country", "countryName")),
		City:    t.str(t.path(r, "city", "cityName")),
	}
	if ip.IP == "" {
		ip.IP = t.str(t.get(r, "ipAddressV6"))
	}
	if g := t.get(r, "geoLocation"); g >= 0 {
		ip.Lat, _ = t.float(t.get(g, "lat"))
		ip.Lon, _ = t.float(t.get(g, "lon"))
	}
	if o := t.get(r, "organization"); o >= 0 {
		ip.ASN = t.text(t.get(o, "asn"))
		ip.ASNOrg = t.str(t.get(o, "asnOrg"))
		ip.ISP = t.str(t.get(o, "isp"))
		ip.Org = t.str(t.get(o, "org"))
	}
	if p, ok := t.int(t.path(i, "localPortDetails", "port")); ok {
		ip.LocalPort = int(p)
	}
	return ip, true
}
