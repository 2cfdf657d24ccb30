package config

import (
	"fmt"
	"log/slog"
	"regexp"
	"time"
)

// Source types.
const (
	TypeS3  = "s3"
	TypeDir = "dir"
)

// Key layouts a source may be read with.
const (
	LayoutAuto     = "auto"     // detect: <path>AWSLogs/… means native, else Firehose
	LayoutFirehose = "firehose" // <path>YYYY/MM/DD/HH/<stream>-…
	LayoutNative   = "native"   // <path>AWSLogs/<acct>/GuardDuty/<region>/YYYY/MM/DD/…
)

// Config is the whole dutywatch configuration.
type Config struct {
	Sources []Source
	// State is the path of the SQLite state database, or the URL of a
	// PostgreSQL database (postgres://…) that several instances share.
	State string
	// Instance names this process among those sharing one state database;
	// its local files' offsets are stored under this name. Default: the
	// host name.
	Instance string
	Output   Output
	// Workers is how many objects are fetched and decoded at once.
	Workers int
	Log     Log
	// Rules configures rule evaluation and alerting.
	Rules Rules
	// Retention is how long alerts and findings are kept in the state
	// store for the dashboard; 0 keeps them forever. alerts.json and
	// archives.json are not touched: rotate them with the usual tools.
	Retention time.Duration
	// Indexers receive every alert (OpenSearch, Elasticsearch).
	Indexers []Indexer
	// Notifications send alerts as messages (webhook, Slack, email).
	Notifications []Notification
}

// Output names the files alerts are written to.
type Output struct {
	// ArchivesPath receives every event (Wazuh's archives.json).
	ArchivesPath string
	// AlertsPath receives the events that matched a rule (alerts.json).
	AlertsPath string
}

// Log configures dutywatch's own log.
type Log struct {
	Level slog.Level
}

// Source is one place findings are read from: an S3 bucket (one Wazuh
// <bucket type="guardduty">) or a local folder.
type Source struct {
	// Name identifies the source in state, metrics and logs; unique.
	Name string
	// Type is TypeS3 or TypeDir.
	Type     string
	Disabled bool
	Schedule Schedule
	// RunOnStart runs the source once at start, before the schedule.
	RunOnStart bool
	// SkipOnError lets a permanently bad object be quarantined so the
	// source moves on; without it the source stops at that object.
	SkipOnError bool

	// Bucket is the S3 bucket (TypeS3); Dir the root folder (TypeDir).
	Bucket string
	Dir    string
	// Path is the key prefix; it ends in "/" when not empty, as in Wazuh.
	Path string
	// PathSuffix goes after "AWSLogs/" in the native layout.
	PathSuffix string
	// Layout is LayoutAuto, LayoutFirehose or LayoutNative.
	Layout string

	AWSProfile string
	AccessKey  Secret
	SecretKey  Secret
	IAMRoleARN string
	// IAMRoleDuration is the assumed-role session length (15m–12h); 0
	// keeps the role's default.
	IAMRoleDuration    time.Duration
	ExternalID         string
	IAMRoleSessionName string

	// OnlyLogsAfter skips objects dated before this day (UTC midnight);
	// zero means "from the first run's day".
	OnlyLogsAfter time.Time
	// Regions and AccountIDs filter the native layout; empty means all
	// found. Both are sorted and free of duplicates.
	Regions      []string
	AccountIDs   []string
	AccountAlias string
	// Discard drops findings whose field matches a regex; the zero value
	// discards nothing.
	Discard Discard
	// RemoveFromBucket deletes an object (or file) once it is committed.
	RemoveFromBucket bool

	// STSEndpoint and ServiceEndpoint override the AWS endpoints (VPC
	// endpoints, FIPS, S3-compatible stores); absolute http(s) URLs.
	STSEndpoint     string
	ServiceEndpoint string
	// Region is the client region.
	Region string
	// ForcePathStyle addresses the bucket in the URL path; it defaults to
	// true when ServiceEndpoint is set.
	ForcePathStyle bool
	// LookBack is how far before the cursor a poll re-lists for late
	// objects in the Firehose layout (native re-lists whole day folders).
	LookBack time.Duration
	// RequestTimeout bounds each S3 request, and each wait for more of an
	// object's body; 0 means the default (2m).
	RequestTimeout time.Duration

	// QueueURL is the SQS queue of S3 event notifications (TypeSQS), read
	// with long polls of WaitTime; a message stays invisible to other
	// instances for VisibilityTimeout, extended while its object is
	// processed, and is left to the queue's redrive policy after
	// MaxReceives receives.
	QueueURL          string
	SQSEndpoint       string
	WaitTime          time.Duration
	VisibilityTimeout time.Duration
	MaxReceives       int
	// DetectorIDs limit a TypeGuardDutyAPI source; empty reads every
	// detector of each region. Overlap is how far before the last
	// committed updatedAt each poll asks again.
	DetectorIDs       []string
	GuardDutyEndpoint string
	Overlap           time.Duration
}

