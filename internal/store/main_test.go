package store

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind, the
// checkpointer's included.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
