package generator

import (
	"fmt"
	"strings"
)

// shape fills the resource, action and text of b.f for its type.
func (b *builder) shape() {
	name := b.t.Name
	switch b.t.Group {
	case GroupEC2:
		switch {
		case strings.Contains(name, "PortProbe"):
			b.portProbe()
		case isDNSType(name):
			b.dns(b.host())
		case strings.Contains(name, "BruteForce") || strings.HasSuffix(name, "TorRelay") || strings.HasSuffix(name, "MaliciousIPCaller.Custom"):
			b.inbound()
		default:
			b.outbound(b.host())
		}
	case GroupIAM:
		b.iamAPI()
	case GroupS3:
		b.s3API()
	case GroupEKS:
		b.kubernetesAPI()
	case GroupRDS:
		b.rdsLogin()
	case GroupRuntime:
		b.runtime()
	case GroupMalwareEC2:
		b.malwareEC2()
	case GroupMalwareS3:
		b.malwareS3()
	case GroupMalwareBackup:
		b.malwareBackup()
	case GroupLambda:
		b.lambda()
	case GroupAttackSequence:
		b.attackSequence()
	}
}

func isDNSType(name string) bool {
	return strings.Contains(name, "!DNS") || strings.Contains(name, "DomainRequest") ||
		strings.Contains(name, "DNSDataExfiltration") || strings.Contains(name, "MetadataDNSRebind")
}

// host picks an attacked instance and makes it the finding's resource.
func (b *builder) host() ec2Host {
	h := pick(b.r, b.w.instances)
	b.sc = h.scope
	b.f.Resource = resource{ResourceType: "Instance", InstanceDetails: instance(h)}
	return h
}

func instance(h ec2Host) *instanceDetails {
	d := &instanceDetails{
		InstanceID: h.id, InstanceType: h.itype, LaunchTime: h.launch.Format(timeMillis),
		ProductCodes:       []any{},
		IAMInstanceProfile: &profile{fmt.Sprintf("arn:aws:iam::%s:instance-profile/%s", h.account, h.profile), "AIPA" + strings.ToUpper(h.eni[4:20])},
		NetworkInterfaces: []netIface{{
			IPv6Addresses: []string{}, NetworkInterfaceID: h.eni,
			PrivateDNSName:     privateDNS(h),
			PrivateIPAddress:   h.privateIP,
			PrivateIPAddresses: []privateIP{{privateDNS(h), h.privateIP}},
			SubnetID:           h.subnet, VPCID: h.vpc, SecurityGroups: h.sgs,
			PublicDNSName: fmt.Sprintf("ec2-%s.%s.compute.amazonaws.com", strings.ReplaceAll(h.publicIP, ".", "-"), h.region),
			PublicIP:      h.publicIP,
		}},
		Tags:          []tag{{"Name", h.name}, {"env", h.env}},
		InstanceState: "running", AvailabilityZone: h.az, ImageID: h.ami, ImageDescription: h.amiDesc,
	}
	if h.platform != "" {
		d.Platform = &h.platform
	}
	return d
}

func privateDNS(h ec2Host) string {
	return fmt.Sprintf("ip-%s.%s.compute.internal", strings.ReplaceAll(h.privateIP, ".", "-"), h.region)
}

var portNames = map[int]string{22: "SSH", 23: "Telnet", 25: "SMTP", 53: "DNS", 80: "HTTP", 443: "HTTPS",
	445: "SMB", 1433: "MSSQL", 3306: "MYSQL", 3389: "RDP", 5432: "POSTGRESQL", 5985: "Unknown", 6379: "Unknown",
	8080: "Unknown", 9001: "Unknown", 9200: "Unknown", 9300: "Unknown", 3333: "Unknown", 8333: "Unknown", 853: "Unknown"}

func portOf(p int) port {
	if n, ok := portNames[p]; ok {
		return port{p, n}
	}
	return port{p, "Unknown"}
}

func (b *builder) probePort() port {
	return portOf(pick(b.r, []int{22, 23, 80, 443, 445, 1433, 3306, 3389, 5432, 6379, 8080, 9200}))
}

