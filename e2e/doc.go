// Package e2e holds the end-to-end suites that run the real dutywatch
// binary: against versitygw (a real S3-compatible server), through repeated
// kill -9 crashes, and over a 1 GiB object for peak memory. They are behind
// the e2e build tag because they take minutes; scripts/test runs them.
package e2e
