package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Item is one alert to notify, as the outbox hands it over.
type Item struct {
	AlertID string
	Time    time.Time
	Level   int
	RuleID  int
	Type    string // the finding type, "UnauthorizedAccess:EC2/RDPBruteForce"
	Doc     []byte // the alerts.json line
}

// Status is what became of an item.
type Status int

// Statuses of an Outcome.
const (
	Sent    Status = iota + 1 // delivered
	Dropped                   // filtered out or over the rate limit; never retried
	Failed                    // not delivered; Notify returns the error
)

func (s Status) String() string {
	switch s {
	case Sent:
		return "sent"
	case Dropped:
		return "dropped"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// Outcome is what Notify did with an item.
type Outcome struct {
	Status Status
	// Reason says why an item was dropped ("level 3 below 7", "type
	// Recon:EC2/Portscan excluded by Recon:*", "rate limited") or failed
	// (the error's text, secrets removed).
	Reason   string
	Attempts int // sends tried, 0 when dropped
}

// ErrPermanent is wrapped by errors that retrying cannot fix: a rejected
// request (4xx, SMTP 5xx), a bad alert document, a refused TLS certificate.
var ErrPermanent = errors.New("permanent failure")

// maxWait caps one retry delay; a Retry-After longer than this fails the
// item at once rather than holding the delivery loop.
const maxWait = 5 * time.Minute

// Notifier sends alerts to one destination. Its methods are safe for
// concurrent use.
type Notifier struct {
	cfg     Destination
	log     *slog.Logger
	send    sender
	limit   *rate.Limiter // nil: no rate limit
	secrets []string

	// Test knobs.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// sender makes one attempt at delivering an alert.
type sender interface {
	send(ctx context.Context, m *message) error
	close()
}

// message is an item with its summary, as senders see it.
type message struct {
	Item
	summary
	url string // link to the alert in the web UI, or ""
	now time.Time
}

// New returns a Notifier for cfg after checking it; errors name the
// destination and the field.
func New(cfg Destination, log *slog.Logger) (*Notifier, error) {
	// Own copies: validation normalises some of these in place.
	cfg.Types = slices.Clone(cfg.Types)
	cfg.ExcludeTypes = slices.Clone(cfg.ExcludeTypes)
	cfg.Webhook.Headers = maps.Clone(cfg.Webhook.Headers)
	cfg.Email.To = slices.Clone(cfg.Email.To)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := &Notifier{
		cfg:     cfg,
		log:     log.With("notify", cfg.Name),
		secrets: cfg.secrets(),
		now:     time.Now,
		sleep:   sleepCtx,
	}
	if cfg.RateLimit.PerMinute > 0 {
		n.limit = rate.NewLimiter(rate.Limit(cfg.RateLimit.PerMinute/60), cfg.RateLimit.Burst)
	}
	switch cfg.Kind {
	case KindWebhook:
		n.send = newWebhook(cfg.Webhook)
	case KindSlack:
		n.send = newSlack(cfg.Slack)
	case KindEmail:
		s, err := newMailer(cfg.Email)
		if err != nil {
			return nil, fmt.Errorf("notify destination %q: %w", cfg.Name, err)
		}
		n.send = s
	}
	return n, nil
}

// Name is the destination's name.
func (n *Notifier) Name() string { return n.cfg.Name }

// Close releases idle connections. Notify must not be called after.
func (n *Notifier) Close() error {
	n.send.close()
	return nil
}

// Matches reports whether it passes the destination's level and type
// filters.
func (n *Notifier) Matches(it Item) bool {
	return n.filter(it) == ""
}

// filter returns why it is filtered out, or "".
func (n *Notifier) filter(it Item) string {
	if it.Level < n.cfg.MinLevel {
		return fmt.Sprintf("level %d below %d", it.Level, n.cfg.MinLevel)
	}
	for _, p := range n.cfg.ExcludeTypes {
		if matchType(p, it.Type) {
			return fmt.Sprintf("type %s excluded by %s", it.Type, p)
		}
	}
	if len(n.cfg.Types) == 0 {
		return ""
	}
	for _, p := range n.cfg.Types {
		if matchType(p, it.Type) {
			return ""
		}
	}
	return fmt.Sprintf("type %s not in types", it.Type)
}

// Notify sends it to the destination unless it is filtered out or over
// the rate limit (Dropped), retrying transient failures MaxRetries times.
// When it fails, the error is returned as well; it wraps ErrPermanent
// when retrying later cannot help, and ctx's error when ctx ended first
// (the item was then not given up on: leave it pending).
func (n *Notifier) Notify(ctx context.Context, it Item) (Outcome, error) {
	if why := n.filter(it); why != "" {
		return Outcome{Status: Dropped, Reason: why}, nil
	}
	if n.limit != nil && !n.limit.Allow() {
		return Outcome{Status: Dropped, Reason: "rate limited"}, nil
	}
	m, err := n.message(it)
	if err != nil {
		return n.failed(0, err)
	}
	log := n.log.With("alert", it.AlertID)
	for attempt := 1; ; attempt++ {
		err := n.attempt(ctx, m)
		if err == nil {
			return Outcome{Status: Sent, Attempts: attempt}, nil
		}
		if ctx.Err() != nil {
			return n.failed(attempt, fmt.Errorf("%w (after %v)", ctx.Err(), err))
		}
		var te *transientError
		if !errors.As(err, &te) || attempt > n.cfg.MaxRetries {
			return n.failed(attempt, err)
		}
		wait := n.backoff(attempt)
		if te.retryAfter > maxWait {
			return n.failed(attempt, fmt.Errorf("%w; server asks to wait %v, more than %v", err, te.retryAfter, maxWait))
		}
		wait = max(wait, te.retryAfter)
		log.Debug("notify attempt failed; retrying", "attempt", attempt, "wait", wait, "err", n.scrub(err.Error()))
		if err := n.sleep(ctx, wait); err != nil {
			return n.failed(attempt, fmt.Errorf("%w (after %v)", err, te))
		}
	}
}

func (n *Notifier) message(it Item) (*message, error) {
	if it.AlertID == "" {
		return nil, fmt.Errorf("alert has no id: %w", ErrPermanent)
	}
	s, err := extract(it.Doc)
	if err != nil {
		return nil, fmt.Errorf("alert %s: %w: %w", it.AlertID, err, ErrPermanent)
	}
	// The outbox's fields win; the document fills those it left empty.
	if it.Type == "" {
		it.Type = s.FindingType
	}
	if it.Level == 0 {
		it.Level = s.RuleLevel
	}
	if it.RuleID == 0 {
		it.RuleID = s.RuleNum
	}
	if it.Time.IsZero() {
		it.Time = s.DocTime
	}
	m := &message{Item: it, summary: s, now: n.now()}
	if n.cfg.AlertURL != "" {
		m.url = n.cfg.AlertURL + "/alerts/" + url.PathEscape(it.AlertID)
	}
	return m, nil
}

func (n *Notifier) attempt(ctx context.Context, m *message) error {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	m.now = n.now()
	return n.send.send(ctx, m)
}

// failed builds a Failed outcome; the error's text is scrubbed of secrets.
func (n *Notifier) failed(attempts int, err error) (Outcome, error) {
	err = &scrubbed{msg: n.scrub(err.Error()), err: err}
	return Outcome{Status: Failed, Reason: err.Error(), Attempts: attempts}, err
}

// backoff is the delay before retry number attempt (1 for the first):
// Backoff doubled each time, capped at maxWait, the upper half jittered.
func (n *Notifier) backoff(attempt int) time.Duration {
	d := n.cfg.Backoff
	for i := 1; i < attempt && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	return d/2 + rand.N(d/2+1)
}

func (n *Notifier) scrub(s string) string {
	for _, secret := range n.secrets {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	return s
}

// scrubbed shows an error's text without secrets; errors.Is and As still
// see the original.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// transientError is a failure worth retrying.
type transientError struct {
	err        error
	retryAfter time.Duration // the server's Retry-After, or 0
}

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

func transient(err error) error { return &transientError{err: err} }

func permanent(err error) error { return fmt.Errorf("%w (%w)", err, ErrPermanent) }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// newTransport is the HTTP transport of webhook and Slack destinations.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 2
	return t
}
