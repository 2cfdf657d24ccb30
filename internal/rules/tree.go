package rules

import (
	"errors"
	"fmt"
	"strconv"
)

// place puts a compiled rule into the tree (rules_list.c): rules with an
// id below 10 are roots; overwrite="yes" replaces an existing rule in
// place; any other rule becomes a child of its parents. A rule without
// parents is skipped with a warning, as analysisd does.
func (l *Loader) place(b *ruleBuilder, overwrite bool) error {
	r := b.r
	r.IfSID, r.IfGroup, r.IfLevel, r.IfMatchedSID = r.w.ifSID, r.w.ifGroup, r.w.ifLevel, r.w.ifMatchedSID
	if r.ID < 10 {
		l.roots = insertNode(l.roots, r)
		l.accept(r)
		l.wire(r)
		return nil
	}
	if overwrite {
		if old := l.byID[r.ID]; old != nil {
			return l.overwrite(old, b)
		}
	}
	parents, msg := l.parents(b)
	if parents == nil {
		return l.warn(&LoadError{File: r.File, Line: r.Line, RuleID: r.ID, Err: errors.New(msg + "; rule skipped")})
	}
	if msg != "" {
		if err := l.warn(&LoadError{File: r.File, Line: r.Line, RuleID: r.ID, Err: errors.New(msg)}); err != nil {
			return err
		}
	}
	for _, p := range parents {
		p.children = insertNode(p.children, r)
	}
	l.accept(r)
	l.wire(r)
	return nil
}

func (l *Loader) accept(r *Rule) {
	r.index = len(l.rules)
	l.rules = append(l.rules, r)
	l.byID[r.ID] = r
}

// insertNode adds a node for r before the first sibling with a lower
// internal level (_OS_AddRule): level-0 rules (internally 9900) first, then
// by level, ties in load order.
func insertNode(list []*node, r *Rule) []*node {
	n := &node{rule: r}
	for i, s := range list {
		if r.sortLevel > s.rule.sortLevel {
			list = append(list, nil)
			copy(list[i+1:], list[i:])
			list[i] = n
			return list
		}
	}
	return append(list, n)
}

// walk calls fn for every node, depth first, siblings in order.
func walk(list []*node, fn func(*node)) {
	for _, n := range list {
		fn(n)
		walk(n.children, fn)
	}
}

// findFirst returns the first node of rule id in walk order.
func findFirst(list []*node, id int) *node {
	for _, n := range list {
		if n.rule.ID == id {
			return n
		}
		if f := findFirst(n.children, id); f != nil {
			return f
		}
	}
	return nil
}

// parents returns the nodes r becomes a child of (OS_AddChild), or nil and
// the reason when there are none. msg may also carry a warning for a rule
// that is placed.
func (l *Loader) parents(b *ruleBuilder) (parents []*node, msg string) {
	r := b.r
	switch {
	case b.ifSIDSet:
		return l.sidParents(r)
	case b.ifLevelSet:
		lv, _ := strconv.Atoi(r.w.ifLevel)
		if lv == 0 {
			return nil, fmt.Sprintf("invalid if_level %q", r.w.ifLevel)
		}
		walk(l.roots, func(n *node) {
			if n.rule.sortLevel >= lv*100 && n.rule.ID != r.ID {
				parents = append(parents, n)
			}
		})
		if parents == nil {
			return nil, fmt.Sprintf("no rule with level %d or more", lv)
		}
	case b.ifGroupSet:
		walk(l.roots, func(n *node) {
			if wordMatch(r.w.ifGroup, n.rule.GroupString) && n.rule.ID != r.ID {
				parents = append(parents, n)
			}
		})
		if parents == nil {
			return nil, fmt.Sprintf("no loaded rule in group %q", r.w.ifGroup)
		}
	default:
		if p := l.categoryRoot(r); p != nil {
			return []*node{p}, ""
		}
		return nil, fmt.Sprintf("no root rule for category %q", r.category)
	}
	return parents, ""
}

func (l *Loader) categoryRoot(r *Rule) *node {
	for _, n := range l.roots {
		if n.rule.category == r.category {
			r.category = n.rule.category
			return n
		}
	}
	return nil
}

