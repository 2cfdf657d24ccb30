package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// reply is one canned answer of a receiver.
type reply struct {
	status int
	header map[string]string
	body   string
	hang   bool // wait until the client gives up
}

type request struct {
	path   string
	header http.Header
	body   []byte
}

// receiver is an httptest server answering with replies in order (the
// last one repeats) and recording requests.
type receiver struct {
	srv *httptest.Server
	// mu guards the fields below.
	mu      sync.Mutex
	replies []reply
	reqs    []request
}

func newReceiver(t *testing.T, replies ...reply) *receiver {
	r := &receiver{replies: replies}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, request{path: req.URL.Path, header: req.Header.Clone(), body: body})
	rep := reply{status: http.StatusOK, body: "ok"}
	if len(r.replies) > 0 {
		rep = r.replies[0]
		if len(r.replies) > 1 {
			r.replies = r.replies[1:]
		}
	}
	r.mu.Unlock()
	if rep.hang {
		<-req.Context().Done()
		return
	}
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func (r *receiver) requests() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

func webhookDest(url string) Destination {
	return Destination{Name: "hook", Kind: KindWebhook, MaxRetries: 3, Backoff: time.Second, Webhook: Webhook{URL: url}}
}

func TestWebhookPayload(t *testing.T) {
	rcv := newReceiver(t)
	cfg := webhookDest(rcv.srv.URL + "/hook")
	cfg.AlertURL = "https://dutywatch.example.com/"
	cfg.Webhook.Secret = "s3cret-signing-key"
	cfg.Webhook.Headers = map[string]string{"Authorization": "Bearer tok-123456"}
	n, _ := newTest(t, cfg, nil)

	out, err := n.Notify(t.Context(), rdpItem(t))
	if err != nil || out.Status != Sent || out.Attempts != 1 {
		t.Fatalf("Notify = %+v, %v; want sent in 1 attempt", out, err)
	}
	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	req := reqs[0]
	golden(t, "webhook.golden.json", req.body)

	for k, want := range map[string]string{
		"Content-Type":          "application/json",
		"Authorization":         "Bearer tok-123456",
		"X-Dutywatch-Alert-Id":  "5f0c8a1e2b3d4c5e6f708192a3b4c5d6",
		"X-Dutywatch-Timestamp": strconv.FormatInt(fixedNow.Unix(), 10),
	} {
		if got := req.header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	// Verify the signature as a receiver would, from the documented scheme.
	mac := hmac.New(sha256.New, []byte("s3cret-signing-key"))
	mac.Write([]byte(req.header.Get("X-Dutywatch-Timestamp") + "."))
	mac.Write(req.body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if got := req.header.Get("X-Dutywatch-Signature"); !hmac.Equal([]byte(got), []byte(want)) {
		t.Errorf("signature = %q, want %q", got, want)
	}
	// A body changed in transit no longer verifies.
	mac.Reset()
	mac.Write([]byte(req.header.Get("X-Dutywatch-Timestamp") + "."))
	mac.Write(bytes.Replace(req.body, []byte(`"level":10`), []byte(`"level":1`), 1))
	if "sha256="+hex.EncodeToString(mac.Sum(nil)) == want {
		t.Error("signature does not cover the body")
	}
	var body struct {
		Alert map[string]any `json:"alert"`
	}
	if err := json.Unmarshal(req.body, &body); err != nil || body.Alert["id"] != "5f0c8a1e2b3d4c5e6f708192a3b4c5d6" {
		t.Errorf("alert member not the whole alert object: %v, %v", body.Alert["id"], err)
	}
}

func TestWebhookUnsigned(t *testing.T) {
	rcv := newReceiver(t)
	n, _ := newTest(t, webhookDest(rcv.srv.URL), nil)
	if out, err := n.Notify(t.Context(), rdpItem(t)); out.Status != Sent {
		t.Fatalf("Notify = %+v, %v", out, err)
	}
	if h := rcv.requests()[0].header; h.Get("X-Dutywatch-Signature") != "" || h.Get("X-Dutywatch-Timestamp") != "" {
		t.Errorf("unsigned destination sent signature headers: %v", h)
	}
}

func TestRetries(t *testing.T) {
	retryDate := fixedNow.Add(30 * time.Second).Format(http.TimeFormat)
	cases := []struct {
		name       string
		replies    []reply
		maxRetries int
		timeout    time.Duration
		status     Status
		attempts   int
		permanent  bool
		waits      []time.Duration // exact, or a range [lo, hi] when rangeWaits
		rangeWaits bool
		errHas     string
	}{
		{name: "429 retry-after seconds then success", replies: []reply{{status: 429, header: map[string]string{"Retry-After": "7"}}, {status: 200}},
			maxRetries: 3, status: Sent, attempts: 2, waits: []time.Duration{7 * time.Second}},
		{name: "503 retry-after date then success", replies: []reply{{status: 503, header: map[string]string{"Retry-After": retryDate}}, {status: 204}},
			maxRetries: 3, status: Sent, attempts: 2, waits: []time.Duration{30 * time.Second}},
		{name: "500 then success", replies: []reply{{status: 500}, {status: 200}},
			maxRetries: 3, status: Sent, attempts: 2, rangeWaits: true, waits: []time.Duration{500 * time.Millisecond, time.Second}},
		{name: "500 until retries run out", replies: []reply{{status: 500, body: "boom"}},
			maxRetries: 2, status: Failed, attempts: 3, rangeWaits: true,
			waits: []time.Duration{500 * time.Millisecond, time.Second, time.Second, 2 * time.Second}, errHas: `500 Internal Server Error: "boom"`},
		{name: "no retries configured", replies: []reply{{status: 502}},
			maxRetries: 0, status: Failed, attempts: 1, errHas: "502"},
		{name: "400 is permanent", replies: []reply{{status: 400, body: "invalid_payload"}, {status: 200}},
			maxRetries: 3, status: Failed, attempts: 1, permanent: true, errHas: `400 Bad Request: "invalid_payload"`},
		{name: "404 is permanent", replies: []reply{{status: 404}},
			maxRetries: 3, status: Failed, attempts: 1, permanent: true, errHas: "404"},
		{name: "redirect is not followed", replies: []reply{{status: 302, header: map[string]string{"Location": "http://127.0.0.1:1/elsewhere"}}},
			maxRetries: 3, status: Failed, attempts: 1, permanent: true, errHas: "redirects are not followed"},
		{name: "retry-after too long", replies: []reply{{status: 429, header: map[string]string{"Retry-After": "3600"}}},
			maxRetries: 3, status: Failed, attempts: 1, errHas: "server asks to wait 1h0m0s"},
		{name: "timeout then success", replies: []reply{{hang: true}, {status: 200}}, timeout: 50 * time.Millisecond,
			maxRetries: 1, status: Sent, attempts: 2, rangeWaits: true, waits: []time.Duration{500 * time.Millisecond, time.Second}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rcv := newReceiver(t, c.replies...)
			cfg := webhookDest(rcv.srv.URL)
			cfg.MaxRetries = c.maxRetries
			cfg.Timeout = c.timeout
			n, w := newTest(t, cfg, nil)
			out, err := n.Notify(t.Context(), rdpItem(t))
			if out.Status != c.status || out.Attempts != c.attempts {
				t.Fatalf("Notify = %+v, %v; want %v after %d attempts", out, err, c.status, c.attempts)
			}
			if (err != nil) != (c.status == Failed) {
				t.Fatalf("err = %v with status %v", err, out.Status)
			}
			if err != nil {
				if got := errors.Is(err, ErrPermanent); got != c.permanent {
					t.Errorf("errors.Is(err, ErrPermanent) = %v, want %v (%v)", got, c.permanent, err)
				}
				if !strings.Contains(err.Error(), c.errHas) || out.Reason != err.Error() {
					t.Errorf("err = %q (reason %q), want it to contain %q", err, out.Reason, c.errHas)
				}
			}
			if got := len(rcv.requests()); got != c.attempts {
				t.Errorf("receiver got %d requests, want %d", got, c.attempts)
			}
			checkWaits(t, w.all(), c.waits, c.rangeWaits)
		})
	}
}

func checkWaits(t *testing.T, got, want []time.Duration, ranges bool) {
	t.Helper()
	if !ranges {
		if len(got) != len(want) || (len(got) > 0 && !equalDurations(got, want)) {
			t.Errorf("waits = %v, want %v", got, want)
		}
		return
	}
	if len(got) != len(want)/2 {
		t.Fatalf("waits = %v, want %d in ranges %v", got, len(want)/2, want)
	}
	for i, d := range got {
		if d < want[2*i] || d > want[2*i+1] {
			t.Errorf("wait %d = %v, want in [%v, %v]", i, d, want[2*i], want[2*i+1])
		}
	}
}

func equalDurations(a, b []time.Duration) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBackoffGrows(t *testing.T) {
	n, _ := newTest(t, Destination{Name: "b", Kind: KindWebhook, Backoff: time.Second, Webhook: Webhook{URL: "http://127.0.0.1:1"}}, nil)
	for attempt, hi := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 12: maxWait, 40: maxWait} {
		for range 50 {
			if d := n.backoff(attempt); d < hi/2 || d > hi {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", attempt, d, hi/2, hi)
			}
		}
	}
}

