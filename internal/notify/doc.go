// Package notify sends alerts to people: a JSON webhook, a Slack incoming
// webhook, or email over SMTP. A Notifier serves one Destination: it
// filters alerts by level and finding type, rate-limits them, and retries
// transient failures with exponential backoff and jitter.
//
// Webhook: POST of a JSON object with the alert's main fields (alert_id,
// time, level, rule_id, description, type, severity, account, region,
// instance_id, remote_ip, country, url) and "alert", the whole alerts.json
// object. Every request carries X-Dutywatch-Alert-Id, the same on every
// retry. With a secret, it also carries X-Dutywatch-Timestamp (Unix
// seconds) and X-Dutywatch-Signature: "sha256=" followed by the hex
// HMAC-SHA256, keyed by the secret, of the timestamp, a ".", and the body.
// Receivers recompute it, compare in constant time, and reject timestamps
// more than a few minutes old, so a captured request cannot be replayed.
//
// Slack: a Block Kit message (header, the finding's description, fields)
// with a plain "text" fallback. Finding text is attacker-influenced: it is
// escaped for mrkdwn, so it cannot mention @channel or disguise a link.
//
// Email: one SMTP connection per alert, STARTTLS (required by default) or
// implicit TLS on port 465, PLAIN auth, which net/smtp refuses to send
// unencrypted except to localhost. Subject "[dutywatch] L<level>
// <description>" with control characters removed and RFC 2047 encoding;
// Message-ID derived from the alert id, so retries are recognisable.
//
// Retries: HTTP 408, 429 (honouring Retry-After) and 5xx, SMTP 4xx
// replies, timeouts and connection errors are retried up to MaxRetries
// times; other failures are permanent and wrap ErrPermanent. Secrets
// (webhook URLs' paths and queries, header values, passwords) never
// appear in errors or logs: URLs are shown as scheme://host/….
//
// Delivery: at most once per call. The caller (the outbox's delivery loop)
// records each Outcome so an alert is notified once per destination; a
// crash between a send and that record can repeat it, which the alert id
// header and Message-ID let receivers recognise.
//
// State: the rate limiter's tokens, in memory only.
//
// Concurrency: a Notifier's methods are safe for concurrent use; Notify
// blocks for its retries. It starts no goroutine of its own (the HTTP
// transport keeps idle connections, which Close releases).
//
// Stop: cancelling Notify's context ends it at once with Failed and an
// error wrapping the context's; the item should then stay pending.
package notify
