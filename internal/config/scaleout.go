package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Source types of the scale-out mode.
const (
	// TypeSQS reads the objects S3 event notifications on an SQS queue
	// name; several instances may share one queue.
	TypeSQS = "sqs"
	// TypeGuardDutyAPI reads findings with GuardDuty's ListFindings and
	// GetFindings, for accounts with no S3 export.
	TypeGuardDutyAPI = "guardduty_api"
)

// Defaults of the scale-out sources.
const (
	DefaultSQSWaitTime          = 20 * time.Second
	DefaultSQSVisibilityTimeout = 5 * time.Minute
	DefaultSQSMaxReceives       = 5
	DefaultGuardDutyOverlap     = 5 * time.Minute
	DefaultGuardDutyInterval    = 5 * time.Minute
)

// Indexer is an OpenSearch or Elasticsearch cluster alerts are indexed
// into, as Wazuh's Filebeat module indexes alerts.json.
type Indexer struct {
	Name string
	// Type is "opensearch" or "elasticsearch"; both speak the same bulk
	// API to the client used.
	Type               string
	URLs               []string
	Username           string
	Password           Secret
	APIKey             Secret
	CACert             string
	InsecureSkipVerify bool
	// IndexPrefix is followed by the alert's UTC day, YYYY.MM.DD.
	IndexPrefix string
	// Template installs the index template at start.
	Template bool
}

// DefaultIndexPrefix is what Wazuh's index pattern wazuh-alerts-* finds.
const DefaultIndexPrefix = "wazuh-alerts-4.x-"

// Notification is one place alerts are sent to as messages.
type Notification struct {
	Name string
	// Type is "webhook", "slack" or "email".
	Type string
	// MinLevel drops alerts below this rule level.
	MinLevel int
	// Types keeps only these finding types; a trailing "*" matches a
	// prefix. Empty keeps all. ExcludeTypes drops types the same way.
	Types        []string
	ExcludeTypes []string
	// RateCount per RatePer bounds the messages sent; 0 is unlimited.
	RateCount int
	RatePer   time.Duration
	Timeout   time.Duration

	// URL is the webhook's (webhook) or the incoming webhook's (slack).
	URL Secret
	// Headers are added to each webhook request (e.g. Authorization).
	Headers map[string]Secret
	// SigningSecret signs webhook bodies with HMAC-SHA256.
	SigningSecret Secret

	// Email over SMTP.
	SMTPHost string
	SMTPPort int
	Username string
	Password Secret
	From     string
	To       []string
	// StartTLS is "required" (default), "opportunistic" or "off"; port 465
	// uses implicit TLS.
	StartTLS           string
	SubjectPrefix      string
	CACert             string
	InsecureSkipVerify bool
}

// Postgres reports whether state names a PostgreSQL database rather than
// a SQLite file.
func Postgres(state string) bool {
	return strings.HasPrefix(state, "postgres://") || strings.HasPrefix(state, "postgresql://")
}

// StateDisplay is state with any password in a PostgreSQL URL redacted,
// for logs.
func StateDisplay(state string) string {
	if !Postgres(state) {
		return state
	}
	u, err := url.Parse(state)
	if err != nil {
		return "postgres://" + redacted
	}
	return strings.Replace(u.Redacted(), ":xxxxx@", ":"+redacted+"@", 1)
}

// secret reads a scalar that may hold ${ENV} references.
func (r *reader) secret(p pair) (Secret, error) {
	v, err := r.scalar(p)
	if err != nil {
		return "", err
	}
	v, err = expandEnv(v, r.lookupEnv)
	if err != nil {
		return "", r.errAt(p.line, p.key, err)
	}
	return Secret(v), nil
}

func (r *reader) boolean(p pair) (bool, error) {
	v, err := r.scalar(p)
	if err != nil {
		return false, err
	}
	b, err := parseBool(v, true)
	if err != nil {
		return false, r.errAt(p.line, p.key, err)
	}
	return b, nil
}

func (r *reader) integer(p pair, lo, hi int) (int, error) {
	v, err := r.scalar(p)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, r.errAt(p.line, p.key, fmt.Errorf("invalid number %q (want %d to %d)", v, lo, hi))
	}
	return n, nil
}

func (r *reader) duration(p pair) (time.Duration, error) {
	v, err := r.scalar(p)
	if err != nil {
		return 0, err
	}
	d, _, err := parseDuration(v, "duration", true, false)
	if err != nil {
		return 0, r.errAt(p.line, p.key, err)
	}
	return d, nil
}

