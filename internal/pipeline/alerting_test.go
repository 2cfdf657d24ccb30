package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dutywatch/dutywatch/internal/dedup"
	"github.com/dutywatch/dutywatch/internal/rules"
)

// testRules alert on every GuardDuty event by severity band, and on three
// distinct types on one instance.
const testRules = `<group name="test,">
  <rule id="100100" level="0">
    <decoded_as>json</decoded_as>
    <field name="aws.source">^guardduty$</field>
    <description>GuardDuty</description>
  </rule>
  <rule id="100101" level="5">
    <if_sid>100100</if_sid>
    <field name="dutywatch.severity_band">^medium$</field>
    <description>medium $(aws.type) on $(dutywatch.instance_id)</description>
    <group>gd_compromise,</group>
  </rule>
  <rule id="100102" level="10">
    <if_sid>100100</if_sid>
    <field name="dutywatch.severity_band">^high$</field>
    <description>high $(aws.type)</description>
    <group>gd_compromise,</group>
  </rule>
  <rule id="100200" level="13" frequency="3" timeframe="86400">
    <if_matched_group>gd_compromise</if_matched_group>
    <same_field>dutywatch.instance_id</same_field>
    <different_field>aws.type</different_field>
    <description>instance $(dutywatch.instance_id) compromised</description>
  </rule>
</group>`

func testAlerter(t *testing.T, h *harness, opt dedup.Options) func() *Alerter {
	t.Helper()
	l := &rules.Loader{}
	if err := l.AddCategoryRoots(); err != nil {
		t.Fatal(err)
	}
	if err := l.LoadFile("test.xml", []byte(testRules)); err != nil {
		t.Fatal(err)
	}
	rs, err := l.Ruleset()
	if err != nil {
		t.Fatal(err)
	}
	return func() *Alerter {
		out, err := OpenAlerts(context.Background(), h.store, filepath.Join(h.dir, "alerts.json"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { out.Close() })
		return NewAlerter(AlerterConfig{Rules: rs, Derived: true, Dedup: opt, Host: "test"}, out, slog.New(slog.DiscardHandler))
	}
}

type alertLine struct {
	ID   string `json:"id"`
	Rule struct {
		ID          string `json:"id"`
		Level       int    `json:"level"`
		Description string `json:"description"`
	} `json:"rule"`
}

func readAlerts(t *testing.T, path string) []alertLine {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []alertLine
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var a alertLine
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("bad alert line: %v\n%s", err, sc.Text())
		}
		if seen[a.ID] {
			t.Fatalf("alert %s written twice", a.ID)
		}
		seen[a.ID] = true
		out = append(out, a)
	}
	return out
}

// version is a finding as Firehose would deliver it: one id, growing
// count and updatedAt.
func version(id, typ, instance string, severity float64, count int) string {
	return fmt.Sprintf(`{"version":"0","id":"ev","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"111122223333","region":"us-east-1","detail":{"schemaVersion":"2.0","accountId":"111122223333","region":"us-east-1","id":"%s","arn":"arn:aws:guardduty:us-east-1:111122223333:detector/d/finding/%s","type":"%s","resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"%s"}},"service":{"serviceName":"guardduty","action":{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"remoteIpDetails":{"ipAddressV4":"198.51.100.7"}}},"count":%d},"severity":%v,"createdAt":"2024-05-01T13:00:00.000Z","updatedAt":"2024-05-01T%02d:00:00.000Z","title":"t"}}`,
		id, id, typ, instance, count, severity, 13+count)
}

