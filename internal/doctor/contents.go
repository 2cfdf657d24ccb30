package doctor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dutywatch/dutywatch/internal/layout"
)

// contents describes the tree a source reads, for the layout, objects and
// read checks, which s3 and dir sources share.
type contents struct {
	tree   tree
	path   string // cleaned key prefix
	suffix string // cleaned native path suffix
	kind   layout.Kind
	// accounts and regions filter the native scopes.
	accounts, regions []string
	onlyLogsAfter     time.Time
	// startsToday is set for S3 sources: with no cursor and no
	// only_logs_after, a first run starts at today's folders.
	startsToday bool
	explain     func(op, error) (detail, fix string)
}

// maxScopes bounds the native scopes dated by the objects check.
const maxScopes = 100

// check runs the layout, objects and read checks.
func (c contents) check(ctx context.Context, opt Options) []Check {
	w := &walker{t: c.tree, path: c.path, left: maxListings, log: opt.Log.With("location", c.tree.uri(c.path))}
	nativeRoot := layout.NativeRoot(c.path, "")
	top, err := w.list(ctx, nativeRoot)
	if err != nil {
		return append([]Check{c.listFailure("layout", err)}, skipped("no layout", "objects", "read")...)
	}
	hasNative := len(top) > 0
	kind, how := c.kind, "configured"
	if kind == layout.Auto {
		kind, how = layout.Firehose, "auto: nothing under "+c.tree.uri(nativeRoot)
		if hasNative {
			kind, how = layout.Native, "auto: "+c.tree.uri(nativeRoot)+" found"
		}
	}
	if kind == layout.Firehose {
		row := Check{Name: "layout", Result: OK, Detail: "firehose (" + how + ")"}
		if hasNative {
			row.Detail += "; " + c.tree.uri(nativeRoot) + " is also there and is not read"
		}
		return append([]Check{row}, c.firehose(ctx, w, hasNative, opt)...)
	}
	if !hasNative {
		return append([]Check{{Name: "layout", Result: Fail,
			Detail: "native (" + how + "), but nothing under " + c.tree.uri(nativeRoot),
			Fix:    "check path (GuardDuty exports to PATH/AWSLogs/<account>/GuardDuty/<region>/), or set layout: firehose"}},
			skipped("no native export tree", "objects", "read")...)
	}
	return c.native(ctx, w, how, opt)
}

// firehose checks a Firehose tree: its oldest and newest objects, then
// reads the newest.
func (c contents) firehose(ctx context.Context, w *walker, hasNative bool, opt Options) []Check {
	first, ok, err := w.edge(ctx, c.path, layout.Firehose, 4, false)
	var last object
	if err == nil && ok {
		last, _, err = w.edge(ctx, c.path, layout.Firehose, 4, true)
	}
	if err != nil {
		return append([]Check{c.listFailure("objects", err)}, skipped("no object found", "read")...)
	}
	where := c.tree.uri(c.path)
	if !ok {
		row := Check{Name: "objects", Result: Warn,
			Detail: "no Firehose objects (PATH/YYYY/MM/DD/HH/<stream>-…) under " + where,
			Fix:    c.emptyPathFix(ctx, w)}
		if hasNative {
			row.Fix = "the path holds a native export tree (AWSLogs/): set layout: native or auto"
		}
		return []Check{row, {Name: "read", Result: Skip, Detail: "no object to read"}}
	}
	span := "first " + stamp(first.info.Time) + ", last " + stamp(last.info.Time)
	return []Check{c.datesRow("objects", span, first, last, opt), c.read(ctx, last)}
}

