package rules

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// fieldStaticNames are the names <field name> may not use
// (w_check_attr_field_name).
var fieldStaticNames = []string{"srcip", "dstip", "srcgeoip", "dstgeoip", "srcport", "dstport",
	"user", "srcuser", "dstuser", "url", "id", "data", "extra_data", "status", "protocol",
	"system_name", "action"}

func (b *ruleBuilder) field(n *xmlNode) error {
	if len(b.fields) >= DefaultMaxFields {
		return errors.New("too many <field> elements")
	}
	name, ok := n.attr("name")
	if !ok {
		return errors.New("<field> without a name attribute")
	}
	for _, s := range fieldStaticNames {
		if strings.EqualFold(name, s) {
			return fmt.Errorf("<field name=%q>: field is static", name)
		}
	}
	m, err := CompileExpression(attrType(n, "osregex"), n.content)
	if err != nil {
		return fmt.Errorf("<field name=%q>: %w", name, err)
	}
	b.fields = append(b.fields, &fieldCond{name: name, lower: toLowerASCII(name), m: m, negate: attrNegate(n)})
	return nil
}

func (b *ruleBuilder) ip(name string, n *xmlNode) error {
	e, err := parseIPEntry(n.content)
	if err != nil {
		return fmt.Errorf("<%s>: %w", name, err)
	}
	list, neg := &b.srcip, &b.srcipNeg
	if name == "dstip" {
		list, neg = &b.dstip, &b.dstipNeg
	}
	if *list == nil {
		*list = &ipListMatcher{}
	}
	(*list).entries = append((*list).entries, e)
	*neg = attrNegate(n)
	b.r.opts |= optPacket
	return nil
}

// listStaticFields are the <list field> values naming static fields.
var listStaticFields = map[string]staticField{
	"srcip": fSrcIP, "srcport": fSrcPort, "dstip": fDstIP, "dstport": fDstPort,
	"url": fURL, "id": fID, "hostname": fHostname, "program_name": fProgramName,
	"status": fStatus, "action": fAction, "protocol": fProtocol,
	"system_name": fSystemName, "data": fData, "extra_data": fExtraData,
}

func (b *ruleBuilder) list(n *xmlNode) error {
	if len(n.attrs) == 0 {
		return errors.New("<list> must have a field attribute")
	}
	c := listCond{path: n.content, how: lookupMatchKey}
	hasField := false
	for _, a := range n.attrs {
		switch strings.ToLower(a.name) {
		case "lookup":
			how, ok := listLookups[strings.ToLower(a.value)]
			if !ok {
				return fmt.Errorf("<list> lookup %q is not valid", a.value)
			}
			c.how = how
		case "field":
			hasField = true
			c.field = a.value
			if strings.EqualFold(a.value, "user") {
				c.isUser = true
			} else if f, ok := listStaticFields[strings.ToLower(a.value)]; ok {
				c.static = f
			} else {
				d := strings.TrimLeft(a.value, " ")
				if i := strings.IndexByte(d, ' '); i >= 0 {
					d = d[:i]
				}
				c.dynamic = toLowerASCII(d)
				if c.dynamic == "" {
					c.dynamic = " " // an empty name never matches a field
				}
			}
		case "check_value":
			m, err := CompileOSMatch(a.value)
			if err != nil {
				return fmt.Errorf("<list> check_value: %w", err)
			}
			c.check = m
		default:
			return fmt.Errorf("<list> attribute %q is not valid", a.name)
		}
	}
	if !hasField {
		return errors.New("<list> requires the field attribute")
	}
	lst, err := b.l.list(c.path)
	if err != nil {
		b.skipf("%v", err)
		return nil
	}
	c.list = lst
	b.lists = append(b.lists, c)
	return nil
}

func (b *ruleBuilder) option(v string) error {
	r := b.r
	switch v {
	case "alert_by_email":
		r.opts |= optMail
	case "no_email_alert":
		if r.opts&optMail != 0 {
			r.opts &= 0xfff - optMail // analysisd's mask also drops no_counter
		}
	case "log_alert":
		r.opts |= optLog
	case "no_log":
		if r.opts&optLog != 0 {
			r.opts &= 0xfff - optLog
		}
	case "no_ar":
		r.opts |= optNoAR
	case "no_full_log":
		r.opts |= optNoFullLog
	case "no_counter":
		r.opts |= optNoCounter
	default:
		return fmt.Errorf("invalid option %q", v)
	}
	return nil
}

