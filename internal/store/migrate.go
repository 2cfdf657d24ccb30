package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrate applies the dialect's migrations the database does not have yet,
// each in a transaction with its version. On PostgreSQL it holds an
// advisory lock throughout, so instances starting at once migrate one
// after the other and the later ones find nothing left to do.
func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if s.d.migrateLock != "" {
		if _, err := conn.ExecContext(ctx, s.d.migrateLock); err != nil {
			return fmt.Errorf("lock schema: %w", err)
		}
		// Unlock even when ctx has ended: the connection goes back to the
		// pool and a session lock would stay with it.
		defer conn.ExecContext(context.WithoutCancel(ctx), s.d.migrateUnlock)
	}
	if s.d.versionSetUp != "" {
		if _, err := conn.ExecContext(ctx, s.d.versionSetUp); err != nil {
			return fmt.Errorf("create schema version: %w", err)
		}
	}
	var version int
	if err := conn.QueryRowContext(ctx, s.d.version).Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	ms := s.d.migrations
	if version > len(ms) {
		return fmt.Errorf("schema version %d is newer than this dutywatch (%d)", version, len(ms))
	}
	for i := version; i < len(ms); i++ {
		if err := apply(ctx, conn, ms[i], s.d.setVersion(i+1)); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	return nil
}

// apply runs one migration and records its version in one transaction.
func apply(ctx context.Context, conn *sql.Conn, migration, setVersion string) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, migration); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, setVersion); err != nil {
		return err
	}
	return tx.Commit()
}
