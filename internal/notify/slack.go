package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// slack posts Block Kit messages to an incoming webhook.
type slack struct{ *poster }

func newSlack(cfg Slack) *slack { return &slack{newPoster(cfg.WebhookURL)} }

func (s *slack) send(ctx context.Context, m *message) error {
	body, err := slackPayload(m)
	if err != nil {
		return err
	}
	return s.post(ctx, body, nil, m.now)
}

type slackText struct {
	Type string `json:"type"` // "plain_text" or "mrkdwn"
	Text string `json:"text"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackMessage struct {
	Text   string       `json:"text"` // the notification's fallback
	Blocks []slackBlock `json:"blocks"`
}

// Slack's limits on block text, in characters.
const (
	slackHeaderMax  = 150
	slackSectionMax = 3000
	slackFieldMax   = 300 // Slack allows 2000; a field is a short value
)

// slackEscaper escapes the characters Slack's mrkdwn gives meaning to:
// unescaped, "<!channel>" or "<https://evil|bank>" in a finding would
// ping everyone or disguise a link.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// mrkdwn cuts attacker-influenced s to n characters and escapes it.
func mrkdwn(s string, n int) string { return slackEscaper.Replace(truncate(s, n)) }

func slackPayload(m *message) ([]byte, error) {
	desc := m.Description
	if desc == "" {
		desc = m.Title
	}
	var blocks []slackBlock
	blocks = append(blocks, slackBlock{Type: "header", Text: &slackText{
		Type: "plain_text", // not parsed for mrkdwn: needs no escaping
		Text: truncate(fmt.Sprintf("L%d %s", m.Level, oneLine(desc)), slackHeaderMax),
	}})
	if m.Finding != "" {
		blocks = append(blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: mrkdwn(m.Finding, slackSectionMax-100)}})
	}
	blocks = append(blocks, slackBlock{Type: "section", Fields: slackFields(m)})
	ctx := "Alert `" + mrkdwn(m.AlertID, 64) + "` · " + m.Time.UTC().Format("2006-01-02 15:04:05 UTC")
	if m.url != "" {
		ctx += " · <" + slackEscaper.Replace(m.url) + "|Open in dutywatch>"
	}
	blocks = append(blocks, slackBlock{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: ctx}}})
	b, err := json.Marshal(slackMessage{
		Text:   mrkdwn(fmt.Sprintf("[dutywatch] L%d %s", m.Level, oneLine(desc)), slackSectionMax),
		Blocks: blocks,
	})
	if err != nil {
		return nil, permanent(fmt.Errorf("encode alert %s: %w", m.AlertID, err))
	}
	return b, nil
}

func slackFields(m *message) []slackText {
	field := func(name, value string) slackText {
		if value == "" {
			value = "—"
		}
		return slackText{Type: "mrkdwn", Text: "*" + name + "*\n" + value}
	}
	where := mrkdwn(m.Account, 64)
	if m.Region != "" {
		where += " / " + mrkdwn(m.Region, 32)
	}
	remote := mrkdwn(m.RemoteIP, 64)
	if m.Country != "" {
		remote += " (" + mrkdwn(m.Country, 64) + ")"
	}
	sev := ""
	if m.Severity > 0 {
		sev = strconv.FormatFloat(m.Severity, 'f', -1, 64) + " (" + severityLabel(m.Severity) + ")"
	}
	return []slackText{
		field("Type", mrkdwn(m.Type, slackFieldMax)),
		field("Account / region", strings.TrimPrefix(where, " / ")),
		field("Instance", mrkdwn(m.InstanceID, 64)),
		field("Remote IP", strings.TrimSpace(remote)),
		field("Severity", sev),
		field("Rule", strconv.Itoa(m.RuleID)),
	}
}

// oneLine folds line breaks and other control characters into spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return ' '
		}
		return r
	}, s)
}
