package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the dutywatch command line in-process.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append(args, "--log-level", "error"))
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestRulesTestBuiltinRuleset(t *testing.T) {
	out, err := runCLI(t, "rules", "test", "../../ruleset/tests")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, " passed, 0 failed") {
		t.Errorf("output: %s", out)
	}
}

// TestRulesTestWazuh runs Wazuh's own rule tests for AWS against Wazuh's
// rule files, unchanged, in wazuh mode. Those files are GPL and not part of
// this project: the test reads them from the reference folder and skips
// without it.
func TestRulesTestWazuh(t *testing.T) {
	ref := "../../../shared/reference/data/wazuh"
	if _, err := os.Stat(ref); err != nil {
		t.Skipf("Wazuh's rule files are not here (%v); this test needs ../shared/reference", err)
	}
	args := []string{"rules", "test", "--mode", "wazuh"}
	for _, f := range []string{"0010-rules_config.xml", "0350-amazon_rules.xml", "0998-aws-security-hub-rules.xml"} {
		args = append(args, "--rules", filepath.Join(ref, f))
	}
	args = append(args, filepath.Join(ref, "aws_s3_access.ini"), filepath.Join(ref, "aws_security_hub.ini"))
	out, err := runCLI(t, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, " passed, 0 failed") {
		t.Errorf("output: %s", out)
	}
	t.Log(strings.TrimSpace(out))
}

func TestConfigImportWazuh(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "ossec.conf")
	os.WriteFile(conf, []byte(`<ossec_config><wodle name="aws-s3"> <disabled>no</disabled> <interval>10m</interval> <run_on_start>yes</run_on_start>
  <skip_on_error>yes</skip_on_error> <bucket type="guardduty"> <name>wazuh-aws-wodle</name>
  <path>firehose/</path> <aws_profile>default</aws_profile> </bucket> </wodle></ossec_config>`), 0o600)
	out, err := runCLI(t, "config", "import-wazuh", conf)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"bucket: wazuh-aws-wodle", "path: firehose/", "aws_profile: default", "interval: 10m"} {
		if !strings.Contains(out, want) {
			t.Errorf("import-wazuh output lacks %q:\n%s", want, out)
		}
	}
}

func TestLogtestExplainsUpdates(t *testing.T) {
	finding := `{"schemaVersion":"2.0","accountId":"123456789012","region":"us-east-1","id":"f1","arn":"arn:aws:guardduty:us-east-1:123456789012:detector/d/finding/f1","type":"Recon:EC2/Portscan","resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-1"}},"service":{"serviceName":"guardduty","action":{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"remoteIpDetails":{"ipAddressV4":"198.51.100.1"}}},"count":COUNT},"severity":5,"createdAt":"2025-01-15T00:00:00Z","updatedAt":"2025-01-15T0COUNT:00:00Z","title":"t"}`
	in := strings.ReplaceAll(finding, "COUNT", "1") + "\n" + strings.ReplaceAll(finding, "COUNT", "2") + "\n"
	path := filepath.Join(t.TempDir(), "f.json")
	os.WriteFile(path, []byte(in), 0o600)
	out, err := runCLI(t, "logtest", path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "**Alert to be generated.") != 1 || !strings.Contains(out, "**No alert: finding update policy: update of an alerted finding (count 2)") {
		t.Errorf("logtest output:\n%s", out)
	}
}
