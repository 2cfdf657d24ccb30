package store

import (
	"fmt"
	"strings"
)

// The dashboard's counts come from rollup tables kept in step with the
// alerts table, so the overview never scans a million alerts:
//
//   - alert_labels is a view listing, for every alert, the (dim, label)
//     pairs the dashboard counts: its severity band, type, each rule group
//     (once, without the generic ones), instance, remote IP, ASN, country,
//     location and, for brute force, target port. It says how an alert
//     is labelled: the backfill, the triggers and the queries for the
//     minutes at a range's edges read it; the update trigger's newLabels
//     mirrors it for one row, and Commit's counting mirrors it in Go
//     (alertLabels, labels.go, which leaves the values it cannot be sure
//     to spell alike to SQL over the view). The tests check that all label
//     alike (checkRollups, TestGoLabelsMatchView, FuzzGoLabels). (A groups
//     value with control characters is not valid JSON once quoted, and its
//     groups are not counted.)
//   - alert_counts_5m (every dim: charts of short ranges and the partial
//     hours at a range's edges), alert_counts_hour (every dim) and
//     alert_counts_day (the top-N dims, label first, for exact per-label sums
//     over long ranges) count alerts per bucket of event time; bucket is the
//     bucket's first millisecond (UTC, from the Unix epoch).
//   - alert_counts_total counts every alert per top-N label: an upper bound
//     that lets a top-N over a long range stop after looking at a few
//     labels (see topLabels). It has no index by count: keeping one costs
//     every insert more than sorting a dim's totals costs a query.
//
// Inserts are counted in batches: Commit inserts the alerts PutAlert
// buffered, labels the ones it inserted in Go, adds the labels up per
// (dim, bucket, label) and writes each rollup table with one set-based
// upsert (rollups.go), where a per-row trigger made about thirty per alert.
// The alerts Go does not label are counted by rollupAdd*, the same upserts
// over the view.
// Deletes and updates of labelled columns are rare (retention, repairs) and
// go through triggers, so the counts stay exact whatever deletes or
// updates the alerts. No Tx method updates a labelled column or deletes an
// alert, so a trigger never sees an alert inserted but not yet counted.
//
// Until the first release migrations 3 and 4 may still be edited in place;
// after it, change labels or tables with a new migration that replaces the
// view and the triggers and rebuilds the counts.

// Dims of alert_labels.
const (
	dimBand     = 1
	dimType     = 2
	dimGroup    = 3
	dimInstance = 4
	dimRemoteIP = 5
	dimASN      = 6
	dimCountry  = 7
	dimGeo      = 8
	dimPort     = 9 // brute-force target port
)

// Bucket sizes of the rollup tables, in milliseconds.
const (
	span5m   = 5 * 60 * 1000
	spanHour = 60 * 60 * 1000
	spanDay  = 24 * spanHour
)

// migrationDashboard adds the view and rollups described above, fills them
// from the stored alerts, keeps the full-text index right when an indexed
// column is updated (migration 3 covers only delete), and adds
// partial covering indexes for the brute-force and unusual-network pages
// (type is in them so that SQLite need not read the table to check the
// index's condition).
const migrationDashboard = labelsView + rollupTables +
	`CREATE TRIGGER alerts_counts_delete BEFORE DELETE ON alerts BEGIN` + uncountOld + `END;
CREATE TRIGGER alerts_counts_update_old BEFORE UPDATE OF ` + labelledColumns + ` ON alerts BEGIN` + uncountOld + `END;
CREATE TRIGGER alerts_counts_update_new AFTER UPDATE OF ` + labelledColumns + ` ON alerts BEGIN` + countNew + `END;
CREATE TRIGGER alerts_fts_update AFTER UPDATE OF description, title, type, instance_id, principal, remote_ip, domain, api
		ON alerts BEGIN
	INSERT INTO alerts_fts (alerts_fts, rowid, description, title, type, instance_id, principal, remote_ip, domain, api)
	VALUES ('delete', old.rowid, old.description, old.title, old.type, old.instance_id, old.principal, old.remote_ip, old.domain, old.api);
	INSERT INTO alerts_fts (rowid, description, title, type, instance_id, principal, remote_ip, domain, api)
	VALUES (new.rowid, new.description, new.title, new.type, new.instance_id, new.principal, new.remote_ip, new.domain, new.api);
END;
` + rollupFill + pageIndexes