// portProbe: Recon:EC2/PortProbe… with one to five probes, often by the
// same attacker; High on Elasticsearch ports and for EMR.
func (b *builder) portProbe() {
	h := b.host()
	n := 1
	if b.r.IntN(5) >= 2 {
		n = 2 + b.r.IntN(4)
	}
	main := pick(b.r, b.w.attackers)
	pp := &portProbe{}
	high := strings.Contains(b.t.Name, "EMR")
	for range n {
		a := main
		if b.r.IntN(3) == 0 {
			a = pick(b.r, b.w.attackers)
		}
		p := b.probePort()
		if strings.Contains(b.t.Name, "EMR") {
			p = portOf(pick(b.r, []int{8088, 8890, 18080, 20888}))
		}
		high = high || p.Port == 9200 || p.Port == 9300
		pp.PortProbeDetails = append(pp.PortProbeDetails, probeDetail{p, localIP{h.privateIP}, b.remote(a)})
	}
	b.events = n
	b.f.Service.Action = action{ActionType: "PORT_PROBE", PortProbeAction: pp}
	b.f.Service.Count = 1 + int64(b.r.IntN(900))
	b.setInfo(object{{"threatName", "Scanner"}, {"threatListName", "ProofPoint"}})
	b.threatIntel("ProofPoint", "Scanner")
	if high {
		b.setSeverity(8)
	}
	b.f.Title = fmt.Sprintf("Unprotected port on EC2 instance %s is being probed.", h.id)
	b.f.Description = "EC2 instance has an unprotected port which is being probed by a known malicious host."
	if strings.Contains(b.t.Name, "EMR") {
		b.f.Title = fmt.Sprintf("Unprotected EMR-related port on EC2 instance %s is being probed.", h.id)
		b.f.Description = "EC2 instance has an unprotected EMR-related sensitive port which is being probed by a known malicious host."
	}
}

// inbound: brute force and other connections to the instance. In one case
// out of ten the instance is the attacker (resourceRole ACTOR, High).
func (b *builder) inbound() {
	h := b.host()
	a := pick(b.r, b.w.attackers)
	lp, verb := 22, "SSH brute force attacks"
	switch {
	case strings.Contains(b.t.Name, "RDP"):
		lp, verb = 3389, "RDP brute force attacks"
	case strings.Contains(b.t.Name, "WinRM"):
		lp, verb = 5985, "WinRM brute force attacks"
	case strings.HasSuffix(b.t.Name, "TorRelay"):
		lp, verb, a = 9001, "Tor relay traffic", pick(b.r, b.w.tor)
	case strings.Contains(b.t.Name, "MaliciousIPCaller"):
		lp, verb = pick(b.r, []int{80, 443, 8080}), "connections from an IP address on a custom threat list"
	}
	nc := &netConn{ConnectionDirection: "INBOUND", RemoteIPDetails: b.remote(a), RemotePortDetails: portOf(32768 + b.r.IntN(28000)),
		LocalPortDetails: portOf(lp), Protocol: "TCP", LocalIPDetails: localIP{h.privateIP}}
	b.f.Service.Action = action{ActionType: "NETWORK_CONNECTION", NetworkConnectionAction: nc}
	b.f.Title = fmt.Sprintf("%s is performing %s against %s.", a.ip, verb, h.id)
	b.f.Description = fmt.Sprintf("%s is performing %s against %s. Brute force attacks are used to gain unauthorized access to your instance by guessing the password.", a.ip, verb, h.id)
	if strings.Contains(b.t.Name, "BruteForce") {
		b.f.Service.Count = 1 + int64(b.r.IntN(400))
		if b.r.IntN(10) == 0 {
			nc.ConnectionDirection, nc.LocalPortDetails, nc.RemotePortDetails = "OUTBOUND", portOf(32768+b.r.IntN(28000)), portOf(lp)
			b.f.Service.ResourceRole = "ACTOR"
			b.f.Title = fmt.Sprintf("%s is performing %s against %s.", h.id, verb, a.ip)
			b.f.Description = fmt.Sprintf("EC2 instance %s is performing %s against remote host %s.", h.id, verb, a.ip)
			b.setSeverity(8)
		}
	}
	if strings.HasSuffix(b.t.Name, "MaliciousIPCaller.Custom") {
		b.threatIntel("CustomerThreatList", "Known bad actor")
	}
}

