package config

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The shapes written by MarshalYAML, in the order a reader expects.
type (
	yamlFile struct {
		Sources   []yamlSource `yaml:"sources,omitempty"`
		Instance  string       `yaml:"instance,omitempty"`
		State     string       `yaml:"state"`
		Output    yamlOutput   `yaml:"output"`
		Workers   int          `yaml:"workers"`
		Log       yamlLog      `yaml:"log"`
		Rules     yamlRules    `yaml:"rules"`
		Retention string       `yaml:"retention"`
	}
	yamlOutput struct {
		ArchivesPath string `yaml:"archives_path"`
		AlertsPath   string `yaml:"alerts_path"`
	}
	yamlLog struct {
		Level string `yaml:"level"`
	}
	yamlSource struct {
		Name               string       `yaml:"name"`
		Type               string       `yaml:"type"`
		Disabled           bool         `yaml:"disabled,omitempty"`
		Bucket             string       `yaml:"bucket,omitempty"`
		Dir                string       `yaml:"dir,omitempty"`
		Path               string       `yaml:"path,omitempty"`
		PathSuffix         string       `yaml:"path_suffix,omitempty"`
		Layout             string       `yaml:"layout,omitempty"`
		Interval           string       `yaml:"interval,omitempty"`
		Day                int          `yaml:"day,omitempty"`
		WDay               string       `yaml:"wday,omitempty"`
		Time               string       `yaml:"time,omitempty"`
		RunOnStart         bool         `yaml:"run_on_start"`
		SkipOnError        bool         `yaml:"skip_on_error"`
		OnlyLogsAfter      string       `yaml:"only_logs_after,omitempty"`
		Regions            []string     `yaml:"regions,omitempty,flow"`
		AccountIDs         []string     `yaml:"aws_account_id,omitempty,flow"`
		AccountAlias       string       `yaml:"aws_account_alias,omitempty"`
		Discard            *yamlDiscard `yaml:"discard_regex,omitempty"`
		RemoveFromBucket   bool         `yaml:"remove_from_bucket,omitempty"`
		Region             string       `yaml:"region,omitempty"`
		AWSProfile         string       `yaml:"aws_profile,omitempty"`
		AccessKey          string       `yaml:"access_key,omitempty"`
		SecretKey          string       `yaml:"secret_key,omitempty"`
		IAMRoleARN         string       `yaml:"iam_role_arn,omitempty"`
		IAMRoleDuration    string       `yaml:"iam_role_duration,omitempty"`
		ExternalID         string       `yaml:"external_id,omitempty"`
		IAMRoleSessionName string       `yaml:"iam_role_session_name,omitempty"`
		STSEndpoint        string       `yaml:"sts_endpoint,omitempty"`
		ServiceEndpoint    string       `yaml:"service_endpoint,omitempty"`
		ForcePathStyle     *bool        `yaml:"force_path_style,omitempty"`
		LookBack           string       `yaml:"look_back,omitempty"`
		RequestTimeout     string       `yaml:"request_timeout,omitempty"`
		QueueURL           string       `yaml:"queue_url,omitempty"`
		SQSEndpoint        string       `yaml:"sqs_endpoint,omitempty"`
		WaitTime           string       `yaml:"wait_time,omitempty"`
		VisibilityTimeout  string       `yaml:"visibility_timeout,omitempty"`
		MaxReceives        int          `yaml:"max_receives,omitempty"`
		DetectorIDs        []string     `yaml:"detector_ids,omitempty,flow"`
		GuardDutyEndpoint  string       `yaml:"guardduty_endpoint,omitempty"`
		Overlap            string       `yaml:"overlap,omitempty"`
	}
	yamlDiscard struct {
		Field string `yaml:"field"`
		Regex string `yaml:"regex"`
	}
)

