package rules

import (
	"fmt"
	"sort"
	"strings"
)

// Ruleset is a loaded rule tree. Its rules never change after loading, so
// a Ruleset may be shared by goroutines that each evaluate with their own
// State (NewState). Eval on the Ruleset itself uses one built-in State and
// must be called from one goroutine at a time.
type Ruleset struct {
	rules      []*Rule
	byID       map[int]*Rule
	roots      []*node
	lists      []listInfo
	maxPerList int
	corrFields []string // dynamic fields correlation compares, lowercase
	corrFids   []int    // memo slots of corrFields
	fieldNames []string // dynamic fields rules read, lowercase, by memo slot (fid)
	fieldHash  []uint64 // keyHash of fieldNames
	state      *State
}

// Ruleset finishes loading and returns the rule tree: levels are settled
// (analysisd's _setlevels) and each rule's groups and options are derived.
// Call it once, after the last LoadFile.
func (l *Loader) Ruleset() (*Ruleset, error) {
	if l.err != nil {
		return nil, l.err
	}
	for _, r := range l.rules {
		finishRule(r)
		r.desc = parseTemplate(r.Description)
	}
	rs := &Ruleset{
		rules:      l.rules,
		byID:       l.byID,
		roots:      l.roots,
		lists:      l.lists,
		maxPerList: l.MaxEventsPerList,
	}
	if rs.maxPerList <= 0 {
		rs.maxPerList = 1024
	}
	if rs.byID == nil {
		rs.byID = map[int]*Rule{}
	}
	rs.indexCorrelationFields()
	rs.indexFields()
	rs.buildDispatch()
	rs.state = rs.NewState()
	return rs, nil
}

// finishRule derives the exported views of a rule's internal state.
func finishRule(r *Rule) {
	switch {
	case r.sortLevel == 9900:
		r.Level = 0
	case r.sortLevel >= 100:
		r.Level = r.sortLevel / 100
	default:
		// accuracy="0": the internal level is the level itself, and a
		// level-0 rule stays at 99, as in analysisd.
		r.Level = r.sortLevel
	}
	r.Groups, r.Compliance = splitGroups(r.GroupString)
	r.NoAlert = r.opts&optNoAlert != 0
	r.Options = Options{
		NoFullLog:  r.opts&optNoFullLog != 0,
		NoCounter:  r.opts&optNoCounter != 0,
		NoAR:       r.opts&optNoAR != 0,
		LogAlert:   r.opts&optLog != 0,
		EmailAlert: r.opts&optMail != 0,
	}
}

// indexCorrelationFields collects the same_field/different_field names so
// stored events keep only those fields.
func (rs *Ruleset) indexCorrelationFields() {
	pos := map[string]int{}
	idx := func(names []string) []int {
		out := make([]int, len(names))
		for i, f := range names {
			p, ok := pos[f]
			if !ok {
				p = len(rs.corrFields)
				pos[f] = p
				rs.corrFields = append(rs.corrFields, f)
			}
			out[i] = p
		}
		return out
	}
	for _, r := range rs.rules {
		if r.corr == nil {
			continue
		}
		r.corr.sameIdx = idx(r.corr.sameFields)
		r.corr.diffIdx = idx(r.corr.diffFields)
		if len(r.corr.sameIdx) == 0 || r.w.search == searchNone || r.w.searchList < 0 {
			continue
		}
		li := &rs.lists[r.w.searchList]
		dup := false
		for _, s := range li.sameSigs {
			dup = dup || sigOf(s) == sigOf(r.corr.sameIdx)
		}
		if !dup {
			li.sameSigs = append(li.sameSigs, r.corr.sameIdx)
		}
	}
}