// sidParents reads if_sid as OS_AddChild does: numbers separated by commas
// or spaces, each naming the first node of that rule. An empty item (a
// trailing separator) reads as 0, which in analysisd places the rule under
// its category's root as well; that is kept.
func (l *Loader) sidParents(r *Rule) (parents []*node, msg string) {
	s := r.w.ifSID
	idFound := false
	for i := 0; i <= len(s); i++ {
		if i < len(s) && (s[i] == ',' || s[i] == ' ') {
			idFound = false
			continue
		}
		if idFound {
			continue
		}
		idFound = true
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		sid, _ := strconv.Atoi(s[i:j])
		var p *node
		if sid == 0 {
			p = l.categoryRoot(r)
		} else {
			p = findFirst(l.roots, sid)
		}
		if p == nil {
			if r.w.ifMatchedSID != 0 {
				return nil, fmt.Sprintf("if_matched_sid parent %d not found", sid)
			}
			if msg == "" {
				msg = fmt.Sprintf("if_sid parent %d not found", sid)
			}
			continue
		}
		r.category = p.rule.category
		parents = append(parents, p)
	}
	if parents == nil {
		return nil, msg
	}
	return parents, msg
}

// wire connects a new rule's correlation (the event_search set-up in
// Rules_OP_ReadRules): an if_matched_sid rule searches its target's list,
// an if_matched_group rule gets a list fed by every rule loaded so far
// whose group string matches, and an if_matched_regex rule searches the
// last-events list.
func (l *Loader) wire(r *Rule) {
	switch {
	case r.w.ifMatchedSID != 0:
		r.w.search, r.w.searchList = searchSID, -1
		if t := l.byID[r.w.ifMatchedSID]; t != nil {
			if t.w.sidList < 0 {
				t.w.sidList = l.newList(false)
			}
			r.w.searchList = t.w.sidList
		}
	case r.w.ifMatchedGroup != nil:
		id := l.newList(false)
		r.w.search, r.w.searchList = searchGroup, id
		seen := map[*Rule]bool{}
		walk(l.roots, func(n *node) {
			if !seen[n.rule] && r.w.ifMatchedGroup.Match(n.rule.GroupString) {
				seen[n.rule] = true
				n.rule.w.groupLists = append(n.rule.w.groupLists, id)
			}
		})
	case r.corr != nil:
		r.w.search, r.w.searchList = searchEvents, l.globalList()
	}
	l.noteTimeframe(r)
}

func (l *Loader) newList(global bool) int {
	l.lists = append(l.lists, listInfo{global: global})
	return len(l.lists) - 1
}

func (l *Loader) globalList() int {
	for i, li := range l.lists {
		if li.global {
			return i
		}
	}
	return l.newList(true)
}

// noteTimeframe keeps, per list, the longest timeframe searched: older
// entries can be dropped.
func (l *Loader) noteTimeframe(r *Rule) {
	if r.corr == nil || r.w.search == searchNone || r.w.searchList < 0 {
		return
	}
	if li := &l.lists[r.w.searchList]; r.corr.timeframe > li.timeframe {
		li.timeframe = r.corr.timeframe
	}
}

// overwrite is OS_AddRuleInfo: the existing rule takes the new rule's
// content but keeps its place in the tree, its parents and its correlation
// wiring. Changing if_sid, if_group, if_level, if_matched_sid or
// if_matched_group only warns.
func (l *Loader) overwrite(old *Rule, b *ruleBuilder) error {
	nw := b.r
	warn := func(what string) error {
		return l.warn(&LoadError{File: nw.File, Line: nw.Line, RuleID: nw.ID,
			Err: fmt.Errorf("overwrite cannot change %s; kept", what)})
	}
	checks := []struct {
		what    string
		changed bool
	}{
		{"if_sid", b.ifSIDSet && nw.w.ifMatchedSID == 0 && nw.w.ifSID != old.w.ifSID},
		{"if_group", b.ifGroupSet && b.matchedGrp == nil && nw.w.ifGroup != old.w.ifGroup},
		{"if_level", b.ifLevelSet && nw.w.ifLevel != old.w.ifLevel},
		{"if_matched_group", b.matchedGrp != nil && *b.matchedGrp != old.IfMatchedGroup},
		{"if_matched_sid", nw.w.ifMatchedSID != 0 && nw.w.ifMatchedSID != old.w.ifMatchedSID},
	}
	for _, c := range checks {
		if c.changed {
			if err := warn(c.what); err != nil {
				return err
			}
		}
	}
	w, idx := old.w, old.index
	ifs := [4]string{old.IfSID, old.IfGroup, old.IfLevel, old.IfMatchedGroup}
	ifm := old.IfMatchedSID
	*old = *nw
	old.w, old.index = w, idx
	old.IfSID, old.IfGroup, old.IfLevel, old.IfMatchedGroup, old.IfMatchedSID = ifs[0], ifs[1], ifs[2], ifs[3], ifm
	l.noteTimeframe(old)
	return nil
}
