package rules

import (
	"fmt"
	"strconv"
)

// cond is one test of a rule, in the order OS_CheckIfRuleMatch runs them.
// test reports whether the event passes; when it fails and why is not nil,
// *why says why (only built for traces).
type cond interface {
	test(c *evalCtx, why *string) bool
}

func quoteShort(s string) string {
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return strconv.Quote(s)
}

func mismatch(why *string, what, v string, m Matcher, negate bool) {
	if why == nil {
		return
	}
	verb := "does not match"
	if negate {
		verb = "matches negated"
	}
	*why = fmt.Sprintf("%s %s %s %s", what, quoteShort(v), verb, m)
}

func missing(why *string, what string) {
	if why != nil {
		*why = what + " is not set"
	}
}

type decodedAsCond struct{ name string }

func (c decodedAsCond) test(ctx *evalCtx, why *string) bool {
	ev := ctx.ev
	if ev.Decoder == c.name {
		return true
	}
	if why != nil {
		*why = fmt.Sprintf("decoded_as %s: event decoder is %q", c.name, ev.Decoder)
	}
	return false
}

// staticCond tests one static field; a field that is not set fails.
type staticCond struct {
	slot   staticField
	name   string
	m      Matcher
	negate bool
}

func (c *staticCond) test(ctx *evalCtx, why *string) bool {
	ev := ctx.ev
	v, ok := ev.staticValue(c.slot)
	if !ok {
		missing(why, c.name)
		return false
	}
	if c.m.Match(v) == c.negate {
		mismatch(why, c.name, v, c.m, c.negate)
		return false
	}
	return true
}

// userCond is <user>: dstuser, else srcuser.
type userCond struct {
	m      Matcher
	negate bool
}

func (c userCond) test(ctx *evalCtx, why *string) bool {
	ev := ctx.ev
	v, ok := ev.user()
	if !ok {
		missing(why, "user")
		return false
	}
	if c.m.Match(v) == c.negate {
		mismatch(why, "user", v, c.m, c.negate)
		return false
	}
	return true
}

// logCond is <match> or <regex> on the full log.
type logCond struct {
	what   string
	m      Matcher
	negate bool
}

func (c *logCond) test(ctx *evalCtx, why *string) bool {
	ev := ctx.ev
	if c.m.Match(ev.Log) == c.negate {
		mismatch(why, c.what+" on log", ev.Log, c.m, c.negate)
		return false
	}
	return true
}

type locationCond struct {
	m      Matcher
	negate bool
}

func (c locationCond) test(ctx *evalCtx, why *string) bool {
	ev := ctx.ev
	if c.m.Match(ev.Location) == c.negate {
		mismatch(why, "location", ev.Location, c.m, c.negate)
		return false
	}
	return true
}

// fieldCond is <field name="...">; a missing field fails, negated or not.
type fieldCond struct {
	name   string // as written
	lower  string
	fid    int // index in Ruleset.fieldNames, for evalCtx.field
	m      Matcher
	negate bool
}

func (c *fieldCond) test(ctx *evalCtx, why *string) bool {
	v, ok := ctx.field(c.fid, c.lower)
	if !ok {
		if why != nil {
			missing(why, "field "+c.name)
		}
		return false
	}
	if c.m.Match(v) == c.negate {
		if why != nil {
			mismatch(why, "field "+c.name, v, c.m, c.negate)
		}
		return false
	}
	return true
}

type maxsizeCond struct{ n int }

func (c maxsizeCond) test(ctx *evalCtx, why *string) bool {
	ev := ctx.ev
	if len(ev.Log) >= c.n {
		return true
	}
	if why != nil {
		*why = fmt.Sprintf("log is %d bytes, maxsize is %d", len(ev.Log), c.n)
	}
	return false
}

// ftsCond is <if_fts>: analysisd needs the decoder's fts option, which the
// JSON decoder lacks, so the rule never matches.
type ftsCond struct{}

func (ftsCond) test(_ *evalCtx, why *string) bool {
	if why != nil {
		*why = "if_fts: the event's decoder keeps no first-time-seen list"
	}
	return false
}

// listCond is one <list> lookup.
type listCond struct {
	path    string
	list    *List
	how     listLookup
	check   Matcher
	static  staticField
	isUser  bool   // field="user": srcuser, else dstuser
	dynamic string // lowercase dynamic field name, or "" for a static one
	field   string // as written
}

func (c listCond) test(ctx *evalCtx, why *string) bool {
	ev := ctx.ev
	var v string
	var ok bool
	switch {
	case c.dynamic != "":
		v, ok = ev.getLower(c.dynamic)
	case c.isUser:
		if v, ok = ev.staticValue(fSrcUser); !ok {
			v, ok = ev.staticValue(fDstUser)
		}
	default:
		v, ok = ev.staticValue(c.static)
	}
	if !ok {
		if why != nil {
			missing(why, "list field "+c.field)
		}
		return false
	}
	if !c.list.search(c.how, c.check, v) {
		if why != nil {
			*why = fmt.Sprintf("list %s: %s %s fails its lookup", c.path, c.field, quoteShort(v))
		}
		return false
	}
	return true
}