// Discard is Wazuh's discard_regex: drop a finding when the string at the
// dotted Field path (relative to the finding; any element of a list on the
// path) matches Regex. Numbers never match.
type Discard struct {
	Field string
	// Pattern is the regex as written in the configuration.
	Pattern string
	// Regex is Pattern anchored at the start only, like Python's re.match;
	// nil when no discard is configured.
	Regex *regexp.Regexp
}

// Defaults. The schedule defaults are Wazuh's documented ones (interval
// 10m, run_on_start and skip_on_error yes), not the code's (5 s, no).
const (
	DefaultState         = "dutywatch-data/state.db"
	DefaultArchivesPath  = "dutywatch-data/archives.json"
	DefaultAlertsPath    = "dutywatch-data/alerts.json"
	DefaultWorkers       = 4
	DefaultRetention     = 90 * day
	DefaultInterval      = 10 * time.Minute
	DefaultRegion        = "us-east-1"
	DefaultLookBack      = 2 * time.Hour
	DefaultSessionName   = "dutywatch"
	MinIAMRoleDuration   = 15 * time.Minute
	MaxIAMRoleDuration   = 12 * time.Hour
	maxWorkers           = 1024
	legacyAccountAlias   = "LEGACY"
	legacyDeprecationMsg = "the legacy <bucket>NAME</bucket> form is deprecated; use <bucket type=\"guardduty\"><name>NAME</name></bucket>"
)

// Default returns the configuration used for every option a file leaves
// out. It has no sources.
func Default() Config {
	return Config{
		State:     DefaultState,
		Output:    Output{ArchivesPath: DefaultArchivesPath, AlertsPath: DefaultAlertsPath},
		Workers:   DefaultWorkers,
		Log:       Log{Level: slog.LevelInfo},
		Rules:     defaultRules(),
		Retention: DefaultRetention,
	}
}

// DefaultSource returns the values a source starts from before its own
// options are applied.
func DefaultSource() Source {
	return Source{
		Type:               TypeS3,
		Schedule:           Schedule{Interval: DefaultInterval},
		RunOnStart:         true,
		SkipOnError:        true,
		Layout:             LayoutAuto,
		IAMRoleSessionName: DefaultSessionName,
		Region:             DefaultRegion,
		LookBack:           DefaultLookBack,
		WaitTime:           DefaultSQSWaitTime,
		VisibilityTimeout:  DefaultSQSVisibilityTimeout,
		MaxReceives:        DefaultSQSMaxReceives,
		Overlap:            DefaultGuardDutyOverlap,
	}
}

// LogValue summarises the effective settings of s for a startup log line;
// secrets are never included.
func (s Source) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("name", s.Name),
		slog.String("type", s.Type),
		slog.Bool("disabled", s.Disabled),
		slog.String("schedule", s.Schedule.String()),
		slog.Bool("run_on_start", s.RunOnStart),
		slog.Bool("skip_on_error", s.SkipOnError),
	}
	switch s.Type {
	case TypeDir:
		attrs = append(attrs, slog.String("dir", s.Dir))
	case TypeSQS:
		attrs = append(attrs, slog.String("queue_url", s.QueueURL), slog.String("region", s.Region))
	case TypeGuardDutyAPI:
		attrs = append(attrs, slog.Any("regions", s.Regions), slog.Any("detector_ids", s.DetectorIDs))
	default:
		attrs = append(attrs, slog.String("bucket", s.Bucket), slog.String("region", s.Region))
	}
	attrs = append(attrs, slog.String("path", s.Path), slog.String("layout", s.Layout))
	if !s.OnlyLogsAfter.IsZero() {
		attrs = append(attrs, slog.String("only_logs_after", s.OnlyLogsAfter.Format(time.DateOnly)))
	}
	return slog.GroupValue(attrs...)
}

// Error is a configuration error at a place in a file.
type Error struct {
	File string
	// Line is 1-based; 0 when the error is about the whole file.
	Line int
	// Field is the YAML key ("interval") or the XML element ("<interval>");
	// empty when the error is not about one option.
	Field string
	Err   error
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field == "" {
		return fmt.Sprintf("%s: %v", loc, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", loc, e.Field, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }
