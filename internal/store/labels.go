package store

import (
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Commit counts the alerts it inserted into the rollups in Go: alertLabels
// computes each alert's (dim, label) pairs exactly as the alert_labels
// view does (query_schema.go, schema_postgres.go), a rollupBatch adds them
// up per (dim, bucket, label) over the whole batch, and one set-based
// upsert per rollup table writes the sums (rollupWrites, rollups.go). An
// alert with a value whose label Go cannot be sure to spell as the
// database would (see alertLabels) is counted by the SQL statements of
// rollupAdd instead, which read the view. TestGoLabelsMatchView and
// FuzzGoLabels compare the two.

// labelled holds the columns of an alert that alert_labels reads.
type labelled struct {
	eventTime                       int64
	severity                        float64
	typ, groups, instance, remoteIP string
	country, city, asn, org         string
	hasGeo                          bool
	lat, lon                        float64
	localPort                       int64
}

// alertLabel is one (dim, label) of an alert.
type alertLabel struct {
	dim   int
	label string
}

// genericGroups are the rule groups alert_labels leaves out.
var genericGroups = [...]string{"", "amazon", "aws", "guardduty", "aws_guardduty"}

// maxLabelTime bounds the event times alertLabels takes: the bucket
// arithmetic of the SQL would overflow far beyond it (SQLite turns the
// result into a REAL).
const maxLabelTime = 1 << 60

// alertLabels appends a's (dim, label) pairs to dst in alert_labels' order.
// ok is false when a has a value Go may label differently from the
// database: on SQLite a NUL byte or invalid UTF-8 in a labelled text (its
// LIKE and JSON functions stop at NUL or decode bytes their own way), an
// event time beyond ±2^60, or a location the backend's number formatting
// (sqliteReal, pgReal) may spell otherwise. The caller counts such an alert
// with SQL and ignores dst.
func alertLabels(dst []alertLabel, a *labelled, postgres bool) ([]alertLabel, bool) {
	if a.eventTime > maxLabelTime || a.eventTime < -maxLabelTime {
		return dst, false
	}
	if !postgres {
		for _, s := range [...]string{a.typ, a.groups, a.instance, a.remoteIP, a.country, a.city, a.asn, a.org} {
			if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
				return dst, false
			}
		}
	}
	band := "critical"
	switch {
	case a.severity < 4:
		band = "low"
	case a.severity < 7:
		band = "medium"
	case a.severity < 9:
		band = "high"
	}
	dst = append(dst, alertLabel{dimBand, band})
	if a.typ != "" {
		dst = append(dst, alertLabel{dimType, a.typ})
	}
	dst = appendGroups(dst, a.groups)
	if a.instance != "" {
		dst = append(dst, alertLabel{dimInstance, a.instance})
	}
	if a.remoteIP != "" {
		dst = append(dst, alertLabel{dimRemoteIP, a.remoteIP})
	}
	if a.asn != "" {
		dst = append(dst, alertLabel{dimASN, strings.TrimRight("AS"+a.asn+" "+a.org, " ")})
	}
	if a.country != "" {
		dst = append(dst, alertLabel{dimCountry, a.country})
	}
	if a.hasGeo {
		real := sqliteReal
		if postgres {
			real = pgReal
		}
		lat, ok1 := real(a.lat)
		lon, ok2 := real(a.lon)
		if !ok1 || !ok2 {
			return dst, false
		}
		dst = append(dst, alertLabel{dimGeo, lat + "\x1f" + lon + "\x1f" + a.country + "\x1f" + a.city})
	}
	if containsFoldASCII(a.typ, "bruteforce") {
		dst = append(dst, alertLabel{dimPort, strconv.FormatInt(a.localPort, 10)})
	}
	return dst, true
}

// appendGroups appends the group labels of a comma-joined groups value:
// each group once, without the generic ones. A value with a control
// character has none: SQLite's view quotes it into a JSON array that is
// then not valid JSON, and PostgreSQL's matches it with [\x01-\x1f].
func appendGroups(dst []alertLabel, groups string) []alertLabel {
	for i := 0; i < len(groups); i++ {
		if groups[i] < 0x20 {
			return dst
		}
	}
	first := len(dst)
	for g := range strings.SplitSeq(groups, ",") {
		if slices.Contains(genericGroups[:], g) {
			continue
		}
		if slices.ContainsFunc(dst[first:], func(l alertLabel) bool { return l.label == g }) {
			continue
		}
		dst = append(dst, alertLabel{dimGroup, g})
	}
	return dst
}

