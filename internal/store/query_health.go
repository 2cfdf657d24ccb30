package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// maxHealthFailures bounds the failures listed per source, newest first.
const maxHealthFailures = 100

// Health returns one entry per source known to the store (polled, with
// done or failed objects, or with a cursor), ordered by name.
func (s *Store) Health(ctx context.Context) ([]SourceHealth, error) {
	by := map[string]*SourceHealth{}
	get := func(src string) *SourceHealth {
		h := by[src]
		if h == nil {
			h = &SourceHealth{Source: src}
			by[src] = h
		}
		return h
	}
	err := s.read(ctx, func(q reader) error {
		for _, step := range []func(context.Context, reader, func(string) *SourceHealth) error{
			healthPolls, healthDone, healthFailed, healthCursors, healthFailures,
		} {
			if err := step(ctx, q, get); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read health: %w", err)
	}
	out := make([]SourceHealth, 0, len(by))
	for _, h := range by {
		out = append(out, *h)
	}
	slices.SortFunc(out, func(a, b SourceHealth) int { return strings.Compare(a.Source, b.Source) })
	return out, nil
}

func healthPolls(ctx context.Context, q reader, get func(string) *SourceHealth) error {
	rows, err := q.QueryContext(ctx, `SELECT source, last_poll, last_error FROM source_polls`)
	if err != nil {
		return fmt.Errorf("list polls: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var src, msg string
		var at int64
		if err := rows.Scan(&src, &at, &msg); err != nil {
			return fmt.Errorf("read poll: %w", err)
		}
		h := get(src)
		h.LastPoll, h.LastError = millis(at), msg
	}
	return rows.Err()
}

func healthDone(ctx context.Context, q reader, get func(string) *SourceHealth) error {
	rows, err := q.QueryContext(ctx, `SELECT source, count(*), sum(CASE WHEN partial THEN 1 ELSE 0 END), sum(events)
		FROM objects_done GROUP BY source`)
	if err != nil {
		return fmt.Errorf("count done objects: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var src string
		var done, partial, events int64
		if err := rows.Scan(&src, &done, &partial, &events); err != nil {
			return fmt.Errorf("read done count: %w", err)
		}
		h := get(src)
		h.Done, h.Partial, h.Events = done, partial, events
	}
	return rows.Err()
}

// healthFailed counts failures not since overcome, as Count does.
func healthFailed(ctx context.Context, q reader, get func(string) *SourceHealth) error {
	rows, err := q.QueryContext(ctx, `SELECT source, count(*) FROM objects_failed AS f
		WHERE NOT EXISTS (SELECT 1 FROM objects_done AS d WHERE d.scope = f.scope AND d.key = f.key)
		GROUP BY source`)
	if err != nil {
		return fmt.Errorf("count failed objects: %w", err)
	}
	cs, err := scanCounts(rows)
	for _, c := range cs {
		get(c.Label).Failed = c.Count
	}
	return err
}

func healthCursors(ctx context.Context, q reader, get func(string) *SourceHealth) error {
	rows, err := q.QueryContext(ctx, `SELECT source, scope, key, updated_at FROM cursors ORDER BY source, scope`)
	if err != nil {
		return fmt.Errorf("list cursors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var src string
		var c Cursor
		var at int64
		if err := rows.Scan(&src, &c.Scope, &c.Key, &at); err != nil {
			return fmt.Errorf("read cursor: %w", err)
		}
		c.Updated = millis(at)
		h := get(src)
		h.Cursors = append(h.Cursors, c)
	}
	return rows.Err()
}

// healthFailures lists each source's newest failures, partial objects
// included (their error is kept on record).
func healthFailures(ctx context.Context, q reader, get func(string) *SourceHealth) error {
	rows, err := q.QueryContext(ctx, `SELECT source, scope, key, bucket, account, region, etag, size,
			error, transient, attempts, first_at, last_at
		FROM (SELECT *, row_number() OVER (PARTITION BY source ORDER BY last_at DESC, key) AS k FROM objects_failed) AS f
		WHERE k <= ? ORDER BY source, last_at DESC, key`, maxHealthFailures)
	if err != nil {
		return fmt.Errorf("list failures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f Failure
		var first, last int64
		o := &f.Object
		if err := rows.Scan(&o.Source, &o.Scope, &o.Key, &o.Bucket, &o.Account, &o.Region, &o.ETag, &o.Size,
			&f.Error, &f.Transient, &f.Attempts, &first, &last); err != nil {
			return fmt.Errorf("read failure: %w", err)
		}
		f.FirstAt, f.LastAt = millis(first), millis(last)
		h := get(o.Source)
		h.Failures = append(h.Failures, f)
	}
	return rows.Err()
}
