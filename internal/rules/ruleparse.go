package rules

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxLoadMemory is OS_SIZE_2048: the longest text one rule element (or a
// concatenation of repeated ones) may hold.
const maxLoadMemory = 2048

// ruleBuilder collects one <rule>'s elements before compiling them, as
// rules_tmp_params_t does.
type ruleBuilder struct {
	l     *Loader
	r     *Rule
	file  string
	attrs ruleAttrs

	pats       map[string]*patAcc // match, regex and the static-field elements
	fields     []cond
	srcip      *ipListMatcher
	dstip      *ipListMatcher
	srcipNeg   bool
	dstipNeg   bool
	decodedAs  string
	context    bool
	matchedGrp *string
	matchedRe  *string
	lists      []cond
	corr       correlation
	corrSet    bool // some same_*/different_*/global_frequency option is set
	mitre      mitreState
	skip       *LoadError

	descSet, ifSIDSet, ifGroupSet, ifLevelSet bool
}

// patAcc accumulates repeated elements: analysisd concatenates their text
// (loadmemory) and keeps the type and negate of the last one.
type patAcc struct {
	text   string
	kind   string
	negate bool
}

// patternElems are the elements compiled into one expression each, with
// their default expression type.
var patternElems = map[string]string{
	"match": "osmatch", "regex": "osregex", "user": "osmatch",
	"srcgeoip": "osmatch", "dstgeoip": "osmatch", "id": "osmatch",
	"srcport": "osmatch", "dstport": "osmatch", "status": "osmatch",
	"hostname": "osmatch", "data": "osmatch", "extra_data": "osmatch",
	"program_name": "osmatch", "action": "string", "system_name": "osmatch",
	"protocol": "osmatch", "location": "osmatch", "url": "osmatch",
}

func (l *Loader) loadRule(file, group string, n *xmlNode) error {
	fail := func(id int, err error) error {
		return &LoadError{File: file, Line: n.line, RuleID: id, Err: err}
	}
	if len(n.attrs) == 0 {
		return fail(0, errors.New("a rule needs an id and a level"))
	}
	a, err := l.parseRuleAttrs(n)
	if err != nil {
		return fail(a.id, err)
	}
	if _, exists := l.byID[a.id]; exists && !a.overwrite {
		return l.warn(&LoadError{File: file, Line: n.line, RuleID: a.id, Err: errors.New("duplicated rule id; rule skipped")})
	} else if !exists && a.overwrite {
		if err := l.warn(&LoadError{File: file, Line: n.line, RuleID: a.id, Err: errors.New("overwrite of a rule that does not exist; added as a new rule")}); err != nil {
			return err
		}
		a.overwrite = false
	}
	b := &ruleBuilder{l: l, file: file, attrs: a, pats: map[string]*patAcc{}, r: newRule(l, file, group, n, a)}
	if len(n.children) == 0 {
		return fail(a.id, errors.New("rule without any option"))
	}
	for _, opt := range n.children {
		if err := b.element(opt); err != nil {
			return fail(a.id, err)
		}
		if b.skip != nil {
			break
		}
	}
	if b.skip == nil {
		if err := b.validate(); err != nil {
			return fail(a.id, err)
		}
	}
	if b.skip != nil {
		return l.warn(b.skip)
	}
	if err := b.compile(); err != nil {
		return fail(a.id, err)
	}
	return l.place(b, a.overwrite)
}

func newRule(l *Loader, file, group string, n *xmlNode, a ruleAttrs) *Rule {
	r := &Rule{
		ID: a.id, Level: a.level, File: file, Line: n.line,
		GroupString: group, NoAlert: a.noalert, Timeframe: a.timeframe,
		IgnoreTime: a.ignore, accuracy: a.accuracy, category: "syslog",
	}
	if a.hasFrequency {
		r.Frequency = a.frequency
	}
	r.sortLevel = a.level
	if r.sortLevel == 0 {
		r.sortLevel = 99
	}
	if a.accuracy {
		r.sortLevel *= 100
	}
	if a.noalert {
		r.opts |= optNoAlert
	}
	if l.emailAlertLevel() <= a.level {
		r.opts |= optMail
	}
	if l.logAlertLevel() <= a.level {
		r.opts |= optLog
	}
	if a.overwrite {
		r.opts |= optOverwrite
	}
	if a.maxsize > 0 {
		r.opts |= optExtra
	}
	r.w.sidList = -1
	return r
}

// loadMemory is loadmemory: concatenation with analysisd's size limits.
func loadMemory(at *string, set bool, s string) error {
	if !set && len(s) >= maxLoadMemory || set && (len(*at) > maxLoadMemory || len(s) > maxLoadMemory) {
		return fmt.Errorf("value too long (%d bytes)", len(s))
	}
	*at += s
	return nil
}

// attrNegate is w_check_attr_negate; attrType is w_check_attr_type.
func attrNegate(n *xmlNode) bool {
	v, _ := n.attr("negate")
	return strings.EqualFold(v, "yes")
}

func attrType(n *xmlNode, def string) string {
	v, ok := n.attr("type")
	if !ok {
		return def
	}
	switch t := strings.ToLower(v); t {
	case "osregex", "osmatch", "pcre2":
		return t
	}
	return def
}

// element handles one child of <rule>.
func (b *ruleBuilder) element(n *xmlNode) error {
	name := strings.ToLower(n.name)
	if def, ok := patternElems[name]; ok {
		return b.pattern(name, def, n)
	}
	for _, h := range []func(string, *xmlNode) (bool, error){b.describing, b.parentage, b.correlating} {
		if done, err := h(name, n); done || err != nil {
			return err
		}
	}
	switch name {
	case "decoded_as":
		if !b.l.knowsDecoder(n.content) {
			return fmt.Errorf("invalid decoder name %q", n.content)
		}
		b.decodedAs = n.content
	case "srcip", "dstip":
		return b.ip(name, n)
	case "field":
		return b.field(n)
	case "list":
		return b.list(n)
	case "if_fts":
		b.r.fts = true
	case "time", "weekday", "check_diff", "compiled_rule":
		return fmt.Errorf("<%s> is not supported", name)
	default:
		return fmt.Errorf("invalid option <%s>", n.name)
	}
	return nil
}

// pattern accumulates a match/regex/static-field element.
func (b *ruleBuilder) pattern(name, def string, n *xmlNode) error {
	p := b.pats[name]
	if p == nil {
		p = &patAcc{}
		b.pats[name] = p
		if err := loadMemory(&p.text, false, n.content); err != nil {
			return fmt.Errorf("<%s>: %w", name, err)
		}
	} else if err := loadMemory(&p.text, true, n.content); err != nil {
		return fmt.Errorf("<%s>: %w", name, err)
	}
	p.kind, p.negate = attrType(n, def), attrNegate(n)
	switch name {
	case "user", "srcgeoip", "dstgeoip", "status", "hostname", "data", "extra_data":
		b.r.opts |= optExtra
	case "srcport", "dstport":
		b.r.opts |= optPacket
	}
	return nil
}

// describing handles the elements that describe a rule.
func (b *ruleBuilder) describing(name string, n *xmlNode) (bool, error) {
	r, c := b.r, n.content
	switch name {
	case "description":
		b.descSet = true
		if i := strings.IndexByte(c, '\n'); i >= 0 {
			c = c[:i] + " " + c[i+1:]
		}
		return true, appendMemory(&r.Description, c, "description")
	case "group":
		if err := appendMemory(&r.GroupString, c, "group"); err != nil {
			return true, err
		}
		r.GroupString = strings.ReplaceAll(r.GroupString, "\n", "")
	case "category":
		switch c {
		case "firewall", "ids", "syslog", "web-log", "squid", "windows", "ossec":
			r.category = c
		default:
			return true, fmt.Errorf("invalid category %q", c)
		}
	case "cve":
		return true, appendMemory(&r.CVE, c, "cve")
	case "info":
		t, ok := n.attr("type")
		if !ok {
			t = "text"
		}
		r.Info = append(r.Info, Info{Type: t, Text: c})
	case "options":
		return true, b.option(c)
	case "mitre":
		return true, b.mitre.read(n, r)
	case "ignore", "check_if_ignored":
		return true, b.ignoreFields(name, c)
	default:
		return false, nil
	}
	return true, nil
}

// parentage handles if_sid, if_group, if_level and if_matched_*.
func (b *ruleBuilder) parentage(name string, n *xmlNode) (bool, error) {
	r, c := b.r, n.content
	switch name {
	case "if_sid":
		b.ifSIDSet = true
		return true, appendMemory(&r.w.ifSID, c, name)
	case "if_group":
		b.ifGroupSet = true
		return true, appendMemory(&r.w.ifGroup, c, name)
	case "if_level":
		if !isNum(c) {
			b.skipf("invalid if_level %q", c)
			return true, nil
		}
		b.ifLevelSet = true
		return true, appendMemory(&r.w.ifLevel, c, name)
	case "if_matched_sid":
		b.context = true
		if !isNum(c) {
			b.skipf("invalid if_matched_sid %q", c)
			return true, nil
		}
		r.w.ifMatchedSID, _ = strconv.Atoi(c)
	case "if_matched_group":
		b.context = true
		return true, appendPtr(&b.matchedGrp, c, name)
	case "if_matched_regex":
		b.context = true
		return true, appendPtr(&b.matchedRe, c, name)
	default:
		return false, nil
	}
	return true, nil
}

// correlating handles same_*, different_* and global_frequency.
func (b *ruleBuilder) correlating(name string, n *xmlNode) (bool, error) {
	switch name {
	case "global_frequency":
		b.corr.global = true
	case "same_field":
		b.corr.sameFields = append(b.corr.sameFields, n.content)
	case "different_field", "not_same_field":
		b.corr.diffFields = append(b.corr.diffFields, n.content)
	case "same_agent", "not_same_agent":
		return true, nil // deprecated: analysisd only warns
	default:
		bit, same, ok := sameDifferentBit(name)
		if !ok {
			return false, nil
		}
		if same {
			b.corr.sameMask |= bit
		} else {
			b.corr.diffMask |= bit
		}
		if bit != fieldSrcIP || !same {
			b.r.opts |= optSameExtra // same_source_ip alone is checked apart
		}
	}
	b.corrSet = true
	return true, nil
}

func appendMemory(at *string, s, what string) error {
	if err := loadMemory(at, *at != "", s); err != nil {
		return fmt.Errorf("<%s>: %w", what, err)
	}
	return nil
}

func appendPtr(at **string, s, what string) error {
	if *at == nil {
		v := ""
		*at = &v
		return loadMemoryErr(*at, false, s, what)
	}
	return loadMemoryErr(*at, true, s, what)
}

func loadMemoryErr(at *string, set bool, s, what string) error {
	if err := loadMemory(at, set, s); err != nil {
		return fmt.Errorf("<%s>: %w", what, err)
	}
	return nil
}

func (b *ruleBuilder) skipf(format string, args ...any) {
	b.skip = &LoadError{File: b.file, Line: b.r.Line, RuleID: b.r.ID, Err: fmt.Errorf(format+"; rule skipped", args...)}
}

// sameDifferentBit maps same_*/different_* element names to FIELD_* bits.
func sameDifferentBit(name string) (bit uint32, same, ok bool) {
	switch name {
	case "same_source_ip", "same_srcip":
		return fieldSrcIP, true, true
	case "same_dstip":
		return fieldDstIP, true, true
	case "same_src_port", "same_srcport":
		return fieldSrcPort, true, true
	case "same_dst_port", "same_dstport":
		return fieldDstPort, true, true
	case "same_protocol":
		return fieldProtocol, true, true
	case "same_action":
		return fieldAction, true, true
	case "same_id":
		return fieldID, true, true
	case "same_url":
		return fieldURL, true, true
	case "same_data":
		return fieldData, true, true
	case "same_extra_data":
		return fieldExtraData, true, true
	case "same_status":
		return fieldStatus, true, true
	case "same_system_name":
		return fieldSystemName, true, true
	case "same_srcgeoip":
		return fieldSrcGeoIP, true, true
	case "same_dstgeoip":
		return fieldDstGeoIP, true, true
	case "same_location":
		return fieldLocation, true, true
	case "same_srcuser":
		return fieldSrcUser, true, true
	case "same_user":
		return fieldUser, true, true
	case "different_srcip", "not_same_source_ip":
		return fieldSrcIP, false, true
	case "different_dstip":
		return fieldDstIP, false, true
	case "different_src_port", "different_srcport":
		return fieldSrcPort, false, true
	case "different_dst_port", "different_dstport":
		return fieldDstPort, false, true
	case "different_protocol":
		return fieldProtocol, false, true
	case "different_action":
		return fieldAction, false, true
	case "different_id", "not_same_id":
		return fieldID, false, true
	case "different_url":
		return fieldURL, false, true
	case "different_data":
		return fieldData, false, true
	case "different_extra_data":
		return fieldExtraData, false, true
	case "different_status":
		return fieldStatus, false, true
	case "different_system_name":
		return fieldSystemName, false, true
	case "different_srcgeoip":
		return fieldSrcGeoIP, false, true
	case "different_dstgeoip":
		return fieldDstGeoIP, false, true
	case "different_srcuser":
		return fieldSrcUser, false, true
	case "different_user", "not_same_user":
		return fieldUser, false, true
	case "different_location":
		return fieldLocation, false, true
	}
	return 0, false, false
}
