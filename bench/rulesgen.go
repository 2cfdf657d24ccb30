package main

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/dutywatch/dutywatch/internal/generator"
	"github.com/dutywatch/dutywatch/ruleset"
)

// baseRuleID is the built-in rule every GuardDuty event passes.
const baseRuleID = "200000"

// firstExtraID is the id of the first extra rule: Wazuh's range for
// local rules starts at 100000.
const firstExtraID = 100100

var (
	ruleBlockRE = regexp.MustCompile(`(?s)<rule id="(\d+)"([^>]*)>(.*?)</rule>`)
	purposeRE   = regexp.MustCompile(`<field name="dutywatch\.type_purpose">([^<]*)</field>`)
)

// purposeRules maps each finding-type purpose (the part of a type before
// ':') to the built-in noalert rule that tries its family rules, read from
// the embedded ruleset's base file.
func purposeRules(fsys fs.FS, file string) (map[string]string, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, fmt.Errorf("read built-in rules: %w", err)
	}
	out := map[string]string{}
	for _, m := range ruleBlockRE.FindAllStringSubmatch(string(data), -1) {
		id, attrs, body := m[1], m[2], m[3]
		p := purposeRE.FindStringSubmatch(body)
		if p == nil || !strings.Contains(attrs, `noalert="1"`) {
			continue
		}
		for alt := range strings.SplitSeq(p[1], "|") {
			out[strings.Trim(alt, "^$")] = id
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no purpose rules in built-in %s", file)
	}
	return out, nil
}

// extraRules returns a Wazuh rule file of n rules of the kinds a team
// adds to a GuardDuty ruleset, none of which matches a generated finding:
// escalations of one finding type in an account we do not generate,
// regexes on the actor's address in a range we do not generate, <match>
// on a type name together with a tag nobody has, and IAM user names nobody
// has. Each hangs under the built-in purpose rule of its type, at level 12
// or more, so it is tried before that purpose's family rules by every
// event of the purpose — the place a rule must sit to refine built-in
// alerts.
func extraRules(n int) (string, error) {
	base := ruleset.Files()[0]
	parents, err := purposeRules(ruleset.FS(), base)
	if err != nil {
		return "", err
	}
	var types []generator.Type
	for _, t := range generator.Types() {
		if !t.Retired {
			types = append(types, t)
		}
	}
	var b strings.Builder
	b.WriteString("<!-- Extra rules of the dutywatch benchmark: realistic, never matching. -->\n")
	b.WriteString(`<group name="local,guardduty_custom,">` + "\n")
	for i := range n {
		t := types[(i*7)%len(types)]
		purpose, _, _ := strings.Cut(t.Name, ":")
		parent, ok := parents[purpose]
		if !ok {
			parent = baseRuleID
		}
		b.WriteString(extraRule(firstExtraID+i, 12+i%4, parent, t.Name, i))
	}
	b.WriteString("</group>\n")
	return b.String(), nil
}

// extraRule is one never-matching rule of kind i%4 about finding type typ.
func extraRule(id, level int, parent, typ string, i int) string {
	var tests, desc string
	switch i % 4 {
	case 0:
		acct := fmt.Sprintf("9999%08d", i)
		tests = fmt.Sprintf("    <field name=\"aws.type\">^%s$</field>\n    <field name=\"aws.accountId\">^%s$</field>\n", osRegexQuote(typ), acct)
		desc = fmt.Sprintf("%s in the payments account %s", typ, acct)
	case 1:
		net := fmt.Sprintf("100.%d.%d.", 64+i%64, i/64%256)
		tests = fmt.Sprintf("    <field name=\"aws.service.action.networkConnectionAction.remoteIpDetails.ipAddressV4\">^%s\\d+$</field>\n", osRegexQuote(net))
		desc = fmt.Sprintf("connection from the partner range %s0/24", net)
	case 2:
		tests = fmt.Sprintf("    <match>%s</match>\n    <field name=\"aws.resource.instanceDetails.tags.value\">^quarantine-%05d$</field>\n", typ, i)
		desc = fmt.Sprintf("%s on quarantined instance %05d", typ, i)
	default:
		user := fmt.Sprintf("svc-legacy-%05d", i)
		tests = fmt.Sprintf("    <field name=\"aws.service.resourceRole\">^TARGET$</field>\n    <field name=\"aws.resource.accessKeyDetails.userName\">^%s$</field>\n", user)
		desc = fmt.Sprintf("activity of the retired service user %s", user)
	}
	return fmt.Sprintf("  <rule id=\"%d\" level=\"%d\">\n    <if_sid>%s</if_sid>\n%s    <description>Custom: %s.</description>\n    <group>custom_%d,</group>\n  </rule>\n",
		id, level, parent, tests, desc, i%4)
}

// osRegexQuote escapes the characters OS_Regex does not take literally.
func osRegexQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`, `|`, `\|`, `$`, `\$`, `<`, `\<`)
	return r.Replace(s)
}
