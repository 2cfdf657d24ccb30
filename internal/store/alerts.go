package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Alert is one stored alert: what the dashboard shows and searches, and
// the event it was raised on (Data, the event JSON).
type Alert struct {
	ID string
	// Time is when dutywatch raised the alert; EventTime the finding
	// version's updatedAt, which the dashboard's time ranges use.
	Time, EventTime time.Time
	RuleID          int
	Level           int
	Description     string
	Groups          []string
	MITRE           []string
	FindingKey      string
	FindingID       string
	Type            string
	Title           string
	Severity        float64
	Account, Region string
	InstanceID      string
	Principal       string
	RemoteIP        string
	RemoteCountry   string
	RemoteCity      string
	RemoteASN       string
	RemoteOrg       string
	// HasGeo says whether Lat and Lon are known.
	HasGeo    bool
	Lat, Lon  float64
	LocalPort int
	// API is the AWS API called (API-call findings); Domain the domain
	// looked up (DNS findings).
	API, Domain string
	Count       int64
	// Source and Object name where the finding was read.
	Source, Object string
	Data           []byte
}

// PutAlert stores a. Storing the same alert id again changes nothing, so
// replays are harmless.
func (t *Tx) PutAlert(ctx context.Context, a Alert) error {
	var lat, lon any
	if a.HasGeo {
		lat, lon = a.Lat, a.Lon
	}
	var id int64
	err := t.stmt(ctx, "putAlert").QueryRowContext(ctx,
		a.ID, a.Time.UnixMilli(), a.EventTime.UnixMilli(), a.RuleID, a.Level, a.Description,
		strings.Join(a.Groups, ","), strings.Join(a.MITRE, ","), a.FindingKey, a.FindingID, a.Type, a.Title, a.Severity,
		a.Account, a.Region, a.InstanceID, a.Principal, a.RemoteIP, a.RemoteCountry, a.RemoteCity, a.RemoteASN,
		a.RemoteOrg, lat, lon, a.LocalPort, a.API, a.Domain, a.Count, a.Source, a.Object, a.Data).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) { // a replay, counted already
		return nil
	}
	if err != nil {
		return fmt.Errorf("store alert %s: %w", a.ID, err)
	}
	t.added = append(t.added, id)
	return nil
}

// countAdded counts the alerts the transaction inserted into the dashboard's
// rollups (see query_schema.go): one upsert per count the batch changes,
// rather than a trigger's thirty per alert.
func (t *Tx) countAdded(ctx context.Context) error {
	if len(t.added) == 0 {
		return nil
	}
	ids := make([]byte, 0, 1+len(t.added)*8)
	ids = append(ids, '[')
	for i, id := range t.added {
		if i > 0 {
			ids = append(ids, ',')
		}
		ids = strconv.AppendInt(ids, id, 10)
	}
	ids = append(ids, ']')
	for _, name := range [...]string{"ftsAdd", "rollupAdd5m", "rollupAddHour", "rollupAddDay", "rollupAddTotal"} {
		if _, ok := t.store.stmts[name]; !ok { // no ftsAdd: PostgreSQL's index follows the table
			continue
		}
		if _, err := t.stmt(ctx, name).ExecContext(ctx, string(ids)); err != nil {
			return fmt.Errorf("index new alerts (%s): %w", name, err)
		}
	}
	t.added = t.added[:0]
	return nil
}

// UpdateAlertCount refreshes the count of the alert a finding update did
// not re-raise, so the stored alert shows the finding's latest count ("one
// alert per finding, updated in place").
func (t *Tx) UpdateAlertCount(ctx context.Context, alertID string, count int64) error {
	_, err := t.stmt(ctx, "updateAlertCount").ExecContext(ctx, count, alertID, count)
	if err != nil {
		return fmt.Errorf("update alert %s: %w", alertID, err)
	}
	return nil
}
