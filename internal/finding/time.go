package finding

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Time layouts seen on the wire: RFC 3339 with or without fraction, and the
// 2017 form with a colon-less offset ("2017-11-01T21:31:05.542+0000").
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// epochMillisFrom is the magnitude above which an epoch number is taken
// as milliseconds: 1e11 s is the year 5138, 1e11 ms is 1973.
const epochMillisFrom = 1e11

// time reads a timestamp at i: an ISO-8601 string, or epoch seconds or
// milliseconds as a number or numeric string. It returns the zero time
// rather than failing: timestamps must never make a finding unreadable.
func (t *tree) time(i int32) time.Time {
	switch t.kindOf(i) {
	case kNumber:
		return epoch(string(t.raw(i)))
	case kString:
		return parseTime(t.str(i))
	}
	return time.Time{}
}

func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if c := s[0]; c >= '0' && c <= '9' || c == '-' {
		if !strings.ContainsAny(s, "T:- ") || (c == '-' && !strings.ContainsAny(s[1:], "T:- ")) {
			return epoch(s)
		}
	}
	for _, l := range timeLayouts {
		if ts, err := time.Parse(l, s); err == nil {
			return ts.UTC()
		}
	}
	return time.Time{}
}

// epoch converts a decimal literal of epoch seconds or milliseconds.
func epoch(s string) time.Time {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n >= epochMillisFrom || n <= -epochMillisFrom {
			return time.UnixMilli(n).UTC()
		}
		return time.Unix(n, 0).UTC()
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e15 {
		return time.Time{}
	}
	if math.Abs(v) >= epochMillisFrom {
		v /= 1000
	}
	sec, frac := math.Modf(v)
	// Round to microseconds: epoch floats carry no more precision.
	ns := math.Round(frac*1e6) * 1e3
	return time.Unix(int64(sec), int64(ns)).UTC()
}
