package store

import (
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

// Finding returns the stored finding with key, if any.
func (t *Tx) Finding(ctx context.Context, key string) (Finding, bool, error) {
	f := Finding{Key: key}
	l, a := &f.State.Latest, &f.State.Alerted
	var updated, alertedUpdated, first, last int64
	err := t.tx.QueryRowContext(ctx, `SELECT id, type, title, account, region, instance_id,
		severity, count, updated_at, actor, resource, sample, archived,
		alerted, alerted_severity, alerted_updated, alerted_count, alerted_actor, alerted_resource,
		alert_id, alerts, first_seen, last_seen, raw FROM findings WHERE key = ?`, key).Scan(
		&f.ID, &f.Type, &f.Title, &f.Account, &f.Region, &f.Instance,
		&l.Severity, &l.Count, &updated, &l.Actor, &l.Resource, &l.Sample, &l.Archived,
		&f.State.HasAlerted, &a.Severity, &alertedUpdated, &a.Count, &a.Actor, &a.Resource,
		&f.AlertID, &f.Alerts, &first, &last, &f.Raw)
	if errors.Is(err, sql.ErrNoRows) {
		return Finding{}, false, nil
	}
	if err != nil {
		return Finding{}, false, fmt.Errorf("read finding %s: %w", key, err)
	}
	l.UpdatedAt, a.UpdatedAt = time.UnixMilli(updated).UTC(), time.UnixMilli(alertedUpdated).UTC()
	f.FirstSeen, f.LastSeen = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
	return f, true, nil
}

// PutFinding stores f as the finding's latest version.
func (t *Tx) PutFinding(ctx context.Context, f Finding) error {
	l, a := f.State.Latest, f.State.Alerted
	_, err := t.tx.ExecContext(ctx, `INSERT INTO findings (key, id, type, title, account, region, instance_id,
		severity, count, updated_at, actor, resource, sample, archived,
		alerted, alerted_severity, alerted_updated, alerted_count, alerted_actor, alerted_resource,
		alert_id, alerts, first_seen, last_seen, raw)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET id = excluded.id, type = excluded.type, title = excluded.title,
			account = excluded.account, region = excluded.region, instance_id = excluded.instance_id,
			severity = excluded.severity, count = excluded.count, updated_at = excluded.updated_at,
			actor = excluded.actor, resource = excluded.resource, sample = excluded.sample, archived = excluded.archived,
			alerted = excluded.alerted, alerted_severity = excluded.alerted_severity,
			alerted_updated = excluded.alerted_updated, alerted_count = excluded.alerted_count,
			alerted_actor = excluded.alerted_actor, alerted_resource = excluded.alerted_resource,
			alert_id = excluded.alert_id, alerts = excluded.alerts, last_seen = excluded.last_seen, raw = excluded.raw`,
		f.Key, f.ID, f.Type, f.Title, f.Account, f.Region, f.Instance,
		l.Severity, l.Count, l.UpdatedAt.UnixMilli(), l.Actor, l.Resource, l.Sample, l.Archived,
		f.State.HasAlerted, a.Severity, a.UpdatedAt.UnixMilli(), a.Count, a.Actor, a.Resource,
		f.AlertID, f.Alerts, f.FirstSeen.UnixMilli(), f.LastSeen.UnixMilli(), f.Raw)
	if err != nil {
		return fmt.Errorf("store finding %s: %w", f.Key, err)
	}
	return nil
}