func TestCancelStopsRetries(t *testing.T) {
	rcv := newReceiver(t, reply{status: 500})
	n, _ := newTest(t, webhookDest(rcv.srv.URL), nil)
	ctx, cancel := context.WithCancel(t.Context())
	n.sleep = func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }
	out, err := n.Notify(ctx, rdpItem(t))
	if out.Status != Failed || out.Attempts != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("Notify = %+v, %v; want failed after 1 attempt with context.Canceled", out, err)
	}
	out, err = n.Notify(ctx, rdpItem(t))
	if out.Status != Failed || !errors.Is(err, context.Canceled) {
		t.Fatalf("Notify on a cancelled context = %+v, %v", out, err)
	}
}

func TestSlackPayload(t *testing.T) {
	rcv := newReceiver(t)
	cfg := Destination{Name: "slack", Kind: KindSlack, AlertURL: "https://dutywatch.example.com",
		Slack: Slack{WebhookURL: rcv.srv.URL + "/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX"}}
	n, _ := newTest(t, cfg, nil)
	if out, err := n.Notify(t.Context(), rdpItem(t)); out.Status != Sent {
		t.Fatalf("Notify = %+v, %v", out, err)
	}
	req := rcv.requests()[0]
	if req.path != "/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX" {
		t.Errorf("posted to %s", req.path)
	}
	golden(t, "slack.golden.json", req.body)
	var msg slackMessage
	if err := json.Unmarshal(req.body, &msg); err != nil {
		t.Fatal(err)
	}
	// The rule description holds "<!channel> & co": escaped wherever mrkdwn is parsed.
	if !strings.Contains(msg.Text, "&lt;!channel&gt; &amp; co") || strings.Contains(msg.Text, "<!") {
		t.Errorf("text not escaped: %q", msg.Text)
	}
	if msg.Blocks[0].Type != "header" || !strings.HasPrefix(msg.Blocks[0].Text.Text, "L10 GuardDuty: RDP brute force") {
		t.Errorf("header block = %+v", msg.Blocks[0])
	}
}

