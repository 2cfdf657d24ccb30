package notify

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"
)

func mailDest(s *smtpServer) Destination {
	return Destination{Name: "mail", Kind: KindEmail, MaxRetries: 2, Timeout: 5 * time.Second, AlertURL: "https://dutywatch.example.com",
		Email: Email{Host: "127.0.0.1", Port: s.port(), From: "dutywatch <dw@example.com>", To: []string{"soc@example.com", "Oncall <oncall@example.com>"}}}
}

// parsedMail is a received message, decoded.
type parsedMail struct {
	header      mail.Header
	subject     string
	text, html  string
	contentType string
}

func parseMail(t *testing.T, raw string) parsedMail {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, raw)
	}
	var dec mime.WordDecoder
	subj, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	p := parsedMail{header: m.Header, subject: subj, contentType: m.Header.Get("Content-Type")}
	mt, params, err := mime.ParseMediaType(p.contentType)
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q, %v", p.contentType, err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		if part.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
			t.Errorf("part not quoted-printable: %v", part.Header)
		}
		b, err := io.ReadAll(quotedprintable.NewReader(part))
		if err != nil {
			t.Fatalf("decode part: %v", err)
		}
		switch part.Header.Get("Content-Type") {
		case "text/plain; charset=utf-8":
			p.text = string(b)
		case "text/html; charset=utf-8":
			p.html = string(b)
		default:
			t.Errorf("unexpected part %v", part.Header)
		}
	}
	return p
}

func TestEmailStartTLSAuth(t *testing.T) {
	cert := newTestCert(t)
	s := &smtpServer{tls: serverTLS(cert), user: "dw", pass: "hunter22-pass"}
	s.start(t)
	cfg := mailDest(s)
	cfg.Email.Username, cfg.Email.Password, cfg.Email.CACert = "dw", "hunter22-pass", cert.pemPath
	n, _ := newTest(t, cfg, nil)

	out, err := n.Notify(t.Context(), rdpItem(t))
	if err != nil || out.Status != Sent {
		t.Fatalf("Notify = %+v, %v", out, err)
	}
	msgs := s.messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if !got.tls || got.authUser != "dw" || got.from != "<dw@example.com>" || strings.Join(got.to, ",") != "<soc@example.com>,<oncall@example.com>" {
		t.Errorf("session: tls=%v auth=%q from=%q to=%q", got.tls, got.authUser, got.from, got.to)
	}
	p := parseMail(t, got.data)
	for k, want := range map[string]string{
		"From":                 `"dutywatch" <dw@example.com>`,
		"To":                   `<soc@example.com>, "Oncall" <oncall@example.com>`,
		"Message-Id":           "<5f0c8a1e2b3d4c5e6f708192a3b4c5d6.dutywatch@example.com>",
		"Date":                 "Wed, 15 Jan 2025 10:42:00 +0000",
		"Mime-Version":         "1.0",
		"Auto-Submitted":       "auto-generated",
		"X-Dutywatch-Alert-Id": "5f0c8a1e2b3d4c5e6f708192a3b4c5d6",
	} {
		if v := p.header.Get(k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	if want := "[dutywatch] L10 GuardDuty: RDP brute force against i-07f6e5d4c3b2a1908 from 192.0.2.150 (Brazil) <!channel> & co"; p.subject != want {
		t.Errorf("Subject = %q, want %q", p.subject, want)
	}
	for _, want := range []string{
		"Level 10: GuardDuty: RDP brute force",
		"192.0.2.150 is performing RDP brute force attacks against i-07f6e5d4c3b2a1908.",
		"Type:      UnauthorizedAccess:EC2/RDPBruteForce\n",
		"Severity:  2 (Low)\n",
		"Remote IP: 192.0.2.150 (Brazil)\n",
		"Link:      https://dutywatch.example.com/alerts/5f0c8a1e2b3d4c5e6f708192a3b4c5d6\n",
	} {
		if !strings.Contains(p.text, want) {
			t.Errorf("text part lacks %q:\n%s", want, p.text)
		}
	}
	if !strings.Contains(p.html, "&lt;!channel&gt; &amp; co") || strings.Contains(p.html, "<!channel>") {
		t.Errorf("html part does not escape the description:\n%s", p.html)
	}
}

func serverTLS(c testCert) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.cert}}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestEmailImplicitTLS(t *testing.T) {
	cert := newTestCert(t)
	s := &smtpServer{tls: serverTLS(cert), implicit: true, user: "dw", pass: "pw-pw-pw"}
	s.start(t)
	cfg := mailDest(s)
	cfg.Email.Username, cfg.Email.Password, cfg.Email.CACert = "dw", "pw-pw-pw", cert.pemPath
	n, _ := newTest(t, cfg, nil)
	n.send.(*mailer).implicit = true // as on port 465, which tests cannot bind
	if out, err := n.Notify(t.Context(), rdpItem(t)); out.Status != Sent {
		t.Fatalf("Notify = %+v, %v", out, err)
	}
	if m := s.messages(); len(m) != 1 || !m[0].tls || m[0].authUser != "dw" {
		t.Errorf("messages = %+v", m)
	}
}

