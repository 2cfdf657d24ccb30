package store

// hotStatements returns the statements prepared once at Open and bound to
// each Tx that uses them. Commit's multi-row writes are not among them:
// their text depends on the number of rows on SQLite, and pgx caches the
// prepared form of PostgreSQL's (batch.go).
func hotStatements(d *dialect) map[string]string {
	m := map[string]string{
		"finding": `SELECT ` + findingColumns + ` FROM findings WHERE key = ?`,
	}
	if d.ftsAdd != "" {
		m["ftsAdd"] = d.ftsAdd
	}
	for name, q := range rollupAdd(d) {
		m[name] = q
	}
	return m
}
