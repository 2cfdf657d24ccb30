package generator

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/dutywatch/dutywatch/internal/finding"
)

func TestTypesTable(t *testing.T) {
	types := Types()
	if len(types) != 199 {
		t.Fatalf("%d types, want the 199 of the AWS table", len(types))
	}
	want := map[Group]int{GroupEC2: 40, GroupIAM: 26, GroupS3: 20, GroupEKS: 36, GroupRuntime: 42,
		GroupMalwareEC2: 8, GroupMalwareS3: 2, GroupMalwareBackup: 4, GroupRDS: 9, GroupLambda: 7, GroupAttackSequence: 5}
	got := map[Group]int{}
	seen := map[string]bool{}
	grammar := regexp.MustCompile(`^[A-Za-z0-9]+:[A-Za-z0-9]+/[A-Za-z0-9.&!]+$`)
	retired := 0
	for _, ty := range types {
		got[ty.Group]++
		if seen[ty.Name] {
			t.Errorf("duplicate type %s", ty.Name)
		}
		seen[ty.Name] = true
		if !grammar.MatchString(ty.Name) {
			t.Errorf("type %q breaks the Purpose:Resource/Family grammar", ty.Name)
		}
		if ty.Retired {
			retired++
		}
		switch ty.Level {
		case Low, Medium, High, Critical, Varies:
		default:
			t.Errorf("%s: level %q", ty.Name, ty.Level)
		}
	}
	for g, n := range want {
		if got[g] != n {
			t.Errorf("group %s: %d types, want %d", g, got[g], n)
		}
	}
	if retired != 3 {
		t.Errorf("%d retired types in the table, want 3", retired)
	}
	for _, name := range RetiredTypes() {
		if seen[name] {
			t.Errorf("retired %s is also in Types", name)
		}
	}
	types[0].Name = "changed"
	if Types()[0].Name == "changed" {
		t.Error("Types exposes the table")
	}
	for _, c := range []struct {
		name  string
		level Level
	}{{"UnauthorizedAccess:EC2/SSHBruteForce", Low}, {"Backdoor:EC2/C&CActivity.B!DNS", High},
		{"Recon:IAMUser/MaliciousIPCaller", Medium}, {"AttackSequence:S3/CompromisedData", Critical}} {
		if ty, ok := lookupType(c.name); !ok || ty.Level != c.level {
			t.Errorf("%s: %+v, want level %s", c.name, ty, c.level)
		}
	}
}

// band returns the severity band of a severity number.
func band(s float64) Level {
	switch {
	case s >= 9:
		return Critical
	case s >= 7:
		return High
	case s >= 4:
		return Medium
	}
	return Low
}

