package store

import "strings"

// postgresMigrations are the PostgreSQL schema's migrations, applied in
// order under an advisory lock; the index+1 is the schema version (the
// schema_version table). They hold the same tables as SQLite's with
// PostgreSQL types (BIGINT times, DOUBLE PRECISION, BYTEA, BOOLEAN flags),
// with these differences:
//
//   - alerts has an identity column named rowid, so the queries that
//     address alerts by SQLite's rowid run unchanged.
//   - Full-text search is a generated tsvector column (search) with a GIN
//     index. alert_words splits the searched columns exactly as alerts_fts'
//     unicode61 tokenizer does (letters, digits and '.', '-', '_' make
//     words; lower case) and builds the tsvector from the words verbatim,
//     with positions, so phrases work and no text-search parser splits
//     IPs or instance ids differently. Each column's words start 2,000
//     positions after the previous column's, so no phrase spans columns.
//   - alert_labels is a view over alert_label_rows, one function that
//     labels one alert; the delete and update triggers call it with OLD and
//     NEW instead of repeating the view.
//   - Type patterns use ILIKE, as SQLite's LIKE ignores ASCII case.
//   - Since migration 4 the search column is no longer generated: PutAlert
//     computes it (alertWords, search.go, the same words), since running
//     alert_words was most of an insert's cost. Triggers run alert_words
//     for an insert that leaves it NULL and for an update of the searched
//     columns.
func postgresMigrations() []string {
	return []string{pgBase, pgDashboard(), pgOutbox, pgSearchColumn}
}

// pgSearchColumn turns the generated search column into a plain one,
// keeping its values, and has triggers fill it where no value is given.
const pgSearchColumn = `ALTER TABLE alerts ALTER COLUMN search DROP EXPRESSION;
CREATE FUNCTION alerts_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.search := alert_words(ARRAY[NEW.description, NEW.title, NEW.type, NEW.instance_id, NEW.principal,
		NEW.remote_ip, NEW.domain, NEW.api]);
	RETURN NEW;
END
$$;
CREATE TRIGGER alerts_search_insert BEFORE INSERT ON alerts FOR EACH ROW WHEN (NEW.search IS NULL)
	EXECUTE FUNCTION alerts_search();
CREATE TRIGGER alerts_search_update BEFORE UPDATE OF description, title, type, instance_id, principal, remote_ip,
	domain, api ON alerts FOR EACH ROW EXECUTE FUNCTION alerts_search();
`