func (r *reader) httpURL(p pair) (string, error) {
	v, err := r.scalar(p)
	if err != nil {
		return "", err
	}
	v, err = expandEnv(v, r.lookupEnv)
	if err != nil {
		return "", r.errAt(p.line, p.key, err)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", r.errAt(p.line, p.key, errors.New("want an absolute http(s) URL"))
	}
	return v, nil
}

// items returns the nodes of a YAML list, or nil for null.
func (r *reader) items(n *yaml.Node, what string) ([]*yaml.Node, error) {
	n = deref(n)
	if n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, r.errAt(n.Line, what, fmt.Errorf("expected a list of %s", what))
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, item := range n.Content {
		out[i] = deref(item)
	}
	return out, nil
}

func (r *reader) yamlIndexers(n *yaml.Node) ([]Indexer, error) {
	return yamlNamedList(r, n, "indexers", r.yamlIndexer, func(ix Indexer) string { return ix.Name })
}

func (r *reader) yamlIndexer(n *yaml.Node) (Indexer, error) {
	ix := Indexer{Type: "opensearch", IndexPrefix: DefaultIndexPrefix, Template: true}
	pairs, err := r.pairs(n, 0)
	if err != nil {
		return ix, err
	}
	for _, p := range pairs {
		switch p.key {
		case "name":
			ix.Name, err = r.scalar(p)
		case "type":
			if ix.Type, err = r.scalar(p); err == nil && ix.Type != "opensearch" && ix.Type != "elasticsearch" {
				err = r.errAt(p.line, p.key, fmt.Errorf("invalid output type %q (want opensearch or elasticsearch)", ix.Type))
			}
		case "urls", "url":
			var urls []string
			if urls, err = r.strings(p); err == nil {
				for _, u := range urls {
					if _, err = r.httpURL(pair{key: p.key, line: p.line, val: &yaml.Node{Kind: yaml.ScalarNode, Value: u}}); err != nil {
						break
					}
				}
				ix.URLs = append(ix.URLs, urls...)
			}
		case "username":
			ix.Username, err = r.scalar(p)
		case "password":
			ix.Password, err = r.secret(p)
		case "api_key":
			ix.APIKey, err = r.secret(p)
		case "ca_cert":
			ix.CACert, err = r.scalar(p)
		case "insecure_skip_verify":
			ix.InsecureSkipVerify, err = r.boolean(p)
		case "index_prefix":
			ix.IndexPrefix, err = r.scalar(p)
		case "template":
			ix.Template, err = r.boolean(p)
		default:
			err = r.errAt(p.line, "", fmt.Errorf("unknown field %q", p.key))
		}
		if err != nil {
			return ix, err
		}
	}
	if len(ix.URLs) == 0 {
		return ix, r.errAt(n.Line, "urls", errors.New("an output needs at least one URL"))
	}
	if ix.Name == "" {
		ix.Name = ix.Type
	}
	return ix, nil
}

func (r *reader) yamlNotifications(n *yaml.Node) ([]Notification, error) {
	return yamlNamedList(r, n, "notifications", r.yamlNotification, func(nt Notification) string { return nt.Name })
}

// yamlNamedList reads a YAML list of what items with parse, refusing two
// items of the same name.
func yamlNamedList[T any](r *reader, n *yaml.Node, what string, parse func(*yaml.Node) (T, error), name func(T) string) ([]T, error) {
	items, err := r.items(n, what)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(items))
	for _, item := range items {
		v, err := parse(item)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, uniqueNames(r, items, func(i int) string { return name(out[i]) })
}

func (r *reader) yamlNotification(n *yaml.Node) (Notification, error) {
	nt := Notification{StartTLS: "required"}
	pairs, err := r.pairs(n, 0)
	if err != nil {
		return nt, err
	}
	for _, p := range pairs {
		if err := r.notificationOption(&nt, p); err != nil {
			return nt, err
		}
	}
	return nt, r.checkNotification(&nt, n.Line)
}

