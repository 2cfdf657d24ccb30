// Package e2e holds the end-to-end suites. Most run the real dutywatch
// binary: against versitygw (a real S3-compatible server), through a proxy
// that injects S3 faults, over a bucket of 100,000 old objects to count the
// requests of a poll, through repeated kill -9 crashes, and over a 1 GiB
// object for peak memory; the fault test with a short request timeout runs
// the pipeline in-process, since the timeout is not worth a flag. They are
// behind the e2e build tag because they take minutes; scripts/test runs them.
package e2e
