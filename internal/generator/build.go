package generator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// featured are the example classes of Wazuh's GuardDuty guide, with their
// weight in the mix. The first findings of every run take them in order,
// so even a short run covers each class.
var featured = []struct {
	name   string
	weight int
}{
	{"UnauthorizedAccess:EC2/SSHBruteForce", 12},
	{"Recon:EC2/PortProbeUnprotectedPort", 12},
	{"UnauthorizedAccess:EC2/RDPBruteForce", 6},
	{"UnauthorizedAccess:IAMUser/MaliciousIPCaller", 5},
	{"InitialAccess:IAMUser/AnomalousBehavior", 4},
	{"Backdoor:EC2/C&CActivity.B!DNS", 4},
	{"CryptoCurrency:EC2/BitcoinTool.B!DNS", 4},
	{"Trojan:EC2/DNSDataExfiltration", 3},
	{"Trojan:EC2/DropPoint", 3},
	{"UnauthorizedAccess:EC2/TorClient", 4},
	{"Discovery:IAMUser/AnomalousBehavior", 2},
}

// featuredShare is the fraction of findings (after the first few) drawn
// from featured; the rest are drawn evenly from all active types.
const featuredShare = 0.55

// version is one emission of a finding.
type version struct {
	body     []byte // compact JSON
	at       time.Time
	sc       scope
	events   int // Wazuh events it yields
	archived bool
	findingI int
	seq      int
}

type builder struct {
	w       *world
	r       *rand.Rand
	t       Type
	created time.Time
	sc      scope
	f       gdFinding
	// actor is the remote side; probes holds a port probe's details.
	actor  actor
	events int
}

// typeByName returns a type known to be in the table.
func typeByName(name string) Type {
	t, _ := lookupType(name)
	return t
}

func (w *world) pickType(i int, r *rand.Rand) Type {
	if i < len(featured) {
		return typeByName(featured[i].name)
	}
	if r.Float64() < featuredShare {
		total := 0
		for _, f := range featured {
			total += f.weight
		}
		n := r.IntN(total)
		for _, f := range featured {
			if n -= f.weight; n < 0 {
				return typeByName(f.name)
			}
		}
	}
	for {
		if t := pick(r, typeTable); !t.Retired {
			return t
		}
	}
}

// versions returns finding i's emissions: the new finding, then an update
// for a share cfg.Updates of findings.
func (w *world) versions(i int) ([]version, error) {
	r := newRand(w.cfg.Seed, streamFinding, uint64(i))
	b := &builder{w: w, r: r, t: w.pickType(i, r)}
	n := max(w.cfg.Findings, i+1)
	offset := time.Duration((float64(i) + 0.9*r.Float64()) / float64(n) * float64(w.cfg.Span))
	b.created = w.cfg.Start.Add(offset).Truncate(time.Millisecond)
	b.build()
	v1, err := b.version(b.created.Add(time.Duration(10+r.IntN(280)) * time.Second))
	if err != nil {
		return nil, err
	}
	v1.findingI = i
	out := []version{v1}
	if r.Float64() >= w.cfg.Updates {
		return out, nil
	}
	b.update()
	v2, err := b.version(b.updatedAt().Add(time.Duration(5+r.IntN(60)) * time.Second))
	if err != nil {
		return nil, err
	}
	v2.seq, v2.findingI = 1, i
	return append(out, v2), nil
}

func (b *builder) updatedAt() time.Time {
	t, _ := time.Parse(timeMillis, b.f.UpdatedAt)
	return t
}

func (b *builder) version(at time.Time) (version, error) {
	body, err := marshal(&b.f)
	if err != nil {
		return version{}, fmt.Errorf("encode finding %s: %w", b.f.ID, err)
	}
	return version{body: body, at: at, sc: b.sc, events: b.events, archived: b.f.Service.Archived}, nil
}

const (
	timeMillis  = "2006-01-02T15:04:05.000Z"
	timeSeconds = "2006-01-02T15:04:05Z"
)

// build fills b.f with the first version of the finding.
func (b *builder) build() {
	r := b.r
	b.events = 1
	id := hexString(r, 32)
	first := b.created.Add(-time.Duration(30+r.IntN(900)) * time.Second).Truncate(time.Second)
	last := b.created.Add(-time.Duration(r.IntN(120)) * time.Second).Truncate(time.Second)
	if last.Before(first) {
		last = first
	}
	b.f = gdFinding{
		SchemaVersion: "2.0",
		ID:            id,
		Type:          b.t.Name,
		CreatedAt:     b.created.UTC().Format(timeMillis),
		UpdatedAt:     b.created.UTC().Format(timeMillis),
		Service: service{
			ServiceName:    "guardduty",
			ResourceRole:   "TARGET",
			AdditionalInfo: object{{"value", "{}"}, {"type", "default"}},
			EventFirstSeen: first.UTC().Format(timeMillis),
			EventLastSeen:  last.UTC().Format(timeMillis),
			Count:          1 + int64(r.IntN(4)),
		},
	}
	b.shape()
	s := b.sc
	b.f.AccountID, b.f.Region, b.f.Partition = s.account, s.region, s.partition()
	b.f.Service.DetectorID = b.w.detectors[s]
	b.f.ARN = fmt.Sprintf("arn:%s:guardduty:%s:%s:detector/%s/finding/%s", s.partition(), s.region, s.account, b.w.detectors[s], id)
	if b.f.Severity == "" {
		b.setSeverity(b.t.Level.Severity())
	}
	if r.IntN(30) == 0 {
		b.markSample()
	}
}

