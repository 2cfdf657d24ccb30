package rules

import (
	"fmt"
	"strings"
	"time"
)

// Match is the outcome of evaluating one event: the rule analysisd would
// report for it.
type Match struct {
	// Rule is the final rule: its ID, Level, Groups, Compliance, MITRE.
	Rule *Rule
	// Description is the rule's description expanded for the event.
	Description string
	// FiredTimes counts the final matches of the rule the tree walk
	// ended on, since the State's counters last reset (every hour, as
	// analysisd's stats dump does). Alerts omit it when
	// Rule.Options.NoCounter is set.
	FiredTimes int
	// Alert reports whether analysisd writes an alert: the rule's level is
	// at least log_alert_level (or log_alert / no_log say otherwise). A
	// level-0 match never alerts.
	Alert bool
	// Mail is the alert's "mail" flag.
	Mail bool
	// Frequency is the rule's frequency for correlation rules (alerts show
	// it as rule.frequency), else 0.
	Frequency int
	// PreviousOutput holds the logs of the earlier events a correlation
	// rule counted (at most 11); alerts show them, newline-joined, when
	// there are two or more.
	PreviousOutput []string
	// Ignored is set when the rule the walk ended on was inside its
	// ignore="N" window and its parent, Rule, is reported instead.
	Ignored *Rule
}

// Trace records the rules tried for one event, in order; pass one to Eval
// to explain a result (wazuh-logtest's "Trying rule" output).
type Trace struct {
	Steps []TraceStep
}

// TraceStep is one rule tried, or a note about the walk.
type TraceStep struct {
	Rule    *Rule
	Depth   int
	Matched bool
	// Note marks a remark rather than a rule test (noalert, level 0,
	// ignore window); Reason holds it.
	Note bool
	// Reason says why the rule did not match, or holds the note.
	Reason string
}

// String renders the trace, one line per step, indented by depth.
func (t *Trace) String() string {
	var b strings.Builder
	for _, s := range t.Steps {
		ind := strings.Repeat("  ", s.Depth)
		switch {
		case s.Note:
			fmt.Fprintf(&b, "%s  * %s\n", ind, s.Reason)
		case s.Matched:
			fmt.Fprintf(&b, "%sTrying rule: %d - %s\n%s  *Rule %d matched\n", ind, s.Rule.ID, s.Rule.Description, ind, s.Rule.ID)
		default:
			fmt.Fprintf(&b, "%sTrying rule: %d - %s\n%s  no: %s\n", ind, s.Rule.ID, s.Rule.Description, ind, s.Reason)
		}
	}
	return b.String()
}

// evalCtx is the per-event state of one walk (analysisd's Eventinfo
// fields prev_rule, matched, last_events, r_firedtimes).
type evalCtx struct {
	ev         *Event
	st         *State
	now        int64
	trace      *Trace
	prev       *Rule // immediate parent of the final rule
	matched    int   // level of the correlation rule that consumed this event
	lastEvents []string
	fired      int
}

// field looks a dynamic field up once per event: rules of one tree level
// often test the same field.
func (c *evalCtx) field(fid int, lower string) (string, bool) {
	m := &c.st.memo[fid]
	if m.gen != c.st.gen {
		*m = memoEntry{gen: c.st.gen, pos: int32(c.ev.index.find(c.ev.fields, lower, c.st.rs.fieldHash[fid]))}
	}
	if m.pos < 0 {
		return "", false
	}
	return c.ev.fields[m.pos].Value, true
}

func (c *evalCtx) step(r *Rule, depth int, matched bool, reason string) {
	if c.trace != nil {
		c.trace.Steps = append(c.trace.Steps, TraceStep{Rule: r, Depth: depth, Matched: matched, Reason: reason})
	}
}

func (c *evalCtx) fail(r *Rule, depth int, why *string) {
	if c.trace != nil {
		c.step(r, depth, false, *why)
	}
}

func (c *evalCtx) note(r *Rule, depth int, format string, args ...any) {
	if c.trace != nil {
		c.trace.Steps = append(c.trace.Steps, TraceStep{Rule: r, Depth: depth, Note: true, Reason: fmt.Sprintf(format, args...)})
	}
}

