package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// genType is one finding type of the synthetic alert mix.
type genType struct {
	name     string
	weight   int
	severity float64
	level    int
	ruleID   int
	groups   string // the rule's own groups; the generic ones are added
	kind     byte   // 'p' port (remote attacker), 'a' API call, 'd' DNS, 'n' other network, 'h' host only
	ports    []int
}

// genTypes is a mix shaped like a busy organisation's GuardDuty feed:
// brute force and port probes dominate, IAM anomalies and DNS classes
// follow, a few rare critical ones.
var genTypes = []genType{
	{"UnauthorizedAccess:EC2/SSHBruteForce", 220, 2, 5, 100100, "gd_brute_force,gd_unauthorized_access,authentication_failures", 'p', []int{22}},
	{"Recon:EC2/PortProbeUnprotectedPort", 200, 2, 5, 100110, "gd_port_probe,gd_recon", 'p', []int{22, 80, 443, 3389, 9200, 5432, 6379, 23, 8080}},
	{"UnauthorizedAccess:EC2/RDPBruteForce", 80, 2, 5, 100102, "gd_brute_force,gd_unauthorized_access,authentication_failures", 'p', []int{3389}},
	{"Impact:EC2/WinRMBruteForce", 20, 2, 5, 100104, "gd_brute_force,gd_impact,authentication_failures", 'p', []int{5985, 5986}},
	{"UnauthorizedAccess:EC2/SSHBruteForce", 8, 8, 11, 100101, "gd_brute_force,gd_unauthorized_access,gd_compromise", 'p', []int{22}},
	{"Recon:EC2/Portscan", 40, 5, 8, 100120, "gd_port_scan,gd_recon,gd_compromise", 'n', nil},
	{"UnauthorizedAccess:EC2/TorClient", 30, 8, 10, 100130, "gd_tor,gd_unauthorized_access", 'n', nil},
	{"UnauthorizedAccess:EC2/MaliciousIPCaller.Custom", 20, 5, 8, 100131, "gd_malicious_ip,gd_unauthorized_access", 'n', nil},
	{"Backdoor:EC2/DenialOfService.Tcp", 8, 8, 11, 100140, "gd_dos,gd_compromise", 'n', nil},
	{"UnauthorizedAccess:IAMUser/MaliciousIPCaller", 50, 5, 8, 100200, "gd_iam,gd_malicious_ip", 'a', nil},
	{"Recon:IAMUser/MaliciousIPCaller", 20, 5, 8, 100201, "gd_iam,gd_recon", 'a', nil},
	{"InitialAccess:IAMUser/AnomalousBehavior", 30, 5, 8, 100210, "gd_iam,gd_anomalous_behavior", 'a', nil},
	{"Discovery:IAMUser/AnomalousBehavior", 30, 2, 5, 100211, "gd_iam,gd_anomalous_behavior", 'a', nil},
	{"UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", 10, 8, 12, 100220, "gd_iam,gd_credential_exfiltration", 'a', nil},
	{"Policy:IAMUser/RootCredentialUsage", 8, 2, 5, 100230, "gd_iam,gd_policy", 'a', nil},
	{"Stealth:IAMUser/CloudTrailLoggingDisabled", 5, 2, 5, 100231, "gd_iam,gd_stealth", 'a', nil},
	{"Exfiltration:S3/AnomalousBehavior", 10, 8, 11, 100240, "gd_s3,gd_exfiltration", 'a', nil},
	{"Backdoor:EC2/C&CActivity.B!DNS", 30, 8, 11, 100300, "gd_dns,gd_backdoor,gd_compromise", 'd', nil},
	{"CryptoCurrency:EC2/BitcoinTool.B!DNS", 30, 8, 10, 100301, "gd_dns,gd_cryptocurrency", 'd', nil},
	{"Trojan:EC2/DNSDataExfiltration", 20, 8, 11, 100302, "gd_dns,gd_trojan,gd_exfiltration", 'd', nil},
	{"Impact:EC2/BitcoinDomainRequest.Reputation", 10, 8, 10, 100303, "gd_dns,gd_cryptocurrency,gd_impact", 'd', nil},
	{"Execution:Runtime/NewBinaryExecuted", 10, 5, 7, 100400, "gd_runtime,gd_execution", 'h', nil},
	{"AttackSequence:EC2/CompromisedHost", 2, 9.5, 14, 100500, "gd_attack_sequence,gd_compromise", 'h', nil},
}