func TestSlackEscapesFindingText(t *testing.T) {
	m := &message{Item: Item{AlertID: "a1", Level: 12, RuleID: 1, Type: "Backdoor:EC2/C&CActivity.B"},
		summary: summary{Description: "x <!here> <https://evil.example|bank>", Finding: "f <@U123> & <#C1>",
			Account: "<!channel>", Region: "r>", InstanceID: "i-<1>", RemoteIP: "1.2.3.4", Country: "<x>"}}
	b, err := slackPayload(m)
	if err != nil {
		t.Fatal(err)
	}
	var msg slackMessage
	if err := json.Unmarshal(b, &msg); err != nil {
		t.Fatal(err)
	}
	texts := []string{msg.Text}
	for _, bl := range msg.Blocks {
		if bl.Text != nil && bl.Text.Type == "mrkdwn" {
			texts = append(texts, bl.Text.Text)
		}
		for _, f := range append(bl.Fields, bl.Elements...) {
			texts = append(texts, f.Text)
		}
	}
	for _, s := range texts {
		if strings.ContainsAny(s, "<>") {
			t.Errorf("mrkdwn text has an unescaped < or >: %q", s)
		}
	}
}

func TestSecretsRedacted(t *testing.T) {
	const token = "T0001/B0001/SECRETSECRETSECRETSECRET"
	rcv := newReceiver(t, reply{status: 500, body: "no " + token}, reply{status: 403, body: "invalid_token"})
	var logs bytes.Buffer
	n, _ := newTest(t, Destination{Name: "slack", Kind: KindSlack, MaxRetries: 2,
		Slack: Slack{WebhookURL: rcv.srv.URL + "/services/" + token}}, &logs)
	out, err := n.Notify(t.Context(), rdpItem(t))
	if out.Status != Failed || !errors.Is(err, ErrPermanent) {
		t.Fatalf("Notify = %+v, %v; want permanent failure", out, err)
	}
	if !strings.Contains(err.Error(), rcv.srv.URL+"/…") || !strings.Contains(err.Error(), "invalid_token") {
		t.Errorf("err = %q, want the redacted URL and Slack's reason", err)
	}
	for what, s := range map[string]string{"error": err.Error(), "reason": out.Reason, "logs": logs.String()} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("%s shows the token: %s", what, s)
		}
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("no retry logged: %s", logs.String())
	}

	// A connection error names no token either (url.Error would).
	rcv.srv.Close()
	out, err = n.Notify(t.Context(), rdpItem(t))
	if out.Status != Failed || errors.Is(err, ErrPermanent) || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("Notify to a closed server = %+v, %v; want a transient failure without the token", out, err)
	}
}

