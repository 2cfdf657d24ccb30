package opensearch

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config says where alerts go and how hard to try.
type Config struct {
	// URLs are the cluster's nodes ("https://indexer:9200"); requests are
	// spread over them. Credentials in a URL's userinfo move to Username
	// and Password.
	URLs []string
	// Username and Password authenticate with HTTP basic auth. The
	// password is never logged nor put in errors.
	Username string
	Password string
	// APIKey authenticates with "Authorization: ApiKey <APIKey>"
	// (Elasticsearch; the base64 "id:key" form). Not with Username.
	APIKey string
	// CACert is the path of a PEM file of CAs that replace the system
	// roots for the cluster's TLS certificate.
	CACert string
	// InsecureSkipVerify accepts any server certificate. For tests only.
	InsecureSkipVerify bool

	// IndexPrefix starts every daily index name: alerts of UTC day D go
	// to IndexPrefix+"YYYY.MM.DD". The default, "wazuh-alerts-4.x-", is
	// what Wazuh's Filebeat module writes, so the Wazuh dashboard's
	// wazuh-alerts-* index pattern finds dutywatch's alerts.
	IndexPrefix string
	// Template installs the index template (see EnsureTemplate) before
	// the first delivery. DefaultConfig sets it.
	Template bool
	// Shards and Replicas are the template's number_of_shards and
	// number_of_replicas. AutoExpandReplicas ("0-1" by default, as in
	// Wazuh's template: a replica once a second node exists), when set,
	// takes precedence over Replicas on the server.
	Shards             int
	Replicas           int
	AutoExpandReplicas string
	// Pipeline, when set, names an ingest pipeline every document goes
	// through, such as the one Wazuh's Filebeat module installs (it adds
	// @timestamp and GeoLocation.*). Without it documents are stored as
	// dutywatch wrote them.
	Pipeline string

	// MaxRetries bounds the retries of one bulk request after a
	// transient failure (HTTP 429/502/503/504, connection errors,
	// timeouts, items rejected with 429 or 5xx). Default 5; negative
	// means none.
	MaxRetries int
	// Backoff is the first retry's delay; each later one doubles, up to
	// 30s (or Backoff if larger), with jitter. Default 500ms.
	Backoff time.Duration
	// Timeout bounds each HTTP request. Default 30s.
	Timeout time.Duration
	// MaxBulkBytes bounds one _bulk body; a larger batch is sent as
	// several requests. A single larger document goes alone. Default 5 MiB.
	MaxBulkBytes int
}

const (
	defaultIndexPrefix  = "wazuh-alerts-4.x-"
	defaultShards       = 1
	defaultAutoExpand   = "0-1"
	defaultMaxRetries   = 5
	defaultBackoff      = 500 * time.Millisecond
	defaultTimeout      = 30 * time.Second
	defaultMaxBulkBytes = 5 << 20
	maxBackoff          = 30 * time.Second
)

// DefaultConfig returns the defaults: Wazuh's index prefix, the template
// installed with one shard and auto-expanding replicas, 5 retries from
// 500ms, a 30s request timeout, 5 MiB bulk bodies. URLs stay empty.
func DefaultConfig() Config {
	return Config{
		IndexPrefix:        defaultIndexPrefix,
		Template:           true,
		Shards:             defaultShards,
		AutoExpandReplicas: defaultAutoExpand,
		MaxRetries:         defaultMaxRetries,
		Backoff:            defaultBackoff,
		Timeout:            defaultTimeout,
		MaxBulkBytes:       defaultMaxBulkBytes,
	}
}

// withDefaults fills zero fields with their defaults.
func (c Config) withDefaults() Config {
	if c.IndexPrefix == "" {
		c.IndexPrefix = defaultIndexPrefix
	}
	if c.Shards <= 0 {
		c.Shards = defaultShards
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = defaultMaxRetries
	}
	if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.Backoff <= 0 {
		c.Backoff = defaultBackoff
	}
	if c.Timeout <= 0 {
		c.Timeout = defaultTimeout
	}
	if c.MaxBulkBytes <= 0 {
		c.MaxBulkBytes = defaultMaxBulkBytes
	}
	return c
}

// validate checks c (with defaults applied) and moves URL credentials to
// Username and Password, so no URL that is logged carries a password.
func (c *Config) validate() error {
	if len(c.URLs) == 0 {
		return errors.New("no URLs: set at least one node, e.g. https://localhost:9200")
	}
	for i, raw := range c.URLs {
		u, err := url.Parse(raw)
		if err != nil {
			// url.Parse quotes the input, which may hold a password.
			return fmt.Errorf("URL %d is not a URL", i+1)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("URL %s: want http:// or https:// and a host", u.Redacted())
		}
		if u.User != nil {
			if c.Username == "" && c.APIKey == "" {
				c.Username = u.User.Username()
				c.Password, _ = u.User.Password()
			}
			u.User = nil
			c.URLs[i] = u.String()
		}
	}
	if c.APIKey != "" && c.Username != "" {
		return errors.New("both an API key and a username are set: choose one")
	}
	if err := checkIndexPrefix(c.IndexPrefix); err != nil {
		return err
	}
	if c.Replicas < 0 {
		return fmt.Errorf("replicas %d: want 0 or more", c.Replicas)
	}
	return nil
}

// checkIndexPrefix applies OpenSearch's index name rules to the prefix.
func checkIndexPrefix(p string) error {
	if p != strings.ToLower(p) {
		return fmt.Errorf("index prefix %q: index names must be lowercase", p)
	}
	if strings.ContainsAny(p, `\/*?"<>| ,#:`) {
		return fmt.Errorf(`index prefix %q: index names may not hold \ / * ? " < > | space , # :`, p)
	}
	if strings.IndexAny(p[:1], "-_+.") == 0 {
		return fmt.Errorf("index prefix %q: index names may not start with - _ + or .", p)
	}
	return nil
}