// The parts of migrationDashboard, frozen with it.
const (
	labelsView = `CREATE VIEW alert_labels (id, t, dim, label) AS
	SELECT rowid, event_time, 1, CASE WHEN severity < 4 THEN 'low' WHEN severity < 7 THEN 'medium'
		WHEN severity < 9 THEN 'high' ELSE 'critical' END FROM alerts
	UNION ALL SELECT rowid, event_time, 2, type FROM alerts WHERE type != ''
	UNION ALL SELECT DISTINCT a.rowid, a.event_time, 3, g.value FROM alerts AS a,
		json_each(CASE WHEN json_valid('["' || replace(replace(replace(a.groups, '\', '\\'), '"', '\"'), ',', '","') || '"]')
			THEN '["' || replace(replace(replace(a.groups, '\', '\\'), '"', '\"'), ',', '","') || '"]' ELSE '[]' END) AS g
		WHERE g.value NOT IN ('', 'amazon', 'aws', 'guardduty', 'aws_guardduty')
	UNION ALL SELECT rowid, event_time, 4, instance_id FROM alerts WHERE instance_id != ''
	UNION ALL SELECT rowid, event_time, 5, remote_ip FROM alerts WHERE remote_ip != ''
	UNION ALL SELECT rowid, event_time, 6, rtrim('AS' || remote_asn || ' ' || remote_org) FROM alerts WHERE remote_asn != ''
	UNION ALL SELECT rowid, event_time, 7, remote_country FROM alerts WHERE remote_country != ''
	UNION ALL SELECT rowid, event_time, 8, lat || char(31) || lon || char(31) || remote_country || char(31) || remote_city
		FROM alerts WHERE lat IS NOT NULL AND lon IS NOT NULL
	UNION ALL SELECT rowid, event_time, 9, CAST(local_port AS TEXT) FROM alerts WHERE type LIKE '%BruteForce%';
`
	// newLabels is alert_labels' (dim, label) rows for the trigger row new.
	newLabels = `(SELECT 1 AS dim, CASE WHEN new.severity < 4 THEN 'low' WHEN new.severity < 7 THEN 'medium'
			WHEN new.severity < 9 THEN 'high' ELSE 'critical' END AS label
		UNION ALL SELECT 2, new.type WHERE new.type != ''
		UNION ALL SELECT DISTINCT 3, g.value FROM json_each(CASE
				WHEN json_valid('["' || replace(replace(replace(new.groups, '\', '\\'), '"', '\"'), ',', '","') || '"]')
				THEN '["' || replace(replace(replace(new.groups, '\', '\\'), '"', '\"'), ',', '","') || '"]' ELSE '[]' END) AS g
			WHERE g.value NOT IN ('', 'amazon', 'aws', 'guardduty', 'aws_guardduty')
		UNION ALL SELECT 4, new.instance_id WHERE new.instance_id != ''
		UNION ALL SELECT 5, new.remote_ip WHERE new.remote_ip != ''
		UNION ALL SELECT 6, rtrim('AS' || new.remote_asn || ' ' || new.remote_org) WHERE new.remote_asn != ''
		UNION ALL SELECT 7, new.remote_country WHERE new.remote_country != ''
		UNION ALL SELECT 8, new.lat || char(31) || new.lon || char(31) || new.remote_country || char(31) || new.remote_city
			WHERE new.lat IS NOT NULL AND new.lon IS NOT NULL
		UNION ALL SELECT 9, CAST(new.local_port AS TEXT) WHERE new.type LIKE '%BruteForce%')`

	// labelledColumns are the columns alert_labels reads.
	labelledColumns = `event_time, severity, type, groups, instance_id, remote_ip, remote_asn, remote_org,
		remote_country, remote_city, lat, lon, local_port`

	rollupTables = `CREATE TABLE alert_counts_5m (
	dim    INTEGER NOT NULL,
	bucket INTEGER NOT NULL,
	label  TEXT NOT NULL,
	n      INTEGER NOT NULL,
	PRIMARY KEY (dim, bucket, label)
) WITHOUT ROWID;
CREATE TABLE alert_counts_hour (
	dim    INTEGER NOT NULL,
	bucket INTEGER NOT NULL,
	label  TEXT NOT NULL,
	n      INTEGER NOT NULL,
	PRIMARY KEY (dim, bucket, label)
) WITHOUT ROWID;
CREATE TABLE alert_counts_day (
	dim    INTEGER NOT NULL,
	label  TEXT NOT NULL,
	bucket INTEGER NOT NULL,
	n      INTEGER NOT NULL,
	PRIMARY KEY (dim, label, bucket)
) WITHOUT ROWID;
CREATE TABLE alert_counts_total (
	dim   INTEGER NOT NULL,
	label TEXT NOT NULL,
	n     INTEGER NOT NULL,
	PRIMARY KEY (dim, label)
) WITHOUT ROWID;
`

	// countNew adds the trigger row new to every rollup.
	countNew = `
	INSERT INTO alert_counts_5m (dim, bucket, label, n)
		SELECT dim, new.event_time - ((new.event_time % 300000) + 300000) % 300000, label, 1 FROM ` + newLabels + `
		WHERE true ON CONFLICT DO UPDATE SET n = n + 1;
	INSERT INTO alert_counts_hour (dim, bucket, label, n)
		SELECT dim, new.event_time - ((new.event_time % 3600000) + 3600000) % 3600000, label, 1 FROM ` + newLabels + `
		WHERE true ON CONFLICT DO UPDATE SET n = n + 1;
	INSERT INTO alert_counts_day (dim, label, bucket, n)
		SELECT dim, label, new.event_time - ((new.event_time % 86400000) + 86400000) % 86400000, 1 FROM ` + newLabels + `
		WHERE dim IN (2, 4, 5, 6, 7, 8) ON CONFLICT DO UPDATE SET n = n + 1;
	INSERT INTO alert_counts_total (dim, label, n)
		SELECT dim, label, 1 FROM ` + newLabels + `
		WHERE dim IN (2, 4, 5, 6, 7, 8) ON CONFLICT DO UPDATE SET n = n + 1;
`

	// uncountOld takes the trigger row old (still in the table) out of
	// every rollup and drops the counts that fall to zero.
	uncountOld = `
	UPDATE alert_counts_5m SET n = n - 1 WHERE (dim, bucket, label) IN (
		SELECT dim, t - ((t % 300000) + 300000) % 300000, label FROM alert_labels WHERE id = old.rowid);
	UPDATE alert_counts_hour SET n = n - 1 WHERE (dim, bucket, label) IN (
		SELECT dim, t - ((t % 3600000) + 3600000) % 3600000, label FROM alert_labels WHERE id = old.rowid);
	UPDATE alert_counts_day SET n = n - 1 WHERE (dim, label, bucket) IN (
		SELECT dim, label, t - ((t % 86400000) + 86400000) % 86400000 FROM alert_labels
		WHERE id = old.rowid AND dim IN (2, 4, 5, 6, 7, 8));
	UPDATE alert_counts_total SET n = n - 1 WHERE (dim, label) IN (
		SELECT dim, label FROM alert_labels WHERE id = old.rowid AND dim IN (2, 4, 5, 6, 7, 8));
	DELETE FROM alert_counts_5m WHERE n <= 0 AND (dim, bucket, label) IN (
		SELECT dim, t - ((t % 300000) + 300000) % 300000, label FROM alert_labels WHERE id = old.rowid);
	DELETE FROM alert_counts_hour WHERE n <= 0 AND (dim, bucket, label) IN (
		SELECT dim, t - ((t % 3600000) + 3600000) % 3600000, label FROM alert_labels WHERE id = old.rowid);
	DELETE FROM alert_counts_day WHERE n <= 0 AND (dim, label, bucket) IN (
		SELECT dim, label, t - ((t % 86400000) + 86400000) % 86400000 FROM alert_labels
		WHERE id = old.rowid AND dim IN (2, 4, 5, 6, 7, 8));
	DELETE FROM alert_counts_total WHERE n <= 0 AND (dim, label) IN (
		SELECT dim, label FROM alert_labels WHERE id = old.rowid AND dim IN (2, 4, 5, 6, 7, 8));
`

	// rollupFill counts the stored alerts into the (empty) rollup tables.
	rollupFill = `INSERT INTO alert_counts_5m (dim, bucket, label, n)
	SELECT dim, t - ((t % 300000) + 300000) % 300000, label, count(*) FROM alert_labels GROUP BY 1, 2, 3;
INSERT INTO alert_counts_hour (dim, bucket, label, n)
	SELECT dim, t - ((t % 3600000) + 3600000) % 3600000, label, count(*) FROM alert_labels GROUP BY 1, 2, 3;
INSERT INTO alert_counts_day (dim, label, bucket, n)
	SELECT dim, label, t - ((t % 86400000) + 86400000) % 86400000, count(*) FROM alert_labels
	WHERE dim IN (2, 4, 5, 6, 7, 8) GROUP BY 1, 2, 3;
INSERT INTO alert_counts_total (dim, label, n)
	SELECT dim, label, count(*) FROM alert_labels WHERE dim IN (2, 4, 5, 6, 7, 8) GROUP BY 1, 2;
`

	// pageIndexes serve the brute-force and unusual-network pages. Rows
	// group by their leading columns, so a long range streams them without
	// sorting every alert; the lists of the unusual-network page read a
	// range of event times.
	pageIndexes = `CREATE INDEX alerts_brute_force ON alerts (instance_id, remote_ip, local_port, event_time, count,
	remote_country, type) WHERE type LIKE '%BruteForce%';
CREATE INDEX alerts_unusual_rows ON alerts (principal, remote_ip, api, event_time, remote_country, remote_city,
	remote_asn, remote_org, type)
	WHERE api != '' OR type LIKE '%IAMUser/%' OR type LIKE '%MaliciousIPCaller%' OR type LIKE '%AnomalousBehavior%'
		OR type LIKE '%InstanceCredentialExfiltration%';
CREATE INDEX alerts_unusual_network ON alerts (event_time, principal, remote_ip, api, remote_country, remote_city,
	remote_asn, remote_org, lat, lon, type)
	WHERE api != '' OR type LIKE '%IAMUser/%' OR type LIKE '%MaliciousIPCaller%' OR type LIKE '%AnomalousBehavior%'
		OR type LIKE '%InstanceCredentialExfiltration%';`
)