// genPlaces are real cities; organisations are invented.
var genPlaces = []struct {
	country, city string
	lat, lon      float64
	org           string
}{
	{"China", "Shanghai", 31.2222, 121.4581, "Huangpu Data"},
	{"United States", "Ashburn", 39.0437, -77.4875, "Potomac Compute"},
	{"Russia", "Moscow", 55.7522, 37.6156, "Taiga Cloud"},
	{"Netherlands", "Amsterdam", 52.374, 4.8897, "Nordlight Hosting"},
	{"Germany", "Frankfurt am Main", 50.1109, 8.6821, "Rheintal Net"},
	{"Brazil", "São Paulo", -23.5475, -46.6361, "Paulista Telecom"},
	{"Viet Nam", "Hanoi", 21.0245, 105.8412, "Red River Telecom"},
	{"South Korea", "Seoul", 37.566, 126.9784, "Hangang Broadband"},
	{"India", "Mumbai", 19.0728, 72.8826, "Konkan Networks"},
	{"Iran", "Tehran", 35.6944, 51.4215, "Alborz Data"},
	{"Romania", "Bucharest", 44.4328, 26.1043, "Carpathian Hosting"},
	{"Nigeria", "Lagos", 6.4541, 3.3947, "Lagoon ISP"},
	{"Indonesia", "Jakarta", -6.2146, 106.8451, "Nusantara Cloud"},
	{"Ukraine", "Kyiv", 50.4547, 30.5238, "Dnipro Net"},
	{"Singapore", "Singapore", 1.2897, 103.8501, "Merlion VPS"},
	{"Turkey", "Istanbul", 41.0138, 28.9497, "Bosphorus Bilisim"},
	{"France", "Paris", 48.8534, 2.3488, "Seine Hebergement"},
	{"Seychelles", "Victoria", -4.6167, 55.45, "Mahe Offshore"},
	{"Panama", "Panama City", 8.9936, -79.5197, "Isthmus Servers"},
	{"Argentina", "Buenos Aires", -34.6131, -58.3772, "Rio Plata Internet"},
	{"Hong Kong", "Hong Kong", 22.2783, 114.1747, "Victoria Harbour Net"},
	{"Taiwan", "Taipei", 25.0478, 121.5319, "Formosa Link"},
	{"Japan", "Tokyo", 35.6895, 139.6917, "Kanto Cloud"},
	{"United Kingdom", "London", 51.5085, -0.1257, "Thames Hosting"},
	{"Poland", "Warsaw", 52.2298, 21.0118, "Vistula Net"},
	{"Bulgaria", "Sofia", 42.6975, 23.3242, "Balkan Servers"},
	{"Thailand", "Bangkok", 13.7539, 100.5014, "Chao Phraya DC"},
	{"Mexico", "Mexico City", 19.4285, -99.1277, "Anahuac Telecom"},
	{"South Africa", "Johannesburg", -26.2023, 28.0436, "Highveld Hosting"},
	{"Canada", "Toronto", 43.7001, -79.4163, "Ontario Compute"},
	{"Pakistan", "Karachi", 24.8608, 67.0104, "Indus Data"},
	{"Egypt", "Cairo", 30.0626, 31.2497, "Nile Net"},
	{"Colombia", "Bogotá", 4.6097, -74.0817, "Andes Cloud"},
	{"Kazakhstan", "Almaty", 43.25, 76.9167, "Steppe Telecom"},
	{"Bangladesh", "Dhaka", 23.7104, 90.4074, "Padma Broadband"},
	{"Moldova", "Chișinău", 47.0056, 28.8575, "Prut Hosting"},
	{"Lithuania", "Vilnius", 54.6892, 25.2798, "Neris VPS"},
	{"Chile", "Santiago", -33.4569, -70.6483, "Mapocho Net"},
	{"Philippines", "Manila", 14.6042, 120.9822, "Pasig Telecom"},
	{"Israel", "Tel Aviv", 32.0809, 34.7806, "Yarkon Networks"},
}

