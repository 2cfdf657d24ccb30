package testenv

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"
)

// postgresQueryTimeout bounds the test's own queries.
const postgresQueryTimeout = 10 * time.Second

func TestPostgres(t *testing.T) {
	var names [2]string
	for i := range names {
		dsn := Postgres(t)
		ctx, cancel := context.WithTimeout(context.Background(), postgresQueryTimeout)
		defer cancel()
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var tables int
		err = db.QueryRowContext(ctx, `SELECT current_database(),
			(SELECT count(*) FROM pg_tables WHERE schemaname = 'public')`).Scan(&names[i], &tables)
		if err != nil {
			t.Fatalf("query %s: %v", dsn, err)
		}
		if !strings.HasPrefix(names[i], "dw_") || !strings.Contains(dsn, "/"+names[i]) || tables != 0 {
			t.Errorf("database %q (dsn %s) with %d tables; want a fresh dw_ database", names[i], dsn, tables)
		}
		if _, err := db.ExecContext(ctx, `CREATE TABLE t (x int)`); err != nil {
			t.Fatal(err)
		}
	}
	if names[0] == names[1] {
		t.Errorf("two calls gave the same database %s", names[0])
	}
}