// ftsAdd indexes the alerts whose rowids are in the JSON array ?1 for
// full-text search. Commit runs it once per batch: FTS5 writes its
// pending terms out at every statement, so a per-row trigger would write
// a new index segment for every alert.
const ftsAdd = `INSERT INTO alerts_fts (rowid, description, title, type, instance_id, principal, remote_ip, domain, api)
	SELECT rowid, description, title, type, instance_id, principal, remote_ip, domain, api FROM alerts
	WHERE rowid IN (SELECT value FROM json_each(?1))`

// rollupAdd returns the statements that count the alerts whose rowids are
// in the JSON array ?1 into each rollup, one upsert per (dim, bucket,
// label): Commit runs them for the alerts its Tx inserted that Go does not
// label (alertLabels). On PostgreSQL
// one statement updates the four rollups from the labels it reads once
// (rollupAddAll); SQLite, which has no writes in WITH, runs one per rollup.
func rollupAdd(d *dialect) map[string]string {
	ids := d.jsonInts(1)
	upserts := rollupUpserts()
	if d.positional {
		var b strings.Builder
		b.WriteString("WITH l AS MATERIALIZED (SELECT dim, label, t FROM alert_labels WHERE id IN (" + ids + "))")
		for i, u := range upserts {
			q := strings.NewReplacer("{labels}", "l", "{where}", "WHERE").Replace(u.query)
			if i < len(upserts)-1 {
				fmt.Fprintf(&b, ",\n%s AS (%s)", u.name, q)
			} else {
				b.WriteString("\n" + q)
			}
		}
		return map[string]string{"rollupAddAll": b.String()}
	}
	m := map[string]string{}
	for _, u := range upserts {
		m[u.name] = strings.NewReplacer("{labels}", "alert_labels WHERE id IN ("+ids+")", "{where}", "AND").Replace(u.query)
	}
	return m
}