// setSeverity writes v as an integer literal ("8") most of the time and as
// a decimal ("8.0") sometimes, as GuardDuty does; Varies picks a band.
func (b *builder) setSeverity(v float64) {
	if b.t.Level == Varies {
		v = pick(b.r, []float64{2, 5, 8})
	}
	if v != float64(int(v)) || b.r.IntN(8) == 0 {
		b.f.Severity = json.Number(strconv.FormatFloat(v, 'f', 1, 64))
		return
	}
	b.f.Severity = json.Number(strconv.Itoa(int(v)))
}

// setInfo replaces additionalInfo with the given keys spread, followed by
// value (the same keys as a JSON string) and type, as GuardDuty writes it.
func (b *builder) setInfo(keys object) {
	value, _ := marshal(keys)
	b.f.Service.AdditionalInfo = append(keys, kv{"value", string(value)}, kv{"type", "default"})
}

func (b *builder) infoKeys() object {
	ai := b.f.Service.AdditionalInfo
	return ai[:len(ai)-2]
}

func (b *builder) markSample() {
	keys := append(slices.Clone(b.infoKeys()), kv{"sample", true})
	b.setInfo(keys)
	if b.f.Service.Evidence != nil {
		b.f.Service.Evidence.ThreatIntelligenceDetails[0].ThreatListName = "GeneratedFindingThreatListName"
	}
}

func (b *builder) threatIntel(list string, names ...string) {
	b.f.Service.Evidence = &evidence{ThreatIntelligenceDetails: []threatIntel{{ThreatListName: list, ThreatNames: names}}}
}

// update turns b.f into a later version: GuardDuty aggregated more
// activity under the same id, possibly from a new remote address.
func (b *builder) update() {
	r := b.r
	wait := pick(r, []time.Duration{15 * time.Minute, time.Hour, 6 * time.Hour})
	up := b.updatedAt().Add(wait + time.Duration(r.IntN(600))*time.Second)
	b.f.UpdatedAt = up.UTC().Format(timeMillis)
	b.f.Service.EventLastSeen = up.Add(-time.Duration(60+r.IntN(600)) * time.Second).Truncate(time.Second).UTC().Format(timeMillis)
	b.f.Service.Count += 1 + int64(r.IntN(200))
	if r.IntN(2) == 0 {
		b.newActor()
	}
	// A share of updated findings were archived by hand in between;
	// EventBridge still emits them, native exports skip them.
	b.f.Service.Archived = r.IntN(6) == 0
}

// newActor overwrites the remote side, as GuardDuty does on aggregation.
func (b *builder) newActor() {
	a := b.f.Service.Action
	ip := b.remote(pick(b.r, b.w.attackers))
	switch {
	case a.NetworkConnectionAction != nil && !strings.Contains(b.t.Name, "Tor"):
		a.NetworkConnectionAction.RemoteIPDetails = ip
	case a.AWSAPICallAction != nil && a.AWSAPICallAction.RemoteIPDetails != nil:
		a.AWSAPICallAction.RemoteIPDetails = ip
	case a.PortProbeAction != nil:
		d := a.PortProbeAction.PortProbeDetails
		nd := d[0]
		nd.RemoteIPDetails = ip
		nd.LocalPortDetails = b.probePort()
		a.PortProbeAction.PortProbeDetails = append(d, nd)
		b.events = len(a.PortProbeAction.PortProbeDetails)
	}
}

func (b *builder) remote(a actor) *remoteIP {
	ip := &remoteIP{IPAddressV4: a.ip}
	ip.Organization.ASN, ip.Organization.ASNOrg, ip.Organization.ISP, ip.Organization.Org = a.asn, a.org, a.org, a.org
	ip.Country.CountryName, ip.City.CityName = a.country, a.city
	ip.GeoLocation.Lat, ip.GeoLocation.Lon = a.lat, a.lon
	return ip
}

// epoch formats t as GuardDuty's model timestamps: epoch seconds with
// milliseconds, e.g. 1636625755.218.
func epoch(sec float64) json.Number {
	return json.Number(strconv.FormatFloat(sec, 'f', -1, 64))
}

// purposeOf splits a type name: "Recon:EC2/Portscan" → "Recon", "EC2", "Portscan".
func purposeOf(name string) (purpose, res, family string) {
	purpose, rest, _ := strings.Cut(name, ":")
	res, family, _ = strings.Cut(rest, "/")
	return purpose, res, family
}

// genericText gives a title and description for types without their own.
func genericText(t Type, subject string) (string, string) {
	purpose, _, family := purposeOf(t.Name)
	title := fmt.Sprintf("%s activity %s was detected on %s.", purpose, family, subject)
	desc := fmt.Sprintf("GuardDuty detected activity matching %s involving %s. This activity is commonly associated with the %s tactic.",
		t.Name, subject, purpose)
	return title, desc
}