var (
	genAPIs = []string{"ListBuckets", "GetCallerIdentity", "DescribeInstances", "ListUsers", "GetObject",
		"AssumeRole", "CreateAccessKey", "ListRoles", "PutBucketPolicy", "DescribeSecurityGroups",
		"GetSecretValue", "ListAccessKeys", "RunInstances", "AttachUserPolicy", "StopLogging",
		"DescribeRegions", "ListFunctions", "GetBucketAcl", "CreateUser", "DeleteTrail"}
	genDomains = []string{"pool.minexmr.example", "c2.badcorp.example", "xmr.pool.example",
		"dl.payload.example", "tunnel.exfil.example", "update.notmalware.example"}
	genRegions = []string{"us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"}
)

// genWorld is the cast the synthetic alerts draw from: a few thousand
// instances and tens of thousands of attacker addresses, each drawn with a
// Zipf law so a few are hit (or hit) very often, as in real feeds.
type genWorld struct {
	r          *rand.Rand
	typeCum    []int
	instances  []string
	accounts   []string
	ips        []genIP
	principals []string
	pickInst   *rand.Zipf
	pickIP     *rand.Zipf
	pickPrinc  *rand.Zipf
}

type genIP struct {
	ip    string
	place int
	asn   string
}

func newGenWorld(seed uint64) *genWorld {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	w := &genWorld{r: r}
	sum := 0
	for _, t := range genTypes {
		sum += t.weight
		w.typeCum = append(w.typeCum, sum)
	}
	for i := range 12 {
		w.accounts = append(w.accounts, fmt.Sprintf("1111%08d", 22220000+i))
	}
	for range 2000 {
		w.instances = append(w.instances, fmt.Sprintf("i-0%016x", r.Uint64()))
	}
	placeZipf := rand.NewZipf(r, 1.3, 2, uint64(len(genPlaces)-1))
	for i := range 40000 {
		p := int(placeZipf.Uint64())
		w.ips = append(w.ips, genIP{
			ip:    fmt.Sprintf("100.%d.%d.%d", 64+i>>16, i>>8&0xff, i&0xff),
			place: p,
			asn:   fmt.Sprint(64496 + p*8 + r.IntN(8)),
		})
	}
	for i := range 300 {
		w.principals = append(w.principals, fmt.Sprintf("arn:aws:iam::%s:user/svc-%03d", w.accounts[i%len(w.accounts)], i))
	}
	w.pickInst = rand.NewZipf(r, 1.1, 4, uint64(len(w.instances)-1))
	w.pickIP = rand.NewZipf(r, 1.05, 8, uint64(len(w.ips)-1))
	w.pickPrinc = rand.NewZipf(r, 1.2, 2, uint64(len(w.principals)-1))
	return w
}

func (w *genWorld) pickType() *genType {
	n := w.r.IntN(w.typeCum[len(w.typeCum)-1])
	for i, c := range w.typeCum {
		if n < c {
			return &genTypes[i]
		}
	}
	return &genTypes[len(genTypes)-1]
}

