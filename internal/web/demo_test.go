package web

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dutywatch/dutywatch/internal/source"
	"github.com/dutywatch/dutywatch/internal/store"
)

// The alerts below look like what the pipeline stores for the demo's
// findings: brute force on a few instances by a few attackers, API calls
// from unusual networks, port probes, DNS and C&C findings, spread over
// the week before now. Addresses are documentation ranges, domains under
// .example, places real.

// Payloads every text field of hostileAlert carries.
const (
	xssScript = `<script>alert(1)</script>`
	xssImg    = `"><img src=x onerror=alert(1)>`
	xssQuote  = `' onmouseover='alert(1)' x='`
)

type demoActor struct {
	ip, country, city string
	lat, lon          float64
	asn, org          string
}

var (
	demoActors = []demoActor{
		{"198.51.100.23", "China", "Shanghai", 31.23, 121.47, "64496", "Example Cloud Networks"},
		{"203.0.113.77", "Russia", "Moscow", 55.75, 37.62, "64497", "Example Telecom"},
		{"192.0.2.141", "Brazil", "São Paulo", -23.55, -46.63, "64498", "Exemplo Provedor"},
		{"198.51.100.201", "Netherlands", "Amsterdam", 52.37, 4.90, "64499", "Example Hosting BV"},
		{"203.0.113.9", "United States", "Ashburn", 39.04, -77.49, "64500", "Example Datacenters"},
		{"192.0.2.66", "Vietnam", "Hanoi", 21.03, 105.85, "64501", "Example VN"},
		{"198.51.100.88", "India", "Mumbai", 19.08, 72.88, "64502", "Example Broadband"},
		{"203.0.113.150", "Nigeria", "Lagos", 6.52, 3.38, "64503", "Example Mobile"},
	}
	demoInstances = []string{"i-0a1b2c3d4e5f60718", "i-09f8e7d6c5b4a3921", "i-0c0ffee0badc0de01", "i-05e6f7a8b9c0d1e2f",
		"i-0123456789abcdef0"}
	demoPrincipals = []string{"AIDAEXAMPLEDEVOPS01:devops-ci", "AIDAEXAMPLEALICE0001:alice", "AROAEXAMPLEADMIN001:admin-role"}
	demoAPIs       = []string{"ListBuckets", "DescribeInstances", "GetCallerIdentity", "CreateAccessKey", "AssumeRole"}
	demoAccounts   = []string{"123456789012", "210987654321"}
	demoRegions    = []string{"us-east-1", "eu-west-1"}
)

type demoType struct {
	typ, title, desc string
	rule, level      int
	sev              float64
	groups, mitre    []string
	weight           int
	kind             string // brute, api, probe, dns, net
	port             int
}

var demoTypes = []demoType{
	{"UnauthorizedAccess:EC2/SSHBruteForce", "SSH brute force attacks against %s.", "GuardDuty: SSH brute force against an instance",
		100100, 5, 2, []string{"gd_brute_force", "gd_unauthorized_access", "authentication_failures"}, []string{"T1110", "T1110.001"}, 30, "brute", 22},
	{"UnauthorizedAccess:EC2/RDPBruteForce", "RDP brute force attacks against %s.", "GuardDuty: RDP brute force against an instance",
		100102, 5, 2, []string{"gd_brute_force", "gd_unauthorized_access", "authentication_failures"}, []string{"T1110"}, 10, "brute", 3389},
	{"UnauthorizedAccess:IAMUser/UnusualASNCaller", "API %s was invoked from an unusual network.", "GuardDuty: API called from an unusual network",
		100300, 8, 8, []string{"gd_unusual_network", "gd_unauthorized_access"}, []string{"T1078"}, 14, "api", 0},
	{"Recon:IAMUser/MaliciousIPCaller", "Reconnaissance API %s was invoked from a known malicious IP.", "GuardDuty: recon API from a malicious IP",
		100310, 5, 5, []string{"gd_recon"}, []string{"T1580"}, 6, "api", 0},
	{"Recon:EC2/PortProbeUnprotectedPort", "Unprotected port on EC2 instance %s is being probed.", "GuardDuty: unprotected port probed",
		100110, 5, 2, []string{"gd_port_probe", "gd_recon"}, []string{"T1595"}, 16, "probe", 0},
	{"Backdoor:EC2/C&CActivity.B!DNS", "EC2 instance %s is querying a domain name associated with a known Command & Control server.", "GuardDuty: C&C domain queried",
		100200, 12, 8, []string{"gd_backdoor", "gd_compromise"}, []string{"T1071"}, 5, "dns", 0},
	{"CryptoCurrency:EC2/BitcoinTool.B!DNS", "EC2 instance %s is querying a domain name that is associated with Bitcoin-related activity.", "GuardDuty: Bitcoin domain queried",
		100210, 10, 8, []string{"gd_cryptocurrency", "gd_compromise"}, []string{"T1496"}, 5, "dns", 0},
	{"Trojan:EC2/DNSDataExfiltration", "EC2 instance %s is attempting to query domain names that resemble exfiltrated data.", "GuardDuty: DNS data exfiltration",
		100220, 12, 8, []string{"gd_trojan", "gd_exfiltration"}, []string{"T1048"}, 3, "dns", 0},
	{"UnauthorizedAccess:EC2/TorClient", "EC2 instance %s is making connections to Tor Guard or Authority nodes.", "GuardDuty: Tor client",
		100230, 14, 9.2, []string{"gd_tor", "gd_compromise"}, []string{"T1090.003"}, 2, "net", 443},
}

