package notify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// mailSubjectMax is how many characters of the description a subject keeps.
const mailSubjectMax = 140

// buildMail renders the message for m: headers, then a multipart/
// alternative body with a text and an HTML part, both quoted-printable.
// Attacker-influenced text reaches the headers only through subject,
// which folds every control character into a space, so no header can be
// added; the body parts are quoted-printable under a random boundary.
func buildMail(cfg *Email, m *message) ([]byte, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := func(k, v string) { buf.WriteString(k + ": " + v + "\r\n") }
	h("From", cfg.From)
	h("To", strings.Join(cfg.To, ", "))
	h("Subject", subject(cfg.SubjectPrefix, m))
	h("Date", m.now.Format(time.RFC1123Z))
	h("Message-ID", messageID(m.AlertID, cfg.From))
	h("MIME-Version", "1.0")
	h("Auto-Submitted", "auto-generated")
	h("X-Dutywatch-Alert-Id", safeToken(m.AlertID))
	h("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	buf.WriteString("\r\n")

	fields := mailFields(m)
	if err := writePart(mw, "text/plain", func(w io.Writer) error { return writeText(w, m, fields) }); err != nil {
		return nil, err
	}
	if err := writePart(mw, "text/html", func(w io.Writer) error {
		return mailHTML.Execute(w, htmlData{
			Level: m.Level, Description: oneLine(m.Description), Finding: multiLine(truncate(m.Finding, 4000)), Fields: fields, URL: m.url,
		})
	}); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// subject is "<prefix> L<level> <description>", RFC 2047 encoded when not
// ASCII and folded between encoded-words to keep lines short.
func subject(prefix string, m *message) string {
	desc := m.Description
	if desc == "" {
		desc = m.Title
	}
	s := oneLine(prefix + " L" + strconv.Itoa(m.Level) + " " + truncate(oneLine(desc), mailSubjectMax))
	s = mime.QEncoding.Encode("utf-8", s)
	return strings.ReplaceAll(s, "?= =?", "?=\r\n =?")
}

// messageID derives the Message-ID from the alert id, so every retry of
// one alert carries the same one and receivers can drop duplicates.
func messageID(alertID, from string) string {
	domain := "dutywatch.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 {
		d := strings.TrimSuffix(from[i+1:], ">")
		if d != "" && safeToken(d) == d {
			domain = d
		}
	}
	return "<" + safeToken(alertID) + ".dutywatch@" + domain + ">"
}

// safeToken is s when it is made only of letters, digits, '.', '-' and
// '_' (alert ids are hex), else a hash of it.
func safeToken(s string) string {
	ok := s != ""
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			ok = false
			break
		}
	}
	if ok && len(s) <= 128 {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

func writePart(mw *multipart.Writer, contentType string, write func(io.Writer) error) error {
	pw, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {contentType + "; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return err
	}
	qw := quotedprintable.NewWriter(pw)
	if err := write(qw); err != nil {
		return err
	}
	return qw.Close()
}

type mailField struct{ Name, Value string }

func mailFields(m *message) []mailField {
	sev := ""
	if m.Severity > 0 {
		sev = strconv.FormatFloat(m.Severity, 'f', -1, 64) + " (" + severityLabel(m.Severity) + ")"
	}
	remote := m.RemoteIP
	if m.Country != "" {
		remote += " (" + m.Country + ")"
	}
	fields := []mailField{
		{"Type", m.Type},
		{"Severity", sev},
		{"Account", m.Account},
		{"Region", m.Region},
		{"Instance", m.InstanceID},
		{"Remote IP", strings.TrimSpace(remote)},
		{"Rule", strconv.Itoa(m.RuleID)},
		{"Alert", m.AlertID},
		{"Time", m.Time.UTC().Format(timeLayout)},
		{"Link", m.url},
	}
	kept := fields[:0]
	for _, f := range fields {
		if f.Value != "" {
			f.Value = oneLine(truncate(f.Value, 300))
			kept = append(kept, f)
		}
	}
	return kept
}

func writeText(w io.Writer, m *message, fields []mailField) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Level %d: %s\n\n", m.Level, oneLine(m.Description))
	if m.Finding != "" {
		b.WriteString(multiLine(truncate(m.Finding, 4000)) + "\n\n")
	}
	for _, f := range fields {
		fmt.Fprintf(&b, "%-10s %s\n", f.Name+":", f.Value)
	}
	b.WriteString("\n-- \nSent by dutywatch.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

type htmlData struct {
	Level       int
	Description string
	Finding     string
	Fields      []mailField
	URL         string
}

// mailHTML escapes every value (html/template).
var mailHTML = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html><body style="font-family:sans-serif">
<h2>Level {{.Level}}: {{.Description}}</h2>
{{with .Finding}}<p>{{.}}</p>{{end}}
<table>
{{range .Fields}}<tr><th align="left">{{.Name}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{with .URL}}<p><a href="{{.}}">Open in dutywatch</a></p>{{end}}
<p style="color:#888">Sent by dutywatch.</p>
</body></html>
`))

// multiLine keeps line breaks (as "\n") and tabs, and folds every other
// control character into a space.
func multiLine(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r < ' ' || r == 0x7f:
			return ' '
		}
		return r
	}, s)
}