// alert makes alert number i with the given event time.
func (w *genWorld) alert(i int, at time.Time) Alert {
	r := w.r
	t := w.pickType()
	inst := int(w.pickInst.Uint64())
	acct := w.accounts[inst%len(w.accounts)]
	region := genRegions[inst%len(genRegions)]
	a := Alert{
		ID: fmt.Sprintf("%016x%016x", uint64(i)*0x9e3779b97f4a7c15, r.Uint64()), Time: at.Add(time.Duration(r.IntN(300)) * time.Second),
		EventTime: at, RuleID: t.ruleID, Level: t.level, Type: t.name, Title: t.name + " finding",
		Severity: t.severity + float64(r.IntN(10))/10, Account: acct, Region: region,
		Groups: strings.Split("amazon,aws,aws_guardduty,guardduty,"+t.groups, ","),
		Count:  1 + int64(r.ExpFloat64()*20), Source: "s3-guardduty",
		Object: fmt.Sprintf("s3://gd-export/AWSLogs/%s/GuardDuty/%s/%s/%08x.jsonl.gz", acct, region, at.Format("2006/01/02"), r.Uint32()),
	}
	if t.severity >= 9 {
		a.Severity = 9 + float64(r.IntN(11))/10
	}
	if t.kind != 'a' {
		a.InstanceID = w.instances[inst]
	}
	if t.kind != 'h' && t.kind != 'd' {
		ip := &w.ips[w.pickIP.Uint64()]
		p := genPlaces[ip.place]
		a.RemoteIP, a.RemoteCountry, a.RemoteCity = ip.ip, p.country, p.city
		a.RemoteASN, a.RemoteOrg, a.HasGeo, a.Lat, a.Lon = ip.asn, p.org, true, p.lat, p.lon
	}
	switch t.kind {
	case 'p':
		a.LocalPort = t.ports[r.IntN(len(t.ports))]
		a.Description = fmt.Sprintf("%s against EC2 instance %s from %s (%s, %s; AS%s %s) on port %d, seen %d times (account %s, %s).",
			t.name, a.InstanceID, a.RemoteIP, a.RemoteCity, a.RemoteCountry, a.RemoteASN, a.RemoteOrg, a.LocalPort, a.Count, acct, region)
	case 'a':
		a.Principal = w.principals[w.pickPrinc.Uint64()]
		a.API = genAPIs[r.IntN(len(genAPIs))]
		a.Description = fmt.Sprintf("%s: %s called %s from %s (%s; AS%s %s) (account %s, %s).",
			t.name, a.Principal, a.API, a.RemoteIP, a.RemoteCountry, a.RemoteASN, a.RemoteOrg, acct, region)
	case 'd':
		a.Domain = genDomains[r.IntN(len(genDomains))]
		a.Description = fmt.Sprintf("%s: EC2 instance %s queried %s (account %s, %s).", t.name, a.InstanceID, a.Domain, acct, region)
	default:
		a.Description = fmt.Sprintf("%s on EC2 instance %s with %s (account %s, %s).", t.name, a.InstanceID, a.RemoteIP, acct, region)
	}
	a.FindingID = fmt.Sprintf("%08x%08x", uint32(inst), uint32(len(a.RemoteIP)*31+a.RuleID))
	a.FindingKey = fmt.Sprintf("arn:aws:guardduty:%s:%s:detector/d/finding/%s", region, acct, a.FindingID)
	a.Data = genEvent(a)
	return a
}

// genEvent is a plausible stored event, about 900 bytes: the real ones are
// the Wazuh-shaped finding, typically 1–4 KB.
func genEvent(a Alert) []byte {
	return fmt.Appendf(nil, `{"integration":"aws","aws":{"source":"guardduty","schemaVersion":"2.0","accountId":%q,"region":%q,`+
		`"partition":"aws","id":%q,"arn":%q,"type":%q,"resource":{"resourceType":"Instance","instanceDetails":{"instanceId":%q,`+
		`"instanceType":"t3.medium","launchTime":"2024-03-02T10:00:00Z","platform":null,"availabilityZone":"%sa"}},`+
		`"service":{"serviceName":"guardduty","detectorId":"d","action":{"actionType":"NETWORK_CONNECTION",`+
		`"networkConnectionAction":{"connectionDirection":"INBOUND","remoteIpDetails":{"ipAddressV4":%q,`+
		`"organization":{"asn":%q,"asnOrg":%q},"country":{"countryName":%q},"city":{"cityName":%q},`+
		`"geoLocation":{"lat":%g,"lon":%g}},"localPortDetails":{"port":%d},"protocol":"TCP","blocked":false}},`+
		`"count":%d,"archived":false,"eventFirstSeen":%q,"eventLastSeen":%q},"severity":%g,"title":%q,`+
		`"description":%q,"createdAt":%q,"updatedAt":%q}}`,
		a.Account, a.Region, a.FindingID, a.FindingKey, a.Type, a.InstanceID, a.Region, a.RemoteIP, a.RemoteASN, a.RemoteOrg,
		a.RemoteCountry, a.RemoteCity, a.Lat, a.Lon, a.LocalPort, a.Count, a.EventTime.Format(time.RFC3339),
		a.EventTime.Format(time.RFC3339), a.Severity, a.Title, a.Title, a.EventTime.Format(time.RFC3339),
		a.EventTime.Format(time.RFC3339))
}

// genAlerts makes n synthetic alerts with event times spread evenly (with
// jitter) over [end-span, end), oldest first.
func genAlerts(n int, seed uint64, end time.Time, span time.Duration, yield func(Alert) error) error {
	w := newGenWorld(seed)
	step := span / time.Duration(n)
	from := end.Add(-span)
	for i := range n {
		at := from.Add(time.Duration(i)*step + time.Duration(w.r.Int64N(int64(step)+1))).Truncate(time.Millisecond)
		if err := yield(w.alert(i, at)); err != nil {
			return err
		}
	}
	return nil
}

