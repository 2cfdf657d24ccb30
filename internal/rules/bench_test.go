package rules

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// benchEval evaluates pre-decoded events round-robin and reports events/s.
func benchEval(b *testing.B, rs *Ruleset, events []*Event) {
	b.Helper()
	st := rs.NewState()
	now := t0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i&1023 == 0 {
			now = now.Add(time.Second)
		}
		st.Eval(events[i%len(events)], now, nil)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// gdBenchEvents are GuardDuty-shaped events across severities and types.
func gdBenchEvents(b testing.TB) []*Event {
	var out []*Event
	types := []string{"Recon:EC2/PortProbeUnprotectedPort", "UnauthorizedAccess:EC2/SSHBruteForce",
		"Discovery:Kubernetes/TorIPCaller", "CryptoCurrency:EC2/BitcoinTool.B!DNS", "Trojan:EC2/DNSDataExfiltration"}
	for i, sev := range []any{2, 5, 8, 5.5, 3.9, 7} {
		for j, typ := range types {
			out = append(out, gdEvent(b, map[string]any{
				"severity": sev, "type": typ,
				"resource.instanceDetails.instanceId": fmt.Sprintf("i-%d", (i+j)%4),
				"service.resourceRole":                []string{"TARGET", "ACTOR"}[(i+j)%2],
			}))
		}
	}
	return out
}

func BenchmarkEvalWazuhAWS(b *testing.B) {
	rs, _ := loadWazuhAWS(b, nil)
	path := wazuhFile(b, "wazuh-guardduty-rule-tests.txt")
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var events []*Event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if _, log, ok := strings.Cut(sc.Text(), "log 1 pass = "); ok {
			events = append(events, DecodeLog("Wazuh-AWS", log))
		}
	}
	benchEval(b, rs, events)
}

func BenchmarkEvalTestdata(b *testing.B) {
	rs, _ := loadTestdata(b)
	benchEval(b, rs, gdBenchEvents(b))
}

// largeRulesetXML builds a ruleset of about 250 rules: a base, three
// severity bands and, under each band, one rule per finding type (tried in
// order until one matches), plus a few correlation rules.
func largeRulesetXML(types int) string {
	var b strings.Builder
	b.WriteString(`<group name="bench,">
<rule id="200000" level="0"><decoded_as>json</decoded_as><field name="integration">aws</field><description>base</description></rule>
<rule id="200001" level="0"><if_sid>200000</if_sid><field name="aws.source">^guardduty$</field><description>gd</description></rule>
<rule id="200010" level="3"><if_sid>200001</if_sid><field name="aws.severity" type="pcre2">^[0-3](\.\d+)?$</field><description>low $(aws.type)</description><group>low,</group></rule>
<rule id="200020" level="6"><if_sid>200001</if_sid><field name="aws.severity" type="pcre2">^[4-6](\.\d+)?$</field><description>medium $(aws.type)</description><group>medium,</group></rule>
<rule id="200030" level="10"><if_sid>200001</if_sid><field name="aws.severity" type="pcre2">^([7-9](\.\d+)?|10)$</field><description>high $(aws.type)</description><group>high,</group></rule>
`)
	id := 201000
	for band, parent := range []int{200010, 200020, 200030} {
		for i := 0; i < types; i++ {
			fmt.Fprintf(&b, `<rule id="%d" level="%d"><if_sid>%d</if_sid><field name="aws.type" type="osmatch">^Family%d:EC2/Kind%d</field>`+
				`<field name="aws.service.resourceRole">^TARGET$|^ACTOR$</field><description>type %d: $(aws.title)</description>`+
				`<group>pci_dss_10.6.1,gdpr_IV_35.7.d,</group><mitre><id>T%d</id></mitre></rule>`+"\n", id, 3+band*3, parent, i%7, i, i, 1000+i)
			id++
		}
	}
	for _, p := range []int{200010, 200020} {
		fmt.Fprintf(&b, `<rule id="%d" level="12" frequency="5" timeframe="600"><if_matched_sid>%d</if_matched_sid><same_field>aws.resource.instanceDetails.instanceId</same_field><description>repeat</description></rule>`+"\n", id, p)
		id++
	}
	b.WriteString("</group>\n")
	return b.String()
}

func BenchmarkEvalLarge(b *testing.B) {
	var l Loader
	if err := l.AddCategoryRoots(); err != nil {
		b.Fatal(err)
	}
	if err := l.LoadFile("large.xml", []byte(largeRulesetXML(80))); err != nil {
		b.Fatal(err)
	}
	rs, err := l.Ruleset()
	if err != nil {
		b.Fatal(err)
	}
	if rs.Len() < 250 {
		b.Fatalf("only %d rules", rs.Len())
	}
	var events []*Event
	for i, sev := range []any{2, 5, 8, 5.5} {
		for _, k := range []int{0, 20, 40, 79, 200} { // early, middle, last and unknown types
			events = append(events, gdEvent(b, map[string]any{
				"severity": sev, "type": fmt.Sprintf("Family%d:EC2/Kind%d", k%7, k),
				"resource.instanceDetails.instanceId": fmt.Sprintf("i-%d", i),
			}))
		}
	}
	benchEval(b, rs, events)
}

func BenchmarkDecodeJSON(b *testing.B) {
	data := []byte(gdEvent(b, map[string]any{"severity": 5.5}).Log)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := DecodeJSON(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeJSONGuardDuty decodes a whole GuardDuty event as the
// aws-s3 wodle sends it (tags, remote IP details, nested service fields).
func BenchmarkDecodeJSONGuardDuty(b *testing.B) {
	data, err := os.ReadFile("testdata/guardduty-event.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeJSON(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadTransientEvent reads back the event of
// BenchmarkDecodeJSONGuardDuty in its transient form, as the pipeline's
// sequencer does.
func BenchmarkReadTransientEvent(b *testing.B) {
	data, err := os.ReadFile("testdata/guardduty-event.json")
	if err != nil {
		b.Fatal(err)
	}
	ev, err := DecodeJSON(data)
	if err != nil {
		b.Fatal(err)
	}
	tr := ev.AppendTransient(nil)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadTransientEvent(ev.Log, tr); err != nil {
			b.Fatal(err)
		}
	}
}