// outboundPorts maps a type family to the remote port it talks to.
var outboundPorts = []struct {
	match string
	port  int
	proto string
}{
	{"C&CActivity", 443, "TCP"}, {"BitcoinTool", 3333, "TCP"}, {"TorClient", 9001, "TCP"},
	{"BlackholeTraffic", 80, "TCP"}, {"DropPoint", 443, "TCP"}, {"Spambot", 25, "TCP"},
	{"DenialOfService.Dns", 53, "UDP"}, {"DenialOfService.Udp", 123, "UDP"}, {"DenialOfService.Tcp", 80, "TCP"},
	{"UnusualDNSResolver", 53, "UDP"}, {"UnusualDoHActivity", 443, "TCP"}, {"UnusualDoTActivity", 853, "TCP"},
	{"Portscan", 22, "TCP"}, {"PortSweep", 445, "TCP"},
}

// outbound: the resource talks to a bad address (C&C, mining, Tor, DoS, …).
// h is an instance for EC2, or zero for Lambda and runtime findings that
// set their own resource.
func (b *builder) outbound(h ec2Host) {
	a := pick(b.r, b.w.attackers)
	if strings.Contains(b.t.Name, "Tor") {
		a = pick(b.r, b.w.tor)
	}
	rp, proto := 443, "TCP"
	for _, o := range outboundPorts {
		if strings.Contains(b.t.Name, o.match) {
			rp, proto = o.port, o.proto
			break
		}
	}
	local := h.privateIP
	if local == "" {
		local = "10.0." + fmt.Sprint(b.r.IntN(255)) + "." + fmt.Sprint(2+b.r.IntN(250))
	}
	nc := &netConn{ConnectionDirection: "OUTBOUND", RemoteIPDetails: b.remote(a), RemotePortDetails: portOf(rp),
		LocalPortDetails: portOf(32768 + b.r.IntN(28000)), Protocol: proto, LocalIPDetails: localIP{local}}
	b.f.Service.Action = action{ActionType: "NETWORK_CONNECTION", NetworkConnectionAction: nc}
	subject := h.id
	if subject == "" {
		subject = "the resource"
	}
	b.f.Title, b.f.Description = genericText(b.t, subject)
	switch {
	case strings.Contains(b.t.Name, "DenialOfService"), strings.Contains(b.t.Name, "Portscan"),
		strings.Contains(b.t.Name, "PortSweep"), strings.Contains(b.t.Name, "Spambot"):
		b.f.Service.ResourceRole = "ACTOR"
		b.f.Title = fmt.Sprintf("EC2 instance %s is behaving in a manner that may indicate it is being used to attack %s.", subject, a.ip)
	case strings.Contains(b.t.Name, "TorClient"):
		b.f.Title = fmt.Sprintf("EC2 instance %s is communicating with Tor Entry node %s.", subject, a.ip)
		b.f.Description = fmt.Sprintf("EC2 instance %s is communicating with IP address %s on the Tor Anonymizing Proxy network marked as an Entry node.", subject, a.ip)
	case strings.Contains(b.t.Name, "C&C"), strings.Contains(b.t.Name, "DropPoint"),
		strings.Contains(b.t.Name, "BitcoinTool"), strings.Contains(b.t.Name, "Blackhole"):
		b.f.Title = fmt.Sprintf("%s is communicating with a known malicious address %s.", subject, a.ip)
		b.threatIntel("ProofPoint", strings.Split(b.t.Name, "/")[1])
	}
}

