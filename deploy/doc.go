// Package deploy holds dutywatch's AWS setup as code, and the tests that
// keep it honest; it has no Go API.
//
//   - cloudformation/firehose.yaml: EventBridge rule → Kinesis Data
//     Firehose → S3 (the "firehose" layout), bucket, key, roles and logs.
//   - cloudformation/native-export.yaml: bucket, KMS key and policies for
//     GuardDuty's own export, and the publishing destination (the "native"
//     layout).
//   - cloudformation/reader-role.yaml and iam/*.json: the least-privilege
//     permissions dutywatch reads with.
//   - systemd/dutywatch.service: a hardened unit for `dutywatch run --serve`.
//
// The tests parse the templates (short-form intrinsic tags included) and
// check their sections, resource types, references, !Sub variables,
// conditions and outputs; pin the reader policy to the exact actions
// dutywatch calls; check the unit's hardening keys; and load every
// dutywatch configuration snippet the templates and README print with
// internal/config. README.md is the setup guide.
package deploy