// rollupUpserts are the upserts of rollupAdd over the labels {labels};
// {where} joins their condition to the labels' own.
func rollupUpserts() []struct{ name, query string } {
	return []struct{ name, query string }{
		{"rollupAdd5m", `INSERT INTO alert_counts_5m AS c (dim, bucket, label, n)
	SELECT dim, t - ((t % 300000) + 300000) % 300000, label, count(*) FROM {labels} GROUP BY 1, 2, 3
	ON CONFLICT (dim, bucket, label) DO UPDATE SET n = c.n + excluded.n`},
		{"rollupAddHour", `INSERT INTO alert_counts_hour AS c (dim, bucket, label, n)
	SELECT dim, t - ((t % 3600000) + 3600000) % 3600000, label, count(*) FROM {labels} GROUP BY 1, 2, 3
	ON CONFLICT (dim, bucket, label) DO UPDATE SET n = c.n + excluded.n`},
		{"rollupAddDay", `INSERT INTO alert_counts_day AS c (dim, label, bucket, n)
	SELECT dim, label, t - ((t % 86400000) + 86400000) % 86400000, count(*) FROM {labels}
	{where} dim IN (2, 4, 5, 6, 7, 8) GROUP BY 1, 2, 3
	ON CONFLICT (dim, label, bucket) DO UPDATE SET n = c.n + excluded.n`},
		{"rollupAddTotal", `INSERT INTO alert_counts_total AS c (dim, label, n)
	SELECT dim, label, count(*) FROM {labels}
	{where} dim IN (2, 4, 5, 6, 7, 8) GROUP BY 1, 2
	ON CONFLICT (dim, label) DO UPDATE SET n = c.n + excluded.n`},
	}
}