// maliciousDomains gives a domain per family (all under .example).
func (b *builder) maliciousDomain() string {
	name := b.t.Name
	switch {
	case strings.Contains(name, "C&C"):
		return pick(b.r, []string{"beacon.stat-metrics.example", "cdn-update.syncnode.example"})
	case strings.Contains(name, "Bitcoin"):
		return pick(b.r, []string{"xmr.pool-hash.example", "stratum.coinmine.example"})
	case strings.Contains(name, "DGA"):
		return hexString(b.r, 14) + ".example"
	case strings.Contains(name, "DNSDataExfiltration"):
		return upperAlnum(b.r, 40) + ".t.tunnel-data.example"
	case strings.Contains(name, "Phishing"):
		return "secure-login-verify.example"
	case strings.Contains(name, "DropPoint"):
		return "drop.fileshare-sync.example"
	case strings.Contains(name, "MetadataDNSRebind"):
		return "169-254-169-254.rebind.example"
	}
	return pick(b.r, []string{"malware-host.example", "bad-reputation.example", "suspicious-cdn.example"})
}

// dns: a DNS_REQUEST finding; no remote IP, only the domain.
func (b *builder) dns(h ec2Host) {
	d := b.maliciousDomain()
	suffix := d
	if parts := strings.Split(d, "."); len(parts) > 2 {
		suffix = strings.Join(parts[len(parts)-2:], ".")
	}
	b.f.Service.Action = action{ActionType: "DNS_REQUEST", DNSRequestAction: &dnsRequest{Domain: d, Protocol: "UDP",
		Blocked: b.r.IntN(4) == 0, DomainWithSuffix: suffix}}
	subject := h.id
	if subject == "" {
		subject = "the resource"
	}
	b.setInfo(object{{"domain", d}, {"threatListName", "Amazon"}})
	b.threatIntel("Amazon", strings.Split(b.t.Name, "/")[1])
	b.f.Title = fmt.Sprintf("%s is querying a domain name associated with %s.", subject, b.t.Name)
	b.f.Description = fmt.Sprintf("%s is querying %s, a domain name associated with %s activity.", subject, d, strings.Split(b.t.Name, ":")[0])
	switch {
	case strings.Contains(b.t.Name, "C&C"):
		b.f.Title = fmt.Sprintf("Command and Control server domain name queried by EC2 instance %s.", subject)
		b.f.Description = fmt.Sprintf("EC2 instance %s is querying a domain name associated with a known Command & Control server.", subject)
	case strings.Contains(b.t.Name, "Bitcoin"):
		b.f.Title = fmt.Sprintf("Bitcoin-related domain name queried by EC2 instance %s.", subject)
	case strings.Contains(b.t.Name, "DNSDataExfiltration"):
		b.f.Title = fmt.Sprintf("Data exfiltration through DNS queries from EC2 instance %s.", subject)
		b.f.Description = fmt.Sprintf("EC2 instance %s is attempting to exfiltrate data by encoding it in DNS queries to %s.", subject, suffix)
	}
}

// lambda: Lambda network findings.
func (b *builder) lambda() {
	fn := pick(b.r, b.w.functions)
	b.sc = fn.scope
	ld := &lambdaDetails{
		FunctionARN:  fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", fn.region, fn.account, fn.name),
		FunctionName: fn.name, Description: "Creates image thumbnails", LastModifiedAt: epoch(1.72e9 + float64(b.r.IntN(1e7))),
		RevisionID: uuid(b.r), FunctionVersion: "$LATEST", Role: fmt.Sprintf("arn:aws:iam::%s:role/%s-role", fn.account, fn.name),
		Tags: []tag{{"app", "media"}},
	}
	ld.VPCConfig.SubnetIDs = []string{"subnet-0" + hexString(b.r, 16)}
	ld.VPCConfig.VPCID = "vpc-0" + hexString(b.r, 16)
	ld.VPCConfig.SecurityGroups = []secGroup{{"lambda-sg", "sg-0" + hexString(b.r, 16)}}
	b.f.Resource = resource{ResourceType: "Lambda", LambdaDetails: ld}
	b.outbound(ec2Host{id: fn.name})
	b.f.Service.FeatureName = "LambdaNetworkLogs"
}
