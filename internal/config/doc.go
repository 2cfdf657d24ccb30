// Package config reads dutywatch's configuration: its own YAML file, or
// the <wodle name="aws-s3"> blocks of a Wazuh ossec.conf, so that an
// existing Wazuh setup runs unchanged.
//
// Load picks the format from the first non-space byte ('<' means XML).
// Both formats are strict: an unknown key or element, or a bad value, is
// an *Error that names the file, the line and the option, e.g.
//
//	ossec.conf:7: <interval>: invalid interval "10x"
//	dutywatch.yaml:12: unknown field "bucket_name"
//
// Things that still work but deserve attention (deprecated Wazuh forms,
// options that do not apply to GuardDuty, schedule corrections) come back
// as warnings, one string each with its file and line, for the caller to
// log.
//
// YAML keys use Wazuh's option names in snake_case (aws_profile,
// skip_on_error, only_logs_after, discard_regex: {field, regex}, …).
// Durations take Go's form ("1h30m") or Wazuh's ("10m", "1d", "1w", and
// "1M" months for interval); a bare number is seconds. Booleans take
// true/false or yes/no. Secrets may refer to the environment as ${NAME}
// ("$${" is a literal "${"). Top-level keys starting with "x-" are
// ignored, so they can hold YAML anchors that sources merge with "<<".
//
// Defaults are Wazuh's documented ones (interval 10m, run_on_start and
// skip_on_error yes), not those of its code (5 s, no); see Default and
// DefaultSource. Differences from Wazuh's parser, all deliberate:
// GovCloud, China and ISO regions are accepted; iam_role_duration may be
// up to 12h; a sts_endpoint/service_endpoint without a scheme gets
// https://; <bucket type="…"> other than guardduty, <service> and
// <subscriber> are errors, since dutywatch reads GuardDuty only.
//
// Config.MarshalYAML writes a Config back as YAML that loads to the same
// value; `dutywatch config import-wazuh` uses it. Credentials are held as
// Secret, which prints as "[redacted]" everywhere except through Reveal.
//
// No component imports this package: cmd/dutywatch copies the values each
// component needs into that component's own Config.
package config
