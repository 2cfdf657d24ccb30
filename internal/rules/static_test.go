package rules

import (
	"strings"
	"testing"
)

// staticXML exercises the tests on static fields, IP lists and CDB lists;
// each rule is selected by the "t" field of the event.
const staticXML = `<group name="static,">
  <rule id="501" level="3"><decoded_as>json</decoded_as><field name="t">^ip$</field>
    <srcip>10.0.0.0/8</srcip><dstip>192.168.1.0/255.255.255.0</dstip><description>ip</description></rule>
  <rule id="502" level="3"><decoded_as>json</decoded_as><field name="t">^ipneg$</field>
    <srcip>10.1.0.0/16</srcip><srcip>!10.0.0.0/8</srcip><description>ip list with a negated entry</description></rule>
  <rule id="503" level="3"><decoded_as>json</decoded_as><field name="t">^user$</field>
    <user>^admin$</user><description>user $(dstuser)</description></rule>
  <rule id="504" level="3"><decoded_as>json</decoded_as><field name="t">^static$</field>
    <id>^4625$</id><status>fail</status><protocol>tcp</protocol><action>DROP</action><url>/login</url>
    <data>x</data><extra_data>y</extra_data><system_name>h1</system_name><srcport>22</srcport>
    <dstport type="pcre2">^80$</dstport><description>static $(id) $(system_name)</description></rule>
  <rule id="505" level="3" maxsize="40"><decoded_as>json</decoded_as><field name="t">^loc$</field>
    <location>^Wazuh-AWS$</location><description>location and maxsize</description></rule>
  <rule id="506" level="3"><decoded_as>json</decoded_as><field name="t">^fts$</field><if_fts /><description>fts</description></rule>
  <rule id="507" level="3"><decoded_as>json</decoded_as><field name="t">^host$</field><hostname>x</hostname><description>host</description></rule>
  <rule id="510" level="3"><decoded_as>json</decoded_as><field name="t">^l1$</field>
    <list field="srcip" lookup="match_key">ips</list><description>match_key</description></rule>
  <rule id="511" level="3"><decoded_as>json</decoded_as><field name="t">^l2$</field>
    <list field="srcip" lookup="not_match_key">ips</list><description>not_match_key</description></rule>
  <rule id="512" level="3"><decoded_as>json</decoded_as><field name="t">^l3$</field>
    <list field="srcip" lookup="match_key_value" check_value="^bad$">ips</list><description>match_key_value</description></rule>
  <rule id="513" level="3"><decoded_as>json</decoded_as><field name="t">^l4$</field>
    <list field="srcip" lookup="address_match_key">ips</list><description>address_match_key</description></rule>
  <rule id="514" level="3"><decoded_as>json</decoded_as><field name="t">^l5$</field>
    <list field="srcip" lookup="not_address_match_key">ips</list><description>not_address_match_key</description></rule>
  <rule id="515" level="3"><decoded_as>json</decoded_as><field name="t">^l6$</field>
    <list field="srcip" lookup="address_match_key_value" check_value="lab">ips</list><description>address_match_key_value</description></rule>
  <rule id="516" level="3"><decoded_as>json</decoded_as><field name="t">^l7$</field>
    <list field="user" lookup="match_key">ips</list><list field=" a.b  " lookup="match_key">ips</list><description>user and dynamic list fields</description></rule>
  <rule id="520" level="12"><decoded_as>json</decoded_as><field name="t">^opts$</field>
    <options>no_counter</options><options>no_email_alert</options><options>no_log</options><options>no_ar</options>
    <ignore>srcip, data</ignore><check_if_ignored>srcip</check_if_ignored><description>options</description></rule>
  <rule id="521" level="2"><decoded_as>json</decoded_as><field name="t">^logalert$</field>
    <options>log_alert</options><options>alert_by_email</options><description>low but logged</description></rule>
</group>`

