package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// errUnknownOption is returned by setOption for a key that is not a
// scalar source option.
var errUnknownOption = errors.New("unknown option")

// reader is what the YAML and XML front ends share while reading one
// file: its name, its dialect, the environment and the warnings so far.
type reader struct {
	file string
	// yamlForms selects the YAML forms of values (true/false, Go durations,
	// ISO dates, ${ENV} in secrets); otherwise Wazuh's.
	yamlForms bool
	lookupEnv func(string) (string, bool)
	warnings  []warning
	// pairsCache holds the keys of each YAML mapping already read.
	pairsCache map[*yaml.Node][]pair
}

type warning struct {
	line int
	msg  string
}

func (r *reader) warn(line int, format string, args ...any) {
	r.warnings = append(r.warnings, warning{line: line, msg: fmt.Sprintf(format, args...)})
}

// warningList returns the warnings in line order, each as
// "file:line: message".
func (r *reader) warningList() []string {
	slices.SortStableFunc(r.warnings, func(a, b warning) int { return a.line - b.line })
	var out []string
	seen := map[warning]bool{} // a wodle-level warning comes once per bucket
	for _, w := range r.warnings {
		if !seen[w] {
			seen[w] = true
			out = append(out, fmt.Sprintf("%s:%d: %s", r.file, w.line, w.msg))
		}
	}
	return out
}

func (r *reader) errAt(line int, field string, err error) error {
	return &Error{File: r.file, Line: line, Field: field, Err: err}
}

// draft is a source being read, with the line of every option written.
type draft struct {
	Source
	// line is where the source's block starts.
	line int
	// lines maps each option written (by its YAML key) to its line.
	lines map[string]int
	// display turns a YAML key into the name errors use ("<name>").
	display func(key string) string
}

func newDraft(line int, display func(string) string) *draft {
	return &draft{Source: DefaultSource(), line: line, lines: map[string]int{}, display: display}
}

func (d *draft) written(key string) bool {
	_, ok := d.lines[key]
	return ok
}

// lineOf is where key was written, else where the block starts.
func (d *draft) lineOf(key string) int {
	if l, ok := d.lines[key]; ok {
		return l
	}
	return d.line
}

// setOption parses value into the option key of d. It returns a warning
// to report, if any, and errUnknownOption when key is not a scalar option.
func (r *reader) setOption(d *draft, key, value string) (warning string, err error) {
	s := &d.Source
	switch key {
	case "name":
		s.Name = value
	case "type":
		if value != TypeS3 && value != TypeDir && value != TypeSQS && value != TypeGuardDutyAPI {
			return "", fmt.Errorf("invalid source type %q (want %s, %s, %s or %s)", value, TypeS3, TypeDir, TypeSQS, TypeGuardDutyAPI)
		}
		s.Type = value
	case "disabled", "run_on_start", "skip_on_error", "remove_from_bucket", "force_path_style":
		return "", r.setBool(s, key, value)
	case "interval", "day", "wday", "time":
		return "", r.setSchedule(&s.Schedule, key, value)
	case "bucket":
		s.Bucket, err = parseBucket(value)
	case "dir":
		s.Dir = value
	case "path":
		s.Path, err = parseKeyPrefix(value)
		if err == nil && strings.HasPrefix(value, "/") {
			warning = fmt.Sprintf("path %q starts with /, which S3 keys normally do not", value)
		}
	case "path_suffix":
		s.PathSuffix, err = parseKeyPrefix(value)
	case "layout":
		if value != LayoutAuto && value != LayoutFirehose && value != LayoutNative {
			return "", fmt.Errorf("invalid layout %q (want %s, %s or %s)", value, LayoutAuto, LayoutFirehose, LayoutNative)
		}
		s.Layout = value
	case "access_key", "secret_key":
		if r.yamlForms {
			if value, err = expandEnv(value, r.lookupEnv); err != nil {
				return "", err
			}
		}
		if key == "access_key" {
			s.AccessKey = Secret(value)
		} else {
			s.SecretKey = Secret(value)
		}
	default:
		return r.setAWSOption(s, key, value)
	}
	return warning, err
}

