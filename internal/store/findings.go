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
	err := t.stmt(ctx, "finding").QueryRowContext(ctx, key).Scan(
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
	_, err := t.stmt(ctx, "putFinding").ExecContext(ctx,
		f.Key, f.ID, f.Type, f.Title, f.Account, f.Region, f.Instance,
		l.Severity, l.Count, l.UpdatedAt.UnixMilli(), l.Actor, l.Resource, l.Sample, l.Archived,
		f.State.HasAlerted, a.Severity, a.UpdatedAt.UnixMilli(), a.Count, a.Actor, a.Resource,
		f.AlertID, f.Alerts, f.FirstSeen.UnixMilli(), f.LastSeen.UnixMilli(), f.Raw)
	if err != nil {
		return fmt.Errorf("store finding %s: %w", f.Key, err)
	}
	return nil
}