// native checks a native export tree: the accounts and regions found,
// each account's oldest and newest objects, then reads the newest.
func (c contents) native(ctx context.Context, w *walker, how string, opt Options) []Check {
	root := layout.NativeRoot(c.path, c.suffix)
	nt, err := w.discoverNative(ctx, root, c.accounts, c.regions)
	if err != nil {
		return append([]Check{c.listFailure("layout", err)}, skipped("no layout", "objects", "read")...)
	}
	if row, ok := c.nativeLayoutProblem(nt, root, how); ok {
		return append([]Check{row}, skipped("no account or region to read", "objects", "read")...)
	}
	detail := "native (" + how + "): " + describeNative(nt)
	if total := countRegions(nt); len(nt.scopes) < total {
		detail += fmt.Sprintf("; %d of them pass the aws_account_id and regions filters", len(nt.scopes))
	}
	out := []Check{{Name: "layout", Result: OK, Detail: detail}}
	var newest object
	found := false
	byAccount := map[string][]scopeDates{}
	scopes := nt.scopes
	if len(scopes) > maxScopes {
		scopes = scopes[:maxScopes]
	}
	for _, sc := range scopes {
		d, err := scopeEdges(ctx, w, sc)
		if err != nil {
			return append(out, c.listFailure("objects "+sc.account, err), Check{Name: "read", Result: Skip, Detail: "listing failed"})
		}
		byAccount[sc.account] = append(byAccount[sc.account], d)
		if d.ok && (!found || newer(d.last, newest)) {
			newest, found = d.last, true
		}
	}
	for _, acct := range nt.order {
		if ds := byAccount[acct]; len(ds) > 0 {
			out = append(out, c.accountRow(acct, ds, opt))
		}
	}
	if n := len(nt.scopes) - len(scopes); n > 0 {
		out = append(out, Check{Name: "objects", Result: Skip,
			Detail: fmt.Sprintf("%d more account/region folders not dated (only the first %d are)", n, maxScopes)})
	}
	if !found {
		return append(out, Check{Name: "read", Result: Skip, Detail: "no object to read"})
	}
	return append(out, c.read(ctx, newest))
}

// nativeLayoutProblem returns a failed layout row when the native tree
// gives the source nothing to read.
func (c contents) nativeLayoutProblem(nt nativeTree, root, how string) (Check, bool) {
	fail := func(detail, fix string) (Check, bool) {
		return Check{Name: "layout", Result: Fail, Detail: "native (" + how + "): " + detail, Fix: fix}, true
	}
	switch {
	case len(nt.order) == 0:
		return fail("no account folders under "+c.tree.uri(root),
			"check path and path_suffix: exports sit under PATH/AWSLogs/[PATH_SUFFIX/]<account>/GuardDuty/<region>/")
	case !hasRegions(nt):
		return fail("account folders "+strings.Join(nt.order, ", ")+" hold no GuardDuty/<region>/ folders (another service's logs?)",
			"set path to the prefix of the GuardDuty export destination, or set layout: firehose if findings arrive through Firehose")
	case len(nt.scopes) == 0:
		return fail(fmt.Sprintf("no account/region folder passes aws_account_id %v and regions %v; found %s", c.accounts, c.regions, describeNative(nt)),
			"set aws_account_id and regions to accounts and regions found, or remove them")
	}
	return Check{}, false
}

func hasRegions(nt nativeTree) bool { return countRegions(nt) > 0 }

// countRegions counts the account/region folders found.
func countRegions(nt nativeTree) int {
	n := 0
	for _, rs := range nt.all {
		n += len(rs)
	}
	return n
}

// describeNative lists the accounts found with their regions.
func describeNative(nt nativeTree) string {
	const shown = 10
	var parts []string
	for i, acct := range nt.order {
		if i < shown {
			parts = append(parts, acct+" ("+cmp.Or(strings.Join(nt.all[acct], ", "), "no regions")+")")
		}
	}
	s := fmt.Sprintf("%s, %s: %s", plural(len(nt.order), "account"), plural(countRegions(nt), "account/region folder"), strings.Join(parts, ", "))
	if len(nt.order) > shown {
		s += fmt.Sprintf(", and %d more", len(nt.order)-shown)
	}
	return s
}

// scopeDates is the oldest and newest object of one native scope.
type scopeDates struct {
	scope
	first, last object
	ok          bool // the scope has objects
}

func scopeEdges(ctx context.Context, w *walker, sc scope) (scopeDates, error) {
	d := scopeDates{scope: sc}
	var err error
	d.first, d.ok, err = w.edge(ctx, sc.prefix, layout.Native, 3, false)
	if err != nil || !d.ok {
		return d, err
	}
	d.last, _, err = w.edge(ctx, sc.prefix, layout.Native, 3, true)
	return d, err
}