// setAWSOption handles the options about reaching AWS and filtering.
func (r *reader) setAWSOption(s *Source, key, value string) (warning string, err error) {
	switch key {
	case "aws_profile":
		s.AWSProfile = value
	case "iam_role_arn":
		s.IAMRoleARN, err = parseRoleARN(value)
	case "iam_role_duration":
		d, _, err := parseDuration(value, "duration", r.yamlForms, false)
		if err != nil {
			return "", err
		}
		if d < MinIAMRoleDuration || d > MaxIAMRoleDuration {
			return "", fmt.Errorf("duration %q out of range (want 900s to 12h)", value)
		}
		s.IAMRoleDuration = d
	case "external_id":
		s.ExternalID = value
	case "iam_role_session_name":
		s.IAMRoleSessionName = value
	case "only_logs_after":
		s.OnlyLogsAfter, err = parseDate(value, r.yamlForms)
	case "regions":
		s.Regions, err = parseRegions(splitList(value))
	case "aws_account_id":
		s.AccountIDs, err = parseAccountIDs(splitList(value))
	case "aws_account_alias":
		s.AccountAlias = value
	case "sts_endpoint":
		s.STSEndpoint, warning, err = parseEndpoint(value)
	case "service_endpoint":
		s.ServiceEndpoint, warning, err = parseEndpoint(value)
	case "region":
		if !regionRE.MatchString(value) {
			return "", fmt.Errorf("invalid region %q", value)
		}
		s.Region = value
	case "look_back":
		s.LookBack, _, err = parseDuration(value, "duration", r.yamlForms, false)
	case "queue_url":
		s.QueueURL, _, err = parseEndpoint(value)
	case "sqs_endpoint":
		s.SQSEndpoint, warning, err = parseEndpoint(value)
	case "guardduty_endpoint":
		s.GuardDutyEndpoint, warning, err = parseEndpoint(value)
	case "wait_time":
		s.WaitTime, _, err = parseDuration(value, "duration", r.yamlForms, false)
		if err == nil && (s.WaitTime < 0 || s.WaitTime > 20*time.Second) {
			err = fmt.Errorf("wait_time %q out of range (want 0s to 20s)", value)
		}
	case "visibility_timeout":
		s.VisibilityTimeout, _, err = parseDuration(value, "duration", r.yamlForms, false)
		if err == nil && (s.VisibilityTimeout < 10*time.Second || s.VisibilityTimeout > 12*time.Hour) {
			err = fmt.Errorf("visibility_timeout %q out of range (want 10s to 12h)", value)
		}
	case "max_receives":
		s.MaxReceives, err = strconv.Atoi(value)
		if err != nil || s.MaxReceives < 1 || s.MaxReceives > 1000 {
			err = fmt.Errorf("invalid max_receives %q (want 1 to 1000)", value)
		}
	case "detector_ids":
		s.DetectorIDs = sortedSet(splitList(value))
	case "overlap":
		s.Overlap, _, err = parseDuration(value, "duration", r.yamlForms, false)
	case "request_timeout":
		s.RequestTimeout, _, err = parseDuration(value, "duration", r.yamlForms, false)
		if err == nil && s.RequestTimeout < time.Second {
			err = fmt.Errorf("request_timeout %q is under a second", value)
		}
	default:
		return "", errUnknownOption
	}
	return warning, err
}

func (r *reader) setBool(s *Source, key, value string) error {
	b, err := parseBool(value, r.yamlForms)
	if err != nil {
		return err
	}
	switch key {
	case "disabled":
		s.Disabled = b
	case "run_on_start":
		s.RunOnStart = b
	case "skip_on_error":
		s.SkipOnError = b
	case "remove_from_bucket":
		s.RemoveFromBucket = b
	case "force_path_style":
		s.ForcePathStyle = b
	}
	return nil
}

func (r *reader) setSchedule(sc *Schedule, key, value string) error {
	switch key {
	case "interval":
		d, months, err := parseDuration(value, "interval", r.yamlForms, true)
		if err != nil {
			return err
		}
		if d == 0 && months == 0 {
			return fmt.Errorf("invalid interval %q: must be positive", value)
		}
		sc.Interval, sc.Months = d, months
	case "day":
		n, err := parseDay(value)
		if err != nil {
			return err
		}
		sc.Day = n
	case "wday":
		wd, err := parseWDay(value)
		if err != nil {
			return err
		}
		sc.WDay = &wd
	case "time":
		c, err := parseClock(value)
		if err != nil {
			return err
		}
		sc.Time = &c
	}
	return nil
}

// s3Only lists the options a dir source must not have.
func s3Only() []string {
	return []string{"bucket", "aws_profile", "access_key", "secret_key", "iam_role_arn",
		"iam_role_duration", "external_id", "iam_role_session_name", "sts_endpoint",
		"service_endpoint", "region", "force_path_style", "request_timeout"}
}