// MarshalYAML writes c as a dutywatch YAML file that Load reads back to
// the same Config (what `dutywatch config import-wazuh` prints). Indexers
// and notifications, which no Wazuh file has, are not written. Options
// equal to their default are left out, except the schedule. Secrets are
// written as they are: this is the one place Secret.Reveal is used for
// output, because the user asked for the conversion.
//
// It is not a yaml.Marshaler (whose method returns a value, not bytes):
// call it directly.
func (c Config) MarshalYAML() ([]byte, error) {
	f := yamlFile{
		Instance:  c.Instance,
		State:     escapeEnv(c.State),
		Output:    yamlOutput{ArchivesPath: c.Output.ArchivesPath, AlertsPath: c.Output.AlertsPath},
		Workers:   c.Workers,
		Log:       yamlLog{Level: strings.ToLower(c.Log.Level.String())},
		Rules:     marshalRules(c.Rules),
		Retention: formatDuration(c.Retention),
	}
	for _, s := range c.Sources {
		f.Sources = append(f.Sources, marshalSource(s))
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return buf.Bytes(), nil
}

func marshalSource(s Source) yamlSource {
	def := DefaultSource()
	y := yamlSource{
		Name:             s.Name,
		Type:             s.Type,
		Disabled:         s.Disabled,
		Bucket:           s.Bucket,
		Dir:              s.Dir,
		Path:             s.Path,
		PathSuffix:       s.PathSuffix,
		Layout:           unlessEqual(s.Layout, def.Layout),
		RunOnStart:       s.RunOnStart,
		SkipOnError:      s.SkipOnError,
		Regions:          s.Regions,
		AccountIDs:       s.AccountIDs,
		AccountAlias:     s.AccountAlias,
		RemoveFromBucket: s.RemoveFromBucket,
		AWSProfile:       s.AWSProfile,
		AccessKey:        escapeEnv(s.AccessKey.Reveal()),
		SecretKey:        escapeEnv(s.SecretKey.Reveal()),
		IAMRoleARN:       s.IAMRoleARN,
		ExternalID:       s.ExternalID,
		STSEndpoint:      s.STSEndpoint,
		ServiceEndpoint:  s.ServiceEndpoint,
	}
	marshalSchedule(&y, s.Schedule)
	if !s.OnlyLogsAfter.IsZero() {
		y.OnlyLogsAfter = s.OnlyLogsAfter.UTC().Format(time.DateOnly)
	}
	if s.Discard.Regex != nil {
		y.Discard = &yamlDiscard{Field: s.Discard.Field, Regex: s.Discard.Pattern}
	}
	if s.IAMRoleDuration != 0 {
		y.IAMRoleDuration = formatDuration(s.IAMRoleDuration)
	}
	if s.LookBack != def.LookBack {
		y.LookBack = formatDuration(s.LookBack)
	}
	if s.RequestTimeout != 0 {
		y.RequestTimeout = formatDuration(s.RequestTimeout)
	}
	switch s.Type {
	case TypeSQS:
		y.QueueURL, y.SQSEndpoint = s.QueueURL, s.SQSEndpoint
		if s.WaitTime != def.WaitTime {
			y.WaitTime = formatDuration(s.WaitTime)
		}
		if s.VisibilityTimeout != def.VisibilityTimeout {
			y.VisibilityTimeout = formatDuration(s.VisibilityTimeout)
		}
		if s.MaxReceives != def.MaxReceives {
			y.MaxReceives = s.MaxReceives
		}
	case TypeGuardDutyAPI:
		y.DetectorIDs, y.GuardDutyEndpoint = s.DetectorIDs, s.GuardDutyEndpoint
		if s.Overlap != def.Overlap {
			y.Overlap = formatDuration(s.Overlap)
		}
	}
	if s.Type == TypeS3 || s.Type == TypeSQS {
		y.Region = unlessEqual(s.Region, def.Region)
		if s.IAMRoleARN != "" {
			y.IAMRoleSessionName = unlessEqual(s.IAMRoleSessionName, def.IAMRoleSessionName)
		}
		if s.ForcePathStyle != (s.ServiceEndpoint != "") {
			y.ForcePathStyle = &s.ForcePathStyle
		}
	}
	return y
}

func marshalSchedule(y *yamlSource, sc Schedule) {
	if sc.Months > 0 {
		y.Interval = strconv.Itoa(sc.Months) + "M"
	} else if sc.Interval > 0 {
		y.Interval = formatDuration(sc.Interval)
	}
	y.Day = sc.Day
	if sc.WDay != nil {
		y.WDay = strings.ToLower(sc.WDay.String())
	}
	if sc.Time != nil {
		y.Time = sc.Time.String()
	}
}

func unlessEqual(v, def string) string {
	if v == def {
		return ""
	}
	return v
}
