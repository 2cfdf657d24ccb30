package pipeline

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/dutywatch/dutywatch/internal/rules"
	"github.com/dutywatch/dutywatch/internal/store"
)

// alerterStateName is the store row holding the Alerter's state.
const alerterStateName = "alerter"

// alerterStateVersion prefixes the encoding of the Alerter's state.
const alerterStateVersion = 1

// The Alerter's state — the rule engine's correlation lists and firedtimes,
// the event clock and the last firing of each correlation alert — is saved
// in the store inside every commit that changed it, and loaded whenever
// the store holds a newer generation than the one in memory: at start,
// after a failed commit, and when another instance sharing the store has
// committed since. Commits are serialized by the store, so all instances
// evaluate on one logical state, and a restart resumes exactly where the
// last commit left off.

// syncState loads the committed state when it is newer than the one in
// memory. A snapshot of other rules is dropped with a warning: the rules
// changed, and correlation starts over.
func (a *Alerter) syncState(ctx context.Context, tx *store.Tx) error {
	gen, data, ok, err := tx.LoadState(ctx, alerterStateName)
	if err != nil {
		return err
	}
	if !ok {
		if a.gen != 0 { // a rolled-back first save: start clean again
			a.reset()
		}
		return nil
	}
	if gen == a.gen {
		return nil
	}
	if err := a.restore(data); err != nil {
		if !errors.Is(err, rules.ErrStateMismatch) {
			return fmt.Errorf("load the alerter's state: %w", err)
		}
		if !a.mismatchLogged {
			a.log.Warn("the rules changed since the state was saved: correlation starts over")
			a.mismatchLogged = true
		}
		a.reset()
		a.changed = true // overwrite the old rules' snapshot
	}
	a.gen = gen
	return nil
}

// saveState writes the state into tx when it changed; committedState or
// rolledBackState must follow.
func (a *Alerter) saveState(ctx context.Context, tx *store.Tx) error {
	if !a.changed && !a.state.Changed() {
		return nil
	}
	data, err := a.marshal()
	if err != nil {
		return err
	}
	gen, err := tx.SaveState(ctx, alerterStateName, data)
	if err != nil {
		return err
	}
	a.pendingGen = gen
	return nil
}

func (a *Alerter) committedState() {
	if a.pendingGen != 0 {
		a.gen, a.pendingGen = a.pendingGen, 0
		a.state.ClearChanged()
		a.changed = false
	}
}

// rolledBackState forgets the state in memory, which evaluated events that
// were not committed: the next commit loads the last committed one.
func (a *Alerter) rolledBackState() {
	a.pendingGen = 0
	a.gen = -1
}

func (a *Alerter) reset() {
	a.state = a.rules.NewState()
	a.clock = time.Time{}
	a.correlated = nil
	a.gen = 0
}

// marshal encodes version, rule state, event clock and correlated firings.
func (a *Alerter) marshal() ([]byte, error) {
	st, err := a.state.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(st)+32+len(a.correlated)*48)
	b = append(b, alerterStateVersion)
	b = binary.AppendUvarint(b, uint64(len(st)))
	b = append(b, st...)
	b = binary.AppendVarint(b, timeNanos(a.clock))
	b = binary.AppendUvarint(b, uint64(len(a.correlated)))
	for k, t := range a.correlated {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendVarint(b, timeNanos(t))
	}
	return b, nil
}

func (a *Alerter) restore(data []byte) error {
	r := stateReader{b: data}
	if v := r.byte(); v != alerterStateVersion {
		return fmt.Errorf("alerter state version %d: %w", v, rules.ErrStateMismatch)
	}
	st := r.bytes()
	clock := r.varint()
	n := r.uvarint()
	if r.err != nil {
		return r.err
	}
	if n > uint64(len(r.b)) {
		return errors.New("alerter state: bad count")
	}
	correlated := make(map[string]time.Time, n)
	for range n {
		k := string(r.bytes())
		correlated[k] = nanosTime(r.varint())
	}
	if r.err != nil {
		return r.err
	}
	state, err := a.rules.RestoreState(st)
	if err != nil {
		return err
	}
	a.state, a.clock, a.correlated = state, nanosTime(clock), correlated
	if len(correlated) == 0 {
		a.correlated = nil
	}
	return nil
}

func timeNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func nanosTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// stateReader decodes what marshal wrote; the first error sticks.
type stateReader struct {
	b   []byte
	err error
}

var errStateTruncated = errors.New("alerter state: truncated")

func (r *stateReader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.err = cmp.Or(r.err, errStateTruncated)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *stateReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errStateTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *stateReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errStateTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *stateReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errStateTruncated
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}
