package layout

import (
	"strings"
	"time"
)

// FirehoseStartAfter returns the ListObjectsV2 StartAfter value that sorts
// just before every key of t's hour folder under path: path +
// "YYYY/MM/DD/HH/".
func FirehoseStartAfter(path string, t time.Time) string {
	return CleanPath(path) + t.UTC().Format("2006/01/02/15/")
}

// NativeRoot returns the prefix the account folders sit under:
// path + "AWSLogs/" + suffix (both cleaned).
func NativeRoot(path, suffix string) string {
	return CleanPath(path) + nativeRoot + CleanPath(suffix)
}

// NativeRegionPrefix returns the prefix of one account's exports in one
// region: NativeRoot + "<account>/GuardDuty/<region>/".
func NativeRegionPrefix(path, suffix, account, region string) string {
	return NativeRoot(path, suffix) + account + "/GuardDuty/" + region + "/"
}

// NativeDayPrefix returns the prefix of day's folder under a region prefix:
// regionPrefix + "YYYY/MM/DD/". As a StartAfter value it sorts before
// every key of that day.
func NativeDayPrefix(regionPrefix string, day time.Time) string {
	return regionPrefix + day.UTC().Format("2006/01/02/")
}

// Window decides where the listing of one scope starts: a look-back behind
// the scope's cursor, so that late objects are seen, but never before
// OnlyLogsAfter.
type Window struct {
	// LookBack is how far before the cursor's hour folder a Firehose
	// listing starts. Firehose names an object after its oldest record
	// and may write it many minutes later, behind newer keys.
	LookBack time.Duration
	// LookBackDays is how many day folders before the cursor's a native
	// listing starts. Native names are random UUIDs, so a day folder is
	// always listed whole.
	LookBackDays int
	// OnlyLogsAfter is the first day (UTC, inclusive) ever read. When zero,
	// a scope with no cursor starts today, like Wazuh.
	OnlyLogsAfter time.Time
}

// FirehoseStart returns StartAfter for a Firehose scope under path whose
// greatest committed key is cursor ("" if none).
func (w Window) FirehoseStart(path, cursor string, now time.Time) string {
	path = CleanPath(path)
	if cursor == "" {
		return FirehoseStartAfter(path, w.firstDay(now))
	}
	start := cursor // a cursor from another layout: no look-back
	if info, err := Parse(path, cursor); err == nil && info.Kind == Firehose {
		start = FirehoseStartAfter(path, info.Folder.Add(-max(w.LookBack, 0)))
	}
	if !w.OnlyLogsAfter.IsZero() {
		start = max(start, FirehoseStartAfter(path, day(w.OnlyLogsAfter)))
	}
	return start
}

// NativeStart returns StartAfter for a native scope (one account and
// region, regionPrefix as from NativeRegionPrefix) whose greatest
// committed key is cursor ("" if none).
func (w Window) NativeStart(regionPrefix, cursor string, now time.Time) string {
	if cursor == "" {
		return NativeDayPrefix(regionPrefix, w.firstDay(now))
	}
	start := cursor
	if rest, ok := strings.CutPrefix(cursor, regionPrefix); ok && len(rest) > len("2006/01/02/") {
		if d, ok := parseFolder(rest[:len("2006/01/02")], false); ok {
			start = NativeDayPrefix(regionPrefix, d.AddDate(0, 0, -max(w.LookBackDays, 0)))
		}
	}
	if !w.OnlyLogsAfter.IsZero() {
		start = max(start, NativeDayPrefix(regionPrefix, day(w.OnlyLogsAfter)))
	}
	return start
}

// firstDay is where a scope without a cursor starts.
func (w Window) firstDay(now time.Time) time.Time {
	if !w.OnlyLogsAfter.IsZero() {
		return day(w.OnlyLogsAfter)
	}
	return day(now)
}

// day truncates t to its UTC day.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// pruneMargin widens the look-back for PruneFloor, so that raising
// look_back by less than this after a prune re-reads nothing already done.
const pruneMargin = 7 * 24 * time.Hour

// PruneFloor returns the key below which a scope's done-set may be
// forgotten: the scope's listing starts at or after it on every later poll,
// because the cursor only moves forward and the floor is the cursor's
// window widened by a week. "" means keep everything.
func (w Window) PruneFloor(kind Kind, prefix, cursor string) string {
	if cursor == "" {
		return ""
	}
	wide := Window{LookBack: max(w.LookBack, 0) + pruneMargin, LookBackDays: max(w.LookBackDays, 0) + int(pruneMargin/(24*time.Hour))}
	var floor string
	if kind == Firehose {
		floor = wide.FirehoseStart(prefix, cursor, time.Time{})
	} else {
		floor = wide.NativeStart(prefix, cursor, time.Time{})
	}
	if floor == cursor {
		return "" // a cursor outside the layout: no window to prune below
	}
	return floor
}
