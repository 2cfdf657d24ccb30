// Package testenv gives tests real servers and small fakes to run against.
//
// VersityGW starts versitygw, an S3-compatible gateway that checks SigV4
// signatures, as a local process on a free loopback port with its data in
// t.TempDir(), and stops it in t.Cleanup. When the binary is missing the
// test is skipped, except under CI=true, where it fails: CI must not pass
// by skipping. The binary is looked up on PATH, then in GOPATH/bin
// (install it with go install github.com/versity/versitygw/cmd/versitygw@v1.8.0).
//
// State is an in-memory source.State backed by maps, with Commit doing
// what the pipeline's commit does to a scope: mark the key done and move
// the cursor forward. ListAll drains a source's listing.
//
// FaultProxy sits in front of such a server and injects S3 faults (503
// SlowDown, delays, connection resets, truncated bodies) at a seeded rate,
// forwarding everything else untouched so SigV4 signatures still verify.
//
// Concurrency: State is safe for concurrent use. S3Server's fields are
// read-only; its helpers may be called from parallel subtests.
//
// Stop: each server started by VersityGW is stopped (SIGINT, then kill
// after a grace period) and waited for before its TempDir is removed.
package testenv
