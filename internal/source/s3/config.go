package s3

import (
	"time"

	"github.com/dutywatch/dutywatch/internal/layout"
)

// ClientConfig says how to reach S3 and with which credentials. With no
// credential fields set, credentials come from the default chain, as the
// AWS CLI finds them: environment, shared config and credentials files
// (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE), SSO, web identity, ECS,
// EC2 instance metadata.
type ClientConfig struct {
	// Region is the bucket's region. Empty: from the environment or
	// profile, else us-east-1.
	Region string
	// Endpoint replaces the S3 endpoint (Wazuh service_endpoint): a VPC or
	// FIPS endpoint, or an S3-compatible store.
	Endpoint string
	// ForcePathStyle addresses buckets as ENDPOINT/bucket/key, as most
	// S3-compatible stores need.
	ForcePathStyle bool
	// Profile selects a profile of the shared config files.
	Profile string
	// AccessKey and SecretKey (and SessionToken for temporary keys) are
	// static credentials. Prefer profiles or roles.
	AccessKey    string
	SecretKey    string
	SessionToken string
	// RoleARN, when set, is assumed with the credentials above; the role's
	// credentials are refreshed before they expire.
	RoleARN      string
	RoleDuration time.Duration // 0: the role's default
	ExternalID   string
	SessionName  string // default "dutywatch"
	// STSEndpoint replaces the STS endpoint used for AssumeRole.
	STSEndpoint string
	// MaxAttempts bounds the SDK's attempts per request, with its standard
	// backoff. Default 10.
	MaxAttempts int
}

// Config configures an S3 source.
type Config struct {
	ClientConfig

	// Name is the source name used in state, logs and metrics.
	Name   string
	Bucket string
	// Path is the key prefix ("" or "a/b/"; a trailing '/' is added).
	Path string
	// PathSuffix goes after AWSLogs/ in the native layout (Wazuh
	// path_suffix), e.g. an organization folder.
	PathSuffix string
	// Layout is Firehose, Native, or Auto: native when PATH+"AWSLogs/"
	// holds anything, Firehose otherwise.
	Layout layout.Kind
	// OnlyLogsAfter is the first UTC day ever read. When zero, a scope with
	// no cursor starts today, like Wazuh.
	OnlyLogsAfter time.Time
	// LookBack is how far behind its cursor's hour folder a Firehose scope
	// is listed again, for objects Firehose writes late. Zero means the
	// default (2h); negative means none.
	LookBack time.Duration
	// NativeLookBackDays is how many day folders before its cursor's a
	// native scope lists again. Zero means the default (1: the previous
	// day and on); negative means none.
	NativeLookBackDays int
	// Accounts and Regions, when set, limit the native accounts and
	// regions listed.
	Accounts []string
	Regions  []string
	// Remove deletes each object once its results are committed (Wazuh
	// remove_from_bucket).
	Remove bool
	// RequestTimeout bounds each list or delete call, retries included,
	// and the wait for the response to a get (not the body's streaming).
	// Default 2m.
	RequestTimeout time.Duration
}

const (
	defaultLookBack       = 2 * time.Hour
	defaultLookBackDays   = 1
	defaultRequestTimeout = 2 * time.Minute
	defaultMaxAttempts    = 10
	defaultSessionName    = "dutywatch"
)

// DefaultConfig returns the defaults: auto layout, a 2h Firehose look-back,
// one native look-back day, 10 attempts per request, a 2m request timeout.
func DefaultConfig() Config {
	return Config{
		ClientConfig:       ClientConfig{MaxAttempts: defaultMaxAttempts, SessionName: defaultSessionName},
		Layout:             layout.Auto,
		LookBack:           defaultLookBack,
		NativeLookBackDays: defaultLookBackDays,
		RequestTimeout:     defaultRequestTimeout,
	}
}

// withDefaults fills zero fields with their defaults.
func (c Config) withDefaults() Config {
	if c.LookBack == 0 {
		c.LookBack = defaultLookBack
	}
	if c.NativeLookBackDays == 0 {
		c.NativeLookBackDays = defaultLookBackDays
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = defaultRequestTimeout
	}
	return c
}