// finish checks what can only be checked once every option of d is read,
// and fills the defaults that depend on other options.
func (r *reader) finish(d *draft) error {
	s := &d.Source
	fail := func(key string, format string, args ...any) error {
		return r.errAt(d.lineOf(key), d.display(key), fmt.Errorf(format, args...))
	}
	warnings, err := s.Schedule.normalize(d.written("interval"))
	if err != nil {
		key := "interval"
		if d.written("wday") {
			key = "wday"
		}
		return r.errAt(d.lineOf(key), d.display(key), err)
	}
	for _, w := range warnings {
		r.warn(d.lineOf("interval"), "%s", w)
	}
	if !d.written("type") && s.Dir != "" && s.Bucket == "" {
		s.Type = TypeDir
	}
	switch s.Type {
	case TypeS3:
		if s.Dir != "" {
			return fail("dir", "only a dir source reads a folder")
		}
		if s.Bucket == "" {
			return fail("bucket", "a bucket is required")
		}
	case TypeDir:
		if s.Dir == "" {
			return fail("dir", "a folder is required")
		}
		for _, k := range s3Only() {
			if d.written(k) {
				return fail(k, "applies only to an s3 source")
			}
		}
	case TypeSQS:
		if s.QueueURL == "" {
			return fail("queue_url", "an sqs source needs queue_url")
		}
		if s.Dir != "" {
			return fail("dir", "only a dir source reads a folder")
		}
		if !d.written("interval") {
			s.Schedule = Schedule{} // a long poll is its own wait
		}
	case TypeGuardDutyAPI:
		for _, k := range []string{"bucket", "dir", "path", "path_suffix", "layout", "remove_from_bucket", "look_back"} {
			if d.written(k) {
				return fail(k, "does not apply to a guardduty_api source")
			}
		}
		if !d.written("interval") {
			s.Schedule = Schedule{Interval: DefaultGuardDutyInterval}
		}
	}
	if s.Type != TypeSQS {
		for _, k := range []string{"queue_url", "sqs_endpoint", "wait_time", "visibility_timeout", "max_receives"} {
			if d.written(k) {
				return fail(k, "applies only to an sqs source")
			}
		}
	}
	if s.Type != TypeGuardDutyAPI {
		for _, k := range []string{"detector_ids", "guardduty_endpoint", "overlap"} {
			if d.written(k) {
				return fail(k, "applies only to a guardduty_api source")
			}
		}
	}
	if (s.AccessKey == "") != (s.SecretKey == "") {
		if s.AccessKey == "" {
			return fail("secret_key", "requires access_key")
		}
		return fail("access_key", "requires secret_key")
	}
	for _, k := range []string{"iam_role_duration", "external_id", "iam_role_session_name"} {
		if d.written(k) && s.IAMRoleARN == "" {
			return fail(k, "requires iam_role_arn")
		}
	}
	if s.ServiceEndpoint != "" && !d.written("force_path_style") {
		s.ForcePathStyle = true
	}
	return nil
}

// nameSources gives every unnamed draft its bucket's name, followed by its
// path when another source reads the same bucket, or its folder. With
// unique set, clashing names get "-2", "-3", … and a warning (Wazuh files
// cannot name sources); otherwise a clash is an error.
func (r *reader) nameSources(drafts []*draft, unique bool) error {
	perBucket := map[string]int{}
	for _, d := range drafts {
		perBucket[d.Bucket]++
	}
	used := map[string]*draft{}
	for _, d := range drafts {
		if d.Name == "" {
			d.Name = d.Dir
			if d.Type == TypeS3 {
				d.Name = d.Bucket
				if perBucket[d.Bucket] > 1 && d.Path != "" {
					d.Name += "/" + strings.TrimSuffix(d.Path, "/")
				}
			}
		}
		if strings.IndexFunc(d.Name, isSpaceOrControl) >= 0 {
			return r.errAt(d.lineOf("name"), d.display("name"), fmt.Errorf("invalid source name %q: no spaces or control characters", d.Name))
		}
		if first, ok := used[d.Name]; ok {
			if !unique {
				return r.errAt(d.lineOf("name"), d.display("name"),
					fmt.Errorf("source name %q is already used at line %d", d.Name, first.line))
			}
			base := d.Name
			for n := 2; used[d.Name] != nil; n++ {
				d.Name = fmt.Sprintf("%s-%d", base, n)
			}
			r.warn(d.line, "bucket %q with path %q is also read at line %d; naming this source %q", d.Bucket, d.Path, first.line, d.Name)
		}
		used[d.Name] = d
	}
	return nil
}

func isSpaceOrControl(c rune) bool { return c <= ' ' || c == 0x7f }

func sources(drafts []*draft) []Source {
	var out []Source
	for _, d := range drafts {
		out = append(out, d.Source)
	}
	return slices.Clip(out)
}
