package store

// hotStatements returns the statements prepared once at Open and bound to
// each Tx that uses them.
func hotStatements(d *dialect) map[string]string {
	m := map[string]string{
		"putAlert": `INSERT INTO alerts (id, ts, event_time, rule_id, level, description, groups, mitre,
		finding_key, finding_id, type, title, severity, account, region, instance_id, principal,
		remote_ip, remote_country, remote_city, remote_asn, remote_org, lat, lon, local_port, api, domain, count,
		source, object, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING RETURNING rowid`,
		"updateAlertCount": `UPDATE alerts SET count = ? WHERE id = ? AND count < ?`,
		"finding": `SELECT id, type, title, account, region, instance_id,
		severity, count, updated_at, actor, resource, sample, archived,
		alerted, alerted_severity, alerted_updated, alerted_count, alerted_actor, alerted_resource,
		alert_id, alerts, first_seen, last_seen, raw FROM findings WHERE key = ?`,
		"putFinding": `INSERT INTO findings (key, id, type, title, account, region, instance_id,
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
	}
	if d.ftsAdd != "" {
		m["ftsAdd"] = d.ftsAdd
	}
	for name, q := range rollupAdd(d) {
		m[name] = q
	}
	return m
}
