package main

import (
	"os"
	"runtime/debug"
)

// defaultMemoryLimit is the Go runtime's soft memory limit for a pipeline
// run when GOMEMLIMIT is not set. The pipeline's live heap is bounded
// (spools spill to disk past a shared budget, the store flushes its
// buffered rows past a size), but by default the garbage collector lets
// the heap grow to twice the live heap; the limit makes it collect sooner,
// keeping the peak resident set flat at a small cost in CPU. It is soft: a
// heap that needs more gets more, the collector only works harder.
const defaultMemoryLimit = 80 << 20

// setDefaultMemoryLimit applies defaultMemoryLimit unless the user set
// GOMEMLIMIT.
func setDefaultMemoryLimit() {
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}