// newer reports whether a is newer than b: by key time, then by
// modification time (native keys name only the day).
func newer(a, b object) bool {
	return cmp.Or(a.info.Time.Compare(b.info.Time), a.mod.Compare(b.mod)) > 0
}

// accountRow summarizes the regions of one native account.
func (c contents) accountRow(acct string, ds []scopeDates, opt Options) Check {
	var parts []string
	var first, last object
	found := false
	for _, d := range ds {
		if !d.ok {
			parts = append(parts, d.region+" no objects")
			continue
		}
		parts = append(parts, d.region+" "+day(d.first.info.Time)+" to "+day(d.last.info.Time))
		if !found || newer(first, d.first) {
			first = d.first
		}
		if !found || newer(d.last, last) {
			last = d.last
		}
		found = true
	}
	name := "objects " + acct
	if !found {
		return Check{Name: name, Result: Warn, Detail: "no objects: " + strings.Join(parts, "; "),
			Fix: "check that the detector of account " + acct + " exports findings to this bucket"}
	}
	return c.datesRow(name, strings.Join(parts, "; "), first, last, opt)
}

// datesRow is an objects row: span says what was found; the row warns
// when the newest object is stale or before only_logs_after.
func (c contents) datesRow(name, span string, first, last object, opt Options) Check {
	now := opt.Now()
	newest := written(last)
	row := Check{Name: name, Result: OK, Detail: span + " (newest " + age(now.Sub(newest)) + " ago)"}
	switch {
	case !c.onlyLogsAfter.IsZero() && day(c.onlyLogsAfter) > day(last.info.Time):
		row.Result = Warn
		row.Detail += "; only_logs_after " + day(c.onlyLogsAfter) + " is after the newest object, so nothing is read yet"
		row.Fix = "set only_logs_after: " + day(first.info.Time) + " (or later) to read the objects there"
	case now.Sub(newest) > opt.StaleAfter:
		row.Result = Warn
		row.Fix = "nothing new for " + age(now.Sub(newest)) +
			": check that GuardDuty still publishes here (the detector's export destination, or the EventBridge rule and Firehose stream)"
	case c.onlyLogsAfter.IsZero() && c.startsToday && day(first.info.Time) < day(now):
		row.Detail += "; a first run starts at today's folders: set only_logs_after: " + day(first.info.Time) + " to read the older ones"
	}
	return row
}

// written is when o was written, as far as can be told: the time in a
// Firehose key; for a native key, which names only the day, the
// modification time when it falls on or after that day.
func written(o object) time.Time {
	if o.info.Kind == layout.Native && o.mod.After(o.info.Time) {
		return o.mod
	}
	return o.info.Time
}

// day formats the UTC day of t.
func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// stamp formats t to the second, in UTC.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// age formats a duration coarsely: "45s", "12m", "5h", "3d".
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// skipped returns Skip rows for names.
func skipped(why string, names ...string) []Check {
	var out []Check
	for _, n := range names {
		out = append(out, Check{Name: n, Result: Skip, Detail: why})
	}
	return out
}

// listFailure is the row of a listing that failed.
func (c contents) listFailure(name string, err error) Check {
	if errors.Is(err, errBudget) {
		return Check{Name: name, Result: Warn, Detail: fmt.Sprintf("%v (%d): the tree has many empty folders", err, maxListings)}
	}
	detail, fix := c.explain(opList, err)
	return Check{Name: name, Result: Fail, Detail: detail, Fix: fix}
}

// emptyPathFix suggests a path when the source's path holds no objects,
// by naming the folders found there.
func (c contents) emptyPathFix(ctx context.Context, w *walker) string {
	entries, err := w.list(ctx, c.path)
	if err != nil || len(entries) == 0 {
		return "check path: nothing is under " + c.tree.uri(c.path) + " yet (is the Firehose stream's S3 prefix the same?)"
	}
	const shown = 8
	var names []string
	for _, e := range entries[:min(len(entries), shown)] {
		names = append(names, strings.TrimPrefix(e.key, c.path))
	}
	if len(entries) > shown {
		names = append(names, "…")
	}
	return "check path: " + c.tree.uri(c.path) + " holds " + strings.Join(names, ", ") +
		", but no YYYY/MM/DD/HH/ folders with Firehose objects"
}