func (r *reader) notificationOption(nt *Notification, p pair) (err error) {
	switch p.key {
	case "name":
		nt.Name, err = r.scalar(p)
	case "type":
		if nt.Type, err = r.scalar(p); err == nil && nt.Type != "webhook" && nt.Type != "slack" && nt.Type != "email" {
			err = r.errAt(p.line, p.key, fmt.Errorf("invalid notification type %q (want webhook, slack or email)", nt.Type))
		}
	case "min_level":
		nt.MinLevel, err = r.integer(p, 0, 16)
	case "types":
		nt.Types, err = r.strings(p)
	case "exclude_types":
		nt.ExcludeTypes, err = r.strings(p)
	case "rate_limit":
		var v string
		if v, err = r.scalar(p); err == nil {
			if nt.RateCount, nt.RatePer, err = parseRate(v); err != nil {
				err = r.errAt(p.line, p.key, err)
			}
		}
	case "timeout":
		nt.Timeout, err = r.duration(p)
	case "url", "webhook_url":
		var u string
		u, err = r.httpURL(p)
		nt.URL = Secret(u)
	case "headers":
		var m map[string]string
		if m, err = r.stringMap(p); err == nil {
			nt.Headers = map[string]Secret{}
			for k, v := range m {
				x, xerr := expandEnv(v, r.lookupEnv)
				if xerr != nil {
					return r.errAt(p.line, p.key, xerr)
				}
				nt.Headers[k] = Secret(x)
			}
		}
	case "secret":
		nt.SigningSecret, err = r.secret(p)
	case "smtp_host":
		nt.SMTPHost, err = r.scalar(p)
	case "smtp_port":
		nt.SMTPPort, err = r.integer(p, 1, 65535)
	case "username":
		nt.Username, err = r.scalar(p)
	case "password":
		nt.Password, err = r.secret(p)
	case "from":
		nt.From, err = r.scalar(p)
	case "to":
		nt.To, err = r.strings(p)
	case "starttls":
		if nt.StartTLS, err = r.scalar(p); err == nil && nt.StartTLS != "required" && nt.StartTLS != "opportunistic" && nt.StartTLS != "off" {
			err = r.errAt(p.line, p.key, fmt.Errorf("invalid starttls %q (want required, opportunistic or off)", nt.StartTLS))
		}
	case "subject_prefix":
		nt.SubjectPrefix, err = r.scalar(p)
	case "ca_cert":
		nt.CACert, err = r.scalar(p)
	case "insecure_skip_verify":
		nt.InsecureSkipVerify, err = r.boolean(p)
	default:
		err = r.errAt(p.line, "", fmt.Errorf("unknown field %q", p.key))
	}
	return err
}

// checkNotification checks the options each type needs.
func (r *reader) checkNotification(nt *Notification, line int) error {
	fail := func(field, msg string) error { return r.errAt(line, field, errors.New(msg)) }
	switch nt.Type {
	case "":
		return fail("type", "a notification needs a type (webhook, slack or email)")
	case "webhook", "slack":
		if nt.URL == "" {
			return fail("url", "a "+nt.Type+" notification needs a url")
		}
		if nt.SMTPHost != "" || len(nt.To) > 0 {
			return fail("smtp_host", "smtp options apply only to an email notification")
		}
	case "email":
		if nt.SMTPHost == "" || nt.From == "" || len(nt.To) == 0 {
			return fail("smtp_host", "an email notification needs smtp_host, from and to")
		}
		if nt.URL != "" {
			return fail("url", "applies only to webhook and slack notifications")
		}
		if nt.SMTPPort == 0 {
			nt.SMTPPort = 587
		}
	}
	if nt.Name == "" {
		nt.Name = nt.Type
	}
	return nil
}

// parseRate reads "N/s", "N/m" or "N/h" (also "N/second", ...).
func parseRate(v string) (int, time.Duration, error) {
	count, unit, ok := strings.Cut(strings.TrimSpace(v), "/")
	n, err := strconv.Atoi(strings.TrimSpace(count))
	if !ok || err != nil || n < 1 {
		return 0, 0, fmt.Errorf("invalid rate %q (want e.g. 30/m)", v)
	}
	switch strings.TrimSpace(unit) {
	case "s", "sec", "second":
		return n, time.Second, nil
	case "m", "min", "minute":
		return n, time.Minute, nil
	case "h", "hour":
		return n, time.Hour, nil
	}
	return 0, 0, fmt.Errorf("invalid rate unit in %q (want s, m or h)", v)
}

// uniqueNames refuses two items of one list with the same name.
func uniqueNames(r *reader, items []*yaml.Node, name func(int) string) error {
	seen := map[string]int{}
	for i, item := range items {
		if first, ok := seen[name(i)]; ok {
			return r.errAt(item.Line, "name", fmt.Errorf("name %q is already used at line %d", name(i), first))
		}
		seen[name(i)] = item.Line
	}
	return nil
}