// Eval evaluates ev with the Ruleset's built-in State; see State.Eval.
func (rs *Ruleset) Eval(ev *Event, now time.Time, trace *Trace) *Match {
	return rs.state.Eval(ev, now, trace)
}

// Eval walks the rule tree for ev as analysisd does and returns the final
// rule, or nil when no rule matched (or the match was suppressed by an
// ignore window). now is the manager clock analysisd would use: it times
// correlation windows, ignore windows and the hourly firedtimes reset, and
// should not go backwards. trace, when not nil, receives every rule tried.
func (st *State) Eval(ev *Event, now time.Time, trace *Trace) *Match {
	st.rollHour(now)
	st.nextGen()
	c := &st.ctx
	*c = evalCtx{ev: ev, st: st, now: now.Unix(), trace: trace}
	m := st.walk(c)
	*c = evalCtx{} // keep nothing of the event
	return m
}

// walk tries the roots of the event's category.
func (st *State) walk(c *evalCtx) *Match {
	for _, root := range st.rs.roots {
		if root.rule.category != "syslog" {
			continue // events decoded here are all of the syslog category
		}
		if r := st.check(root, c, 0); r != nil {
			st.changed = true // r's firedtimes counter moved
			return st.finish(r, c)
		}
	}
	return nil
}

// check is OS_CheckIfRuleMatch: the node's own tests, its correlation
// search, then its children in order; the first child that matches (itself
// or a descendant) wins. With no matching child the node's rule is the
// result, unless it is noalert.
func (st *State) check(n *node, c *evalCtx, depth int) *Rule {
	r := n.rule
	var why *string // allocated only when tracing
	if c.trace != nil {
		why = new(string)
	}
	for _, cd := range r.conds {
		if !cd.test(c, why) {
			c.fail(r, depth, why)
			return nil
		}
	}
	if r.corr != nil && r.w.search != searchNone {
		if !st.search(r, c, why) {
			c.lastEvents = nil
			c.fail(r, depth, why)
			return nil
		}
	}
	c.step(r, depth, true, "")
	children := n.children
	if n.disp != nil && c.trace == nil {
		children = n.disp.candidates(c)
	}
	for _, ch := range children {
		if m := st.check(ch, c, depth+1); m != nil {
			if c.prev == nil {
				c.prev = r
			}
			return m
		}
	}
	if r.opts&optNoAlert != 0 {
		c.note(r, depth, "rule %d is noalert and no child matched: trying its next sibling", r.ID)
		return nil
	}
	st.fired[r.index]++
	c.fired = st.fired[r.index]
	return r
}

// finish is the rest of analysisd's event loop once a rule matched: the
// level-0 stop, the ignore window, the alert decision and storing the event
// for correlation.
func (st *State) finish(r *Rule, c *evalCtx) *Match {
	if r.Level == 0 {
		c.note(r, 0, "final rule %d has level 0: no alert, event not kept for correlation", r.ID)
		return &Match{Rule: r, Description: r.desc.expand(c), FiredTimes: c.fired}
	}
	var ignored *Rule
	if r.IgnoreTime > 0 {
		switch t := st.ignoredAt[r.index]; {
		case t == 0:
			st.ignoredAt[r.index] = c.now
		case c.now-t < int64(r.IgnoreTime):
			if c.prev == nil {
				c.note(r, 0, "rule %d fired %ds ago, inside its ignore=%d window: event dropped", r.ID, c.now-t, r.IgnoreTime)
				return nil
			}
			c.note(r, 0, "rule %d fired %ds ago, inside its ignore=%d window: reporting parent %d", r.ID, c.now-t, r.IgnoreTime, c.prev.ID)
			ignored, r = r, c.prev
			c.lastEvents = nil
		default:
			st.ignoredAt[r.index] = c.now
		}
	}
	m := &Match{
		Rule:        r,
		Description: r.desc.expand(c),
		FiredTimes:  c.fired,
		Alert:       r.opts&optLog != 0,
		Mail:        r.opts&optMail != 0,
		Ignored:     ignored,
	}
	if r.w.search != searchNone {
		m.Frequency = 2
		if r.Frequency > 2 {
			m.Frequency = r.Frequency
		}
	}
	if len(c.lastEvents) >= 2 && c.lastEvents[1] != "" {
		m.PreviousOutput = c.lastEvents
	}
	st.store(r, c)
	return m
}