// ignoreFields parses <ignore> and <check_if_ignored>. analysisd's ignore
// store never matches (IGnore compares fgets lines, which keep their
// newline, with lines built without one), so both are accepted and have
// no effect.
func (b *ruleBuilder) ignoreFields(name, v string) error {
	for _, w := range strings.Split(v, ",") {
		w = strings.TrimLeft(w, " ")
		if i := strings.IndexByte(w, ' '); i >= 0 {
			w = w[:i]
		}
		if w == "" {
			return fmt.Errorf("wrong <%s> option %q", name, v)
		}
		b.r.ignoreKey = append(b.r.ignoreKey, w)
	}
	return nil
}

// mitreState tracks old (<id>) and new (<tacticID>+<techniqueID>) MITRE
// blocks across a rule's <mitre> elements, as rules.c does.
type mitreState struct {
	newFormat, deprecated bool
}

func (m *mitreState) read(n *xmlNode, r *Rule) error {
	var idFlag, tacticFlag, techFlag, failure bool
	tacticN, techN := 0, 0
	for _, c := range n.children {
		switch strings.ToLower(c.name) {
		case "id":
			idFlag = idFlag || c.content != ""
			failure = failure || c.content == ""
		case "tacticid":
			tacticFlag, tacticN = tacticFlag || c.content != "", tacticN+1
			failure = failure || c.content == ""
		case "techniqueid":
			techFlag, techN = techFlag || c.content != "", techN+1
			failure = failure || c.content == ""
		default:
			failure = true
		}
	}
	if len(n.children) == 0 || failure {
		return nil
	}
	switch {
	case idFlag && (tacticFlag || techFlag):
		return nil
	case idFlag && m.newFormat:
		r.MITRE.IDs = nil
		return nil
	case idFlag:
		m.deprecated = true
	case tacticFlag && techFlag:
		if tacticN > 1 || techN > 1 {
			return nil
		}
		m.newFormat = true
		if m.deprecated {
			r.MITRE.IDs, m.deprecated = nil, false
		}
	default:
		return nil
	}
	var tactic, tech string
	for _, c := range n.children {
		switch strings.ToLower(c.name) {
		case "id":
			if !contains(r.MITRE.IDs, c.content) {
				r.MITRE.IDs = append(r.MITRE.IDs, c.content)
			}
		case "tacticid":
			tactic = c.content
		case "techniqueid":
			tech = c.content
		}
	}
	if tactic != "" && tech != "" {
		for i := range r.MITRE.TacticIDs {
			if r.MITRE.TacticIDs[i] == tactic && r.MITRE.TechniqueIDs[i] == tech {
				return nil
			}
		}
		r.MITRE.TacticIDs = append(r.MITRE.TacticIDs, tactic)
		r.MITRE.TechniqueIDs = append(r.MITRE.TechniqueIDs, tech)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// validate runs the checks after all elements are read.
func (b *ruleBuilder) validate() error {
	r := b.r
	if b.ifSIDSet && !validIfSID(r.w.ifSID) {
		b.skipf("invalid if_sid %q", r.w.ifSID)
		return nil
	}
	if !b.descSet {
		return errors.New("no description")
	}
	freq := 0
	if r.Frequency > 0 {
		freq = r.Frequency - 2
	}
	if (b.corrSet || freq != 0) && !b.context {
		return errors.New("invalid use of frequency/context options: missing if_matched_*")
	}
	overwrite := r.opts&optOverwrite != 0
	if b.matchedGrp != nil && !overwrite && !b.ifSIDSet && !b.ifGroupSet {
		r.w.ifGroup, b.ifGroupSet = *b.matchedGrp, true
	}
	if r.w.ifMatchedSID != 0 && !b.ifSIDSet && !b.ifGroupSet && !overwrite {
		r.w.ifSID, b.ifSIDSet = strconv.Itoa(r.w.ifMatchedSID), true
	}
	return nil
}

// validIfSID is the ^[\d, ]+$ check.
func validIfSID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && s[i] != ',' && s[i] != ' ' {
			return false
		}
	}
	return true
}