// TestEveryTypeIsRealistic builds one finding of every type and checks it
// with the finding package: identity, times, resource, severity band and
// the remote side where the action has one.
func TestEveryTypeIsRealistic(t *testing.T) {
	cfg := DefaultConfig()
	arn := regexp.MustCompile(`^arn:aws:guardduty:[a-z0-9-]+:\d{12}:detector/[0-9a-f]{32}/finding/[0-9a-f]{32}$`)
	for i, ty := range Types() {
		t.Run(ty.Name, func(t *testing.T) {
			raw, err := cfg.FindingOfType(i, ty.Name)
			if err != nil {
				t.Fatal(err)
			}
			r, err := finding.Parse(raw)
			if err != nil {
				t.Fatalf("parse: %v\n%s", err, raw)
			}
			f := r.Finding
			if f.Type != ty.Name || len(f.ID) != 32 || !arn.MatchString(f.ARN) || !strings.HasSuffix(f.ARN, f.ID) {
				t.Errorf("identity: type %s id %s arn %s", f.Type, f.ID, f.ARN)
			}
			if f.CreatedAt.IsZero() || f.UpdatedAt.Before(f.CreatedAt) || f.FirstSeen.After(f.CreatedAt) || f.LastSeen.Before(f.FirstSeen) {
				t.Errorf("times: created %v updated %v first %v last %v", f.CreatedAt, f.UpdatedAt, f.FirstSeen, f.LastSeen)
			}
			if f.ResourceType == "" || f.Title == "" || f.Description == "" || f.Count < 1 || f.DetectorID == "" {
				t.Errorf("missing fields: %+v", f)
			}
			if ty.Level != Varies && !ty.Contextual && band(f.Severity) != ty.Level {
				t.Errorf("severity %v is not %s", f.Severity, ty.Level)
			}
			switch f.ActionType {
			case "AWS_API_CALL", "NETWORK_CONNECTION", "PORT_PROBE", "KUBERNETES_API_CALL", "RDS_LOGIN_ATTEMPT":
				if len(f.RemoteIPs) == 0 && !strings.HasPrefix(ty.Name, "Policy:S3") && !strings.HasPrefix(ty.Name, "Stealth:S3") {
					t.Errorf("%s without a remote IP", f.ActionType)
				}
				for _, ip := range f.RemoteIPs {
					if ip.IP == "" || ip.Country == "" || ip.ASN == "" || ip.ASNOrg == "" {
						t.Errorf("thin remote IP %+v", ip)
					}
				}
			case "DNS_REQUEST", "":
				if len(f.RemoteIPs) != 0 {
					t.Errorf("%q action with remote IPs", f.ActionType)
				}
			default:
				t.Errorf("unknown action type %q", f.ActionType)
			}
			if bytes.Contains(raw, []byte(`\u0026`)) || bytes.Contains(raw, []byte(`\u003c`)) {
				t.Error("HTML-escaped output")
			}
		})
	}
	if _, err := cfg.FindingOfType(0, "Made:Up/Type"); err == nil {
		t.Error("unknown type accepted")
	}
}

// TestMixAndStories checks what a default run shows: every featured class,
// a broad mix, multi-detail port probes, both severity literal forms,
// sample and archived findings, and instances hit by several types.
func TestMixAndStories(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Findings = 400
	_, m := generate(t, cfg)
	types := map[string]int{}
	byInstance := map[string]map[string]bool{}
	var multiProbe, sample, archived, decimal, integer, updated int
	ids := map[string]bool{}
	for _, k := range m.keys {
		for _, raw := range splitRecords(t, decompress(t, cfg.Compression, m.bodies[k])) {
			r, err := finding.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			f := r.Finding
			if ids[f.ID] {
				updated++
			}
			ids[f.ID] = true
			types[f.Type]++
			if f.InstanceID != "" {
				if byInstance[f.InstanceID] == nil {
					byInstance[f.InstanceID] = map[string]bool{}
				}
				byInstance[f.InstanceID][f.Type] = true
			}
			if f.ActionType == "PORT_PROBE" && len(f.RemoteIPs) > 1 {
				multiProbe++
			}
			if f.Sample {
				sample++
			}
			if f.Archived {
				archived++
			}
			if regexp.MustCompile(`"severity":\d+\.\d`).Match(raw) {
				decimal++
			} else {
				integer++
			}
		}
	}
	for _, f := range featured {
		if types[f.name] == 0 {
			t.Errorf("featured class %s missing", f.name)
		}
	}
	if len(types) < 60 {
		t.Errorf("only %d distinct types in 400 findings", len(types))
	}
	stories := 0
	for _, ts := range byInstance {
		if len(ts) >= 3 {
			stories++
		}
	}
	if stories < 3 {
		t.Errorf("only %d instances hit by 3+ types", stories)
	}
	for name, n := range map[string]int{"multi-detail port probes": multiProbe, "sample findings": sample,
		"archived versions": archived, "decimal severities": decimal, "integer severities": integer, "updates": updated} {
		if n == 0 {
			t.Errorf("no %s", name)
		}
	}
}
