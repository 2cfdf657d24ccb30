package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// commitAlerts commits n synthetic alerts (ids from first on) in one Tx.
func commitAlerts(t *testing.T, s *Store, w *genWorld, first, n int) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for i := first; i < first+n; i++ {
		if err := tx.PutAlert(ctx, w.alert(i, benchEnd.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestCheckpointer(t *testing.T) {
	for _, tc := range []struct {
		name string
		// restartFrames as the checkpointer's; 1 makes every checkpoint
		// a RESTART one.
		restartFrames int
	}{
		{"passive", restartFrames},
		{"restart", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "state.db")
			s := opener(t, path)()
			s.ckpt.restartFrames = tc.restartFrames
			w := newGenWorld(3)
			maxFrames := 0
			for i := range 8 {
				commitAlerts(t, s, w, i*300, 300)
				// What the background goroutine does after a commit.
				st, err := s.ckpt.checkpoint(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if st.frames != st.copied {
					t.Fatalf("commit %d: checkpoint copied %d of %d frames", i, st.copied, st.frames)
				}
				maxFrames = max(maxFrames, st.frames)
				// Each commit after the first starts the WAL over, so the
				// file never holds more than the largest commit: a 32-byte
				// header and frames of a 24-byte header and a 4 KB page.
				fi, err := os.Stat(path + "-wal")
				if err != nil {
					t.Fatal(err)
				}
				if want := int64(32 + maxFrames*(24+4096)); fi.Size() > want {
					t.Fatalf("commit %d: WAL of %d bytes; the largest commit needs %d", i, fi.Size(), want)
				}
			}
			// Nothing was left to auto-checkpoint in a commit: the
			// writer's setting is off.
			var auto int
			if err := s.db.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil {
				t.Fatal(err)
			}
			if auto != 0 {
				t.Errorf("wal_autocheckpoint = %d; want 0", auto)
			}
			checkRollups(t, s)
		})
	}
}

// TestCheckpointerStops checks that Close stops the goroutine even while
// commits keep waking it (goleak in TestMain checks it is gone).
func TestCheckpointerStops(t *testing.T) {
	s := opener(t, filepath.Join(t.TempDir(), "state.db"))()
	w := newGenWorld(4)
	for i := range 5 {
		commitAlerts(t, s, w, i*10, 10)
	}
	if err := s.Close(); err != nil {
		t.Fatal(fmt.Errorf("close: %w", err))
	}
	select {
	case <-s.ckpt.done:
	default:
		t.Fatal("checkpointer still running after Close")
	}
}
