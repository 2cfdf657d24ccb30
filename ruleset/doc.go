// Package ruleset is dutywatch's built-in GuardDuty ruleset: Wazuh rule
// XML files, embedded in the binary, that the rule engine (package rules)
// loads in default mode.
//
// The rules read the Wazuh-compatible event of each GuardDuty finding plus
// the "dutywatch" object of derived fields (finding.AppendDerived): the
// severity band, the parts of the finding type, the instance, the
// principal and the actor. They are ordinary Wazuh rules, ids 200000 to
// 200999, so users read them, test them with wazuh-logtest or "dutywatch
// rules test", and override any of them with overwrite="yes" in a file
// loaded after these.
//
// The tree: base rule 200000 (level 0) takes every dutywatch GuardDuty
// event; under it one noalert purpose rule per type purpose (200001 to
// 200020, on dutywatch.type_purpose), so that an event tries the families
// of its purpose only; under those one rule per finding-type family (every
// type of the AWS table has one; the four families whose types span
// purposes hang under 200000) at the level of the family's default
// severity (low 5, medium 8, high 11, critical 14), with children that
// raise the level when
// GuardDuty rated a finding above its default (contextual and "varies"
// types) or when the instance is the attacker (brute force with resource
// role ACTOR); correlation rules 200950/200951 for an instance with
// several distinct kinds of compromise within 24 hours; and fallback rules
// 200990-200993 for types the ruleset does not know, by severity band.
// README.md lists the families with their ids, levels and MITRE ATT&CK
// techniques.
//
// FS and Files give the files in load order; Load adds them, after the
// category root rules they need, to a rules.Loader; New loads them alone.
//
// Tests: tests/*.ini are rule tests in Wazuh's format covering every rule
// id, made from generated findings (go test -run TestWriteRuleTests
// -update rewrites them); the Go tests also check every finding type,
// the port-probe split and the correlation.
//
// Concurrency: FS, Files, Load and New are safe for concurrent use; the
// embedded files never change.
package ruleset
