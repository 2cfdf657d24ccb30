package notify

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strings"
	"time"
)

// Kinds of destination.
const (
	KindWebhook = "webhook"
	KindSlack   = "slack"
	KindEmail   = "email"
)

// StartTLS modes of an email destination.
const (
	StartTLSRequired      = "required"
	StartTLSOpportunistic = "opportunistic"
	StartTLSOff           = "off"
)

// Defaults filled in by New for zero fields.
const (
	DefaultBackoff       = time.Second
	DefaultTimeout       = 10 * time.Second
	DefaultSubjectPrefix = "[dutywatch]"
	DefaultSMTPPort      = 587

	maxRetries = 20
	maxLevel   = 16
)

// Destination is one place alerts are sent to. Fields marked secret are
// never logged nor put in errors.
type Destination struct {
	Name string // names the destination in errors, logs and the store
	Kind string // KindWebhook, KindSlack or KindEmail

	// MinLevel drops alerts whose rule level is below it.
	MinLevel int
	// Types keeps only alerts whose finding type matches one pattern: an
	// exact type ("Recon:EC2/PortProbeUnprotectedPort") or a prefix ending
	// in "*" ("UnauthorizedAccess:EC2/*", "Backdoor:*"). Case-insensitive.
	// Empty keeps every type.
	Types []string
	// ExcludeTypes drops alerts whose type matches one pattern; it wins
	// over Types.
	ExcludeTypes []string

	RateLimit RateLimit

	// MaxRetries is how many times a transient failure is retried (0: none).
	MaxRetries int
	// Backoff is the first retry's delay, doubled for each later one, with
	// jitter. Zero means DefaultBackoff.
	Backoff time.Duration
	// Timeout bounds one attempt (connect, send, response). Zero means
	// DefaultTimeout.
	Timeout time.Duration

	// AlertURL, when set, is the base address of dutywatch's web UI
	// ("https://dutywatch.example.com"); messages then link to
	// AlertURL + "/alerts/<id>".
	AlertURL string

	Webhook Webhook
	Slack   Slack
	Email   Email
}

// RateLimit caps how many alerts a destination is sent. Alerts over the
// limit are dropped, not queued.
type RateLimit struct {
	PerMinute float64 // 0: no limit
	Burst     int     // alerts sent back to back before the rate applies; 0 means 1
}

// Webhook posts a JSON document to URL.
type Webhook struct {
	URL string
	// Headers are added to each request; their values are secret.
	Headers map[string]string
	// Secret, when set, signs each request (secret); see the package doc.
	Secret string
}

// Slack posts to a Slack incoming webhook.
type Slack struct {
	WebhookURL string // secret: its path is the token
}

// Email sends mail through an SMTP server.
type Email struct {
	Host     string
	Port     int    // 0 means 587; 465 is implicit TLS
	Username string // PLAIN auth when set
	Password string // secret
	From     string
	To       []string
	// StartTLS is StartTLSRequired (the default), StartTLSOpportunistic or
	// StartTLSOff. Ignored on port 465, which is TLS from the start.
	StartTLS           string
	SubjectPrefix      string // "" means DefaultSubjectPrefix
	CACert             string // PEM file of CAs to trust instead of the system's
	InsecureSkipVerify bool
}

// LogValue shows a destination without its secrets.
func (d Destination) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("name", d.Name), slog.String("kind", d.Kind)}
	switch d.Kind {
	case KindWebhook:
		attrs = append(attrs, slog.String("url", redactURL(d.Webhook.URL)))
	case KindSlack:
		attrs = append(attrs, slog.String("url", redactURL(d.Slack.WebhookURL)))
	case KindEmail:
		attrs = append(attrs, slog.String("host", d.Email.Host), slog.Int("port", d.Email.Port))
	}
	return slog.GroupValue(attrs...)
}