func TestAlertsFollowTheUpdatePolicy(t *testing.T) {
	objects := map[string][]byte{}
	for i := 1; i <= 5; i++ { // five re-exports of one finding
		objects[fmt.Sprintf("a%d", i)] = []byte(version("f1", "Recon:EC2/Portscan", "i-1", 5, i))
	}
	objects["a6"] = []byte(version("f1", "Recon:EC2/Portscan", "i-1", 8, 6)) // severity rises
	objects["a7"] = []byte(version("f1", "Recon:EC2/Portscan", "i-1", 8, 6)) // the same version again
	sample := strings.Replace(version("s1", "Recon:EC2/Portscan", "i-9", 5, 1), `"count":1`, `"count":1,"additionalInfo":{"sample":true}`, 1)
	objects["a8"] = []byte(sample)
	h := newHarness(t, objects)
	h.alerter = testAlerter(t, h, dedup.Options{Policy: dedup.Changes})()
	stats, err := h.poll(context.Background(), SourceOptions{SkipOnError: true})
	if err != nil {
		t.Fatal(err)
	}
	alerts := readAlerts(t, filepath.Join(h.dir, "alerts.json"))
	if len(alerts) != 2 || alerts[0].Rule.ID != "100101" || alerts[1].Rule.ID != "100102" {
		t.Fatalf("alerts = %+v; want one medium alert and one on the severity rise", alerts)
	}
	if alerts[0].Rule.Description != "medium Recon:EC2/Portscan on i-1" {
		t.Errorf("description = %q", alerts[0].Rule.Description)
	}
	if stats.Alerts.Stale != 1 || stats.Alerts.Updates != 5 {
		t.Errorf("alert stats = %+v; want 1 stale version and 5 non-alerting updates (4 counts + the sample)", stats.Alerts)
	}
	tx, _ := h.store.Begin(context.Background())
	defer tx.Rollback()
	f, ok, err := tx.Finding(context.Background(), "arn:aws:guardduty:us-east-1:111122223333:detector/d/finding/f1")
	if err != nil || !ok || f.State.Latest.Count != 6 || f.Alerts != 2 {
		t.Errorf("stored finding = %+v, %v, %v; want count 6 and 2 alerts", f, ok, err)
	}
}

func TestCorrelationNeedsDistinctTypesOnOneInstance(t *testing.T) {
	objects := map[string][]byte{
		// i-1: three distinct compromise types.
		"a1": []byte(version("c1", "Backdoor:EC2/C&CActivity.B!DNS", "i-1", 8, 1)),
		"a2": []byte(version("c2", "CryptoCurrency:EC2/BitcoinTool.B!DNS", "i-1", 8, 1)),
		"a3": []byte(version("c3", "UnauthorizedAccess:EC2/TorClient", "i-1", 8, 1)),
		// More types on i-1 in the same window: still one correlation alert.
		"a4": []byte(version("c4", "Trojan:EC2/DropPoint", "i-1", 5, 1)),
		"a5": []byte(version("c5", "Trojan:EC2/DNSDataExfiltration", "i-1", 8, 1)),
		// i-2: one type, many findings; i-3/i-4/i-5: three types spread out.
		"b1": []byte(version("d1", "Trojan:EC2/DropPoint", "i-2", 5, 1)),
		"b2": []byte(version("d2", "Trojan:EC2/DropPoint", "i-2", 5, 1)),
		"b3": []byte(version("d3", "Trojan:EC2/DropPoint", "i-2", 5, 1)),
		"c1": []byte(version("e1", "Backdoor:EC2/C&CActivity.B!DNS", "i-3", 8, 1)),
		"c2": []byte(version("e2", "CryptoCurrency:EC2/BitcoinTool.B!DNS", "i-4", 8, 1)),
		"c3": []byte(version("e3", "UnauthorizedAccess:EC2/TorClient", "i-5", 8, 1)),
	}
	h := newHarness(t, objects)
	h.alerter = testAlerter(t, h, dedup.Options{Policy: dedup.Changes})()
	if _, err := h.poll(context.Background(), SourceOptions{SkipOnError: true}); err != nil {
		t.Fatal(err)
	}
	var correlated []string
	for _, a := range readAlerts(t, filepath.Join(h.dir, "alerts.json")) {
		if a.Rule.ID == "100200" {
			correlated = append(correlated, a.Rule.Description)
		}
	}
	if len(correlated) != 1 || correlated[0] != "instance i-1 compromised" {
		t.Errorf("correlation alerts = %q; want one, for i-1", correlated)
	}
}

func TestAlertsAreExactlyOnceAcrossRestart(t *testing.T) {
	objects := map[string][]byte{}
	for i := range 30 {
		objects[fmt.Sprintf("k%02d", i)] = []byte(version(fmt.Sprintf("f%d", i), "Recon:EC2/Portscan", "i-1", 5, 1))
	}
	h := newHarness(t, objects)
	newAlerter := testAlerter(t, h, dedup.Options{Policy: dedup.Changes})
	ctx, cancel := context.WithCancel(context.Background())
	h.src.onOpen = func(n int) {
		if n == 12 {
			cancel()
		}
	}
	h.alerter = newAlerter()
	h.poll(ctx, SourceOptions{SkipOnError: true})
	h.src.onOpen = nil
	h.alerter = newAlerter()
	if _, err := h.poll(context.Background(), SourceOptions{SkipOnError: true}); err != nil {
		t.Fatal(err)
	}
	if n := len(readAlerts(t, filepath.Join(h.dir, "alerts.json"))); n != 30 {
		t.Errorf("%d alerts after a restart; want 30", n)
	}
}