const pgBase = `CREATE TABLE objects_done (
	scope    TEXT NOT NULL,
	key      TEXT NOT NULL,
	source   TEXT NOT NULL,
	bucket   TEXT NOT NULL,
	etag     TEXT NOT NULL,
	size     BIGINT NOT NULL,
	records  BIGINT NOT NULL,
	events   BIGINT NOT NULL,
	partial  BOOLEAN NOT NULL DEFAULT false,
	done_at  BIGINT NOT NULL,
	PRIMARY KEY (scope, key)
);
CREATE INDEX objects_done_by_time ON objects_done (done_at);
CREATE TABLE cursors (
	scope      TEXT PRIMARY KEY,
	source     TEXT NOT NULL,
	key        TEXT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE TABLE objects_failed (
	scope     TEXT NOT NULL,
	key       TEXT NOT NULL,
	source    TEXT NOT NULL,
	bucket    TEXT NOT NULL,
	account   TEXT NOT NULL,
	region    TEXT NOT NULL,
	etag      TEXT NOT NULL,
	size      BIGINT NOT NULL,
	error     TEXT NOT NULL,
	transient BOOLEAN NOT NULL,
	attempts  INTEGER NOT NULL,
	first_at  BIGINT NOT NULL,
	last_at   BIGINT NOT NULL,
	PRIMARY KEY (scope, key)
);
CREATE TABLE sink_offsets (
	sink     TEXT PRIMARY KEY,
	"offset" BIGINT NOT NULL
);
CREATE TABLE source_polls (
	source     TEXT PRIMARY KEY,
	last_poll  BIGINT NOT NULL,
	last_error TEXT NOT NULL
);
CREATE TABLE findings (
	key              TEXT PRIMARY KEY,
	id               TEXT NOT NULL,
	type             TEXT NOT NULL,
	title            TEXT NOT NULL,
	account          TEXT NOT NULL,
	region           TEXT NOT NULL,
	instance_id      TEXT NOT NULL,
	severity         DOUBLE PRECISION NOT NULL,
	count            BIGINT NOT NULL,
	updated_at       BIGINT NOT NULL,
	actor            TEXT NOT NULL,
	resource         TEXT NOT NULL,
	sample           BOOLEAN NOT NULL,
	archived         BOOLEAN NOT NULL,
	alerted          BOOLEAN NOT NULL,
	alerted_severity DOUBLE PRECISION NOT NULL,
	alerted_updated  BIGINT NOT NULL,
	alerted_count    BIGINT NOT NULL,
	alerted_actor    TEXT NOT NULL,
	alerted_resource TEXT NOT NULL,
	alert_id         TEXT NOT NULL,
	alerts           INTEGER NOT NULL,
	first_seen       BIGINT NOT NULL,
	last_seen        BIGINT NOT NULL,
	raw              BYTEA NOT NULL
);
CREATE INDEX findings_by_instance ON findings (instance_id, updated_at);
CREATE INDEX findings_by_type ON findings (type, updated_at);
CREATE FUNCTION alert_words(cols TEXT[]) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CAST(coalesce(string_agg('''' || w || ''':' || (least(n, 1999) + (c - 1) * 2000), ' '), '') AS tsvector)
	FROM unnest(cols) WITH ORDINALITY AS x (col, c),
		regexp_split_to_table(lower(col), '[^[:alnum:]._-]+') WITH ORDINALITY AS y (w, n)
	WHERE w <> '' AND octet_length(w) <= ` + maxWordBytes + `
$$;
CREATE TABLE alerts (
	rowid          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
	id             TEXT PRIMARY KEY,
	ts             BIGINT NOT NULL,
	event_time     BIGINT NOT NULL,
	rule_id        INTEGER NOT NULL,
	level          INTEGER NOT NULL,
	description    TEXT NOT NULL,
	groups         TEXT NOT NULL,
	mitre          TEXT NOT NULL,
	finding_key    TEXT NOT NULL,
	finding_id     TEXT NOT NULL,
	type           TEXT NOT NULL,
	title          TEXT NOT NULL,
	severity       DOUBLE PRECISION NOT NULL,
	account        TEXT NOT NULL,
	region         TEXT NOT NULL,
	instance_id    TEXT NOT NULL,
	principal      TEXT NOT NULL,
	remote_ip      TEXT NOT NULL,
	remote_country TEXT NOT NULL,
	remote_city    TEXT NOT NULL,
	remote_asn     TEXT NOT NULL,
	remote_org     TEXT NOT NULL,
	lat            DOUBLE PRECISION,
	lon            DOUBLE PRECISION,
	local_port     INTEGER NOT NULL,
	api            TEXT NOT NULL,
	domain         TEXT NOT NULL,
	count          BIGINT NOT NULL,
	source         TEXT NOT NULL,
	object         TEXT NOT NULL,
	data           BYTEA NOT NULL,
	search         tsvector GENERATED ALWAYS AS (alert_words(ARRAY[description, title, type, instance_id, principal,
		remote_ip, domain, api])) STORED
);
CREATE INDEX alerts_by_time ON alerts (event_time);
CREATE INDEX alerts_by_level ON alerts (level, event_time);
CREATE INDEX alerts_by_type ON alerts (type, event_time);
CREATE INDEX alerts_by_instance ON alerts (instance_id, event_time);
CREATE INDEX alerts_by_remote_ip ON alerts (remote_ip, event_time);
CREATE INDEX alerts_by_rule ON alerts (rule_id, event_time);
CREATE INDEX alerts_by_finding ON alerts (finding_key);
CREATE INDEX alerts_search ON alerts USING gin (search);
`

