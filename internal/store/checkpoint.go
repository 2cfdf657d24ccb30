package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// An SQLite store copies its write-ahead log into the database file
// (a checkpoint) in the background rather than in a commit: the writer
// connection has auto-checkpointing off, and a checkpointer goroutine,
// started by Open and stopped by Close, runs a PASSIVE checkpoint on a
// connection of its own after commits (at most one per checkpointGap) and
// every checkpointEvery. A PASSIVE checkpoint takes no lock the writer
// needs, so the next commit runs beside it; the writer starts the WAL
// over once a checkpoint has copied all of it and no reader still needs
// it, and journal_size_limit cuts the file back then. Should commits
// follow each other so closely that the WAL is never copied completely
// (restartFrames and more frames), a RESTART checkpoint waits for the
// writer and the readers to finish, copies the rest, and lets the next
// commit start the WAL over, so the WAL stays bounded under any load (that
// commit waits for the RESTART, which holds the write lock; one that gives
// up after busy_timeout is logged and tried again later).
//
// Commits stay synchronous(FULL): each fsyncs the WAL. NORMAL would fsync
// only at checkpoints, and a power loss could then drop the last commits.
// The pipeline would recover its own files (it rewinds alerts.json and
// archives.json to the offsets committed here and processes the objects
// again, with the same alert ids), but outputs that had already delivered
// the lost commits' outbox items would deliver them again: exactly-once
// needs the commit durable before anything reads the outbox.
const (
	checkpointGap   = time.Second
	checkpointEvery = 10 * time.Second
	// restartFrames is 1 GB of 4 KB pages: a few commits, as a commit of
	// 6,400 alerts into a store of a million writes some 256 MB of pages
	// (index leaves all over the file).
	restartFrames = 262144
)

// checkpointer runs the checkpoints of an SQLite store.
type checkpointer struct {
	db *sql.DB
	// wake asks for a checkpoint soon; one slot merges the requests.
	wake chan struct{}
	// restartFrames is the constant, but tests lower it.
	restartFrames int
	cancel        context.CancelFunc
	done          chan struct{}
}

// startCheckpointer opens a connection to the SQLite file (dsn) and runs
// checkpoints on it until stop.
func startCheckpointer(dsn string) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, wake: make(chan struct{}, 1), restartFrames: restartFrames, cancel: cancel,
		done: make(chan struct{})}
	go c.run(ctx)
	return c, nil
}

// committed tells the checkpointer that a transaction has committed. It
// never blocks.
func (c *checkpointer) committed() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// stop ends the checkpoints, waits for the one running, and closes the
// connection.
func (c *checkpointer) stop() error {
	c.cancel()
	<-c.done
	return c.db.Close()
}

func (c *checkpointer) run(ctx context.Context) {
	defer close(c.done)
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-c.wake:
			// Copy one commit's pages at a time, not one per commit.
			if wait := checkpointGap - time.Since(last); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		}
		last = time.Now()
		if _, err := c.checkpoint(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("checkpoint state", "err", err)
		}
	}
}

// walState is what a checkpoint reports: the frames in the WAL and how
// many of them are in the database file.
type walState struct {
	frames, copied int
}

// checkpoint runs a PASSIVE checkpoint, and a RESTART one if the WAL has
// grown to restartFrames. It returns the WAL's state after them.
func (c *checkpointer) checkpoint(ctx context.Context) (walState, error) {
	w, err := c.run1(ctx, "PASSIVE")
	if err != nil || w.frames < c.restartFrames {
		return w, err
	}
	return c.run1(ctx, "RESTART")
}

// run1 runs one checkpoint of the given mode.
func (c *checkpointer) run1(ctx context.Context, mode string) (walState, error) {
	var busy int
	var w walState
	err := c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(`+mode+`)`).Scan(&busy, &w.frames, &w.copied)
	if err != nil {
		return w, fmt.Errorf("%s checkpoint: %w", mode, err)
	}
	if busy != 0 && mode != "PASSIVE" {
		return w, fmt.Errorf("%s checkpoint: %w", mode, errCheckpointBusy)
	}
	return w, nil
}

// errCheckpointBusy is a RESTART checkpoint that gave up waiting for the
// writer or a reader (busy_timeout); the next one tries again.
var errCheckpointBusy = errors.New("database busy")