// demoAlerts makes n deterministic alerts with event times in the week
// before now.
func demoAlerts(now time.Time, n int) []store.Alert {
	r := rand.New(rand.NewPCG(1, 2))
	total := 0
	for _, t := range demoTypes {
		total += t.weight
	}
	out := make([]store.Alert, 0, n)
	for i := range n {
		w := r.IntN(total)
		t := demoTypes[0]
		for _, x := range demoTypes {
			if w < x.weight {
				t = x
				break
			}
			w -= x.weight
		}
		// Most alerts are recent, so the 24h view is full too.
		age := time.Duration(r.ExpFloat64() * float64(36*time.Hour))
		age = min(age, 7*24*time.Hour-time.Minute)
		at := now.Add(-age).Truncate(time.Second)
		act := demoActors[r.IntN(len(demoActors))]
		a := store.Alert{
			ID: fmt.Sprintf("%016x%016x", r.Uint64(), uint64(i)), Time: at.Add(2 * time.Minute), EventTime: at,
			RuleID: t.rule, Level: t.level, Description: t.desc, Groups: append([]string{"amazon", "aws", "aws_guardduty"}, t.groups...),
			MITRE: t.mitre, FindingKey: fmt.Sprintf("k%d", i), FindingID: fmt.Sprintf("%032x", r.Uint64()), Type: t.typ,
			Severity: t.sev + float64(r.IntN(9))/10, Account: demoAccounts[r.IntN(2)], Region: demoRegions[r.IntN(2)],
			RemoteIP: act.ip, RemoteCountry: act.country, RemoteCity: act.city, RemoteASN: act.asn, RemoteOrg: act.org,
			HasGeo: true, Lat: act.lat, Lon: act.lon, Count: int64(1 + r.IntN(400)), Source: "demo",
			Object: fmt.Sprintf("s3://demo-bucket/firehose/%s/guardduty-1-%d.gz", at.Format("2006/01/02/15"), i),
		}
		switch t.kind {
		case "api":
			a.Principal = demoPrincipals[r.IntN(len(demoPrincipals))]
			a.API = demoAPIs[r.IntN(len(demoAPIs))]
			a.Title = fmt.Sprintf(t.title, a.API)
		case "dns":
			a.InstanceID = demoInstances[r.IntN(len(demoInstances))]
			a.Domain = []string{"c2.badguys.example", "pool.miner.example", "x1f9.exfil.example"}[r.IntN(3)]
			a.Title = fmt.Sprintf(t.title, a.InstanceID)
			a.RemoteIP, a.RemoteCountry, a.RemoteCity, a.RemoteASN, a.RemoteOrg, a.HasGeo = "", "", "", "", "", false
		default:
			a.InstanceID = demoInstances[r.IntN(len(demoInstances))]
			a.LocalPort = t.port
			if t.kind == "probe" {
				a.LocalPort = []int{22, 80, 443, 3306, 5432, 6379}[r.IntN(6)]
			}
			a.Title = fmt.Sprintf(t.title, a.InstanceID)
		}
		if a.Severity >= 9 && t.sev < 9 {
			a.Severity = 8.9
		}
		a.Data = demoEvent(a)
		out = append(out, a)
	}
	return out
}

