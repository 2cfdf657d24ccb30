// Package alert formats alerts as lines of Wazuh's alerts.json: timestamp,
// rule (level, description, id, mitre, firedtimes, mail, groups and the
// compliance arrays), agent, manager, id, decoder, data and location, in
// the order wazuh-analysisd writes them, so tools that read Wazuh's
// alerts.json read dutywatch's.
//
// Differences from Wazuh, on purpose: the alert "id" is deterministic (a
// hash of the event id and the rule id) rather than "<epoch>.<file
// offset>", so every sink can deduplicate on it; "data" is the event as
// dutywatch normalized it, numbers kept as numbers, where analysisd turns
// every value into a string; MITRE tactic and technique names come from
// the table in this package.
package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/dutywatch/dutywatch/internal/rules"
)

// Formatter appends alert lines. It is safe for concurrent use.
type Formatter struct {
	agent []byte // `,"agent":{...},"manager":{...},"id":`
}

// NewFormatter returns a Formatter for a manager named host.
func NewFormatter(host string) *Formatter {
	name, _ := json.Marshal(host)
	return &Formatter{agent: []byte(`,"agent":{"id":"000","name":` + string(name) + `},"manager":{"name":` + string(name) + `},"id":`)}
}

const timestampLayout = "2006-01-02T15:04:05.000-0700"

// ID is the deterministic id of the alert rule ruleID raised on eventID.
func ID(eventID string, ruleID int) string {
	h := sha256.New()
	h.Write([]byte(eventID))
	h.Write([]byte{0})
	h.Write(strconv.AppendInt(nil, int64(ruleID), 10))
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// Append appends the alert line for m on event (a JSON object) to dst.
func (f *Formatter) Append(dst []byte, id string, ts time.Time, m *rules.Match, event []byte) []byte {
	r := m.Rule
	dst = append(dst, `{"timestamp":"`...)
	dst = ts.AppendFormat(dst, timestampLayout)
	dst = append(dst, `","rule":{`...)
	if r.Level != 0 {
		dst = append(dst, `"level":`...)
		dst = strconv.AppendInt(dst, int64(r.Level), 10)
		dst = append(dst, ',')
	}
	dst = append(dst, `"description":`...)
	dst = appendString(dst, m.Description)
	dst = append(dst, `,"id":"`...)
	dst = strconv.AppendInt(dst, int64(r.ID), 10)
	dst = append(dst, '"')
	dst = appendMITRE(dst, r.MITRE)
	if r.CVE != "" {
		dst = append(dst, `,"cve":`...)
		dst = appendString(dst, r.CVE)
	}
	if m.Frequency > 0 {
		dst = append(dst, `,"frequency":`...)
		dst = strconv.AppendInt(dst, int64(m.Frequency), 10)
	}
	if !r.Options.NoCounter {
		dst = append(dst, `,"firedtimes":`...)
		dst = strconv.AppendInt(dst, int64(m.FiredTimes), 10)
	}
	dst = append(dst, `,"mail":`...)
	dst = strconv.AppendBool(dst, m.Mail)
	if len(r.Groups) > 0 {
		dst = append(dst, `,"groups":`...)
		dst = appendStrings(dst, r.Groups)
	}
	for _, c := range r.Compliance {
		dst = append(dst, ',')
		dst = appendString(dst, c.Framework)
		dst = append(dst, ':')
		dst = appendStrings(dst, c.Controls)
	}
	dst = append(dst, '}')
	dst = append(dst, f.agent...)
	dst = appendString(dst, id)
	if len(m.PreviousOutput) > 1 {
		out := ""
		for i, p := range m.PreviousOutput {
			if i > 0 {
				out += "\n"
			}
			out += p
		}
		dst = append(dst, `,"previous_output":`...)
		dst = appendString(dst, out)
	}
	dst = append(dst, `,"decoder":{"name":"json"},"data":`...)
	dst = append(dst, event...)
	dst = append(dst, `,"location":"Wazuh-AWS"}`...)
	return append(dst, '\n')
}

// appendMITRE writes rule.mitre as Wazuh does: ids with their tactic and
// technique names, dropped when no id is known (as analysisd drops it when
// no tactic resolves).
func appendMITRE(dst []byte, m rules.MITRE) []byte {
	ids := m.IDs
	if len(ids) == 0 {
		ids = m.TechniqueIDs
	}
	var known []string
	var tactics, techniques []string
	for _, id := range ids {
		t, ok := techniqueByID[id]
		if !ok {
			continue
		}
		known = append(known, id)
		techniques = append(techniques, t.name)
		for _, tac := range t.tactics {
			if !contains(tactics, tac) {
				tactics = append(tactics, tac)
			}
		}
	}
	if len(known) == 0 {
		return dst
	}
	dst = append(dst, `,"mitre":{"id":`...)
	dst = appendStrings(dst, known)
	dst = append(dst, `,"tactic":`...)
	dst = appendStrings(dst, tactics)
	dst = append(dst, `,"technique":`...)
	dst = appendStrings(dst, techniques)
	return append(dst, '}')
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func appendStrings(dst []byte, list []string) []byte {
	dst = append(dst, '[')
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, s)
	}
	return append(dst, ']')
}

func appendString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s)
	return append(dst, b...)
}
