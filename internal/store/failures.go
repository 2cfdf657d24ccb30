package store

import (
	"context"
	"fmt"
	"time"

	"github.com/dutywatch/dutywatch/internal/source"
)

// Failure is an object that could not be processed.
type Failure struct {
	Object    source.Object
	Error     string
	Transient bool
	Attempts  int
	FirstAt   time.Time
	LastAt    time.Time
}

// Retryable returns the transient failures of src with fewer than
// maxAttempts attempts, oldest key first, for the next poll to try again.
func (s *Store) Retryable(ctx context.Context, src string, maxAttempts int) ([]source.Object, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT scope, key, bucket, account, region, etag, size
		FROM objects_failed WHERE source = ? AND transient AND attempts < ?
		ORDER BY scope, key`), src, maxAttempts)
	if err != nil {
		return nil, fmt.Errorf("list retryable objects of %s: %w", src, err)
	}
	defer rows.Close()
	var out []source.Object
	for rows.Next() {
		o := source.Object{Source: src}
		if err := rows.Scan(&o.Scope, &o.Key, &o.Bucket, &o.Account, &o.Region, &o.ETag, &o.Size); err != nil {
			return nil, fmt.Errorf("read retryable object: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Failures lists every recorded failure, newest first.
func (s *Store) Failures(ctx context.Context) ([]Failure, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT source, scope, key, bucket, account, region, etag, size,
		error, transient, attempts, first_at, last_at FROM objects_failed ORDER BY last_at DESC, key`))
	if err != nil {
		return nil, fmt.Errorf("list failures: %w", err)
	}
	defer rows.Close()
	var out []Failure
	for rows.Next() {
		var f Failure
		var first, last int64
		o := &f.Object
		if err := rows.Scan(&o.Source, &o.Scope, &o.Key, &o.Bucket, &o.Account, &o.Region, &o.ETag, &o.Size,
			&f.Error, &f.Transient, &f.Attempts, &first, &last); err != nil {
			return nil, fmt.Errorf("read failure: %w", err)
		}
		f.FirstAt, f.LastAt = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
		out = append(out, f)
	}
	return out, rows.Err()
}

// Counts summarises the store for a run summary or health page.
type Counts struct {
	Done, Partial, Failed int64
	Records, Events       int64
}

// Count returns the number of done, partial and failed objects and the
// records and events committed, for one source or all when src is "".
func (s *Store) Count(ctx context.Context, src string) (Counts, error) {
	var c Counts
	err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*), coalesce(sum(CASE WHEN partial THEN 1 ELSE 0 END), 0), coalesce(sum(records), 0),
		coalesce(sum(events), 0) FROM objects_done WHERE ? = '' OR source = ?`), src, src).
		Scan(&c.Done, &c.Partial, &c.Records, &c.Events)
	if err != nil {
		return c, fmt.Errorf("count done objects: %w", err)
	}
	err = s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM objects_failed
		WHERE (? = '' OR source = ?) AND NOT EXISTS (SELECT 1 FROM objects_done d
			WHERE d.scope = objects_failed.scope AND d.key = objects_failed.key)`), src, src).Scan(&c.Failed)
	if err != nil {
		return c, fmt.Errorf("count failed objects: %w", err)
	}
	return c, nil
}

// PruneDoneBelow forgets the done objects of scope whose keys sort below
// floor: the source never lists them again, so the done-set needs only the
// keys of the listing window and stays bounded.
func (s *Store) PruneDoneBelow(ctx context.Context, scope, floor string) (int64, error) {
	if floor == "" {
		return 0, nil
	}
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM objects_done WHERE scope = ? AND key < ?`), scope, floor)
	if err != nil {
		return 0, fmt.Errorf("prune done objects of %s: %w", scope, err)
	}
	return res.RowsAffected()
}