// maxWordBytes bounds an indexed word: tsvector lexemes stop at 2 KiB. A
// longer search word matches nothing.
const maxWordBytes = "2000"

// pgDashboard is migrationDashboard's PostgreSQL form (see query_schema.go).
func pgDashboard() string {
	uncount, count := pgRecount()
	return `CREATE FUNCTION alert_label_rows(severity DOUBLE PRECISION, type TEXT, groups TEXT, instance_id TEXT,
	remote_ip TEXT, remote_asn TEXT, remote_org TEXT, remote_country TEXT, remote_city TEXT,
	lat DOUBLE PRECISION, lon DOUBLE PRECISION, local_port INTEGER) RETURNS TABLE (dim INTEGER, label TEXT)
LANGUAGE sql IMMUTABLE AS $$
	SELECT 1, CASE WHEN severity < 4 THEN 'low' WHEN severity < 7 THEN 'medium'
		WHEN severity < 9 THEN 'high' ELSE 'critical' END
	UNION ALL SELECT 2, type WHERE type <> ''
	UNION ALL SELECT DISTINCT 3, g FROM unnest(string_to_array(groups, ',')) AS g
		WHERE groups !~ '[\x01-\x1f]' AND g NOT IN ('', 'amazon', 'aws', 'guardduty', 'aws_guardduty')
	UNION ALL SELECT 4, instance_id WHERE instance_id <> ''
	UNION ALL SELECT 5, remote_ip WHERE remote_ip <> ''
	UNION ALL SELECT 6, rtrim('AS' || remote_asn || ' ' || remote_org) WHERE remote_asn <> ''
	UNION ALL SELECT 7, remote_country WHERE remote_country <> ''
	UNION ALL SELECT 8, CAST(lat AS TEXT) || chr(31) || CAST(lon AS TEXT) || chr(31) || remote_country || chr(31) ||
		remote_city WHERE lat IS NOT NULL AND lon IS NOT NULL
	UNION ALL SELECT 9, CAST(local_port AS TEXT) WHERE type ILIKE '%BruteForce%'
$$;
CREATE VIEW alert_labels (id, t, dim, label) AS
	SELECT a.rowid, a.event_time, l.dim, l.label FROM alerts AS a CROSS JOIN LATERAL ` + labelRows("a") + ` AS l;
` + strings.NewReplacer(") WITHOUT ROWID;", ");", "INTEGER", "BIGINT").Replace(rollupTables) + `
CREATE FUNCTION alerts_recount() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('DELETE', 'UPDATE') THEN` + uncount + `
	END IF;
	IF TG_OP = 'UPDATE' THEN` + count + `
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER alerts_counts_delete AFTER DELETE ON alerts FOR EACH ROW EXECUTE FUNCTION alerts_recount();
CREATE TRIGGER alerts_counts_update AFTER UPDATE OF ` + labelledColumns + ` ON alerts
	FOR EACH ROW EXECUTE FUNCTION alerts_recount();
CREATE INDEX alerts_brute_force ON alerts (instance_id, remote_ip, local_port, event_time)
	INCLUDE (count, remote_country) WHERE type ILIKE '%BruteForce%';
CREATE INDEX alerts_unusual_network ON alerts (event_time)
	INCLUDE (principal, remote_ip, api, remote_country, remote_city, remote_asn, remote_org, lat, lon)
	WHERE ` + pgUnusual + `;
`
}

// labelRows calls alert_label_rows on the columns of row (an alias, OLD
// or NEW). A whole-row argument would be shorter, but PostgreSQL 15 fails
// to plan the view with one ("variable not found in subplan target list").
func labelRows(row string) string {
	var args []string
	for _, c := range strings.Split("severity type groups instance_id remote_ip remote_asn remote_org remote_country remote_city lat lon local_port", " ") {
		args = append(args, row+"."+c)
	}
	return "alert_label_rows(" + strings.Join(args, ", ") + ")"
}

