package generator

import (
	"fmt"
	"regexp"
	"time"
)

// Layouts and compressions Generate writes.
const (
	LayoutFirehose = "firehose"
	LayoutNative   = "native"

	CompressGzip         = "gzip"
	CompressZip          = "zip"
	CompressSnappy       = "snappy"        // Snappy framing format
	CompressHadoopSnappy = "hadoop-snappy" // Hadoop block format, no magic
	CompressNone         = "none"
)

// Config says what Generate writes. Zero fields take the defaults of
// DefaultConfig, except Seed, Findings, Prefix, Newlines, Updates and
// Noise, whose zero values are meaningful.
type Config struct {
	// Seed makes the run: the same Config gives byte-identical objects.
	Seed int64
	// Findings is the number of distinct findings.
	Findings int
	// PerObject is the number of records per object.
	PerObject int
	// Layout is LayoutFirehose (EventBridge envelopes under
	// PREFIX/YYYY/MM/DD/HH/) or LayoutNative (bare findings under
	// PREFIX/AWSLogs/<account>/GuardDuty/<region>/YYYY/MM/DD/).
	Layout string
	// Compression applies to Firehose objects; native objects are always
	// gzip (only "" or CompressGzip is accepted with them).
	Compression string
	// Newlines puts a newline after each Firehose record; by default
	// records are concatenated with no delimiter, as Firehose writes them.
	Newlines bool
	// ZipEntries spreads a zip object's records over this many entries.
	ZipEntries int
	// Start and Span bound the findings' creation times; updates and
	// delivery come later.
	Start time.Time
	Span  time.Duration
	// Prefix is the key prefix ("" for none); Stream the Firehose stream
	// name in object names.
	Prefix string
	Stream string
	// Accounts and Regions are the scopes findings belong to.
	Accounts []string
	Regions  []string
	// Updates is the fraction of findings re-sent later under the same id
	// with a higher count and a later updatedAt (a share of them archived
	// meanwhile; native exports skip archived versions).
	Updates float64
	// Noise adds this fraction (of Findings) of EventBridge events of
	// other GuardDuty detail types to Firehose objects.
	Noise float64
}

// DefaultConfig returns a small, realistic run: 200 findings over one day
// from 2025-01-15, two accounts, two regions, gzip Firehose objects of 10
// records, 20% of findings updated.
func DefaultConfig() Config {
	return Config{
		Seed:        1,
		Findings:    200,
		PerObject:   10,
		Layout:      LayoutFirehose,
		Compression: CompressGzip,
		ZipEntries:  1,
		Start:       time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC),
		Span:        24 * time.Hour,
		Stream:      "guardduty-to-s3",
		Accounts:    []string{"111122223333", "444455556666"},
		Regions:     []string{"us-east-1", "eu-west-1"},
		Updates:     0.2,
	}
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$`)
	streamRE  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
)

// withDefaults fills zero fields and checks the result.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.PerObject <= 0 {
		c.PerObject = d.PerObject
	}
	if c.Layout == "" {
		c.Layout = d.Layout
	}
	if c.Compression == "" {
		c.Compression = d.Compression
	}
	if c.ZipEntries <= 0 {
		c.ZipEntries = d.ZipEntries
	}
	if c.Start.IsZero() {
		c.Start = d.Start
	}
	c.Start = c.Start.UTC()
	if c.Span <= 0 {
		c.Span = d.Span
	}
	if c.Stream == "" {
		c.Stream = d.Stream
	}
	if len(c.Accounts) == 0 {
		c.Accounts = d.Accounts
	}
	if len(c.Regions) == 0 {
		c.Regions = d.Regions
	}
	return c, c.validate()
}

func (c Config) validate() error {
	switch c.Layout {
	case LayoutFirehose:
		switch c.Compression {
		case CompressGzip, CompressZip, CompressSnappy, CompressHadoopSnappy, CompressNone:
		default:
			return fmt.Errorf("unknown compression %q (want gzip, zip, snappy, hadoop-snappy or none)", c.Compression)
		}
	case LayoutNative:
		if c.Compression != CompressGzip {
			return fmt.Errorf("native layout objects are gzip, not %q", c.Compression)
		}
	default:
		return fmt.Errorf("unknown layout %q (want firehose or native)", c.Layout)
	}
	if c.Findings < 0 {
		return fmt.Errorf("findings %d is negative", c.Findings)
	}
	if c.Updates < 0 || c.Updates > 1 || c.Noise < 0 || c.Noise > 1 {
		return fmt.Errorf("updates %v and noise %v must lie in [0, 1]", c.Updates, c.Noise)
	}
	for _, a := range c.Accounts {
		if !accountRE.MatchString(a) {
			return fmt.Errorf("account %q is not 12 digits", a)
		}
	}
	for _, r := range c.Regions {
		if !regionRE.MatchString(r) {
			return fmt.Errorf("region %q is not an AWS region name", r)
		}
	}
	if !streamRE.MatchString(c.Stream) {
		return fmt.Errorf("stream %q is not a Firehose stream name", c.Stream)
	}
	return nil
}
