package ruleset

import "testing"

// useCases are the rule tests of tests/usecases.ini: the classes of
// Wazuh's GuardDuty guide, the port-probe split and the correlation.
func useCases(t *testing.T) []iniCase {
	one := func(typ string, role string) [][][]byte {
		for i := range 200 {
			f, line := firstEvent(t, slim(t, generated(t, i, typ), nil))
			if f.ResourceRole == role {
				return [][][]byte{{line}}
			}
		}
		t.Fatalf("no generated %s finding with role %s", typ, role)
		return nil
	}
	var out []iniCase
	add := func(name string, rule int, typ, role string) {
		out = append(out, iniCase{name: name, rule: rule, logs: one(typ, role)})
	}
	add("brute force: SSH against an instance", 200100, "UnauthorizedAccess:EC2/SSHBruteForce", "TARGET")
	add("brute force: the instance brute-forces SSH on others", 200101, "UnauthorizedAccess:EC2/SSHBruteForce", "ACTOR")
	add("brute force: RDP against an instance", 200102, "UnauthorizedAccess:EC2/RDPBruteForce", "TARGET")
	add("brute force: the instance brute-forces RDP on others", 200103, "UnauthorizedAccess:EC2/RDPBruteForce", "ACTOR")
	add("brute force: WinRM against an instance", 200104, "Impact:EC2/WinRMBruteForce", "TARGET")
	add("brute force: a database password guessed", 200801, "CredentialAccess:RDS/AnomalousBehavior.SuccessfulBruteForce", "TARGET")
	add("API calls from an unusual network: initial access", 200300, "InitialAccess:IAMUser/AnomalousBehavior", "TARGET")
	add("API calls from an unusual network: discovery", 200303, "Discovery:IAMUser/AnomalousBehavior", "TARGET")
	add("API calls from a known malicious address", 200310, "UnauthorizedAccess:IAMUser/MaliciousIPCaller", "TARGET")
	add("API calls through Tor", 200312, "UnauthorizedAccess:IAMUser/TorIPCaller", "TARGET")
	add("unusual console sign-in", 200313, "UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B", "TARGET")
	add("compromised instance: command and control domain", 200201, "Backdoor:EC2/C&CActivity.B!DNS", "TARGET")
	add("compromised instance: crypto mining domain", 200211, "CryptoCurrency:EC2/BitcoinTool.B!DNS", "TARGET")
	add("compromised instance: DNS exfiltration", 200225, "Trojan:EC2/DNSDataExfiltration", "TARGET")
	add("compromised instance: drop point", 200222, "Trojan:EC2/DropPoint", "TARGET")
	add("compromised instance: Tor client", 200230, "UnauthorizedAccess:EC2/TorClient", "TARGET")
	add("compromised instance: denial of service", 200202, "Backdoor:EC2/DenialOfService.Tcp", "ACTOR")
	add("compromised instance: metadata DNS rebinding", 200232, "UnauthorizedAccess:EC2/MetadataDNSRebind", "TARGET")
	out = append(out, portProbeCase(t))
	return append(out, correlationCases(t)...)
}

// portProbeCase is a probe with three details from three addresses: each
// event is its own log and gets its own alert.
func portProbeCase(t *testing.T) iniCase {
	for i := range 500 {
		f, events := findingEvents(t, slim(t, generated(t, i, "Recon:EC2/PortProbeUnprotectedPort"), nil))
		if len(events) != 3 || !distinctIPs(f.RemoteIPs[0].IP, f.RemoteIPs[1].IP, f.RemoteIPs[2].IP) || f.Severity >= 4 {
			continue
		}
		c := iniCase{name: "port probe with three details: one alert per detail", rule: 200110}
		for _, e := range events {
			c.logs = append(c.logs, [][]byte{e})
		}
		return c
	}
	t.Fatal("no generated port probe with three details")
	return iniCase{}
}

func correlationCases(t *testing.T) []iniCase {
	const (
		cc    = "Backdoor:EC2/C&CActivity.B!DNS"
		miner = "CryptoCurrency:EC2/BitcoinTool.B!DNS"
		tor   = "UnauthorizedAccess:EC2/TorClient"
	)
	ids := instances(t, 3)
	ev := func(typ string, inst int) []byte {
		_, line := firstEvent(t, slim(t, rawOnInstance(t, typ, ids[inst]), nil))
		return line
	}
	story := func(steps ...any) [][]byte {
		var lines [][]byte
		for k := 0; k < len(steps); k += 2 {
			lines = append(lines, ev(steps[k].(string), steps[k+1].(int)))
		}
		return lines
	}
	return []iniCase{
		{name: "correlation: three distinct compromise types on one instance", rule: ruleThreeTypes,
			logs: [][][]byte{story(cc, 0, miner, 0, tor, 0), story(cc, 0, cc, 0, miner, 0, cc, 0, tor, 0)},
			fail: [][][]byte{story(cc, 0, cc, 0, cc, 0, cc, 0), story(cc, 0, cc, 0, miner, 0), story(cc, 0, miner, 1, tor, 2)}},
		{name: "correlation: a second distinct compromise type on one instance", rule: ruleTwoTypes,
			logs: [][][]byte{story(cc, 0, miner, 0), story(cc, 0, cc, 0, miner, 0), story(cc, 0, miner, 0, miner, 0)}},
		{name: "correlation: one compromise type repeated", rule: familyOf()[cc],
			logs: [][][]byte{story(cc, 0, cc, 0, cc, 0, cc, 0)}},
		{name: "correlation: compromise types on different instances", rule: familyOf()[tor],
			logs: [][][]byte{story(cc, 0, miner, 1, tor, 2)}},
	}
}

// rawOnInstance is onInstance's finding, before it becomes events.
func rawOnInstance(t testing.TB, typ, instance string) []byte {
	t.Helper()
	for i := range 2000 {
		raw := generated(t, i, typ)
		if f, _ := findingEvents(t, raw); f.InstanceID == instance && f.ResourceRole != "ACTOR" {
			return raw
		}
	}
	t.Fatalf("no generated %s finding on %s", typ, instance)
	return nil
}