func TestRateLimitDropsAfterBurst(t *testing.T) {
	rcv := newReceiver(t)
	cfg := webhookDest(rcv.srv.URL)
	cfg.RateLimit = RateLimit{PerMinute: 1, Burst: 2}
	n, _ := newTest(t, cfg, nil)
	var got []Status
	for range 4 {
		out, err := n.Notify(t.Context(), rdpItem(t))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out.Status)
		if out.Status == Dropped && out.Reason != "rate limited" {
			t.Errorf("reason = %q, want rate limited", out.Reason)
		}
	}
	if want := []Status{Sent, Sent, Dropped, Dropped}; !equalStatus(got, want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
	if len(rcv.requests()) != 2 {
		t.Errorf("receiver got %d requests, want 2", len(rcv.requests()))
	}
}

func equalStatus(a, b []Status) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRetryAfter(t *testing.T) {
	cases := []struct {
		name, v string
		want    time.Duration
	}{
		{"empty", "", 0},
		{"seconds", "12", 12 * time.Second},
		{"zero", "0", 0},
		{"negative", "-5", 0},
		{"huge", "99999999999999", 24 * time.Hour},
		{"date", fixedNow.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"past date", fixedNow.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"garbage", "soon", 0},
	}
	for _, c := range cases {
		if got := retryAfter(c.v, fixedNow); got != c.want {
			t.Errorf("%s: retryAfter(%q) = %v, want %v", c.name, c.v, got, c.want)
		}
	}
}

func TestItemFieldsFromDoc(t *testing.T) {
	rcv := newReceiver(t)
	n, _ := newTest(t, webhookDest(rcv.srv.URL), nil)
	it := Item{AlertID: "5f0c8a1e2b3d4c5e6f708192a3b4c5d6", Doc: rdpAlert(t)} // the rest left to the document
	if out, err := n.Notify(t.Context(), it); out.Status != Sent {
		t.Fatalf("Notify = %+v, %v", out, err)
	}
	var got webhookBody
	if err := json.Unmarshal(rcv.requests()[0].body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Level != 10 || got.RuleID != 100210 || got.Type != "UnauthorizedAccess:EC2/RDPBruteForce" || got.Time != "2025-01-15T10:41:12.000Z" {
		t.Errorf("payload = %+v; want level, rule, type and time from the document", got)
	}
}
