package notify

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewRejects(t *testing.T) {
	hook := func(f func(*Destination)) Destination {
		d := Destination{Name: "ops", Kind: KindWebhook, Webhook: Webhook{URL: "https://hooks.example.com/x?token=abcdef123"}}
		f(&d)
		return d
	}
	mail := func(f func(*Destination)) Destination {
		d := Destination{Name: "mail", Kind: KindEmail, Email: Email{Host: "smtp.example.com", From: "dw@example.com", To: []string{"soc@example.com"}}}
		f(&d)
		return d
	}
	badCA := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(badCA, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		cfg  Destination
		want string // in the error
	}{
		{"no name", hook(func(d *Destination) { d.Name = "" }), "name is empty"},
		{"unknown kind", hook(func(d *Destination) { d.Kind = "pager" }), `"ops": kind: "pager" is not webhook, slack or email`},
		{"level too high", hook(func(d *Destination) { d.MinLevel = 17 }), `"ops": min_level: 17`},
		{"negative retries", hook(func(d *Destination) { d.MaxRetries = -1 }), "max_retries"},
		{"too many retries", hook(func(d *Destination) { d.MaxRetries = 99 }), "max_retries"},
		{"negative backoff", hook(func(d *Destination) { d.Backoff = -time.Second }), "backoff"},
		{"negative timeout", hook(func(d *Destination) { d.Timeout = -time.Second }), "timeout"},
		{"negative rate", hook(func(d *Destination) { d.RateLimit.PerMinute = -1 }), "rate_limit.per_minute"},
		{"negative burst", hook(func(d *Destination) { d.RateLimit.Burst = -1 }), "rate_limit.burst"},
		{"star inside pattern", hook(func(d *Destination) { d.Types = []string{"Backdoor:*/x"} }), `types[0]: "Backdoor:*/x"`},
		{"empty exclude pattern", hook(func(d *Destination) { d.ExcludeTypes = []string{"Recon:*", ""} }), "exclude_types[1]: empty pattern"},
		{"bad alert url", hook(func(d *Destination) { d.AlertURL = "dutywatch.local" }), "alert_url"},
		{"webhook url not http", hook(func(d *Destination) { d.Webhook.URL = "ftp://x.example.com/secretpath" }), "webhook.url: ftp://x.example.com/… is not"},
		{"webhook header name", hook(func(d *Destination) { d.Webhook.Headers = map[string]string{"Bad Header": "v"} }), "webhook.headers"},
		{"webhook header line break", hook(func(d *Destination) { d.Webhook.Headers = map[string]string{"X-Token": "a\r\nBcc: x"} }), "line break"},
		{"webhook header reserved", hook(func(d *Destination) { d.Webhook.Headers = map[string]string{"x-dutywatch-signature": "v"} }), "set by dutywatch"},
		{"settings of another kind", hook(func(d *Destination) { d.Slack.WebhookURL = "https://hooks.slack.com/services/x" }), "slack: settings given but kind is webhook"},
		{"slack over http", Destination{Name: "s", Kind: KindSlack, Slack: Slack{WebhookURL: "http://hooks.slack.com/services/T/B/SECRET"}}, "slack.webhook_url: http://hooks.slack.com/… is not an https"},
		{"email no host", mail(func(d *Destination) { d.Email.Host = "" }), "email.host is empty"},
		{"email bad from", mail(func(d *Destination) { d.Email.From = "not an address" }), "email.from"},
		{"email no to", mail(func(d *Destination) { d.Email.To = nil }), "email.to is empty"},
		{"email bad to", mail(func(d *Destination) { d.Email.To = []string{"a@example.com", "b@"} }), "email.to[1]"},
		{"email bad starttls", mail(func(d *Destination) { d.Email.StartTLS = "maybe" }), "email.start_tls"},
		{"email user without password", mail(func(d *Destination) { d.Email.Username = "u" }), "give both or neither"},
		{"email password in clear", mail(func(d *Destination) {
			d.Email.Username, d.Email.Password, d.Email.StartTLS = "u", "hunter22", StartTLSOff
		}), "email.password: sending it needs TLS"},
		{"email bad port", mail(func(d *Destination) { d.Email.Port = 70000 }), "email.port"},
		{"email prefix line break", mail(func(d *Destination) { d.Email.SubjectPrefix = "[x]\r\nBcc: y" }), "email.subject_prefix"},
		{"email missing CA", mail(func(d *Destination) { d.Email.CACert = filepath.Join(t.TempDir(), "none.pem") }), "email.ca_cert"},
		{"email CA not PEM", mail(func(d *Destination) { d.Email.CACert = badCA }), "holds no PEM certificate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.cfg, slog.New(slog.DiscardHandler))
			if err == nil {
				t.Fatalf("New accepted %+v", c.cfg)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %q, want it to contain %q", err, c.want)
			}
			for _, secret := range []string{"abcdef123", "secretpath", "SECRET", "hunter22"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("err shows a secret: %q", err)
				}
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	to := []string{"SOC <soc@example.com>"}
	n, err := New(Destination{Name: "m", Kind: KindEmail, Email: Email{Host: "smtp.example.com", From: "dw@example.com", To: to}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	e := n.cfg.Email
	if e.Port != 587 || e.StartTLS != StartTLSRequired || e.SubjectPrefix != "[dutywatch]" || n.cfg.Timeout != DefaultTimeout || n.cfg.Backoff != DefaultBackoff {
		t.Errorf("defaults not filled: %+v", n.cfg)
	}
	if e.To[0] != `"SOC" <soc@example.com>` || to[0] != "SOC <soc@example.com>" {
		t.Errorf("To = %q (caller's %q): want normalised in a copy", e.To, to)
	}
	if n.Name() != "m" {
		t.Errorf("Name = %q", n.Name())
	}
}

func TestDestinationLogValue(t *testing.T) {
	var b strings.Builder
	d := Destination{Name: "s", Kind: KindSlack, Slack: Slack{WebhookURL: "https://hooks.slack.com/services/T/B/SECRET"}}
	slog.New(slog.NewTextHandler(&b, nil)).Info("dest", "d", d)
	if strings.Contains(b.String(), "SECRET") || !strings.Contains(b.String(), "https://hooks.slack.com/…") {
		t.Errorf("log = %s", b.String())
	}
}

func TestFilter(t *testing.T) {
	cfg := Destination{
		Name: "f", Kind: KindWebhook, MinLevel: 7, Webhook: Webhook{URL: "http://127.0.0.1:1"},
		Types:        []string{"UnauthorizedAccess:EC2/*", "backdoor:*", "Recon:EC2/PortProbeUnprotectedPort"},
		ExcludeTypes: []string{"UnauthorizedAccess:EC2/TorClient"},
	}
	n, _ := newTest(t, cfg, nil)
	cases := []struct {
		name  string
		level int
		typ   string
		why   string // "" when it matches
	}{
		{"prefix", 10, "UnauthorizedAccess:EC2/RDPBruteForce", ""},
		{"prefix any case", 10, "Backdoor:EC2/C&CActivity.B!DNS", ""},
		{"exact", 7, "Recon:EC2/PortProbeUnprotectedPort", ""},
		{"exact is not a prefix", 7, "Recon:EC2/PortProbeUnprotectedPortX", "type Recon:EC2/PortProbeUnprotectedPortX not in types"},
		{"level below", 6, "UnauthorizedAccess:EC2/RDPBruteForce", "level 6 below 7"},
		{"excluded", 12, "UnauthorizedAccess:EC2/TorClient", "type UnauthorizedAccess:EC2/TorClient excluded by UnauthorizedAccess:EC2/TorClient"},
		{"not listed", 12, "CryptoCurrency:EC2/BitcoinTool.B", "type CryptoCurrency:EC2/BitcoinTool.B not in types"},
		{"prefix needs its colon", 12, "Backdoors:EC2/X", "type Backdoors:EC2/X not in types"},
		{"empty type", 12, "", "type  not in types"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			it := Item{AlertID: "a", Level: c.level, Type: c.typ, Doc: []byte(`{}`)}
			if got := n.Matches(it); got != (c.why == "") {
				t.Errorf("Matches = %v", got)
			}
			if c.why == "" {
				return
			}
			out, err := n.Notify(t.Context(), it)
			if err != nil || out.Status != Dropped || out.Reason != c.why || out.Attempts != 0 {
				t.Errorf("Notify = %+v, %v; want dropped because %q", out, err, c.why)
			}
		})
	}
}

func TestFilterEmptyTypesKeepsAll(t *testing.T) {
	n, _ := newTest(t, Destination{Name: "all", Kind: KindWebhook, ExcludeTypes: []string{"Recon:*"}, Webhook: Webhook{URL: "http://127.0.0.1:1"}}, nil)
	for typ, want := range map[string]bool{"Backdoor:EC2/X": true, "": true, "Recon:IAMUser/X": false} {
		if got := n.Matches(Item{Type: typ}); got != want {
			t.Errorf("Matches(%q) = %v, want %v", typ, got, want)
		}
	}
}

func TestBadDocIsPermanent(t *testing.T) {
	n, _ := newTest(t, webhookDest("http://127.0.0.1:1"), nil)
	for name, it := range map[string]Item{
		"not json":    {AlertID: "a", Doc: []byte("nope")},
		"array":       {AlertID: "a", Doc: []byte("[1]")},
		"truncated":   {AlertID: "a", Doc: []byte(`{"rule":{`)},
		"no alert id": {Doc: []byte(`{}`)},
	} {
		out, err := n.Notify(t.Context(), it)
		if out.Status != Failed || out.Attempts != 0 || !errors.Is(err, ErrPermanent) {
			t.Errorf("%s: Notify = %+v, %v; want a permanent failure before any attempt", name, out, err)
		}
	}
}