// bulkAlerts stores n synthetic alerts (see genAlerts) the way PutAlert
// does, with every trigger, in one transaction through a prepared
// statement. It returns the insert rate in alerts per second.
func bulkAlerts(tb testing.TB, s *Store, n int, seed uint64, end time.Time, span time.Duration) float64 {
	tb.Helper()
	ctx := context.Background()
	start := time.Now()
	tx, err := s.Begin(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	if err := genAlerts(n, seed, end, span, func(a Alert) error { return tx.PutAlert(ctx, a) }); err != nil {
		tb.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	return float64(n) / time.Since(start).Seconds()
}

// bulkLoad stores the same alerts as bulkAlerts into an empty store,
// several times faster: in one transaction it drops the alerts table's
// indexes and triggers, inserts, recreates them, and rebuilds the
// full-text index and the rollups from the rows, as a migration would.
// TestBulkLoadMatchesPutAlert checks that the result is the same.
func bulkLoad(tb testing.TB, s *Store, n int, seed uint64, end time.Time, span time.Duration) float64 {
	tb.Helper()
	ctx := context.Background()
	start := time.Now()
	tx, err := s.Begin(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	exec := func(query string) {
		if _, err := tx.tx.ExecContext(ctx, query); err != nil {
			tb.Fatalf("%.60s: %v", query, err)
		}
	}
	var schema []string
	rows, err := tx.tx.QueryContext(ctx, `SELECT type, name, sql FROM sqlite_schema
		WHERE tbl_name = 'alerts' AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type`)
	if err != nil {
		tb.Fatal(err)
	}
	var drop []string
	for rows.Next() {
		var typ, name, sql string
		if err := rows.Scan(&typ, &name, &sql); err != nil {
			tb.Fatal(err)
		}
		drop = append(drop, "DROP "+typ+" "+name)
		schema = append(schema, sql)
	}
	if err := rows.Close(); err != nil {
		tb.Fatal(err)
	}
	for _, d := range drop {
		exec(d)
	}
	ins, err := tx.prepareAlertInsert(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if err := genAlerts(n, seed, end, span, func(a Alert) error { return ins.put(ctx, a) }); err != nil {
		tb.Fatal(err)
	}
	ins.close()
	for _, sql := range schema {
		exec(sql)
	}
	exec(`INSERT INTO alerts_fts (alerts_fts) VALUES ('rebuild')`)
	exec(rollupFill)
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	return float64(n) / time.Since(start).Seconds()
}

// alertInsert is PutAlert's statement, prepared once for bulk loading.
type alertInsert struct {
	tx   *Tx
	stmt *sql.Stmt
}

func (t *Tx) prepareAlertInsert(ctx context.Context) (*alertInsert, error) {
	stmt, err := t.tx.PrepareContext(ctx, `INSERT INTO alerts (id, ts, event_time, rule_id, level, description, groups, mitre,
		finding_key, finding_id, type, title, severity, account, region, instance_id, principal,
		remote_ip, remote_country, remote_city, remote_asn, remote_org, lat, lon, local_port, api, domain, count,
		source, object, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return nil, err
	}
	return &alertInsert{tx: t, stmt: stmt}, nil
}

func (ins *alertInsert) close() { ins.stmt.Close() }

func (ins *alertInsert) put(ctx context.Context, a Alert) error {
	var lat, lon any
	if a.HasGeo {
		lat, lon = a.Lat, a.Lon
	}
	_, err := ins.stmt.ExecContext(ctx, a.ID, a.Time.UnixMilli(), a.EventTime.UnixMilli(), a.RuleID, a.Level, a.Description,
		strings.Join(a.Groups, ","), strings.Join(a.MITRE, ","), a.FindingKey, a.FindingID, a.Type, a.Title, a.Severity,
		a.Account, a.Region, a.InstanceID, a.Principal, a.RemoteIP, a.RemoteCountry, a.RemoteCity, a.RemoteASN,
		a.RemoteOrg, lat, lon, a.LocalPort, a.API, a.Domain, a.Count, a.Source, a.Object, a.Data)
	return err
}
