package notify

import (
	"encoding/json"
	"net/mail"
	"slices"
	"strings"
	"testing"
)

// FuzzExtract feeds arbitrary alert documents through extraction and
// every payload builder: none may panic, every payload must be valid, no
// mrkdwn text may carry an unescaped '<' or '>' from the document, and the
// mail must have exactly our headers, whatever the document holds.
func FuzzExtract(f *testing.F) {
	f.Add(rdpAlert(f))
	f.Add([]byte(`{"rule":{"level":"12","id":"80202","description":"a\r\nBcc: x@evil.example"},"data":{"aws":{"severity":"8.0"}}}`))
	f.Add([]byte(`{"data":{"aws":{"service":{"action":{"portProbeAction":{"portProbeDetails":[{"remoteIpDetails":{"ipAddressV4":"<!here>"}}]}}}}}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		s, err := extract(doc)
		if err != nil {
			return
		}
		m := &message{Item: Item{AlertID: s.ID, Level: s.RuleLevel, RuleID: s.RuleNum, Type: s.FindingType, Doc: doc, Time: fixedNow},
			summary: s, now: fixedNow, url: "https://dutywatch.example.com/alerts/x"}

		body, err := webhookPayload(m)
		if err != nil || !json.Valid(body) {
			t.Fatalf("webhook payload: %v\n%s", err, body)
		}
		sb, err := slackPayload(m)
		if err != nil {
			t.Fatalf("slack payload: %v", err)
		}
		var msg slackMessage
		if err := json.Unmarshal(sb, &msg); err != nil {
			t.Fatalf("slack payload is not JSON: %v", err)
		}
		checkMrkdwn(t, &msg)

		cfg := &Email{From: "<dw@example.com>", To: []string{"<soc@example.com>"}, SubjectPrefix: "[dutywatch]"}
		raw, err := buildMail(cfg, m)
		if err != nil {
			t.Fatalf("build mail: %v", err)
		}
		parsed, err := mail.ReadMessage(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatalf("mail does not parse: %v\n%s", err, raw)
		}
		var keys []string
		for k := range parsed.Header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		want := []string{"Auto-Submitted", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To", "X-Dutywatch-Alert-Id"}
		if !slices.Equal(keys, want) {
			t.Fatalf("mail headers = %v, want %v", keys, want)
		}
		if parsed.Header.Get("To") != "<soc@example.com>" {
			t.Fatalf("To = %q", parsed.Header.Get("To"))
		}
		// Only folding (CRLF then a space) may break the subject.
		if subj := subject("[dutywatch]", m); strings.ContainsAny(strings.ReplaceAll(subj, "\r\n ", ""), "\r\n") {
			t.Fatalf("subject has a line break: %q", subj)
		}
	})
}

func checkMrkdwn(t *testing.T, msg *slackMessage) {
	t.Helper()
	texts := []string{msg.Text}
	for _, b := range msg.Blocks {
		if b.Text != nil && b.Text.Type == "mrkdwn" {
			texts = append(texts, b.Text.Text)
		}
		for _, e := range append(b.Fields, b.Elements...) {
			texts = append(texts, e.Text)
		}
	}
	for _, s := range texts {
		// Our own link is the only markup allowed.
		s = strings.Replace(s, "<https://dutywatch.example.com/alerts/x|Open in dutywatch>", "", 1)
		if strings.ContainsAny(s, "<>") {
			t.Fatalf("mrkdwn text with an unescaped < or >: %q", s)
		}
	}
}