// pgUnusual is unusualWhere's type condition on PostgreSQL.
const pgUnusual = `api <> '' OR type ILIKE '%IAMUser/%' OR type ILIKE '%MaliciousIPCaller%'
	OR type ILIKE '%AnomalousBehavior%' OR type ILIKE '%InstanceCredentialExfiltration%'`

// pgRecount returns the trigger statements that take OLD out of every
// rollup and that add NEW.
func pgRecount() (uncount, count string) {
	// The rollup tables, with their bucket expressions over the event
	// time {t} and their keys.
	buckets := []struct{ table, bucket, key string }{
		{"alert_counts_5m", "{t} - (({t} % 300000) + 300000) % 300000", "dim, bucket, label"},
		{"alert_counts_hour", "{t} - (({t} % 3600000) + 3600000) % 3600000", "dim, bucket, label"},
		{"alert_counts_day", "{t} - (({t} % 86400000) + 86400000) % 86400000", "dim, label, bucket"},
		{"alert_counts_total", "", "dim, label"},
	}
	var un, del, add strings.Builder
	for _, b := range buckets {
		topN := ""
		if b.table == "alert_counts_day" || b.table == "alert_counts_total" {
			topN = " AND l.dim IN (2, 4, 5, 6, 7, 8)"
		}
		match := func(row string) string {
			m := "c.dim = l.dim AND c.label = l.label" + topN
			if b.bucket != "" {
				m += " AND c.bucket = " + strings.ReplaceAll(b.bucket, "{t}", row+".event_time")
			}
			return m
		}
		un.WriteString("\n\t\tUPDATE " + b.table + " AS c SET n = c.n - 1 FROM " + labelRows("OLD") + " AS l WHERE " + match("OLD") + ";")
		del.WriteString("\n\t\tDELETE FROM " + b.table + " AS c USING " + labelRows("OLD") + " AS l WHERE c.n <= 0 AND " + match("OLD") + ";")
		cols, vals := "dim, label, n", "l.dim, l.label, 1"
		if b.bucket != "" {
			cols, vals = "dim, bucket, label, n", "l.dim, "+strings.ReplaceAll(b.bucket, "{t}", "NEW.event_time")+", l.label, 1"
		}
		add.WriteString("\n\t\tINSERT INTO " + b.table + " AS c (" + cols + ") SELECT " + vals +
			" FROM " + labelRows("NEW") + " AS l WHERE true" + topN + " ON CONFLICT (" + b.key + ") DO UPDATE SET n = c.n + 1;")
	}
	return un.String() + del.String(), add.String()
}

// pgOutbox adds the engine state, the outbox and its cursors, leases and
// deliveries. The outbox's identity has no cache, so numbers are handed out
// in the order of the (serialized) transactions that take them.
const pgOutbox = `CREATE TABLE engine_state (
	name       TEXT PRIMARY KEY,
	gen        BIGINT NOT NULL,
	data       BYTEA NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE TABLE outbox (
	seq      BIGINT GENERATED ALWAYS AS IDENTITY (CACHE 1) PRIMARY KEY,
	alert_id TEXT NOT NULL,
	ts       BIGINT NOT NULL,
	level    INTEGER NOT NULL,
	rule_id  INTEGER NOT NULL,
	type     TEXT NOT NULL,
	doc      BYTEA NOT NULL
);
CREATE TABLE outbox_cursors (
	destination TEXT PRIMARY KEY,
	seq         BIGINT NOT NULL
);
CREATE TABLE leases (
	name       TEXT PRIMARY KEY,
	owner      TEXT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE TABLE deliveries (
	destination TEXT NOT NULL,
	alert_id    TEXT NOT NULL,
	status      TEXT NOT NULL,
	error       TEXT NOT NULL,
	attempts    INTEGER NOT NULL,
	at          BIGINT NOT NULL,
	PRIMARY KEY (destination, alert_id)
);
CREATE INDEX deliveries_by_alert ON deliveries (alert_id);
`
