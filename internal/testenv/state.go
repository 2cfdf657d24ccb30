package testenv

import (
	"context"
	"iter"
	"sync"
	"testing"

	"github.com/dutywatch/dutywatch/internal/source"
)

var _ source.State = (*State)(nil)

// State is an in-memory source.State. The zero value is ready to use.
type State struct {
	// mu guards the fields below.
	mu      sync.Mutex
	cursors map[string]string
	done    map[[2]string]bool
}

// Cursor returns the greatest key committed in scope.
func (s *State) Cursor(_ context.Context, scope string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursors[scope], nil
}

// IsDone reports whether key was committed in scope.
func (s *State) IsDone(_ context.Context, scope, key string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done[[2]string{scope, key}], nil
}

// Commit marks key done in scope and moves the scope's cursor to key if key
// is greater, as the pipeline does after each object.
func (s *State) Commit(scope, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		s.done = make(map[[2]string]bool)
		s.cursors = make(map[string]string)
	}
	s.done[[2]string{scope, key}] = true
	s.cursors[scope] = max(s.cursors[scope], key)
}

// CommitAll commits every object, in order.
func (s *State) CommitAll(objs []source.Object) {
	for _, o := range objs {
		s.Commit(o.Scope, o.Key)
	}
}

// Forget drops key from scope's done-set but keeps the cursor, as pruning
// the done-set by age does.
func (s *State) Forget(scope, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.done, [2]string{scope, key})
}

// ListAll drains a listing, failing t on its first error.
func ListAll(t testing.TB, seq iter.Seq2[source.Object, error]) []source.Object {
	t.Helper()
	var objs []source.Object
	for o, err := range seq {
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		objs = append(objs, o)
	}
	return objs
}

// Keys returns the keys of objs, in order.
func Keys(objs []source.Object) []string {
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	return keys
}