// secrets lists the secret values of d, to scrub from error text.
func (d *Destination) secrets() []string {
	var s []string
	add := func(v string) {
		if len(v) >= 4 { // shorter ones would scrub ordinary words
			s = append(s, v)
		}
	}
	add(d.Webhook.Secret)
	for _, v := range d.Webhook.Headers {
		add(v)
	}
	// Webhook URLs often carry their token in the path or the query.
	for _, raw := range []string{d.Webhook.URL, d.Slack.WebhookURL} {
		if u, err := url.Parse(raw); err == nil {
			add(strings.Trim(u.Path, "/"))
			for seg := range strings.SplitSeq(u.Path, "/") {
				if len(seg) >= 16 { // token-like: Slack's last segment
					add(seg)
				}
			}
			add(u.RawQuery)
			if p, ok := u.User.Password(); ok {
				add(p)
			}
		}
	}
	add(d.Email.Password)
	return s
}

// validate checks d and fills its defaults.
func (d *Destination) validate() error {
	if d.Name == "" {
		return errors.New("notify destination: name is empty")
	}
	if err := d.validateCommon(); err != nil {
		return fmt.Errorf("notify destination %q: %w", d.Name, err)
	}
	var err error
	switch d.Kind {
	case KindWebhook:
		err = d.Webhook.validate()
	case KindSlack:
		err = d.Slack.validate()
	case KindEmail:
		err = d.Email.validate()
	default:
		err = fmt.Errorf("kind: %q is not webhook, slack or email", d.Kind)
	}
	if err == nil {
		err = d.otherKindsEmpty()
	}
	if err != nil {
		return fmt.Errorf("notify destination %q: %w", d.Name, err)
	}
	return nil
}

func (d *Destination) validateCommon() error {
	switch {
	case d.MinLevel < 0 || d.MinLevel > maxLevel:
		return fmt.Errorf("min_level: %d is not between 0 and %d", d.MinLevel, maxLevel)
	case d.RateLimit.PerMinute < 0:
		return fmt.Errorf("rate_limit.per_minute: %v is negative", d.RateLimit.PerMinute)
	case d.RateLimit.Burst < 0:
		return fmt.Errorf("rate_limit.burst: %d is negative", d.RateLimit.Burst)
	case d.MaxRetries < 0 || d.MaxRetries > maxRetries:
		return fmt.Errorf("max_retries: %d is not between 0 and %d", d.MaxRetries, maxRetries)
	case d.Backoff < 0:
		return fmt.Errorf("backoff: %v is negative", d.Backoff)
	case d.Timeout < 0:
		return fmt.Errorf("timeout: %v is negative", d.Timeout)
	}
	for _, f := range []struct {
		name     string
		patterns []string
	}{{"types", d.Types}, {"exclude_types", d.ExcludeTypes}} {
		for i, p := range f.patterns {
			if err := validPattern(p); err != nil {
				return fmt.Errorf("%s[%d]: %w", f.name, i, err)
			}
		}
	}
	if d.AlertURL != "" {
		u, err := url.Parse(d.AlertURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("alert_url: %q is not an http(s) address", d.AlertURL)
		}
		d.AlertURL = strings.TrimRight(d.AlertURL, "/")
	}
	if d.RateLimit.Burst == 0 {
		d.RateLimit.Burst = 1
	}
	if d.Backoff == 0 {
		d.Backoff = DefaultBackoff
	}
	if d.Timeout == 0 {
		d.Timeout = DefaultTimeout
	}
	return nil
}

// otherKindsEmpty catches settings written under the wrong kind, which
// would otherwise be ignored in silence.
func (d *Destination) otherKindsEmpty() error {
	set := map[string]bool{
		KindWebhook: d.Webhook.URL != "" || d.Webhook.Secret != "" || len(d.Webhook.Headers) > 0,
		KindSlack:   d.Slack.WebhookURL != "",
		KindEmail:   d.Email.Host != "" || d.Email.From != "" || len(d.Email.To) > 0,
	}
	for _, k := range []string{KindWebhook, KindSlack, KindEmail} {
		if k != d.Kind && set[k] {
			return fmt.Errorf("%s: settings given but kind is %s", k, d.Kind)
		}
	}
	return nil
}

