package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Limits of the overview.
const (
	defaultTop  = 10
	maxTop      = 1000
	geoPoints   = 500 // locations on the map
	groupSeries = 8   // rule groups charted; the rest fold into "other"
	otherLabel  = "other"
)

// bandNames returns the AWS severity bands in their fixed order.
func bandNames() []string { return []string{"low", "medium", "high", "critical"} }

// Overview returns the dashboard's first page for alerts with event time in
// r: totals by severity band, type, group, instance and attacker, the top
// entries of each list (top of them, default 10), charts over time and
// attacker locations. It reads the rollup tables, so its cost grows with
// the number of distinct labels in range, not with the number of alerts.
func (s *Store) Overview(ctx context.Context, r TimeRange, top int) (Overview, error) {
	top = clampLimit(top, defaultTop, maxTop)
	o := Overview{ByBand: bandCounts(nil)}
	err := s.read(ctx, func(q reader) error {
		w, ok, err := resolve(ctx, q, r)
		if err != nil || !ok {
			return err
		}
		p := split(w)
		edges, err := readEdges(ctx, q, p)
		if err != nil {
			return err
		}
		bands, err := readSeries(ctx, q, dimBand, w, p, edges)
		if err != nil {
			return err
		}
		o.ByBandTime = bands.series(bandNames())
		o.ByBand = bandCounts(bands.totals())
		for _, c := range o.ByBand {
			o.Total += c.Count
		}
		groups, err := readSeries(ctx, q, dimGroup, w, p, edges)
		if err != nil {
			return err
		}
		o.ByGroup = groups.fold(groupSeries, otherLabel)
		var geo []Count
		for _, l := range []struct {
			dim int
			dst *[]Count
			n   int
		}{
			{dimType, &o.ByType, top}, {dimInstance, &o.Instances, top}, {dimRemoteIP, &o.RemoteIPs, top},
			{dimASN, &o.ASNs, top}, {dimCountry, &o.Countries, top}, {dimGeo, &geo, geoPoints},
		} {
			if *l.dst, err = topLabels(ctx, q, l.dim, p, edges.totals[l.dim], l.n); err != nil {
				return err
			}
		}
		o.Geo = geoFromLabels(geo)
		return nil
	})
	if err != nil {
		return Overview{}, fmt.Errorf("read overview: %w", err)
	}
	return o, nil
}

