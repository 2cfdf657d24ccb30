package store

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/dutywatch/dutywatch/internal/testenv"
)

// TestAlertWordsMatchesSQL checks that alertWords gives what the SQL
// function alert_words gives, on the server at hand.
func TestAlertWordsMatchesSQL(t *testing.T) {
	s := opener(t, testenv.Postgres(t))()
	for _, c := range []struct {
		name string
		cols []string
	}{
		{"empty", []string{"", "", "", "", "", "", "", ""}},
		{"type and ip", []string{"SSH brute force", "t", "UnauthorizedAccess:EC2/SSHBruteForce", "i-0abc",
			"AIDA:user@example.com", "198.51.100.7", "evil.example.com", "ConsoleLogin"}},
		{"separators at the ends", []string{"  lead", "trail  ", "--x--", " ", "a//b", "(", ")", "_ok_"}},
		{"repeated words", []string{"a a a b a", "a", "b b", "", "", "", "", ""}},
		{"non-ascii", []string{"Évènement ÜBER straße", "日本語 テキスト", "emoji🙂sep", "ß", "İstanbul", "", "", ""}},
		{"controls", []string{"tab\tnew\nline\rcr", "", "", "", "", "", "", ""}},
		{"long words", []string{strings.Repeat("x", 2000) + " " + strings.Repeat("y", 2001) + " z", "", "", "", "", "", "", ""}},
		{"past 1999 words", []string{strings.Repeat("w ", 2100) + "last", "next", "", "", "", "", "", ""}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got, want string
			err := s.db.QueryRow(`SELECT CAST(CAST($1 AS tsvector) AS text), CAST(alert_words($2) AS text)`,
				alertWords(c.cols...), c.cols).Scan(&got, &want)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("alertWords gives\n%.300s\nalert_words\n%.300s", got, want)
			}
		})
	}
}

// TestSearchColumnMigration opens a PostgreSQL database made before the
// search column stopped being generated, with an alert in it: the alert
// stays searchable, and the triggers fill the column for inserts that
// leave it out and for updates of the searched columns.
func TestSearchColumnMigration(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.Postgres(t)
	old := postgresDialect()
	old.migrations = old.migrations[:3]
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := (&Store{d: old, db: db}).migrate(ctx); err != nil {
		t.Fatal(err)
	}
	insert := func(db *sql.DB, id, desc string) {
		t.Helper()
		_, err := db.Exec(`INSERT INTO alerts (id, ts, event_time, rule_id, level, description, groups, mitre,
			finding_key, finding_id, type, title, severity, account, region, instance_id, principal,
			remote_ip, remote_country, remote_city, remote_asn, remote_org, local_port, api, domain, count,
			source, object, data)
			VALUES ($1, 0, 0, 1, 3, $2, '', '', '', '', 'T', '', 1, '', '', '', '', '', '', '', '', '', 0, '', '', 1, '', '', '')`,
			id, desc)
		if err != nil {
			t.Fatal(err)
		}
	}
	insert(db, "before", "generated words")
	s := opener(t, dsn)()
	insert(s.db, "after", "trigger words")
	if _, err := s.db.Exec(`UPDATE alerts SET description = 'changed words' WHERE id = 'before'`); err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]int64{"words": 2, "trigger": 1, "changed": 1, "generated": 0} {
		if page, err := s.Alerts(ctx, AlertFilter{Text: text}); err != nil || page.Total != want {
			t.Errorf("search %q: %d alerts, %v; want %d", text, page.Total, err, want)
		}
	}
	if err := checkFTS(ctx, s); err != nil {
		t.Error(err)
	}
}