func (w *Webhook) validate() error {
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL may hold a token: show only its redacted form.
		return fmt.Errorf("webhook.url: %s is not an http(s) address", redactURL(w.URL))
	}
	for name, v := range w.Headers {
		if !validHeaderName(name) {
			return fmt.Errorf("webhook.headers: %q is not a valid header name", name)
		}
		switch strings.ToLower(name) {
		case "host", "content-type", "content-length", "transfer-encoding", "connection",
			strings.ToLower(headerSignature), strings.ToLower(headerTimestamp), strings.ToLower(headerAlertID):
			return fmt.Errorf("webhook.headers: %s is set by dutywatch", name)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return fmt.Errorf("webhook.headers: value of %s has a line break", name)
		}
	}
	return nil
}

func (s *Slack) validate() error {
	u, err := url.Parse(s.WebhookURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
		return fmt.Errorf("slack.webhook_url: %s is not an https address", redactURL(s.WebhookURL))
	}
	return nil
}

func (e *Email) validate() error {
	if e.Host == "" {
		return errors.New("email.host is empty")
	}
	if e.Port == 0 {
		e.Port = DefaultSMTPPort
	}
	if e.Port < 0 || e.Port > 65535 {
		return fmt.Errorf("email.port: %d is not a port", e.Port)
	}
	from, err := mail.ParseAddress(e.From)
	if err != nil {
		return fmt.Errorf("email.from: %q: %w", e.From, err)
	}
	e.From = from.String()
	if len(e.To) == 0 {
		return errors.New("email.to is empty")
	}
	for i, to := range e.To {
		a, err := mail.ParseAddress(to)
		if err != nil {
			return fmt.Errorf("email.to[%d]: %q: %w", i, to, err)
		}
		e.To[i] = a.String()
	}
	switch e.StartTLS {
	case "":
		e.StartTLS = StartTLSRequired
	case StartTLSRequired, StartTLSOpportunistic, StartTLSOff:
	default:
		return fmt.Errorf("email.start_tls: %q is not required, opportunistic or off", e.StartTLS)
	}
	if (e.Username == "") != (e.Password == "") {
		return errors.New("email.username and email.password: give both or neither")
	}
	if e.Password != "" && e.StartTLS == StartTLSOff && e.Port != 465 && !isLoopback(e.Host) {
		return errors.New("email.password: sending it needs TLS; set start_tls to required or use port 465")
	}
	if e.SubjectPrefix == "" {
		e.SubjectPrefix = DefaultSubjectPrefix
	}
	if strings.ContainsAny(e.SubjectPrefix, "\r\n") {
		return errors.New("email.subject_prefix has a line break")
	}
	if e.CACert != "" {
		if _, err := loadCAs(e.CACert); err != nil {
			return fmt.Errorf("email.ca_cert: %w", err)
		}
	}
	return nil
}

func loadCAs(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

func validPattern(p string) error {
	switch {
	case p == "":
		return errors.New("empty pattern")
	case strings.Contains(strings.TrimSuffix(p, "*"), "*"):
		return fmt.Errorf("%q: '*' is only allowed at the end", p)
	}
	return nil
}

// matchType reports whether typ matches pattern: equal, or starting with
// the part before a trailing "*"; case-insensitive.
func matchType(pattern, typ string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return len(typ) >= len(prefix) && strings.EqualFold(typ[:len(prefix)], prefix)
	}
	return strings.EqualFold(pattern, typ)
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redactURL keeps only scheme and host: webhook paths and queries often
// hold the token.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "[redacted url]"
	}
	return u.Scheme + "://" + u.Host + "/…"
}
