package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/dutywatch/dutywatch/internal/dedup"
)

// Finding is the stored latest version of a GuardDuty finding and its
// alerting state.
type Finding struct {
	// Key identifies the finding across versions: its ARN.
	Key                       string
	ID, Type, Title           string
	Account, Region, Instance string
	State                     dedup.State
	// AlertID is the id of the finding's last alert; Alerts counts them.
	AlertID string
	Alerts  int
	// FirstSeen and LastSeen are when dutywatch committed its first and
	// latest version.
	FirstSeen, LastSeen time.Time
	// Raw is the latest version's finding JSON.
	Raw []byte
}

// findingEntry is what a Tx knows of one finding: read from the table,
// put in this Tx, or both.
type findingEntry struct {
	f Finding
	// stored is false for a finding the table does not hold (nor the
	// buffer).
	stored bool
	// unread is set for a finding put without being read first: the
	// table may hold it with an older FirstSeen, which the upsert keeps.
	unread bool
	// dirty is set when PutFinding changed it: Commit writes it.
	dirty bool
}

// findingColumns are the columns Finding reads, in scanFinding's order.
const findingColumns = `id, type, title, account, region, instance_id,
	severity, count, updated_at, actor, resource, sample, archived,
	alerted, alerted_severity, alerted_updated, alerted_count, alerted_actor, alerted_resource,
	alert_id, alerts, first_seen, last_seen, raw`

// scanFinding reads a row of findingColumns into a Finding with key.
func scanFinding(row interface{ Scan(...any) error }, key string) (Finding, error) {
	f := Finding{Key: key}
	l, a := &f.State.Latest, &f.State.Alerted
	var updated, alertedUpdated, first, last int64
	err := row.Scan(&f.ID, &f.Type, &f.Title, &f.Account, &f.Region, &f.Instance,
		&l.Severity, &l.Count, &updated, &l.Actor, &l.Resource, &l.Sample, &l.Archived,
		&f.State.HasAlerted, &a.Severity, &alertedUpdated, &a.Count, &a.Actor, &a.Resource,
		&f.AlertID, &f.Alerts, &first, &last, &f.Raw)
	l.UpdatedAt, a.UpdatedAt = time.UnixMilli(updated).UTC(), time.UnixMilli(alertedUpdated).UTC()
	f.FirstSeen, f.LastSeen = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
	return f, err
}

// asStored returns f as the table gives it back: times to the millisecond
// in UTC, the Alerted version without the flags it does not keep, and
// its own copy of Raw.
func asStored(f Finding) Finding {
	ms := func(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }
	l, a := &f.State.Latest, &f.State.Alerted
	l.UpdatedAt, a.UpdatedAt = ms(l.UpdatedAt), ms(a.UpdatedAt)
	a.Sample, a.Archived = false, false
	f.FirstSeen, f.LastSeen = ms(f.FirstSeen), ms(f.LastSeen)
	f.Raw = bytes.Clone(f.Raw)
	return f
}

// Finding returns the stored finding with key, if any: as PutFinding left
// it earlier in this Tx, as PrefetchFindings or an earlier call read it,
// or else read from the table.
func (t *Tx) Finding(ctx context.Context, key string) (Finding, bool, error) {
	e, ok := t.findings[key]
	if !ok || e.unread {
		if err := t.readFinding(ctx, key); err != nil {
			return Finding{}, false, err
		}
		e = t.findings[key]
	}
	if !e.stored {
		return Finding{}, false, nil
	}
	f := e.f
	f.Raw = bytes.Clone(f.Raw)
	return f, true, nil
}

// PrefetchFindings reads the findings with keys into the Tx in one query,
// so that the Finding calls for them that follow read no table. Keys the
// Tx knows already and repeated keys cost nothing; a key that is not
// stored is remembered as such. The pipeline calls it with the finding
// keys of an object before deciding on each of its versions.
func (t *Tx) PrefetchFindings(ctx context.Context, keys []string) error {
	var missing []string
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if e, ok := t.findings[k]; (ok && !e.unread) || seen[k] {
			continue
		}
		seen[k] = true
		missing = append(missing, k)
	}
	if len(missing) == 0 {
		return nil
	}
	for len(missing) > 0 {
		n := min(len(missing), maxInList)
		if err := t.readFindings(ctx, missing[:n]); err != nil {
			return err
		}
		missing = missing[n:]
	}
	return nil
}

// readFindings reads the findings with keys (at most maxInList, none
// known to the Tx but as unread) from the table into t.findings.
func (t *Tx) readFindings(ctx context.Context, keys []string) error {
	in, args := t.store.d.textIn(keys)
	rows, err := t.tx.QueryContext(ctx, t.store.q(`SELECT key, `+findingColumns+` FROM findings WHERE key `+in), args...)
	if err != nil {
		return fmt.Errorf("read %d findings: %w", len(keys), err)
	}
	defer rows.Close()
	found := make(map[string]Finding, len(keys))
	for rows.Next() {
		var key string
		f, err := scanFinding(keyFirst{rows, &key}, "")
		if err != nil {
			return fmt.Errorf("read findings: %w", err)
		}
		f.Key = key
		found[key] = f
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read findings: %w", err)
	}
	for _, k := range keys {
		f, ok := found[k]
		t.remember(k, f, ok)
	}
	return nil
}

