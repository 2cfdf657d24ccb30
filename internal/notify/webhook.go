package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Headers of a webhook request.
const (
	headerSignature = "X-Dutywatch-Signature" // "sha256=" + hex HMAC of timestamp "." body
	headerTimestamp = "X-Dutywatch-Timestamp" // Unix seconds when the request was signed
	headerAlertID   = "X-Dutywatch-Alert-Id"  // the same on every retry: receivers deduplicate on it
)

const userAgent = "dutywatch-notify"

// poster POSTs JSON to one URL, which may hold a token and is never shown
// whole.
type poster struct {
	client *http.Client
	url    string
	shown  string // redactURL(url)
}

func newPoster(raw string) *poster {
	return &poster{
		client: &http.Client{
			Transport: newTransport(),
			// A redirect would carry our headers (secrets among them) to
			// wherever the receiver points.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		url:   raw,
		shown: redactURL(raw),
	}
}

func (p *poster) close() { p.client.CloseIdleConnections() }

// post sends body and classifies the outcome: 2xx is success; 408, 429
// and 5xx are transient (with Retry-After); other statuses are permanent;
// transport errors are transient unless the TLS certificate was refused.
func (p *poster) post(ctx context.Context, body []byte, header http.Header, now time.Time) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return permanent(fmt.Errorf("post %s: bad request", p.shown))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := p.client.Do(req)
	if err != nil {
		// *url.Error repeats the whole URL, token and all.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		err = fmt.Errorf("post %s: %w", p.shown, err)
		var cve *tls.CertificateVerificationError
		if errors.As(err, &cve) {
			return permanent(err)
		}
		return transient(err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("post %s: %s%s", p.shown, resp.Status, quoteSnippet(snippet))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		return &transientError{err: err, retryAfter: retryAfter(resp.Header.Get("Retry-After"), now)}
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return permanent(fmt.Errorf("%w: redirects are not followed", err))
	}
	return permanent(err)
}

// quoteSnippet shows the start of a response body (Slack explains its
// errors there: "invalid_token", "channel_is_archived").
func quoteSnippet(b []byte) string {
	s := strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, string(b)))
	if s == "" {
		return ""
	}
	return ": " + strconv.Quote(truncate(s, 120))
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// webhook sends webhookBody documents, signed when it has a secret.
type webhook struct {
	*poster
	headers map[string]string
	secret  []byte
}

func newWebhook(cfg Webhook) *webhook {
	return &webhook{poster: newPoster(cfg.URL), headers: cfg.Headers, secret: []byte(cfg.Secret)}
}

// webhookBody is the JSON a webhook receives.
type webhookBody struct {
	AlertID     string          `json:"alert_id"`
	Time        string          `json:"time"`
	Level       int             `json:"level"`
	RuleID      int             `json:"rule_id"`
	Description string          `json:"description"`
	Type        string          `json:"type"`
	Severity    float64         `json:"severity"`
	Account     string          `json:"account"`
	Region      string          `json:"region"`
	InstanceID  string          `json:"instance_id,omitempty"`
	RemoteIP    string          `json:"remote_ip,omitempty"`
	Country     string          `json:"country,omitempty"`
	URL         string          `json:"url,omitempty"`
	Alert       json.RawMessage `json:"alert"`
}

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func webhookPayload(m *message) ([]byte, error) {
	b, err := json.Marshal(webhookBody{
		AlertID:     m.AlertID,
		Time:        m.Time.UTC().Format(timeLayout),
		Level:       m.Level,
		RuleID:      m.RuleID,
		Description: m.Description,
		Type:        m.Type,
		Severity:    m.Severity,
		Account:     m.Account,
		Region:      m.Region,
		InstanceID:  m.InstanceID,
		RemoteIP:    m.RemoteIP,
		Country:     m.Country,
		URL:         m.url,
		Alert:       bytes.TrimSpace(m.Doc),
	})
	if err != nil {
		return nil, permanent(fmt.Errorf("encode alert %s: %w", m.AlertID, err))
	}
	return b, nil
}

func (w *webhook) send(ctx context.Context, m *message) error {
	body, err := webhookPayload(m)
	if err != nil {
		return err
	}
	h := make(http.Header, len(w.headers)+3)
	for k, v := range w.headers {
		h.Set(k, v)
	}
	h.Set(headerAlertID, m.AlertID)
	if len(w.secret) > 0 {
		ts := strconv.FormatInt(m.now.Unix(), 10)
		h.Set(headerTimestamp, ts)
		h.Set(headerSignature, "sha256="+sign(w.secret, ts, body))
	}
	return w.post(ctx, body, h, m.now)
}

// sign is the hex HMAC-SHA256 of timestamp "." body under secret.
func sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// truncate cuts s to at most n runes, marking a cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n-1 {
			return s[:j] + "…"
		}
		i++
	}
	return s
}