func TestStaticConditions(t *testing.T) {
	l := Loader{Lists: map[string]*List{"ips": NewList(map[string]string{"10.1.2.3": "bad", "172.16.": "lab", "root": "", "k": ""})}}
	if err := l.AddCategoryRoots(); err != nil {
		t.Fatal(err)
	}
	if err := l.LoadFile("static.xml", []byte(staticXML)); err != nil {
		t.Fatal(err)
	}
	rs, err := l.Ruleset()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		ev   map[string]any
		id   int
	}{
		{"ip cidr and netmask", map[string]any{"t": "ip", "srcip": "10.1.2.3", "dstip": "192.168.1.9"}, 501},
		{"ip outside", map[string]any{"t": "ip", "srcip": "11.1.2.3", "dstip": "192.168.1.9"}, 0},
		{"ip netmask outside", map[string]any{"t": "ip", "srcip": "10.1.2.3", "dstip": "192.168.2.9"}, 0},
		{"ip missing", map[string]any{"t": "ip", "dstip": "192.168.1.9"}, 0},
		{"ip not an address", map[string]any{"t": "ip", "srcip": "x", "dstip": "192.168.1.9"}, 0},
		{"ip list first entry", map[string]any{"t": "ipneg", "srcip": "10.1.9.9"}, 502},
		{"ip list negated entry", map[string]any{"t": "ipneg", "srcip": "10.2.9.9"}, 0},
		{"ip list no entry after a negation", map[string]any{"t": "ipneg", "srcip": "8.8.8.8"}, 502},
		{"user from user key", map[string]any{"t": "user", "user": "ADMIN"}, 503},
		{"user from srcuser", map[string]any{"t": "user", "srcuser": "admin"}, 503},
		{"dstuser wins over srcuser", map[string]any{"t": "user", "srcuser": "admin", "dstuser": "bob"}, 0},
		{"no user", map[string]any{"t": "user"}, 0},
		{"all static fields", map[string]any{"t": "static", "id": "4625", "status": "failed", "protocol": "TCP", "action": "DROP",
			"url": "/login?x", "data": "x", "extra_data": "y", "systemname": "h1", "srcport": "22", "dstport": "80"}, 504},
		{"action is an exact string", map[string]any{"t": "static", "id": "4625", "status": "failed", "protocol": "TCP", "action": "drop",
			"url": "/login?x", "data": "x", "extra_data": "y", "systemname": "h1", "srcport": "22", "dstport": "80"}, 0},
		{"location and maxsize", map[string]any{"t": "loc", "pad": "0123456789012345678901234567890"}, 505},
		{"maxsize not reached", map[string]any{"t": "loc"}, 0},
		{"if_fts never matches", map[string]any{"t": "fts"}, 0},
		{"hostname is never set", map[string]any{"t": "host", "hostname": "x"}, 0},
		{"match_key", map[string]any{"t": "l1", "srcip": "10.1.2.3"}, 510},
		{"match_key miss", map[string]any{"t": "l1", "srcip": "10.1.2.4"}, 0},
		{"not_match_key", map[string]any{"t": "l2", "srcip": "10.1.2.4"}, 511},
		{"not_match_key hit", map[string]any{"t": "l2", "srcip": "10.1.2.3"}, 0},
		{"match_key_value", map[string]any{"t": "l3", "srcip": "10.1.2.3"}, 512},
		{"address_match_key prefix", map[string]any{"t": "l4", "srcip": "172.16.5.5"}, 513},
		{"address_match_key miss", map[string]any{"t": "l4", "srcip": "172.17.5.5"}, 0},
		{"not_address_match_key", map[string]any{"t": "l5", "srcip": "172.17.5.5"}, 514},
		{"address_match_key_value is inverted in analysisd", map[string]any{"t": "l6", "srcip": "172.16.5.5"}, 0},
		{"address_match_key_value absent key", map[string]any{"t": "l6", "srcip": "9.9.9.9"}, 515},
		{"user and dynamic list fields", map[string]any{"t": "l7", "srcuser": "root", "a": map[string]any{"b": "k"}}, 516},
		{"dynamic list field missing", map[string]any{"t": "l7", "srcuser": "root"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var tr Trace
			m := rs.NewState().Eval(jsonEvent(t, tc.ev), t0, &tr)
			got := 0
			if m != nil {
				got = m.Rule.ID
			}
			if got != tc.id {
				t.Errorf("rule %d, want %d\n%s", got, tc.id, tr.String())
			}
		})
	}
	m := rs.Eval(jsonEvent(t, map[string]any{"t": "static", "id": "4625", "status": "failed", "protocol": "TCP", "action": "DROP",
		"url": "/login?x", "data": "x", "extra_data": "y", "systemname": "h1", "srcport": "22", "dstport": "80"}), t0, nil)
	if m == nil || m.Description != "static 4625 h1" {
		t.Errorf("static description %v", m)
	}
	o := rs.Rule(520).Options
	// no_email_alert and no_log clear with analysisd's 0xfff mask, which
	// also drops no_counter.
	if o.NoCounter || o.EmailAlert || o.LogAlert || !o.NoAR {
		t.Errorf("520 options %+v", o)
	}
	if m := rs.Eval(jsonEvent(t, map[string]any{"t": "opts"}), t0, nil); m == nil || m.Alert || m.Mail {
		t.Errorf("no_log match %+v", m)
	}
	if m := rs.Eval(jsonEvent(t, map[string]any{"t": "logalert"}), t0, nil); m == nil || !m.Alert || !m.Mail {
		t.Errorf("log_alert match %+v", m)
	}
}

func TestIPEntries(t *testing.T) {
	for _, s := range []string{"1.2.3.4", "1.2.3.0/24", "1.2.3.0/255.255.255.0", "!1.2.3.4", "any", "2001:db8::/32", "::1"} {
		if _, err := parseIPEntry(s); err != nil {
			t.Errorf("parseIPEntry(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "1.2.3", "1.2.3.4/33", "1.2.3.4/x", "2001:db8::/255.0.0.0", "1.2.3.4/1234"} {
		if _, err := parseIPEntry(s); err == nil {
			t.Errorf("parseIPEntry(%q) accepted", s)
		}
	}
	m := &ipListMatcher{}
	for _, s := range []string{"any", "2001:db8::/32"} {
		e, _ := parseIPEntry(s)
		m.entries = append(m.entries, e)
	}
	if !m.Match("8.8.8.8") || !m.Match("2001:db8::1") || m.Match("2001:db9::1") || !strings.HasPrefix(m.String(), "ip:any,") {
		t.Errorf("ip list %s", m)
	}
}

func TestParseList(t *testing.T) {
	l, err := ParseList(strings.NewReader("a:1\r\n\"b:c\":\"2\"\nnocolon\nd:\"unterminated\n\"e:3\na:dup\n:empty-key\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "1", "b:c": "2", "": "empty-key"}
	for k, v := range want {
		if got, ok := l.Lookup(k); !ok || got != v {
			t.Errorf("Lookup(%q) = %q, %v; want %q", k, got, ok, v)
		}
	}
	if l.Len() != len(want) {
		t.Errorf("Len = %d, want %d", l.Len(), len(want))
	}
}