// Instances returns the instances with alerts in r, most alerts first, at
// most limit (default 50, at most 1000).
func (s *Store) Instances(ctx context.Context, r TimeRange, limit int) ([]Count, error) {
	limit = clampLimit(limit, 50, maxTop)
	var out []Count
	err := s.read(ctx, func(q reader) error {
		w, ok, err := resolve(ctx, q, r)
		if err != nil || !ok {
			return err
		}
		p := split(w)
		edges, err := readEdges(ctx, q, p)
		if err != nil {
			return err
		}
		out, err = topLabels(ctx, q, dimInstance, p, edges.totals[dimInstance], limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	return out, nil
}

// bandCounts returns the four bands in order, zero when absent from cs.
func bandCounts(cs []Count) []Count {
	names := bandNames()
	out := make([]Count, len(names))
	for i, b := range names {
		out[i].Label = b
		for _, c := range cs {
			if c.Label == b {
				out[i].Count = c.Count
			}
		}
	}
	return out
}

// geoFromLabels decodes dimGeo labels: lat, lon, country and city joined
// by the unit separator.
func geoFromLabels(cs []Count) []GeoPoint {
	var out []GeoPoint
	for _, c := range cs {
		f := strings.SplitN(c.Label, "\x1f", 4)
		if len(f) != 4 {
			continue
		}
		lat, err1 := strconv.ParseFloat(f[0], 64)
		lon, err2 := strconv.ParseFloat(f[1], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, GeoPoint{Lat: lat, Lon: lon, Country: f[2], City: f[3], Count: c.Count})
	}
	return out
}

// edgeCounts are the counts of the alerts in a range's partial hours: per
// 5-minute bucket for charts, and per label.
type edgeCounts struct {
	rows   []edgeRow
	totals map[int]map[string]int64 // by dim
}

type edgeRow struct {
	dim    int
	bucket int64
	label  string
	n      int64
}

func (e *edgeCounts) add(r edgeRow) {
	e.rows = append(e.rows, r)
	if e.totals[r.dim] == nil {
		e.totals[r.dim] = map[string]int64{}
	}
	e.totals[r.dim][r.label] += r.n
}

// readEdges counts p's partial hours: their whole 5-minute buckets from
// alert_counts_5m, the minutes left over from alert_labels.
func readEdges(ctx context.Context, q reader, p parts) (edgeCounts, error) {
	e := edgeCounts{totals: map[int]map[string]int64{}}
	for _, w := range p.edges {
		raw := []window{w}
		if f0, f1 := ceilTo(w.from, span5m), floorTo(w.to, span5m); f0 < f1 {
			raw = []window{{w.from, f0}, {f1, w.to}}
			rows, err := q.QueryContext(ctx, `SELECT dim, bucket, label, n FROM alert_counts_5m
				WHERE dim IN (1, 2, 3, 4, 5, 6, 7, 8, 9) AND bucket >= ? AND bucket < ?`, f0, f1)
			if err := scanEdges(rows, err, &e); err != nil {
				return e, err
			}
		}
		for _, w := range raw {
			if w.empty() {
				continue
			}
			// One window per query: with an OR of two windows SQLite
			// scans the whole table for the groups.
			rows, err := q.QueryContext(ctx, `SELECT dim, t - ((t % 300000) + 300000) % 300000, label, count(*)
				FROM alert_labels WHERE t >= ? AND t < ? GROUP BY 1, 2, 3`, w.from, w.to)
			if err := scanEdges(rows, err, &e); err != nil {
				return e, err
			}
		}
	}
	return e, nil
}

// scanEdges reads (dim, bucket, label, n) rows into e and closes them.
func scanEdges(rows *sql.Rows, err error, e *edgeCounts) error {
	if err != nil {
		return fmt.Errorf("count edge alerts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r edgeRow
		if err := rows.Scan(&r.dim, &r.bucket, &r.label, &r.n); err != nil {
			return fmt.Errorf("read edge count: %w", err)
		}
		e.add(r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read edge counts: %w", err)
	}
	return nil
}

// readSeries counts dim's labels per chart bucket over w: whole hours from
// the hour (or, for steps under an hour, the 5-minute) rollup, the edges
// from e.
func readSeries(ctx context.Context, q reader, dim int, w window, p parts, e edgeCounts) (*seriesAcc, error) {
	a := newSeries(w)
	if !p.inner.empty() {
		query := `SELECT (bucket - ?) / ?, label, sum(n) FROM alert_counts_hour
			WHERE dim = ? AND bucket >= ? AND bucket < ? GROUP BY 1, 2`
		if a.step < spanHour {
			query = strings.Replace(query, "alert_counts_hour", "alert_counts_5m", 1)
		}
		rows, err := q.QueryContext(ctx, query, a.start, a.step, dim, p.inner.from, p.inner.to)
		if err != nil {
			return nil, fmt.Errorf("count alerts over time: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var i, n int64
			var label string
			if err := rows.Scan(&i, &label, &n); err != nil {
				return nil, fmt.Errorf("read alerts over time: %w", err)
			}
			a.addAt(i, label, n)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read alerts over time: %w", err)
		}
	}
	for _, r := range e.rows {
		if r.dim == dim {
			a.add(r.bucket, r.label, r.n)
		}
	}
	return a, nil
}

// topLabels returns the n labels of dim with the most alerts in p, most
// first, ties by label. edge holds the counts of p's partial hours.
//
// Short ranges (no whole day) sort the labels of their hours. Longer ones
// first try the threshold method (topByThreshold), which reads a few
// labels instead of every label of every day in range.
func topLabels(ctx context.Context, q reader, dim int, p parts, edge map[string]int64, n int) ([]Count, error) {
	if !p.days.empty() {
		cs, ok, err := topByThreshold(ctx, q, dim, p, edge, n)
		if err != nil || ok {
			return cs, err
		}
	}
	return topBySort(ctx, q, dim, p, edge, n)
}

// topBySort adds up every label's counts in p and sorts them. The day
// table is label first, so a day range alone would scan every label of
// dim: the "?6 < ?7" guard skips it when there are no whole days.
func topBySort(ctx context.Context, q reader, dim int, p parts, edge map[string]int64, n int) ([]Count, error) {
	if edge == nil {
		edge = map[string]int64{} // "null" would be one row for json_each
	}
	edgeJSON, err := json.Marshal(edge)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT label, sum(n) AS c FROM (
			SELECT label, n FROM alert_counts_hour WHERE dim = ?1 AND bucket >= ?2 AND bucket < ?3
			UNION ALL SELECT label, n FROM alert_counts_hour WHERE dim = ?1 AND bucket >= ?4 AND bucket < ?5
			UNION ALL SELECT label, n FROM alert_counts_day WHERE CAST(?6 AS BIGINT) < CAST(?7 AS BIGINT) AND dim = ?1 AND bucket >= ?6 AND bucket < ?7
			UNION ALL `+q.s.d.jsonCounts(8)+`)
		AS u GROUP BY label HAVING sum(n) > 0 ORDER BY c DESC, label LIMIT ?9`,
		dim, p.hours[0].from, p.hours[0].to, p.hours[1].from, p.hours[1].to, p.days.from, p.days.to, string(edgeJSON), n)
	if err != nil {
		return nil, fmt.Errorf("count alerts by label: %w", err)
	}
	return scanCounts(rows)
}

// Threshold method bounds: candidates read per round, first and last.
const (
	thresholdFirst = 64
	thresholdLast  = 4096
)

// topByThreshold walks labels in order of their all-time count
// (alert_counts_total), which bounds their count in any range: once the
// n-th best exact count in range beats the all-time count of the first
// label not yet read, no unread label can enter the top n. Each round
// reads four times more candidates; ok is false when the last round
// still could not decide, and the caller sorts instead.
func topByThreshold(ctx context.Context, q reader, dim int, p parts, edge map[string]int64, n int) ([]Count, bool, error) {
	for m := max(thresholdFirst, 4*n); m <= thresholdLast; m *= 4 {
		rows, err := q.QueryContext(ctx, `SELECT label, n FROM alert_counts_total WHERE dim = ?
			ORDER BY n DESC, label LIMIT ?`, dim, m+1)
		if err != nil {
			return nil, false, fmt.Errorf("read label totals: %w", err)
		}
		cands, err := scanCounts(rows)
		if err != nil {
			return nil, false, err
		}
		bound, more := int64(0), len(cands) > m
		if more {
			bound, cands = cands[m].Count, cands[:m]
		}
		exact, err := exactCounts(ctx, q, dim, p, labels(cands))
		if err != nil {
			return nil, false, err
		}
		var cs []Count
		for _, c := range cands {
			if x := exact[c.Label] + edge[c.Label]; x > 0 {
				cs = append(cs, Count{c.Label, x})
			}
		}
		sortCounts(cs)
		if !more || (len(cs) >= n && cs[n-1].Count > bound) {
			return cs[:min(n, len(cs))], true, nil
		}
	}
	return nil, false, nil
}

// exactCounts returns the counts in p's whole days and hours of the given
// labels of dim.
func exactCounts(ctx context.Context, q reader, dim int, p parts, labels []string) (map[string]int64, error) {
	labelsJSON, err := json.Marshal(labels)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT label, sum(n) FROM (
			SELECT label, n FROM alert_counts_day WHERE dim = ?1 AND label IN (`+q.s.d.jsonStrings(2)+`)
				AND bucket >= ?3 AND bucket < ?4
			UNION ALL SELECT label, n FROM alert_counts_hour WHERE dim = ?1 AND bucket >= ?5 AND bucket < ?6
				AND label IN (`+q.s.d.jsonStrings(2)+`)
			UNION ALL SELECT label, n FROM alert_counts_hour WHERE dim = ?1 AND bucket >= ?7 AND bucket < ?8
				AND label IN (`+q.s.d.jsonStrings(2)+`))
		AS u GROUP BY label`,
		dim, string(labelsJSON), p.days.from, p.days.to, p.hours[0].from, p.hours[0].to, p.hours[1].from, p.hours[1].to)
	if err != nil {
		return nil, fmt.Errorf("count alerts of candidate labels: %w", err)
	}
	cs, err := scanCounts(rows)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(cs))
	for _, c := range cs {
		out[c.Label] = c.Count
	}
	return out, nil
}

// scanCounts reads (label, count) rows and closes them.
func scanCounts(rows *sql.Rows) ([]Count, error) {
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Label, &c.Count); err != nil {
			return nil, fmt.Errorf("read count: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read counts: %w", err)
	}
	return out, nil
}