// indexFields numbers the dynamic field names rules read (<field> tests,
// description references, same_field and different_field), for the
// per-event lookup memo (evalCtx.field).
func (rs *Ruleset) indexFields() {
	pos := map[string]int{}
	fid := func(lower string) int {
		id, ok := pos[lower]
		if !ok {
			id = len(rs.fieldNames)
			pos[lower] = id
			rs.fieldNames = append(rs.fieldNames, lower)
			rs.fieldHash = append(rs.fieldHash, keyHash(lower))
		}
		return id
	}
	fids := func(names []string) []int {
		out := make([]int, len(names))
		for i, n := range names {
			out[i] = fid(n)
		}
		return out
	}
	for _, r := range rs.rules {
		for _, c := range r.conds {
			if fc, ok := c.(*fieldCond); ok {
				fc.fid = fid(fc.lower)
			}
		}
		for i := range r.desc.refs {
			if ref := &r.desc.refs[i]; !ref.isStatic {
				ref.fid = fid(ref.lower)
			}
		}
		if r.corr != nil {
			r.corr.sameFids, r.corr.diffFids = fids(r.corr.sameFields), fids(r.corr.diffFields)
		}
	}
	rs.corrFids = fids(rs.corrFields)
}

// Rule returns the rule with this id, or nil.
func (rs *Ruleset) Rule(id int) *Rule { return rs.byID[id] }

// Rules returns every rule in load order.
func (rs *Ruleset) Rules() []*Rule { return rs.rules }

// Len returns the number of rules.
func (rs *Ruleset) Len() int { return len(rs.rules) }

// Children returns the rules tried after rule id matched, in the order
// they are tried, where id's first node in the tree sits. id 0 lists the
// root rules.
func (rs *Ruleset) Children(id int) []*Rule {
	list := rs.roots
	if id != 0 {
		n := findFirst(rs.roots, id)
		if n == nil {
			return nil
		}
		list = n.children
	}
	out := make([]*Rule, len(list))
	for i, n := range list {
		out[i] = n.rule
	}
	return out
}

// Tree renders the rule tree, one node per line, indented by depth, in the
// order rules are tried: "80200 (0) AWS alert.".
func (rs *Ruleset) Tree() string {
	var b strings.Builder
	var rec func([]*node, int)
	rec = func(list []*node, depth int) {
		for _, n := range list {
			fmt.Fprintf(&b, "%s%d (%d) %s\n", strings.Repeat("  ", depth), n.rule.ID, n.rule.Level, n.rule.Description)
			rec(n.children, depth+1)
		}
	}
	rec(rs.roots, 0)
	return b.String()
}

// IDs returns the rule ids in ascending order.
func (rs *Ruleset) IDs() []int {
	ids := make([]int, 0, len(rs.byID))
	for id := range rs.byID {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}

// categoryRootsXML are the seven category root rules analysisd's tree
// starts from (ids 1-7, one per decoder category), in our own words.
const categoryRootsXML = `<group name="syslog,"><rule id="1" level="0" noalert="1"><category>syslog</category><description>Root for syslog-category rules.</description></rule></group>
<group name="firewall,"><rule id="2" level="0" noalert="1"><category>firewall</category><description>Root for firewall-category rules.</description></rule></group>
<group name="ids,"><rule id="3" level="0" noalert="1"><category>ids</category><description>Root for ids-category rules.</description></rule></group>
<group name="web-log,"><rule id="4" level="0" noalert="1"><category>web-log</category><description>Root for web-log-category rules.</description></rule></group>
<group name="squid,"><rule id="5" level="0" noalert="1"><category>squid</category><description>Root for squid-category rules.</description></rule></group>
<group name="windows,"><rule id="6" level="0" noalert="1"><category>windows</category><description>Root for windows-category rules.</description></rule></group>
<group name="ossec,"><rule id="7" level="0" noalert="1"><category>ossec</category><description>Root for ossec-category rules.</description></rule></group>
`

// AddCategoryRoots loads the seven category root rules (ids 1-7) that
// Wazuh ships in 0010-rules_config.xml, so rule files without a parent
// attach somewhere. Call it first, instead of loading that file.
func (l *Loader) AddCategoryRoots() error {
	return l.LoadFile("category-roots.xml", []byte(categoryRootsXML))
}
