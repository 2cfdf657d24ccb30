package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// alertColumns are the columns scanAlert reads, in its order.
const alertColumns = `id, ts, event_time, rule_id, level, description, groups, mitre, finding_key, finding_id, type,
	title, severity, account, region, instance_id, principal, remote_ip, remote_country, remote_city, remote_asn,
	remote_org, lat, lon, local_port, api, domain, count, source, object, data`

// Page size of Alerts.
const (
	defaultAlertLimit = 50
	maxAlertLimit     = 1000
)

// Alerts returns one page of the alerts f selects, newest first (by event
// time, then id), and how many f selects in all.
func (s *Store) Alerts(ctx context.Context, f AlertFilter) (AlertPage, error) {
	where, args, err := alertWhere(s.d, f)
	if err != nil {
		return AlertPage{}, fmt.Errorf("list alerts: %w", err)
	}
	var page AlertPage
	if where == "" { // search text with no word that can match
		return page, nil
	}
	err = s.read(ctx, func(q reader) error {
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM alerts WHERE `+where, args...).Scan(&page.Total); err != nil {
			return fmt.Errorf("count: %w", err)
		}
		rows, err := q.QueryContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE `+where+`
			ORDER BY event_time DESC, id DESC LIMIT ? OFFSET ?`,
			append(args, clampLimit(f.Limit, defaultAlertLimit, maxAlertLimit), max(f.Offset, 0))...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAlert(rows)
			if err != nil {
				return err
			}
			page.Alerts = append(page.Alerts, a)
		}
		return rows.Err()
	})
	if err != nil {
		return AlertPage{}, fmt.Errorf("list alerts: %w", err)
	}
	return page, nil
}

// Alert returns the alert with id, and whether there is one.
func (s *Store) Alert(ctx context.Context, id string) (Alert, bool, error) {
	a, err := scanAlert(s.ro.QueryRowContext(ctx, s.q(`SELECT `+alertColumns+` FROM alerts WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Alert{}, false, nil
	}
	if err != nil {
		return Alert{}, false, fmt.Errorf("read alert %s: %w", id, err)
	}
	return a, true, nil
}

// bandWhere is the severity condition of each band.
func bandWhere(band string) (string, error) {
	switch band {
	case "low":
		return `severity < 4`, nil
	case "medium":
		return `severity >= 4 AND severity < 7`, nil
	case "high":
		return `severity >= 7 AND severity < 9`, nil
	case "critical":
		return `severity >= 9`, nil
	}
	return "", fmt.Errorf("unknown severity band %q (want low, medium, high or critical)", band)
}

// alertWhere builds the condition of f from constant fragments; every value
// is a parameter. It returns "" when f.Text has no word that can match.
func alertWhere(d *dialect, f AlertFilter) (string, []any, error) {
	conds, args := []string{"true"}, []any{}
	add := func(cond string, arg ...any) {
		conds = append(conds, cond)
		args = append(args, arg...)
	}
	r := f.Range
	if !r.From.IsZero() && !r.To.IsZero() && r.To.Before(r.From) {
		return "", nil, errRange
	}
	if !r.From.IsZero() {
		add(`event_time >= ?`, r.From.UnixMilli())
	}
	if !r.To.IsZero() {
		add(`event_time < ?`, r.To.UnixMilli())
	}
	if f.MinLevel > 0 {
		add(`level >= ?`, f.MinLevel)
	}
	if f.Band != "" {
		cond, err := bandWhere(f.Band)
		if err != nil {
			return "", nil, err
		}
		add(cond)
	}
	for _, c := range []struct {
		col, val string // col is a column name constant
	}{{"type", f.Type}, {"account", f.Account}, {"region", f.Region}, {"instance_id", f.InstanceID}} {
		if c.val != "" {
			add(c.col+` = ?`, c.val)
		}
	}
	if f.RuleID != 0 {
		add(`rule_id = ?`, f.RuleID)
	}
	if strings.TrimSpace(f.Text) != "" {
		match := d.textQuery(f.Text)
		if match == "" {
			return "", nil, nil
		}
		add(d.textMatch, match)
	}
	return strings.Join(conds, " AND "), args, nil
}

// ftsQuery turns search text into an FTS5 query that is never FTS syntax:
// each word becomes a quoted phrase (embedded quotes doubled) and all must
// match. NUL separates words too (FTS5 would end the query there). Words
// without a character the tokenizer keeps (letters, digits and .-_, as
// alerts_fts is declared) are dropped: they could match nothing. It
// returns "" when no word is left.
func ftsQuery(text string) string {
	var terms []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return unicode.IsSpace(r) || r == 0 }) {
		if !strings.ContainsFunc(w, isTokenRune) {
			continue
		}
		terms = append(terms, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`)
	}
	return strings.Join(terms, " AND ")
}

// tsQuery is ftsQuery for PostgreSQL: a tsquery in which every word of
// text must match. A word is split into tokens as alert_words splits the
// searched columns (isTokenRune, lower case) and becomes a phrase of them
// ('a' <-> 'b'); the tokens are quoted lexemes, which need no escaping
// since they hold only letters, digits and .-_. A token too long to be
// indexed can match nothing, and neither can the query ("").
func tsQuery(text string) string {
	var terms []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return unicode.IsSpace(r) || r == 0 }) {
		toks := strings.FieldsFunc(strings.ToLower(w), func(r rune) bool { return !isTokenRune(r) })
		if len(toks) == 0 {
			continue
		}
		for i, tok := range toks {
			if len(tok) > maxWordLen {
				return ""
			}
			toks[i] = "'" + tok + "'"
		}
		terms = append(terms, strings.Join(toks, " <-> "))
	}
	return strings.Join(terms, " & ")
}

// maxWordLen is maxWordBytes (schema_postgres.go) as a number.
const maxWordLen = 2000

// isTokenRune mirrors the unicode61 tokenizer of alerts_fts: letters,
// numbers, private-use characters and the declared tokenchars.
func isTokenRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r) || strings.ContainsRune(".-_", r)
}

// scanAlert reads one row of alertColumns.
func scanAlert(sc interface{ Scan(...any) error }) (Alert, error) {
	var a Alert
	var ts, et int64
	var groups, mitre string
	var lat, lon sql.NullFloat64
	err := sc.Scan(&a.ID, &ts, &et, &a.RuleID, &a.Level, &a.Description, &groups, &mitre, &a.FindingKey, &a.FindingID,
		&a.Type, &a.Title, &a.Severity, &a.Account, &a.Region, &a.InstanceID, &a.Principal, &a.RemoteIP,
		&a.RemoteCountry, &a.RemoteCity, &a.RemoteASN, &a.RemoteOrg, &lat, &lon, &a.LocalPort, &a.API, &a.Domain,
		&a.Count, &a.Source, &a.Object, &a.Data)
	if err != nil {
		return Alert{}, err
	}
	a.Time, a.EventTime = millis(ts), millis(et)
	a.Groups, a.MITRE = splitList(groups), splitList(mitre)
	a.HasGeo = lat.Valid && lon.Valid
	a.Lat, a.Lon = lat.Float64, lon.Float64
	return a, nil
}

// splitList undoes PutAlert's comma join.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
