package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"slices"
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

// alertsInsert writes buffered alerts; it returns the ids and rowids of
// the alerts it inserted, not those already stored.
var alertsInsert = rowsStmt{
	query: `INSERT {or fail} INTO alerts (id, ts, event_time, rule_id, level, description, groups, mitre,
		finding_key, finding_id, type, title, severity, account, region, instance_id, principal,
		remote_ip, remote_country, remote_city, remote_asn, remote_org, lat, lon, local_port, api, domain, count,
		source, object, data)
		SELECT * FROM {rows} WHERE true
		ON CONFLICT (id) DO NOTHING RETURNING id, rowid`,
	types: []string{"text", "int8", "int8", "int8", "int8", "text", "text", "text",
		"text", "text", "text", "text", "float8", "text", "text", "text", "text",
		"text", "text", "text", "text", "text", "float8", "float8", "int8", "text", "text", "int8",
		"text", "text", "bytea"},
}

// pgAlertsInsert is alertsInsert on PostgreSQL, where the search column
// comes from alertWords (search.go).
var pgAlertsInsert = rowsStmt{
	query: strings.Replace(strings.Replace(alertsInsert.query, "source, object, data)", "source, object, data, search)", 1),
		"SELECT *", "SELECT "+columnList(len(alertsInsert.types))+", CAST(column32 AS tsvector)", 1),
	types: append(slices.Clip(alertsInsert.types), "text"),
}

// columnList names the first n columns of a rows source.
func columnList(n int) string {
	cols := make([]string, n)
	for i := range cols {
		cols[i] = "column" + strconv.Itoa(i+1)
	}
	return strings.Join(cols, ", ")
}

// alertCount is the column of an alert row that UpdateAlertCount changes.
const alertCount = 27

// PutAlert stores a. Storing the same alert id again changes nothing, so
// replays are harmless. The alert is written at Commit.
func (t *Tx) PutAlert(ctx context.Context, a Alert) error {
	if _, ok := t.alertAt[a.ID]; ok {
		return nil // the first of the batch wins, as in the table
	}
	var lat, lon any
	if a.HasGeo {
		lat, lon = a.Lat, a.Lon
	}
	data := bytes.Clone(a.Data) // the caller may reuse a.Data
	if t.alertAt == nil {
		t.alertAt = map[string]int{}
	}
	t.alertAt[a.ID] = len(t.alerts)
	row := []any{
		a.ID, a.Time.UnixMilli(), a.EventTime.UnixMilli(), int64(a.RuleID), int64(a.Level), a.Description,
		strings.Join(a.Groups, ","), strings.Join(a.MITRE, ","), a.FindingKey, a.FindingID, a.Type, a.Title, a.Severity,
		a.Account, a.Region, a.InstanceID, a.Principal, a.RemoteIP, a.RemoteCountry, a.RemoteCity, a.RemoteASN,
		a.RemoteOrg, lat, lon, int64(a.LocalPort), a.API, a.Domain, a.Count, a.Source, a.Object, data}
	if t.store.d.positional {
		row = append(row, alertWords(a.Description, a.Title, a.Type, a.InstanceID, a.Principal, a.RemoteIP, a.Domain, a.API))
	}
	t.alerts = append(t.alerts, row)
	t.labelled = append(t.labelled, labelledOf(&a, row[6].(string)))
	return t.buffer(ctx, len(data)+bufferedRowBytes)
}

// bufferedRowBytes is about what a buffered row takes beside its largest
// column.
const bufferedRowBytes = 512

// labelledOf returns the labelled columns of a, whose groups column is
// groups.
func labelledOf(a *Alert, groups string) labelled {
	return labelled{
		eventTime: a.EventTime.UnixMilli(), severity: a.Severity, typ: a.Type, groups: groups,
		instance: a.InstanceID, remoteIP: a.RemoteIP, country: a.RemoteCountry, city: a.RemoteCity,
		asn: a.RemoteASN, org: a.RemoteOrg, hasGeo: a.HasGeo, lat: a.Lat, lon: a.Lon, localPort: int64(a.LocalPort),
	}
}

// UpdateAlertCount refreshes the count of the alert a finding update did
// not re-raise, so the stored alert shows the finding's latest count ("one
// alert per finding, updated in place"). A count never goes down. The
// change is written at Commit; an alert PutAlert buffered in this Tx is
// changed in the buffer.
func (t *Tx) UpdateAlertCount(ctx context.Context, alertID string, count int64) error {
	if i, ok := t.alertAt[alertID]; ok {
		row := t.alerts[i]
		row[alertCount] = max(row[alertCount].(int64), count)
		// Should the buffered insert find the id stored already, the
		// update applies to the stored alert instead (flushAlerts).
		t.countsAfter = raiseCount(t.countsAfter, alertID, count)
		return nil
	}
	t.countsBefore = raiseCount(t.countsBefore, alertID, count)
	return nil
}

