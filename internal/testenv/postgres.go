package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// PostgresEnv names the environment variable holding the DSN of the
// PostgreSQL server the tests use (a superuser may create databases).
// scripts/postgres starts one and prints its DSN.
const PostgresEnv = "DUTYWATCH_TEST_POSTGRES"

// Postgres returns the DSN of a fresh, empty database on the server named
// by DUTYWATCH_TEST_POSTGRES, and drops it (WITH (FORCE), closing what
// the test left open) when t ends. It skips t when the variable is unset,
// and fails t instead when the environment variable CI is "true".
func Postgres(t testing.TB) string {
	t.Helper()
	server := os.Getenv(PostgresEnv)
	if server == "" {
		msg := PostgresEnv + " is not set; start a server with " +
			"export " + PostgresEnv + "=$(scripts/postgres)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	name := "dw_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatalf("open %s: %v", u.Redacted(), err)
	}
	defer admin.Close()
	// The name is ours (dw_ and hex), so it needs no quoting.
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s on %s: %v", name, u.Redacted(), err)
	}
	t.Cleanup(func() { dropDatabase(t, server, name) })
	u.Path = "/" + name
	return u.String()
}

func dropDatabase(t testing.TB, server, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Errorf("drop database %s: %v", name, err)
		return
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Errorf("drop database %s: %v", name, err)
	}
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