// compile turns the collected elements into the rule's conditions, in
// OS_CheckIfRuleMatch's order.
func (b *ruleBuilder) compile() error {
	r := b.r
	var conds []cond
	if b.decodedAs != "" {
		conds = append(conds, decodedAsCond{b.decodedAs})
	}
	add := func(elem string, mk func(m Matcher, negate bool) cond) error {
		p := b.pats[elem]
		if p == nil {
			return nil
		}
		m, err := CompileExpression(p.kind, p.text)
		if err != nil {
			return fmt.Errorf("<%s>: %w", elem, err)
		}
		conds = append(conds, mk(m, p.negate))
		return nil
	}
	static := func(elem string, slot staticField) func(Matcher, bool) cond {
		return func(m Matcher, neg bool) cond { return &staticCond{slot: slot, name: elem, m: m, negate: neg} }
	}
	onLog := func(elem string) func(Matcher, bool) cond {
		return func(m Matcher, neg bool) cond { return &logCond{what: elem, m: m, negate: neg} }
	}
	steps := []struct {
		elem string
		mk   func(Matcher, bool) cond
	}{
		{"program_name", static("program_name", fProgramName)},
		{"id", static("id", fID)},
		{"system_name", static("system_name", fSystemName)},
		{"protocol", static("protocol", fProtocol)},
		{"match", onLog("match")},
		{"regex", onLog("regex")},
		{"action", static("action", fAction)},
		{"url", static("url", fURL)},
		{"location", func(m Matcher, neg bool) cond { return locationCond{m: m, negate: neg} }},
	}
	for _, s := range steps {
		if err := add(s.elem, s.mk); err != nil {
			return err
		}
	}
	conds = append(conds, b.fields...)
	if b.srcip != nil {
		conds = append(conds, &staticCond{slot: fSrcIP, name: "srcip", m: b.srcip, negate: b.srcipNeg})
	}
	if b.dstip != nil {
		conds = append(conds, &staticCond{slot: fDstIP, name: "dstip", m: b.dstip, negate: b.dstipNeg})
	}
	steps = []struct {
		elem string
		mk   func(Matcher, bool) cond
	}{
		{"srcport", static("srcport", fSrcPort)},
		{"dstport", static("dstport", fDstPort)},
		{"user", func(m Matcher, neg bool) cond { return userCond{m: m, negate: neg} }},
		{"srcgeoip", static("srcgeoip", fSrcGeoIP)},
		{"dstgeoip", static("dstgeoip", fDstGeoIP)},
	}
	for _, s := range steps {
		if err := add(s.elem, s.mk); err != nil {
			return err
		}
	}
	if b.attrs.maxsize > 0 {
		conds = append(conds, maxsizeCond{b.attrs.maxsize})
	}
	for _, s := range []struct {
		elem string
		slot staticField
	}{{"data", fData}, {"extra_data", fExtraData}, {"hostname", fHostname}, {"status", fStatus}} {
		if err := add(s.elem, static(s.elem, s.slot)); err != nil {
			return err
		}
	}
	if r.fts {
		conds = append(conds, ftsCond{})
	}
	r.conds = append(conds, b.lists...)
	return b.compileContext()
}

func (b *ruleBuilder) compileContext() error {
	r := b.r
	if b.matchedGrp != nil {
		m, err := CompileOSMatch(*b.matchedGrp)
		if err != nil {
			return fmt.Errorf("<if_matched_group>: %w", err)
		}
		r.w.ifMatchedGroup, r.IfMatchedGroup = m, *b.matchedGrp
	}
	if !b.context {
		return nil
	}
	c := b.corr
	c.timeframe = int64(r.Timeframe)
	if r.Frequency > 0 {
		c.freq = r.Frequency - 2
	}
	for i, f := range c.sameFields {
		c.sameFields[i] = toLowerASCII(f)
	}
	for i, f := range c.diffFields {
		c.diffFields[i] = toLowerASCII(f)
	}
	if b.matchedRe != nil {
		m, err := CompileOSRegex(*b.matchedRe)
		if err != nil {
			return fmt.Errorf("<if_matched_regex>: %w", err)
		}
		c.regex = m
	}
	r.corr = &c
	return nil
}
