// Package finding reads GuardDuty findings and turns them into the events
// Wazuh's aws-s3 wodle would send, so existing Wazuh rules keep working.
//
// Parse takes one JSON record from package decode: an EventBridge envelope
// as Firehose writes it (unwrapped only when detail-type is "GuardDuty
// Finding"; other detail types come back as Record.Skipped) or a bare
// finding (a native export line or a GetFindings element). The result is a
// Finding: the fields dutywatch reads (identity, type, severity, times,
// count, resource, actor, every remote IP with geo and ASN) decoded in one
// pass, and Raw, the finding's exact bytes. Decoding tolerates the wire
// quirks GuardDuty is known for: severity as integer or decimal, timestamps
// as RFC 3339 (with or without fraction, "+0000" offsets) or epoch seconds
// or milliseconds, asn as string or number, unknown keys.
//
// Finding.WazuhEvents writes the Wazuh message(s) of a finding with the
// wodle's cleanup and reformat rules, including the port-probe split (one
// event per portProbeDetails element) and the shallow unwrapping of
// one-element lists. It works on the raw bytes through an ordered token
// tree, so key order and number literals are kept exactly. ErrorEvent
// writes the wodle's error_msg event. Discard implements discard_regex.
//
// Internally every walk starts from a tree built by one hand-written
// scanner pass over the bytes (tree.go); untouched subtrees are copied
// byte for byte.
//
// Concurrency: Parse, WazuhEvents, ErrorEvent and Discard.Match are safe
// for concurrent use; they draw scratch space from sync.Pools. A Finding
// is not modified after Parse returns it.
package finding