func TestEmailFailures(t *testing.T) {
	cert := newTestCert(t)
	cases := []struct {
		name      string
		server    *smtpServer
		cfg       func(*Destination)
		status    Status
		attempts  int
		permanent bool
		errHas    string
		received  int
	}{
		{name: "starttls required but not offered", server: &smtpServer{},
			status: Failed, attempts: 1, permanent: true, errHas: "server does not offer STARTTLS"},
		{name: "starttls opportunistic without it", server: &smtpServer{},
			cfg:    func(d *Destination) { d.Email.StartTLS = StartTLSOpportunistic },
			status: Sent, attempts: 1, received: 1},
		{name: "451 then success", server: &smtpServer{tls: serverTLS(cert), dataReplies: []string{"451 4.3.0 try again later"}},
			status: Sent, attempts: 2, received: 1},
		{name: "451 until retries run out", server: &smtpServer{tls: serverTLS(cert), dataReplies: []string{"451 a", "451 b", "451 c"}},
			status: Failed, attempts: 3, errHas: `451 "c"`},
		{name: "550 recipient is permanent", server: &smtpServer{tls: serverTLS(cert), rcptReply: "550 5.1.1 no such user"},
			status: Failed, attempts: 1, permanent: true, errHas: `rcpt to: 550 "5.1.1 no such user"`},
		{name: "554 after data is permanent", server: &smtpServer{tls: serverTLS(cert), dataReplies: []string{"554 5.7.1 spam"}},
			status: Failed, attempts: 1, permanent: true, errHas: "554"},
		{name: "wrong password", server: &smtpServer{tls: serverTLS(cert), user: "dw", pass: "right-pass"},
			cfg:    func(d *Destination) { d.Email.Username, d.Email.Password = "dw", "wrong-pass" },
			status: Failed, attempts: 1, permanent: true, errHas: "auth: 535"},
		{name: "server offers no auth", server: &smtpServer{tls: serverTLS(cert)},
			cfg:    func(d *Destination) { d.Email.Username, d.Email.Password = "dw", "some-pass" },
			status: Failed, attempts: 1, permanent: true, errHas: "server offers no AUTH"},
		{name: "untrusted certificate", server: &smtpServer{tls: serverTLS(cert)},
			cfg:    func(d *Destination) { d.Email.CACert = "" },
			status: Failed, attempts: 1, permanent: true, errHas: "certificate"},
		{name: "insecure skip verify", server: &smtpServer{tls: serverTLS(cert)},
			cfg:    func(d *Destination) { d.Email.CACert, d.Email.InsecureSkipVerify = "", true },
			status: Sent, attempts: 1, received: 1},
		{name: "server never greets", server: &smtpServer{silent: true},
			cfg:    func(d *Destination) { d.Timeout, d.MaxRetries = 100*time.Millisecond, 0 },
			status: Failed, attempts: 1, errHas: "greeting: "}, // an i/o timeout or the context's deadline, whichever fires first
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.server
			s.start(t)
			cfg := mailDest(s)
			cfg.Email.CACert = cert.pemPath
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			n, w := newTest(t, cfg, nil)
			out, err := n.Notify(t.Context(), rdpItem(t))
			if out.Status != c.status || out.Attempts != c.attempts {
				t.Fatalf("Notify = %+v, %v; want %v after %d attempts", out, err, c.status, c.attempts)
			}
			if err != nil {
				if errors.Is(err, ErrPermanent) != c.permanent || !strings.Contains(err.Error(), c.errHas) {
					t.Errorf("err = %v; want permanent=%v containing %q", err, c.permanent, c.errHas)
				}
				if strings.Contains(err.Error(), "pass") {
					t.Errorf("err shows the password: %v", err)
				}
			}
			if got := len(s.messages()); got != c.received {
				t.Errorf("server accepted %d messages, want %d", got, c.received)
			}
			if got := len(w.all()); got != c.attempts-1 {
				t.Errorf("waited %d times, want %d", got, c.attempts-1)
			}
		})
	}
}