// readFinding reads one finding from the table into t.findings.
func (t *Tx) readFinding(ctx context.Context, key string) error {
	f, err := scanFinding(t.stmt(ctx, "finding").QueryRowContext(ctx, key), key)
	if errors.Is(err, sql.ErrNoRows) {
		t.remember(key, Finding{}, false)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read finding %s: %w", key, err)
	}
	t.remember(key, f, true)
	return nil
}

// remember records what the table holds for key, stored or not.
func (t *Tx) remember(key string, f Finding, stored bool) {
	if e := t.findings[key]; e != nil && e.unread { // put before: keep it, with the table's FirstSeen
		if stored {
			e.f.FirstSeen = f.FirstSeen
		}
		e.unread = false
		return
	}
	if t.findings == nil {
		t.findings = map[string]*findingEntry{}
	}
	t.findings[key] = &findingEntry{f: f, stored: stored}
}

// keyFirst scans a row whose first column, the key, precedes scanFinding's.
type keyFirst struct {
	rows *sql.Rows
	key  *string
}

func (k keyFirst) Scan(dest ...any) error { return k.rows.Scan(append([]any{k.key}, dest...)...) }

// PutFinding stores f as the finding's latest version (keeping the
// FirstSeen stored first). It is written at Commit; Finding sees it at
// once.
func (t *Tx) PutFinding(ctx context.Context, f Finding) error {
	f = asStored(f)
	e := t.findings[f.Key]
	switch {
	case e == nil:
		if t.findings == nil {
			t.findings = map[string]*findingEntry{}
		}
		e = &findingEntry{unread: true}
		t.findings[f.Key] = e
	case e.stored: // the upsert keeps the first FirstSeen
		f.FirstSeen = e.f.FirstSeen
	}
	e.f, e.stored = f, true
	if !e.dirty {
		e.dirty = true
		t.putFindings = append(t.putFindings, f.Key)
	}
	return t.buffer(ctx, len(f.Raw)+bufferedRowBytes)
}

// findingsUpsert writes buffered findings.
var findingsUpsert = rowsStmt{
	query: `INSERT {or fail} INTO findings (key, id, type, title, account, region, instance_id,
		severity, count, updated_at, actor, resource, sample, archived,
		alerted, alerted_severity, alerted_updated, alerted_count, alerted_actor, alerted_resource,
		alert_id, alerts, first_seen, last_seen, raw)
		SELECT * FROM {rows} WHERE true
		ON CONFLICT (key) DO UPDATE SET id = excluded.id, type = excluded.type, title = excluded.title,
			account = excluded.account, region = excluded.region, instance_id = excluded.instance_id,
			severity = excluded.severity, count = excluded.count, updated_at = excluded.updated_at,
			actor = excluded.actor, resource = excluded.resource, sample = excluded.sample, archived = excluded.archived,
			alerted = excluded.alerted, alerted_severity = excluded.alerted_severity,
			alerted_updated = excluded.alerted_updated, alerted_count = excluded.alerted_count,
			alerted_actor = excluded.alerted_actor, alerted_resource = excluded.alerted_resource,
			alert_id = excluded.alert_id, alerts = excluded.alerts, last_seen = excluded.last_seen, raw = excluded.raw`,
	types: []string{"text", "text", "text", "text", "text", "text", "text",
		"float8", "int8", "int8", "text", "text", "bool", "bool",
		"bool", "float8", "int8", "int8", "text", "text",
		"text", "int8", "int8", "int8", "bytea"},
}

// flushFindings writes the findings PutFinding buffered.
func (t *Tx) flushFindings(ctx context.Context) error {
	rows := make([][]any, 0, len(t.putFindings))
	for _, k := range t.putFindings {
		f := t.findings[k].f
		l, a := f.State.Latest, f.State.Alerted
		rows = append(rows, []any{f.Key, f.ID, f.Type, f.Title, f.Account, f.Region, f.Instance,
			l.Severity, l.Count, l.UpdatedAt.UnixMilli(), l.Actor, l.Resource, l.Sample, l.Archived,
			f.State.HasAlerted, a.Severity, a.UpdatedAt.UnixMilli(), a.Count, a.Actor, a.Resource,
			f.AlertID, int64(f.Alerts), f.FirstSeen.UnixMilli(), f.LastSeen.UnixMilli(), f.Raw})
	}
	if err := t.execRows(ctx, findingsUpsert, rows, nil); err != nil {
		return fmt.Errorf("store %d findings: %w", len(rows), err)
	}
	return nil
}