// raiseCount records that alertID's count must become at least count.
func raiseCount(m map[string]int64, alertID string, count int64) map[string]int64 {
	if m == nil {
		m = map[string]int64{}
	}
	if c, ok := m[alertID]; !ok || count > c {
		m[alertID] = count
	}
	return m
}

// alertCounts raises stored alerts' counts to the values of column2.
var alertCounts = rowsStmt{
	query: `UPDATE {or fail} alerts SET count = u.column2 FROM {rows} WHERE alerts.id = u.column1 AND alerts.count < u.column2`,
	types: []string{"text", "int8"},
}

// flushAlerts writes the buffered alerts and count updates in the order
// their calls made: the updates of alerts not buffered, the inserts, then
// the updates of buffered alerts that turned out to be stored already
// (replays). It records the alerts it inserted for countAdded.
func (t *Tx) flushAlerts(ctx context.Context) error {
	if err := t.updateCounts(ctx, t.countsBefore); err != nil {
		return err
	}
	inserted := make(map[string]bool, len(t.alerts))
	insert := alertsInsert
	if t.store.d.positional {
		insert = pgAlertsInsert
	}
	err := t.execRows(ctx, insert, t.alerts, func(rs *sql.Rows) error {
		var id string
		var rowid int64
		if err := rs.Scan(&id, &rowid); err != nil {
			return err
		}
		inserted[id] = true
		t.added = append(t.added, addedAlert{rowid: rowid, at: t.alertAt[id]})
		return nil
	})
	if err != nil {
		return fmt.Errorf("store %d alerts: %w", len(t.alerts), err)
	}
	for id := range t.countsAfter {
		if inserted[id] {
			delete(t.countsAfter, id)
		}
	}
	return t.updateCounts(ctx, t.countsAfter)
}

// addedAlert is an alert Commit inserted: its rowid and its index in
// Tx.alerts. A replayed alert that was stored already is not one.
type addedAlert struct {
	rowid int64
	at    int
}

// updateCounts applies count updates with one statement.
func (t *Tx) updateCounts(ctx context.Context, counts map[string]int64) error {
	if len(counts) == 0 {
		return nil
	}
	rows := make([][]any, 0, len(counts))
	for id, c := range counts {
		rows = append(rows, []any{id, c})
	}
	if err := t.execRows(ctx, alertCounts, rows, nil); err != nil {
		return fmt.Errorf("update the counts of %d alerts: %w", len(rows), err)
	}
	return nil
}

// countAdded counts the alerts the transaction inserted into the
// dashboard's rollups (see query_schema.go and labels.go): their labels
// are added up in Go and written with one upsert per rollup table (a few
// on SQLite), where a per-row trigger made about thirty per alert. The
// alerts Go cannot label (alertLabels) are counted by SQL over the view.
// On SQLite it also adds them to the full-text index.
func (t *Tx) countAdded(ctx context.Context) error {
	if len(t.added) == 0 {
		return nil
	}
	postgres := t.store.d.positional
	var rb rollupBatch
	var viaSQL []int64
	var ls []alertLabel
	for _, a := range t.added {
		l := &t.labelled[a.at]
		var ok bool
		if ls, ok = alertLabels(ls[:0], l, postgres); !ok {
			viaSQL = append(viaSQL, a.rowid)
			continue
		}
		rb.add(l.eventTime, ls)
	}
	if err := rb.write(ctx, t); err != nil {
		return fmt.Errorf("count new alerts: %w", err)
	}
	if len(viaSQL) > 0 {
		err := t.execIDs(ctx, viaSQL, "rollupAdd5m", "rollupAddHour", "rollupAddDay", "rollupAddTotal", "rollupAddAll")
		if err != nil {
			return err
		}
	}
	if t.store.d.ftsAdd != "" {
		all := make([]int64, len(t.added))
		for i, a := range t.added {
			all[i] = a.rowid
		}
		if err := t.execIDs(ctx, all, "ftsAdd"); err != nil {
			return err
		}
	}
	t.added = t.added[:0]
	return nil
}

// execIDs runs the prepared statements names, those the backend has, with
// the rowids ids as a JSON array.
func (t *Tx) execIDs(ctx context.Context, ids []int64, names ...string) error {
	arr := make([]byte, 0, 1+len(ids)*8)
	arr = append(arr, '[')
	for i, id := range ids {
		if i > 0 {
			arr = append(arr, ',')
		}
		arr = strconv.AppendInt(arr, id, 10)
	}
	arr = append(arr, ']')
	for _, name := range names {
		if _, ok := t.store.stmts[name]; !ok { // each backend has some of them (rollupAdd)
			continue
		}
		if _, err := t.stmt(ctx, name).ExecContext(ctx, string(arr)); err != nil {
			return fmt.Errorf("index new alerts (%s): %w", name, err)
		}
	}
	return nil
}
