package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
)

// mailer sends each alert over its own SMTP connection: alerts are rare
// enough that keeping one open would buy nothing but stale-connection
// errors.
type mailer struct {
	cfg      Email
	addr     string
	tls      *tls.Config
	from     string   // envelope sender
	to       []string // envelope recipients
	helo     string
	implicit bool // TLS from the first byte (port 465)
}

func newMailer(cfg Email) (*mailer, error) {
	m := &mailer{
		cfg:      cfg,
		addr:     net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)),
		implicit: cfg.Port == 465,
		helo:     "localhost",
		tls: &tls.Config{
			ServerName:         cfg.Host,
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: cfg.InsecureSkipVerify, //nolint:gosec // the user's explicit choice
		},
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		m.helo = h
	}
	if cfg.CACert != "" {
		pool, err := loadCAs(cfg.CACert)
		if err != nil {
			return nil, fmt.Errorf("email.ca_cert: %w", err)
		}
		m.tls.RootCAs = pool
	}
	a, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("email.from: %w", err)
	}
	m.from = a.Address
	for _, to := range cfg.To {
		a, err := mail.ParseAddress(to)
		if err != nil {
			return nil, fmt.Errorf("email.to: %w", err)
		}
		m.to = append(m.to, a.Address)
	}
	return m, nil
}

func (m *mailer) close() {}

func (m *mailer) send(ctx context.Context, msg *message) error {
	body, err := buildMail(&m.cfg, msg)
	if err != nil {
		return permanent(fmt.Errorf("build mail for alert %s: %w", msg.AlertID, err))
	}
	conn, err := m.dial(ctx)
	if err != nil {
		return classifySMTP(fmt.Errorf("smtp %s: %w", m.addr, err))
	}
	// Close the connection when ctx ends, so no read or write outlives it.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	err = m.session(conn, body)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	if err != nil {
		return classifySMTP(fmt.Errorf("smtp %s: %w", m.addr, err))
	}
	return nil
}

func (m *mailer) dial(ctx context.Context) (net.Conn, error) {
	if m.implicit {
		d := tls.Dialer{Config: m.tls}
		return d.DialContext(ctx, "tcp", m.addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", m.addr)
}

// session speaks SMTP on conn, which it closes.
func (m *mailer) session(conn net.Conn, body []byte) error {
	c, err := smtp.NewClient(conn, m.cfg.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(m.helo); err != nil {
		return fmt.Errorf("ehlo: %w", err)
	}
	if err := m.startTLS(c); err != nil {
		return err
	}
	if m.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return permanent(errors.New("server offers no AUTH"))
		}
		// PlainAuth refuses to send the password without TLS, except to
		// localhost.
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, m.cfg.Host)); err != nil {
			return authError(err)
		}
	}
	if err := c.Mail(m.from); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	for _, to := range m.to {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("rcpt to: %w", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	// The message is accepted; a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

func (m *mailer) startTLS(c *smtp.Client) error {
	if m.implicit || m.cfg.StartTLS == StartTLSOff {
		return nil
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		if m.cfg.StartTLS == StartTLSRequired {
			return permanent(errors.New("server does not offer STARTTLS, which start_tls requires"))
		}
		return nil
	}
	if err := c.StartTLS(m.tls); err != nil {
		return fmt.Errorf("starttls: %w", err)
	}
	return nil
}

func authError(err error) error {
	var tpe *textproto.Error
	if errors.As(err, &tpe) {
		return fmt.Errorf("auth: %w", err)
	}
	// net/smtp's own refusals: "unencrypted connection", "wrong host name".
	return permanent(fmt.Errorf("auth: %w", err))
}

// classifySMTP sorts a failure: SMTP 4xx replies are transient, 5xx
// permanent, a refused certificate permanent, other I/O errors transient.
func classifySMTP(err error) error {
	if errors.Is(err, ErrPermanent) {
		return err
	}
	var tpe *textproto.Error
	if errors.As(err, &tpe) {
		if tpe.Code >= 400 && tpe.Code < 500 {
			return transient(err)
		}
		return permanent(err)
	}
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		return permanent(err)
	}
	return transient(err)
}
