package generator

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// world is the small, fixed cast every finding draws from, so that stories
// repeat: the same instances are attacked by the same addresses under
// several finding types. It depends only on Seed, Accounts and Regions.
// All addresses are documentation ranges (RFC 5737), all ASNs
// documentation numbers (RFC 5398), all domains under .example; places
// are real, organisations invented.
type world struct {
	cfg       Config
	scopes    []scope
	detectors map[scope]string
	instances []ec2Host
	attackers []actor
	tor       []actor
	users     []iamUser
	buckets   []bucketInfo
	clusters  []clusterInfo
	dbs       []dbInfo
	functions []functionInfo
}

type scope struct{ account, region string }

func (s scope) partition() string {
	switch {
	case strings.HasPrefix(s.region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(s.region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

type ec2Host struct {
	scope
	id, itype, name, env, az, ami, amiDesc string
	privateIP, publicIP, eni, subnet, vpc  string
	profile                                string
	platform                               string // "" (Linux) or "windows"
	sgs                                    []secGroup
	launch                                 time.Time
}

type actor struct {
	ip, country, city string
	lat, lon          float64
	asn, org          string
}

type iamUser struct {
	scope
	name, userType, keyID, principal string
}

type bucketInfo struct {
	scope
	name    string
	created float64
}

type clusterInfo struct {
	scope
	name, vpc string
	created   float64
}

type dbInfo struct {
	scope
	id, engine, version string
}

type functionInfo struct {
	scope
	name string
}

// places are real cities with their coordinates; organisations and
// numbers are invented.
var places = []struct {
	country, city string
	lat, lon      float64
	org           string
}{
	{"Netherlands", "Amsterdam", 52.374, 4.8897, "Nordlight Hosting BV"},
	{"Germany", "Frankfurt am Main", 50.1109, 8.6821, "Rheintal Net GmbH"},
	{"Russia", "Moscow", 55.7522, 37.6156, "Taiga Cloud LLC"},
	{"China", "Shanghai", 31.2222, 121.4581, "Huangpu Data Co Ltd"},
	{"Brazil", "São Paulo", -23.5475, -46.6361, "Paulista Telecom SA"},
	{"Viet Nam", "Hanoi", 21.0245, 105.8412, "Red River Telecom"},
	{"United States", "Ashburn", 39.0437, -77.4875, "Potomac Compute Inc"},
	{"South Korea", "Seoul", 37.566, 126.9784, "Hangang Broadband"},
	{"India", "Mumbai", 19.0728, 72.8826, "Konkan Networks Pvt Ltd"},
	{"Iran", "Tehran", 35.6944, 51.4215, "Alborz Data Center"},
	{"Romania", "Bucharest", 44.4328, 26.1043, "Carpathian Hosting SRL"},
	{"Nigeria", "Lagos", 6.4541, 3.3947, "Lagoon ISP Ltd"},
	{"Indonesia", "Jakarta", -6.2146, 106.8451, "Nusantara Cloud"},
	{"Ukraine", "", 50.4547, 30.5238, "Dnipro Net"},
	{"Singapore", "Singapore", 1.2897, 103.8501, "Merlion VPS Pte Ltd"},
	{"Turkey", "Istanbul", 41.0138, 28.9497, "Bosphorus Bilisim AS"},
	{"France", "Paris", 48.8534, 2.3488, "Seine Hébergement SAS"},
	{"Seychelles", "Victoria", -4.6167, 55.45, "Mahe Offshore Hosting"},
	{"Panama", "", 8.9936, -79.5197, "Isthmus Servers SA"},
	{"Argentina", "Buenos Aires", -34.6131, -58.3772, "Rio Plata Internet"},
}

var torPlaces = []struct {
	country, city string
	lat, lon      float64
}{
	{"Germany", "Nuremberg", 49.4478, 11.0683},
	{"Netherlands", "", 52.3824, 4.8995},
	{"Switzerland", "Zurich", 47.3667, 8.55},
	{"Iceland", "Reykjavík", 64.1355, -21.8954},
}

var (
	instanceTypes = []string{"t3.medium", "t3.large", "m5.xlarge", "c6i.2xlarge", "r6g.large", "t3a.small"}
	roles         = []struct{ name, env string }{
		{"web", "prod"}, {"api", "prod"}, {"bastion", "prod"}, {"jenkins", "tools"},
		{"db-proxy", "prod"}, {"worker", "staging"}, {"vpn-gateway", "prod"}, {"jump-win", "prod"},
	}
	userNames = []string{"ci-deployer", "alice.admin", "backup-bot", "data-analyst", "terraform", "bob.dev"}
)

func newWorld(cfg Config) *world {
	r := newRand(cfg.Seed, streamWorld, 0)
	w := &world{cfg: cfg, detectors: map[scope]string{}}
	for _, a := range cfg.Accounts {
		for _, reg := range cfg.Regions {
			s := scope{a, reg}
			w.scopes = append(w.scopes, s)
			w.detectors[s] = hexString(r, 32)
		}
	}
	for k, s := range w.scopes {
		for j := range 3 {
			w.instances = append(w.instances, newHost(r, s, len(w.instances), k, j))
		}
		w.buckets = append(w.buckets,
			bucketInfo{s, fmt.Sprintf("%s-%s-app-data", s.account, s.region), 1.5e9 + float64(r.IntN(2e8)) + float64(r.IntN(1000))/1000},
			bucketInfo{s, fmt.Sprintf("acme-logs-%s-%s", s.region, hexString(r, 6)), 1.5e9 + float64(r.IntN(2e8)) + float64(r.IntN(1000))/1000})
		w.clusters = append(w.clusters, clusterInfo{s, "eks-" + roles[k%len(roles)].env + "-" + s.region, "vpc-" + hexString(r, 17),
			1.6e9 + float64(r.IntN(1e8)) + float64(r.IntN(1000))/1000})
		w.dbs = append(w.dbs, dbInfo{s, fmt.Sprintf("orders-db-%d", k+1), []string{"aurora-postgresql", "aurora-mysql"}[k%2], []string{"15.4", "8.0.mysql_aurora.3.05.2"}[k%2]})
		w.functions = append(w.functions, functionInfo{s, fmt.Sprintf("thumbnailer-%s", s.region)})
	}
	for k, a := range cfg.Accounts {
		for j, name := range userNames[:3] {
			u := iamUser{scope{a, cfg.Regions[(k+j)%len(cfg.Regions)]}, name, "IAMUser", "AKIA" + upperAlnum(r, 16), "AIDA" + upperAlnum(r, 17)}
			w.users = append(w.users, u)
		}
		w.users = append(w.users, iamUser{scope{a, cfg.Regions[0]}, "OrganizationAccountAccessRole", "AssumedRole",
			"ASIA" + upperAlnum(r, 16), "AROA" + upperAlnum(r, 17) + ":" + userNames[3+k%3]})
	}
	for k, p := range places {
		net := []string{"198.51.100", "203.0.113", "192.0.2"}[k%3]
		host := 129 + r.IntN(120)
		if net != "203.0.113" {
			host = 1 + r.IntN(250)
		}
		w.attackers = append(w.attackers, actor{fmt.Sprintf("%s.%d", net, host), p.country, p.city, p.lat, p.lon,
			fmt.Sprint(64496 + k%16), p.org})
	}
	for k, p := range torPlaces {
		w.tor = append(w.tor, actor{fmt.Sprintf("192.0.2.%d", 200+k*7), p.country, p.city, p.lat, p.lon,
			fmt.Sprint(65536 + k), "Free Relay Association"})
	}
	return w
}

func newHost(r *rand.Rand, s scope, n, k, j int) ec2Host {
	role := roles[(n*3+j)%len(roles)]
	priv := fmt.Sprintf("10.%d.%d.%d", 10+k, 1+r.IntN(30), 4+r.IntN(250))
	h := ec2Host{
		scope: s, id: "i-0" + hexString(r, 16), itype: instanceTypes[r.IntN(len(instanceTypes))],
		name: fmt.Sprintf("%s-%02d", role.name, j+1), env: role.env,
		az: s.region + string(rune('a'+r.IntN(3))), ami: "ami-0" + hexString(r, 16),
		amiDesc:   "Amazon Linux 2023 AMI 2023.6.20250107.0 x86_64 HVM kernel-6.1",
		privateIP: priv, publicIP: fmt.Sprintf("203.0.113.%d", 1+n%126), eni: "eni-0" + hexString(r, 16),
		subnet: "subnet-0" + hexString(r, 16), vpc: "vpc-0" + hexString(r, 16),
		profile: role.name + "-node",
		sgs:     []secGroup{{role.name + "-sg", "sg-0" + hexString(r, 16)}},
		launch:  time.Date(2024, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), 0, time.UTC),
	}
	if role.name == "jump-win" {
		h.platform, h.amiDesc = "windows", "Microsoft Windows Server 2022 Full Locale English AMI"
	}
	if role.name == "bastion" || role.name == "jenkins" {
		h.sgs = append(h.sgs, secGroup{"ssh-admin", "sg-0" + hexString(r, 16)})
	}
	return h
}

// Random streams: every part of a run draws from its own stream, so that
// one finding's draws never shift another's.
const (
	streamWorld uint64 = iota + 1
	streamFinding
	streamEvent
	streamObject
	streamNoise
)

// newRand returns the generator of item n of a stream. Seeds go through
// splitmix64 so that neighbouring items get unrelated PCG states.
func newRand(seed int64, stream, n uint64) *rand.Rand {
	return rand.New(rand.NewPCG(splitmix(uint64(seed)^splitmix(stream)), splitmix(n^stream<<56)))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

const hexDigits = "0123456789abcdef"

func hexString(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = hexDigits[r.IntN(16)]
	}
	return string(b)
}

func upperAlnum(r *rand.Rand, n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

// uuid returns a version-4 UUID drawn from r.
func uuid(r *rand.Rand) string {
	h := []byte(hexString(r, 32))
	h[12] = '4'
	h[16] = "89ab"[r.IntN(4)]
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// inScope returns the elements of s in scope sc, or s if none is.
func inScope[T interface{ scopeOf() scope }](s []T, sc scope) []T {
	var out []T
	for _, e := range s {
		if e.scopeOf() == sc {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return s
	}
	return out
}

func (s scope) scopeOf() scope { return s }