// containsFoldASCII reports whether s contains the lower-case ASCII
// pattern, ignoring ASCII case only, as SQLite's LIKE does.
func containsFoldASCII(s, pattern string) bool {
	for i := 0; i+len(pattern) <= len(s); i++ {
		j := 0
		for ; j < len(pattern); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != pattern[j] {
				break
			}
		}
		if j == len(pattern) {
			return true
		}
	}
	return false
}

// Numbers outside [minLabelReal, maxLabelReal) are never labelled in Go:
// both databases switch to exponent notation near them, each its own way.
const (
	minLabelReal = 1e-4
	maxLabelReal = 1e13
)

// pgReal is CAST(v AS TEXT) on PostgreSQL (12 and later): the shortest
// text that reads back as v, without exponent in this range. ok is false
// for a value whose shortest text has more than 15 digits, which a server
// set to extra_float_digits = 0 would spell with 15.
func pgReal(v float64) (string, bool) {
	if v == 0 {
		if math.Signbit(v) {
			return "-0", true
		}
		return "0", true
	}
	if a := math.Abs(v); !(a >= minLabelReal && a < maxLabelReal) {
		return "", false
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if significantDigits(s) > 15 {
		return "", false
	}
	return s, true
}

// significantDigits counts the digits of the decimal s from its first
// non-zero one.
func significantDigits(s string) int {
	n, started := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' || (c == '0' && !started) {
			continue
		}
		started = true
		n++
	}
	return n
}

// sqliteReal is how SQLite (3.47 and later) turns the REAL v into text,
// the "%!.17g" of vdbeMemRenderNum: from v's first 18 significant digits
// it keeps 17, unless digits 14 and 15 (from 0) are 99, or digits 13 to 15
// 000, and the shorter number they round to reads back as v; the text has
// no exponent in this range and ends in ".0" when it is a whole number.
// ok is false where SQLite's own decimal conversion, which is not exactly
// Go's, could decide otherwise: when it would keep 17 digits, when the
// digit after the deciding ones lies at a rounding edge, or when the
// shorter number lies near the middle between two doubles.
func sqliteReal(v float64) (string, bool) {
	if v == 0 {
		return "0.0", true // negative zero too
	}
	a := math.Abs(v)
	if !(a >= minLabelReal && a < maxLabelReal) {
		return "", false
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], a, 'e', 17, 64) // d.ddddddddddddddddde±XX
	z := append([]byte{e[0]}, e[2:19]...)             // 18 digits
	exp, err := strconv.Atoi(string(e[20:]))
	if err != nil {
		return "", false
	}
	var digits []byte
	switch {
	case z[14] == '9' && z[15] == '9' && z[16] != '0':
		jj := 14
		for jj > 0 && z[jj-1] == '9' {
			jj--
		}
		if jj == 0 {
			digits, exp = []byte{'1'}, exp+1
		} else {
			digits = slices.Clone(z[:jj])
			digits[jj-1]++ // no carry: z[jj-1] is not 9
		}
	case z[13] == '0' && z[14] == '0' && z[15] == '0' && z[16] != '9':
		jj := 13
		for z[jj-1] == '0' { // z[0] is not 0
			jj--
		}
		digits = z[:jj]
	default:
		return "", false
	}
	if !readsBackAs(digits, exp, a) {
		return "", false
	}
	s := fixed(digits, exp)
	if v < 0 {
		s = "-" + s
	}
	return s, true
}

// readsBackAs reports whether the decimal d.igits × 10^exp reads back as
// a and lies not within 0.2% of an ulp from the middle between a and the
// next double, where a conversion that is not exactly rounded, as
// SQLite's need not be, could read it otherwise.
func readsBackAs(digits []byte, exp int, a float64) bool {
	text := string(digits[:1]) + "." + string(digits[1:]) + "e" + strconv.Itoa(exp)
	if f, err := strconv.ParseFloat(text, 64); err != nil || f != a {
		return false
	}
	d, ok := new(big.Float).SetPrec(256).SetString(text)
	if !ok {
		return false
	}
	ulp := math.Nextafter(a, math.Inf(1)) - a
	diff := new(big.Float).SetPrec(256).Sub(d, new(big.Float).SetFloat64(a))
	diff.Abs(diff)
	return diff.Cmp(big.NewFloat(ulp*0.499)) <= 0
}

// fixed writes the digits d.ddd × 10^exp without exponent, with at least
// one digit after the point.
func fixed(digits []byte, exp int) string {
	var b strings.Builder
	point := exp + 1 // digits before the point
	switch {
	case point <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -point))
		b.Write(digits)
	case point >= len(digits):
		b.Write(digits)
		b.WriteString(strings.Repeat("0", point-len(digits)))
		b.WriteString(".0")
	default:
		b.Write(digits[:point])
		b.WriteByte('.')
		b.Write(digits[point:])
	}
	return b.String()
}