func TestEmailHeaderInjection(t *testing.T) {
	cert := newTestCert(t)
	s := &smtpServer{tls: serverTLS(cert)}
	s.start(t)
	cfg := mailDest(s)
	cfg.Email.CACert = cert.pemPath
	n, _ := newTest(t, cfg, nil)

	evil := "Root login\r\nBcc: attacker@evil.example\r\nX-Injected: yes\n\rTo: x@evil.example\r\n\r\n.\r\nbody"
	doc := `{"id":"x","rule":{"level":12,"id":"100300","description":` + jsonString(evil) + `},` +
		`"data":{"aws":{"type":"Policy:IAMUser/RootCredentialUsage\r\nCc: a@evil.example","description":` + jsonString(evil) + `}}}`
	it := Item{AlertID: "id\r\nBcc: b@evil.example", Level: 12, RuleID: 100300, Type: "Policy:IAMUser/RootCredentialUsage\r\nCc: a@evil.example", Doc: []byte(doc)}
	if out, err := n.Notify(t.Context(), it); out.Status != Sent {
		t.Fatalf("Notify = %+v, %v", out, err)
	}
	m := s.messages()[0]
	if strings.Join(m.to, ",") != "<soc@example.com>,<oncall@example.com>" {
		t.Errorf("envelope recipients = %v", m.to)
	}
	p := parseMail(t, m.data)
	for _, k := range []string{"Bcc", "Cc", "X-Injected"} {
		if v, ok := p.header[k]; ok {
			t.Errorf("injected header %s: %q", k, v)
		}
	}
	if got := p.header["To"]; len(got) != 1 || strings.Contains(got[0], "evil") {
		t.Errorf("To = %q", got)
	}
	if strings.ContainsAny(p.subject, "\r\n") || !strings.Contains(p.subject, "Root login  Bcc: attacker@evil.example") {
		t.Errorf("Subject = %q", p.subject)
	}
	if id := p.header.Get("Message-Id"); strings.ContainsAny(id, "\r\n ") || !strings.HasSuffix(id, ".dutywatch@example.com>") {
		t.Errorf("Message-ID = %q", id)
	}
	if !strings.Contains(p.text, "Type:      Policy:IAMUser/RootCredentialUsage  Cc: a@evil.example") {
		t.Errorf("type line not folded to one line:\n%s", p.text)
	}
}

func TestSubjectLongNonASCII(t *testing.T) {
	m := &message{Item: Item{Level: 15}, summary: summary{Description: strings.Repeat("Zugriff auf ünbekannte Ressource — ", 20)}}
	s := subject("[dutywatch]", m)
	for _, line := range strings.Split(s, "\r\n") {
		if len(line) > 78 {
			t.Errorf("subject line of %d bytes: %q", len(line), line)
		}
		if line != strings.Split(s, "\r\n")[0] && !strings.HasPrefix(line, " ") {
			t.Errorf("continuation line not folded: %q", line)
		}
	}
	var dec mime.WordDecoder
	got, err := dec.DecodeHeader(strings.ReplaceAll(s, "\r\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "[dutywatch] L15 Zugriff auf ünbekannte") || !strings.HasSuffix(got, "…") {
		t.Errorf("subject decodes to %q", got)
	}
}
