package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// rollupKey is one count of a rollup table; bucket is 0 in
// alert_counts_total.
type rollupKey struct {
	dim    int
	bucket int64
	label  string
}

// rollupBatch adds up the labels of a batch of new alerts per rollup
// table, in the tables' order: 5m, hour, day, total.
type rollupBatch [4]map[rollupKey]int64

// add counts one alert with event time t and labels ls.
func (rb *rollupBatch) add(t int64, ls []alertLabel) {
	if rb[0] == nil {
		for i := range rb {
			rb[i] = map[rollupKey]int64{}
		}
	}
	b5, bh, bd := bucket(t, span5m), bucket(t, spanHour), bucket(t, spanDay)
	for _, l := range ls {
		rb[0][rollupKey{l.dim, b5, l.label}]++
		rb[1][rollupKey{l.dim, bh, l.label}]++
		if topNDim(l.dim) {
			rb[2][rollupKey{l.dim, bd, l.label}]++
			rb[3][rollupKey{l.dim, 0, l.label}]++
		}
	}
}

// bucket is the first millisecond of t's bucket of span milliseconds, as
// the SQL computes it.
func bucket(t, span int64) int64 {
	return t - ((t%span)+span)%span
}

// topNDim reports whether alert_counts_day and alert_counts_total count
// dim.
func topNDim(dim int) bool {
	switch dim {
	case dimType, dimInstance, dimRemoteIP, dimASN, dimCountry, dimGeo:
		return true
	}
	return false
}

// rollupWrites are the upserts that add a rollupBatch's sums, one per
// table, with rows in the table's key order.
var rollupWrites = [4]struct {
	stmt rowsStmt
	// labelFirst is set for a table keyed (dim, label, bucket).
	labelFirst bool
}{
	{stmt: rollupUpsert(`INSERT {or fail} INTO alert_counts_5m AS c (dim, bucket, label, n) SELECT * FROM {rows} WHERE true
		ON CONFLICT (dim, bucket, label) DO UPDATE SET n = c.n + excluded.n`, "int8", "text")},
	{stmt: rollupUpsert(`INSERT {or fail} INTO alert_counts_hour AS c (dim, bucket, label, n) SELECT * FROM {rows} WHERE true
		ON CONFLICT (dim, bucket, label) DO UPDATE SET n = c.n + excluded.n`, "int8", "text")},
	{stmt: rollupUpsert(`INSERT {or fail} INTO alert_counts_day AS c (dim, label, bucket, n) SELECT * FROM {rows} WHERE true
		ON CONFLICT (dim, label, bucket) DO UPDATE SET n = c.n + excluded.n`, "text", "int8"), labelFirst: true},
	{stmt: rollupUpsert(`INSERT {or fail} INTO alert_counts_total AS c (dim, label, n) SELECT * FROM {rows} WHERE true
		ON CONFLICT (dim, label) DO UPDATE SET n = c.n + excluded.n`, "text")},
}

// rollupUpsert is a rowsStmt over (dim, middle..., n).
func rollupUpsert(query string, middle ...string) rowsStmt {
	return rowsStmt{query: query, types: append(append([]string{"int8"}, middle...), "int8")}
}

// write adds the sums to the rollup tables.
func (rb *rollupBatch) write(ctx context.Context, t *Tx) error {
	for i, w := range rollupWrites {
		keys := make([]rollupKey, 0, len(rb[i]))
		for k := range rb[i] {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b rollupKey) int {
			if c := cmp.Compare(a.dim, b.dim); c != 0 {
				return c
			}
			if w.labelFirst {
				return cmp.Or(cmp.Compare(a.label, b.label), cmp.Compare(a.bucket, b.bucket))
			}
			return cmp.Or(cmp.Compare(a.bucket, b.bucket), cmp.Compare(a.label, b.label))
		})
		rows := make([][]any, len(keys))
		for j, k := range keys {
			switch {
			case len(w.stmt.types) == 3:
				rows[j] = []any{int64(k.dim), k.label, rb[i][k]}
			case w.labelFirst:
				rows[j] = []any{int64(k.dim), k.label, k.bucket, rb[i][k]}
			default:
				rows[j] = []any{int64(k.dim), k.bucket, k.label, rb[i][k]}
			}
		}
		if err := t.execRows(ctx, w.stmt, rows, nil); err != nil {
			return fmt.Errorf("count %d labels: %w", len(rows), err)
		}
	}
	return nil
}
