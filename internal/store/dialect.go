package store

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// dialect holds what differs between SQLite and PostgreSQL. Queries are
// written once, with ? (or ?N) placeholders, and only the fragments below
// switch; PostgreSQL gets its placeholders rebound to $N (Store.q).
type dialect struct {
	name   string // "sqlite" or "postgres", as Backend reports it
	driver string // database/sql driver name
	// migrations are applied in order; the index+1 is the schema version.
	migrations []string
	// versionSetUp prepares the schema version for reading (may be "");
	// version reads it; setVersion records that migration n is applied.
	versionSetUp, version string
	setVersion            func(n int) string
	// migrateLock and migrateUnlock, if set, keep other instances from
	// migrating at the same time (session locks, on one connection).
	migrateLock, migrateUnlock string
	// positional is set when placeholders must become $N.
	positional bool
	// lockTx is the first statement of every write transaction, or "".
	lockTx string
	// readTx are the options of the dashboard's read transactions: one
	// snapshot for all queries of a page.
	readTx *sql.TxOptions
	// bruteForceWhere and unusualWhere select the alerts of the
	// brute-force and unusual-network pages in a range (query_pages.go).
	bruteForceWhere, unusualWhere string
	// jsonInts, jsonStrings and jsonCounts select the elements of the JSON
	// parameter ?N: an array of integers (value), an array of strings
	// (value), an object of counts (key, value).
	jsonInts, jsonStrings, jsonCounts func(n int) string
	// indexedBy names the index a query must read, where the planner
	// needs telling.
	indexedBy func(index string) string
	// textMatch is the alerts condition that a search query argument
	// made by textQuery matches.
	textMatch string
	textQuery func(text string) string
	// textIn returns the condition "is in list" (with ? placeholders)
	// and its arguments; the list is at most maxInList long.
	textIn func(list []string) (string, []any)
	// ftsAdd indexes a batch of new alerts, or is "" where the index
	// follows the table by itself.
	ftsAdd string
}

func sqliteDialect() *dialect {
	each := func(n int) string { return fmt.Sprintf("SELECT value FROM json_each(?%d)", n) }
	return &dialect{
		name: "sqlite", driver: "sqlite",
		migrations: sqliteMigrations(),
		version:    `PRAGMA user_version`,
		setVersion: func(n int) string { return fmt.Sprintf(`PRAGMA user_version = %d`, n) },
		readTx:     &sql.TxOptions{ReadOnly: true},
		// LIKE ignores ASCII case in SQLite.
		bruteForceWhere: bruteForceWhere, unusualWhere: unusualWhere,
		jsonInts: each, jsonStrings: each,
		jsonCounts: func(n int) string { return fmt.Sprintf("SELECT key, value FROM json_each(?%d)", n) },
		indexedBy:  func(index string) string { return " INDEXED BY " + index },
		textMatch:  `rowid IN (SELECT rowid FROM alerts_fts WHERE alerts_fts MATCH ?)`,
		textQuery:  ftsQuery,
		textIn:     sqliteIn,
		ftsAdd:     ftsAdd,
	}
}

// pgWriteLock is the key of the advisory lock every write transaction takes
// first on PostgreSQL, and pgMigrateLock the one migrations run under.
const (
	pgWriteLock   = 0x6475747977617463 // "dutywatc"
	pgMigrateLock = 0x647574796d696772 // "dutymigr"
)

func postgresDialect() *dialect {
	return &dialect{
		name: "postgres", driver: "pgx",
		migrations: postgresMigrations(),
		versionSetUp: `CREATE TABLE IF NOT EXISTS schema_version (
			version    INTEGER PRIMARY KEY,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
		)`,
		version: `SELECT coalesce(max(version), 0) FROM schema_version`,
		setVersion: func(n int) string {
			return fmt.Sprintf(`INSERT INTO schema_version (version) VALUES (%d)`, n)
		},
		migrateLock:   fmt.Sprintf(`SELECT pg_advisory_lock(%d)`, pgMigrateLock),
		migrateUnlock: fmt.Sprintf(`SELECT pg_advisory_unlock(%d)`, pgMigrateLock),
		positional:    true,
		lockTx:        fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d)`, pgWriteLock),
		// READ COMMITTED would give each query its own snapshot.
		readTx:          &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead},
		bruteForceWhere: strings.ReplaceAll(bruteForceWhere, " LIKE ", " ILIKE "),
		unusualWhere:    strings.ReplaceAll(unusualWhere, " LIKE ", " ILIKE "),
		jsonInts: func(n int) string {
			return fmt.Sprintf("SELECT CAST(jsonb_array_elements_text(CAST(?%d AS JSONB)) AS BIGINT)", n)
		},
		jsonStrings: func(n int) string { return fmt.Sprintf("SELECT jsonb_array_elements_text(CAST(?%d AS JSONB))", n) },
		jsonCounts: func(n int) string {
			return fmt.Sprintf("SELECT key, CAST(value AS BIGINT) FROM jsonb_each_text(CAST(?%d AS JSONB))", n)
		},
		indexedBy: func(string) string { return "" },
		textMatch: `search @@ CAST(? AS tsquery)`,
		textQuery: tsQuery,
		textIn: func(list []string) (string, []any) {
			return "= ANY(CAST(? AS TEXT[]))", []any{list}
		},
	}
}

// maxInList bounds the list of textIn, under SQLite's 32766 variables.
const maxInList = 10000

// sqliteIn is SQLite's textIn: one variable per item, so that any text
// (even not UTF-8) compares as it is stored.
func sqliteIn(list []string) (string, []any) {
	args := make([]any, len(list))
	for i, v := range list {
		args[i] = v
	}
	return "IN (?" + strings.Repeat(", ?", len(list)-1) + ")", args
}

// isPostgresDSN reports whether dsn names a PostgreSQL database rather
// than an SQLite file.
func isPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// rebind rewrites SQLite placeholders as PostgreSQL's: ?N becomes $N and a
// bare ? the next number after the largest so far (SQLite's rule). Quoted
// strings, quoted identifiers and -- comments are copied unchanged.
func rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	last := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch c {
		case '\'', '"':
			end := strings.IndexByte(query[i+1:], c)
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case '-':
			if strings.HasPrefix(query[i:], "--") {
				end := strings.IndexByte(query[i:], '\n')
				if end < 0 {
					end = len(query) - i - 1
				}
				b.WriteString(query[i : i+end+1])
				i += end
				continue
			}
			b.WriteByte(c)
		case '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			n := last + 1
			if j > i+1 {
				n, _ = strconv.Atoi(query[i+1 : j])
			}
			last = max(last, n)
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// q returns query in the store's dialect. On PostgreSQL each distinct query
// text is rebound once and remembered, so calls pay a map lookup.
func (s *Store) q(query string) string {
	if !s.d.positional {
		return query
	}
	if v, ok := s.bound.Load(query); ok {
		return v.(string)
	}
	v, _ := s.bound.LoadOrStore(query, rebind(query))
	return v.(string)
}
