package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dutywatch/dutywatch/internal/testenv"
)

// forEachBackend runs fn as the subtests "sqlite" and "postgres", each on
// a fresh, empty database. open opens a new Store on that database each
// time it is called (closed when the subtest ends): call it twice for two
// instances sharing one database, or after Close to reopen. The postgres
// subtest skips unless DUTYWATCH_TEST_POSTGRES names a server (and fails
// under CI=true; see testenv.Postgres).
func forEachBackend(t *testing.T, fn func(t *testing.T, open func() *Store)) {
	t.Helper()
	for _, b := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "state.db") }},
		{"postgres", func(t *testing.T) string { return testenv.Postgres(t) }},
	} {
		t.Run(b.name, func(t *testing.T) {
			fn(t, opener(t, b.dsn(t)))
		})
	}
}

// opener returns a function that opens a Store on dsn, closed when t ends.
func opener(t testing.TB, dsn string) func() *Store {
	return func() *Store {
		t.Helper()
		s, err := Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if want := map[bool]string{true: "postgres", false: "sqlite"}[isPostgresDSN(dsn)]; s.Backend() != want {
			t.Fatalf("Backend() = %q; want %q", s.Backend(), want)
		}
		return s
	}
}
