//go:build !e2e

package web

import (
	"testing"

	"go.uber.org/goleak"
)

// The browser suite (tag e2e) runs without the leak check: chromedp keeps
// a few goroutines until the process ends.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
