package rules

// A dispatch lets a node skip children that cannot match, without changing
// the result. A child "keyed" on a field has a non-negated <field> test on
// it whose pattern is only exact literals (OS_Match or OS_Regex
// "^abc$|^def$", no negation): such a test passes only when the event has
// the field and its value, with ASCII upper case lowered, is one of the
// literals, and a test that fails makes the whole rule fail before its
// correlation search, with no other effect. So for a given value only the
// children keyed on that value, and the children not keyed at all, can
// match; trying exactly those, in their order, gives the same first match
// as trying every child. (A literal holding a byte >= 0x80 in an OS_Regex
// pattern never matches; it is left out of the keys.)
//
// Traced evaluations try every child, so traces list every rule tried as
// analysisd's logtest does.
type dispatch struct {
	fid    int // the field, by memo slot
	lower  string
	byKey  map[string][]*node // lowercase value: the children to try, in order
	others []*node            // the children to try for any other value or a missing field
}

// Nodes with fewer keyed children than this are walked plainly: the
// lookup would cost about as much as the tests it saves.
const minKeyedChildren = 4

// exactKeys returns the literals a matcher accepts when it accepts only
// exact, case-insensitive literals.
func exactKeys(m Matcher) ([]string, bool) {
	lm, ok := m.(*literalMatcher)
	if !ok || lm.negate {
		return nil, false
	}
	keys := make([]string, 0, len(lm.alts))
	for _, a := range lm.alts {
		switch {
		case a.never:
		case a.begin && a.end:
			keys = append(keys, a.s)
		default:
			return nil, false
		}
	}
	return keys, true
}

// childKeys returns, for one rule, each field it is keyed on with the
// values it accepts (the first keyable test of each field).
func childKeys(r *Rule) map[int][]string {
	var out map[int][]string
	for _, cd := range r.conds {
		fc, ok := cd.(*fieldCond)
		if !ok || fc.negate {
			continue
		}
		if _, seen := out[fc.fid]; seen {
			continue
		}
		if keys, ok := exactKeys(fc.m); ok {
			if out == nil {
				out = map[int][]string{}
			}
			out[fc.fid] = keys
		}
	}
	return out
}

// buildDispatch gives every node whose children are mostly keyed on one
// field a dispatch on it.
func (rs *Ruleset) buildDispatch() {
	done := map[*node]bool{}
	var visit func([]*node)
	visit = func(list []*node) {
		for _, n := range list {
			if done[n] {
				continue
			}
			done[n] = true
			n.disp = rs.newDispatch(n.children)
			visit(n.children)
		}
	}
	visit(rs.roots)
}

func (rs *Ruleset) newDispatch(children []*node) *dispatch {
	if len(children) < minKeyedChildren {
		return nil
	}
	keys := make([]map[int][]string, len(children))
	count := map[int]int{}
	for i, ch := range children {
		keys[i] = childKeys(ch.rule)
		for fid := range keys[i] {
			count[fid]++
		}
	}
	best, most := -1, 0
	for fid, k := range count {
		if k > most || (k == most && fid < best) {
			best, most = fid, k
		}
	}
	if most < minKeyedChildren || 2*most < len(children) {
		return nil
	}
	d := &dispatch{fid: best, lower: rs.fieldNames[best], byKey: map[string][]*node{}}
	for i, ch := range children {
		ks, keyed := keys[i][best]
		if !keyed {
			d.others = append(d.others, ch)
			for k := range d.byKey {
				d.byKey[k] = append(d.byKey[k], ch)
			}
			continue
		}
		for _, k := range ks {
			l, ok := d.byKey[k]
			if !ok {
				l = append([]*node(nil), d.others...) // the unkeyed children before this one
			}
			if len(l) == 0 || l[len(l)-1] != ch { // a literal listed twice
				l = append(l, ch)
			}
			d.byKey[k] = l
		}
	}
	return d
}

// candidates returns the children worth trying for c's event.
func (d *dispatch) candidates(c *evalCtx) []*node {
	v, ok := c.field(d.fid, d.lower)
	if !ok {
		return d.others
	}
	l, ok := d.lookup(v)
	if !ok {
		return d.others
	}
	return l
}

// lookup finds v's list, lowering ASCII upper case first; short values are
// lowered on the stack.
func (d *dispatch) lookup(v string) ([]*node, bool) {
	i := 0
	for i < len(v) && (v[i] < 'A' || v[i] > 'Z') {
		i++
	}
	if i == len(v) {
		l, ok := d.byKey[v]
		return l, ok
	}
	var buf [96]byte
	if len(v) > len(buf) {
		l, ok := d.byKey[toLowerASCII(v)]
		return l, ok
	}
	b := buf[:len(v)]
	for j := 0; j < len(v); j++ {
		b[j] = lowerASCII(v[j])
	}
	l, ok := d.byKey[string(b)]
	return l, ok
}
