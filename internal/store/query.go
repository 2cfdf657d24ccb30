package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// read runs fn in a read-only transaction of the read pool, so every query
// of one page sees the same snapshot and none waits for the writer (or, on
// PostgreSQL, for the write lock).
func (s *Store) read(ctx context.Context, fn func(q reader) error) error {
	tx, err := s.ro.BeginTx(ctx, s.d.readTx)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(reader{tx: tx, s: s})
}

// reader is a read transaction whose queries are written in SQLite's
// placeholders and run in the store's dialect.
type reader struct {
	tx *sql.Tx
	s  *Store
}

func (r reader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.tx.QueryContext(ctx, r.s.q(query), args...)
}

func (r reader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return r.tx.QueryRowContext(ctx, r.s.q(query), args...)
}

// window is a half-open range of event times in Unix milliseconds.
type window struct{ from, to int64 }

func (w window) empty() bool { return w.from >= w.to }

// floorTo returns the start of the span-long bucket holding t, counting
// buckets from the Unix epoch (UTC), as the rollup triggers do.
func floorTo(t, span int64) int64 { return t - ((t%span)+span)%span }

// ceilTo returns the first bucket start at or after t.
func ceilTo(t, span int64) int64 {
	f := floorTo(t, span)
	if f == t {
		return f
	}
	return f + span
}

// errRange reports a range that ends before it starts.
var errRange = errors.New("time range ends before it starts")

// resolve turns r into a window. A zero From or To stands for the oldest or
// newest alert; ok is false when there is nothing to count (an open range
// over an empty store).
func resolve(ctx context.Context, q reader, r TimeRange) (w window, ok bool, err error) {
	if !r.From.IsZero() && !r.To.IsZero() && r.To.Before(r.From) {
		return w, false, errRange
	}
	w = window{r.From.UnixMilli(), r.To.UnixMilli()}
	if r.From.IsZero() || r.To.IsZero() {
		var lo, hi sql.NullInt64
		err := q.QueryRowContext(ctx, `SELECT (SELECT min(event_time) FROM alerts), (SELECT max(event_time) FROM alerts)`).
			Scan(&lo, &hi)
		if err != nil {
			return w, false, fmt.Errorf("read alert time bounds: %w", err)
		}
		if !lo.Valid {
			return w, false, nil
		}
		if r.From.IsZero() {
			w.from = lo.Int64
		}
		if r.To.IsZero() {
			w.to = hi.Int64 + 1
		}
	}
	return w, !w.empty(), nil
}

// parts splits a window into what each rollup table can answer exactly:
// whole days from alert_counts_day, whole hours from alert_counts_hour, and
// the partial hours at the edges from alert_counts_5m and, for the minutes
// left over, alert_labels itself (see readEdges).
type parts struct {
	inner window    // whole hours, [first whole hour, last whole hour end)
	days  window    // whole days inside inner (may be empty)
	hours [2]window // whole hours of inner outside days (either may be empty)
	edges []window  // partial hours at either end, or the whole window
}

func split(w window) parts {
	var p parts
	h0, h1 := ceilTo(w.from, spanHour), floorTo(w.to, spanHour)
	if h0 >= h1 {
		p.edges = []window{w}
		return p
	}
	p.inner = window{h0, h1}
	for _, e := range []window{{w.from, h0}, {h1, w.to}} {
		if !e.empty() {
			p.edges = append(p.edges, e)
		}
	}
	d0, d1 := ceilTo(h0, spanDay), floorTo(h1, spanDay)
	if d0 >= d1 {
		p.hours[0] = p.inner
		return p
	}
	p.days = window{d0, d1}
	p.hours = [2]window{{h0, d0}, {d1, h1}}
	return p
}

// maxBuckets bounds the buckets of a chart.
const maxBuckets = 60

// seriesStep picks the smallest chart step that keeps a range of span
// milliseconds within maxBuckets, from a fixed list, or whole days beyond
// it (a range may reach back to year 1 when a finding had no time).
func seriesStep(span int64) int64 {
	const minute, hour, day = 60 * 1000, spanHour, spanDay
	for _, s := range [...]int64{5 * minute, 15 * minute, hour, 3 * hour, 6 * hour, 12 * hour, day, 7 * day, 30 * day,
		90 * day, 365 * day} {
		if span <= s*maxBuckets {
			return s
		}
	}
	return (span/maxBuckets/day + 1) * day
}

// seriesAcc gathers counts per (label, bucket) for a Series.
type seriesAcc struct {
	start, step int64 // first bucket start and step, in ms
	n           int
	vals        map[string][]int64
}

func newSeries(w window) *seriesAcc {
	step := seriesStep(w.to - w.from)
	start := floorTo(w.from, step)
	return &seriesAcc{start: start, step: step, n: int((floorTo(w.to-1, step)-start)/step) + 1, vals: map[string][]int64{}}
}

// add counts n alerts at t (a bucket start at least as fine as the step).
func (a *seriesAcc) add(t int64, label string, n int64) {
	if t < a.start {
		return
	}
	a.addAt((t-a.start)/a.step, label, n)
}

// addAt counts n alerts in bucket i.
func (a *seriesAcc) addAt(i int64, label string, n int64) {
	if i < 0 || i >= int64(a.n) {
		return
	}
	v := a.vals[label]
	if v == nil {
		v = make([]int64, a.n)
		a.vals[label] = v
	}
	v[i] += n
}

// totals returns each label's total, most first, ties by label.
func (a *seriesAcc) totals() []Count {
	out := make([]Count, 0, len(a.vals))
	for l, v := range a.vals {
		var sum int64
		for _, x := range v {
			sum += x
		}
		if sum > 0 {
			out = append(out, Count{l, sum})
		}
	}
	sortCounts(out)
	return out
}

// series returns the Series with labels in the given order; a label with no
// counts gets zeros.
func (a *seriesAcc) series(labels []string) Series {
	s := Series{Step: time.Duration(a.step) * time.Millisecond, Labels: labels, Values: make(map[string][]int64, len(labels))}
	for i := range a.n {
		s.Buckets = append(s.Buckets, time.UnixMilli(a.start+int64(i)*a.step).UTC())
	}
	for _, l := range labels {
		if v := a.vals[l]; v != nil {
			s.Values[l] = v
		} else {
			s.Values[l] = make([]int64, a.n)
		}
	}
	return s
}

// fold keeps the keep largest labels and adds the others up under other.
func (a *seriesAcc) fold(keep int, other string) Series {
	tot := a.totals()
	if len(tot) <= keep {
		return a.series(labels(tot))
	}
	rest := make([]int64, a.n)
	for _, c := range tot[keep:] {
		for i, x := range a.vals[c.Label] {
			rest[i] += x
		}
	}
	kept := labels(tot[:keep])
	if slices.Contains(kept, other) { // a real label called "other": the rest joins it
		for i, x := range rest {
			a.vals[other][i] += x
		}
		return a.series(kept)
	}
	a.vals[other] = rest
	return a.series(append(kept, other))
}

func labels(cs []Count) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Label
	}
	return out
}

// sortCounts orders counts most first, ties by label, so results are stable.
func sortCounts(cs []Count) {
	slices.SortFunc(cs, func(a, b Count) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Label, b.Label)
	})
}

// clampLimit returns n, or def when n <= 0, never more than most.
func clampLimit(n, def, most int) int {
	if n <= 0 {
		return def
	}
	return min(n, most)
}

// millis converts stored Unix milliseconds to a UTC time.
func millis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