// demoEvent is a Wazuh-style event for a.
func demoEvent(a store.Alert) []byte {
	ev := map[string]any{
		"integration": "aws",
		"aws": map[string]any{
			"source": "guardduty", "accountId": a.Account, "region": a.Region, "id": a.FindingID, "type": a.Type,
			"title": a.Title, "severity": a.Severity, "updatedAt": a.EventTime.Format(time.RFC3339Nano),
			"resource": map[string]any{"instanceDetails": map[string]any{"instanceId": a.InstanceID}},
			"service": map[string]any{"count": a.Count, "action": map[string]any{
				"remoteIpDetails": map[string]any{"ipAddressV4": a.RemoteIP, "country": map[string]any{"countryName": a.RemoteCountry},
					"city": map[string]any{"cityName": a.RemoteCity}},
				"dnsRequestAction": map[string]any{"domain": a.Domain},
				"awsApiCallAction": map[string]any{"api": a.API},
			}},
		},
	}
	b, _ := json.Marshal(ev)
	return b
}

// hostileAlert carries script, attribute- and quote-breaking payloads in
// every text field a finding controls.
func hostileAlert(now time.Time) store.Alert {
	p := xssScript + xssImg + xssQuote
	a := store.Alert{
		ID: "0badc0de0badc0de0badc0de0badc0de", Time: now.Add(-9 * time.Minute), EventTime: now.Add(-10 * time.Minute),
		RuleID: 100200, Level: 12, Description: "C&C domain " + p, Groups: []string{"amazon", "gd_backdoor", "tag" + p},
		MITRE: []string{"T1071", "T9999" + xssImg}, FindingKey: "hostile", FindingID: "finding" + xssQuote,
		Type: "Backdoor:EC2/C&CActivity.B!DNS" + xssScript, Title: "title " + p, Severity: 9.5, Account: "123456789012",
		Region: "us-east-1", InstanceID: "i-0hostile00000000" + xssImg, Principal: "user" + xssQuote,
		RemoteIP: "192.0.2.1", RemoteCountry: "Country" + xssImg, RemoteCity: "City" + xssScript + xssQuote,
		RemoteASN: "64496", RemoteOrg: "Org" + xssImg, HasGeo: true, Lat: 48.85, Lon: 2.35, LocalPort: 53,
		API: "Api" + xssScript, Domain: "evil.example" + p, Count: 7, Source: "demo", Object: "s3://b/k" + xssImg,
	}
	a.Data = demoEvent(a)
	return a
}

func demoHealth(now time.Time) []store.SourceHealth {
	return []store.SourceHealth{
		{Source: "guardduty-firehose", LastPoll: now.Add(-2 * time.Minute), Done: 1843, Partial: 2, Failed: 1, Events: 48211,
			Cursors: []store.Cursor{{Scope: "s3://corp-guardduty/firehose/", Key: "firehose/2025/01/15/10/guardduty-1-2025-01-15-10-55-01-9f2c.gz", Updated: now.Add(-2 * time.Minute)}},
			Failures: []store.Failure{{Object: source.Object{Source: "guardduty-firehose", Bucket: "corp-guardduty",
				Key: "firehose/2025/01/15/09/guardduty-1-2025-01-15-09-12-44-aa01.gz", Scope: "s3://corp-guardduty/firehose/"},
				Error: "gzip: invalid header at byte 0", Attempts: 1, FirstAt: now.Add(-time.Hour), LastAt: now.Add(-time.Hour)}}},
		{Source: "guardduty-export", LastPoll: now.Add(-4 * time.Minute), LastError: "list s3://corp-export/AWSLogs/: operation error S3: ListObjectsV2, https response error StatusCode: 503, SlowDown",
			Done: 312, Events: 9120, Cursors: []store.Cursor{
				{Scope: "s3://corp-export/AWSLogs/123456789012/GuardDuty/us-east-1/", Key: "AWSLogs/123456789012/GuardDuty/us-east-1/2025/01/15/3b1e.jsonl.gz", Updated: now.Add(-4 * time.Minute)},
				{Scope: "s3://corp-export/AWSLogs/210987654321/GuardDuty/eu-west-1/", Key: "AWSLogs/210987654321/GuardDuty/eu-west-1/2025/01/15/77ac.jsonl.gz", Updated: now.Add(-5 * time.Minute)},
			}},
	}
}
