package guardduty

import (
	"fmt"
	"strings"
	"time"

	"github.com/dutywatch/dutywatch/internal/source/s3"
)

// Config configures a GuardDuty API source.
type Config struct {
	// Name is the source name used in state, logs and metrics.
	Name string
	// Client gives the credentials (default chain, profile, static keys,
	// assumed role with external id) and the default region, as for S3.
	// Its Endpoint and ForcePathStyle are S3's and are ignored here. To
	// read several accounts, run one source per account with its RoleARN,
	// or point one source at the delegated administrator's detector, which
	// lists its members' findings too.
	Client s3.ClientConfig
	// Regions to read. Empty: the client's region.
	Regions []string
	// DetectorIDs, when set, are read in every region of Regions without
	// calling ListDetectors (detector ids are per region, so pin them with
	// one region per source). Empty: ListDetectors in each region.
	DetectorIDs []string
	// Endpoint replaces the GuardDuty endpoint in every region (a VPC
	// endpoint, or a test server).
	Endpoint string
	// PageSize is the ListFindings page size and so the GetFindings batch:
	// at most 50 findings per object. Default 50.
	PageSize int
	// Overlap is how far before the watermark (the newest committed
	// updatedAt) each listing starts again, for findings GuardDuty makes
	// visible late. Default 5m; negative means none.
	Overlap time.Duration
	// LookBack is how far back a scope with no watermark starts. Default
	// 24h (GuardDuty keeps findings 90 days).
	LookBack time.Duration
	// OnlyAfter, when set, replaces LookBack on a first run and is a floor
	// for every listing: no finding updated before it is read.
	OnlyAfter time.Time
	// IncludeArchived also lists archived findings. By default they are
	// left out (criterion service.archived = false), as GuardDuty's S3
	// export leaves them out.
	IncludeArchived bool
	// RequestsPerSecond paces the source's API calls per region, below
	// GuardDuty's rate limits; throttled calls are also retried by the
	// SDK. Default 5; negative means no pacing.
	RequestsPerSecond float64
	// RequestTimeout bounds each API call, retries included. Default 2m.
	RequestTimeout time.Duration
}

const (
	maxPageSize              = 50
	defaultOverlap           = 5 * time.Minute
	defaultLookBack          = 24 * time.Hour
	defaultRequestsPerSecond = 5
	defaultRequestTimeout    = 2 * time.Minute
)

// DefaultConfig returns the defaults: pages of 50, a 5m overlap, a 24h
// first look-back, archived findings left out, 5 requests/s per region, a
// 2m request timeout.
func DefaultConfig() Config {
	return Config{
		PageSize:          maxPageSize,
		Overlap:           defaultOverlap,
		LookBack:          defaultLookBack,
		RequestsPerSecond: defaultRequestsPerSecond,
		RequestTimeout:    defaultRequestTimeout,
	}
}

// withDefaults fills zero fields with their defaults.
func (c Config) withDefaults() Config {
	if c.PageSize <= 0 || c.PageSize > maxPageSize {
		c.PageSize = maxPageSize
	}
	switch {
	case c.Overlap == 0:
		c.Overlap = defaultOverlap
	case c.Overlap < 0:
		c.Overlap = 0
	}
	if c.LookBack <= 0 {
		c.LookBack = defaultLookBack
	}
	if c.RequestsPerSecond == 0 {
		c.RequestsPerSecond = defaultRequestsPerSecond
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = defaultRequestTimeout
	}
	return c
}

// validate rejects names that cannot be part of a key.
func (c Config) validate() error {
	for _, r := range c.Regions {
		if !validName(r) {
			return fmt.Errorf("guardduty source: region %q: want letters, digits and '-'", r)
		}
	}
	for _, d := range c.DetectorIDs {
		if !validName(d) {
			return fmt.Errorf("guardduty source: detector id %q: want letters, digits, '-' and '_'", d)
		}
	}
	if c.PageSize > maxPageSize {
		return fmt.Errorf("guardduty source: page size %d: at most %d", c.PageSize, maxPageSize)
	}
	return nil
}

// validName reports whether s can be a region or detector id inside a key:
// non-empty, at most 300 bytes, only ASCII letters, digits, '-' and '_'.
func validName(s string) bool {
	if s == "" || len(s) > 300 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) < 0
}
