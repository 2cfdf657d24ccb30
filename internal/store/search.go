package store

import (
	"strconv"
	"strings"
)

// alertWords is the search column of an alert on PostgreSQL, as the text
// of a tsvector: what the SQL function alert_words gives for the same
// columns (schema_postgres.go), computed here so that inserting an alert
// does not run it (it was most of an insert's cost). Words are split and
// lower-cased exactly as tsQuery splits a search, so the index and the
// searches agree by construction. cols are description, title, type,
// instance_id, principal, remote_ip, domain and api, in that order.
func alertWords(cols ...string) string {
	var b strings.Builder
	for c, col := range cols {
		base := c * 2000
		// n is regexp_split_to_table's ordinality: a leading separator
		// makes an empty first word.
		for i, w := range splitWords(strings.ToLower(col)) {
			n := i + 1
			if w == "" || len(w) > maxWordLen {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteByte('\'')
			b.WriteString(w) // letters, digits and .-_ need no escaping
			b.WriteString("':")
			b.WriteString(strconv.Itoa(min(n, 1999) + base))
		}
	}
	return b.String()
}

// splitWords splits s at every run of runes that are not isTokenRune, as
// regexp_split_to_table does: a leading or trailing run gives an empty
// word at that end, and "" is one empty word.
func splitWords(s string) []string {
	var words []string
	start, inSep := 0, false
	for i, r := range s {
		tok := isTokenRune(r)
		switch {
		case !tok && !inSep:
			words = append(words, s[start:i])
			inSep = true
		case tok && inSep:
			start, inSep = i, false
		}
	}
	if inSep {
		return append(words, "")
	}
	return append(words, s[start:])
}
