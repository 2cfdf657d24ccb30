package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Compiled once; never modified.
var (
	wazuhDurationRE = regexp.MustCompile(`^([0-9]+)([smhdwM]?)$`)
	regionRE        = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$`)
	accountIDRE     = regexp.MustCompile(`^[0-9]{12}$`)
	roleARNRE       = regexp.MustCompile(`^arn:aws(-cn|-us-gov|-iso[a-z-]*)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
	bucketRE        = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$`)
	wazuhDateRE     = regexp.MustCompile(`^([0-9]{4})-([A-Za-z]{3})-([0-9]{1,2})$`)
	clockRE         = regexp.MustCompile(`^([0-9]{1,2}):([0-9]{1,2})$`)
	envRefRE        = regexp.MustCompile(`\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
	keyEntityRE     = regexp.MustCompile(`&[A-Za-z]+;|&#[0-9]+;`)
	pythonOnlyRE    = regexp.MustCompile(`\(\?(=|!|<=|<!|P=)|\\[1-9]`)
)

// parseBool reads yes/no (Wazuh's only forms); YAML also takes
// true/false in any case.
func parseBool(v string, yamlForm bool) (bool, error) {
	switch {
	case v == "yes":
		return true, nil
	case v == "no":
		return false, nil
	case yamlForm && strings.EqualFold(v, "true"):
		return true, nil
	case yamlForm && strings.EqualFold(v, "false"):
		return false, nil
	}
	if yamlForm {
		return false, fmt.Errorf("invalid boolean %q (want true/false or yes/no)", v)
	}
	return false, fmt.Errorf("invalid value %q (want yes or no)", v)
}

// parseWazuhDuration reads Wazuh's interval grammar: a positive number
// with an optional unit s, m, h, d, w or M (months); no unit means
// seconds. months is set instead of d for M.
func parseWazuhDuration(v string) (d time.Duration, months int, ok bool) {
	m := wazuhDurationRE.FindStringSubmatch(v)
	if m == nil {
		return 0, 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if m[2] == "M" {
		if n > 1200 {
			return 0, 0, false
		}
		return 0, int(n), true
	}
	unit := time.Second
	switch m[2] {
	case "m":
		unit = time.Minute
	case "h":
		unit = time.Hour
	case "d":
		unit = day
	case "w":
		unit = week
	}
	if n > math.MaxInt64/int64(unit) {
		return 0, 0, false
	}
	return time.Duration(n) * unit, 0, true
}

// parseDuration reads a duration in Wazuh's grammar or, when goForm is
// set, Go's ("1h30m"). Months are accepted only when allowMonths is set.
// what names the value in errors ("interval").
func parseDuration(v, what string, goForm, allowMonths bool) (time.Duration, int, error) {
	d, months, ok := parseWazuhDuration(v)
	if !ok && goForm {
		var err error
		d, err = time.ParseDuration(v)
		ok = err == nil
	}
	switch {
	case !ok:
		return 0, 0, fmt.Errorf("invalid %s %q", what, v)
	case months > 0 && !allowMonths:
		return 0, 0, fmt.Errorf("invalid %s %q: months are allowed only in interval", what, v)
	case d < 0:
		return 0, 0, fmt.Errorf("invalid %s %q: negative", what, v)
	}
	return d, months, nil
}

// formatDuration writes d in the largest Wazuh unit that divides it, so
// that both Wazuh and Go readers understand it ("10m", "1d", "2w").
func formatDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{week, "w"}, {day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if d%u.unit == 0 {
			return strconv.FormatInt(int64(d/u.unit), 10) + u.name
		}
	}
	return d.String()
}

func parseDay(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 31 {
		return 0, fmt.Errorf("invalid day of month %q (want 1-31)", v)
	}
	return n, nil
}

// parseWDay takes a weekday's English name or its three-letter form, in
// any case.
func parseWDay(v string) (time.Weekday, error) {
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		name := wd.String()
		if strings.EqualFold(v, name) || strings.EqualFold(v, name[:3]) {
			return wd, nil
		}
	}
	return 0, fmt.Errorf("invalid weekday %q (want e.g. monday or mon)", v)
}

func parseClock(v string) (Clock, error) {
	m := clockRE.FindStringSubmatch(v)
	if m != nil {
		h, _ := strconv.Atoi(m[1])
		mi, _ := strconv.Atoi(m[2])
		if h < 24 && mi < 60 {
			return Clock{Hour: h, Minute: mi}, nil
		}
	}
	return Clock{}, fmt.Errorf("invalid time %q (want hh:mm, 24-hour)", v)
}

// parseDate reads Wazuh's YYYY-MMM-DD (month name in any case, e.g.
// 2024-JAN-31) or, when isoForm is set, YYYY-MM-DD. It returns UTC
// midnight.
func parseDate(v string, isoForm bool) (time.Time, error) {
	if m := wazuhDateRE.FindStringSubmatch(v); m != nil {
		month := strings.ToUpper(m[2][:1]) + strings.ToLower(m[2][1:])
		t, err := time.Parse("2006-Jan-2", m[1]+"-"+month+"-"+m[3])
		if err == nil {
			return t.UTC(), nil
		}
	} else if isoForm {
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t.UTC(), nil
		}
	}
	if isoForm {
		return time.Time{}, fmt.Errorf("invalid date %q (want YYYY-MMM-DD, e.g. 2024-JAN-31, or YYYY-MM-DD)", v)
	}
	return time.Time{}, fmt.Errorf("invalid date %q (want YYYY-MMM-DD, e.g. 2024-JAN-31)", v)
}

// splitList splits comma-separated items, trimming spaces and dropping
// empty ones.
func splitList(vs ...string) []string {
	var out []string
	for _, v := range vs {
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// parseRegions validates AWS region names (commercial, GovCloud, China and
// ISO partitions) and returns them sorted without duplicates.
func parseRegions(items []string) ([]string, error) {
	for _, r := range items {
		if !regionRE.MatchString(r) {
			return nil, fmt.Errorf("invalid region %q", r)
		}
	}
	return sortedSet(items), nil
}

// parseAccountIDs validates 12-digit AWS account ids and returns them
// sorted without duplicates.
func parseAccountIDs(items []string) ([]string, error) {
	for _, id := range items {
		if !accountIDRE.MatchString(id) {
			return nil, fmt.Errorf("invalid account id %q (want 12 digits)", id)
		}
	}
	return sortedSet(items), nil
}

func sortedSet(items []string) []string {
	if len(items) == 0 {
		return nil
	}
	out := slices.Clone(items)
	slices.Sort(out)
	return slices.Compact(out)
}

func parseRoleARN(v string) (string, error) {
	if !roleARNRE.MatchString(v) {
		return "", fmt.Errorf("invalid role ARN %q (want arn:aws:iam::123456789012:role/NAME)", v)
	}
	return v, nil
}

// parseEndpoint checks an absolute http(s) URL. A bare host name, as in
// some Wazuh examples, gets https:// and a warning.
func parseEndpoint(v string) (endpoint, warning string, err error) {
	if !strings.Contains(v, "://") && v != "" {
		warning = fmt.Sprintf("%q has no scheme; using https://%s", v, v)
		v = "https://" + v
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("invalid URL %q (want http(s)://host[:port][/path])", v)
	}
	return v, warning, nil
}

// parseKeyPrefix checks a path or path_suffix the way Wazuh's
// arg_valid_key does and appends "/" when it is not empty.
func parseKeyPrefix(v string) (string, error) {
	if i := strings.IndexAny(v, "\\{}^%[]'\"<>~#|`"); i >= 0 {
		return "", fmt.Errorf("invalid key prefix %q: character %q is not allowed", v, v[i])
	}
	if keyEntityRE.MatchString(v) {
		return "", fmt.Errorf("invalid key prefix %q: XML entities are not allowed", v)
	}
	if v != "" && !strings.HasSuffix(v, "/") {
		v += "/"
	}
	return v, nil
}

func parseBucket(v string) (string, error) {
	if !bucketRE.MatchString(v) {
		return "", fmt.Errorf("invalid bucket name %q", v)
	}
	return v, nil
}

// compileDiscard compiles pattern anchored at the start, like Python's
// re.match. Go's RE2 syntax has no look-arounds or back-references.
func compileDiscard(field, pattern string) (Discard, error) {
	if strings.TrimSpace(field) == "" {
		return Discard{}, errors.New("the field to match is required")
	}
	// Compile alone first: a pattern such as "a)|(b" would otherwise
	// escape the anchor.
	if _, err := regexp.Compile(pattern); err != nil {
		if pythonOnlyRE.MatchString(pattern) {
			return Discard{}, fmt.Errorf("invalid regex %q: Go's RE2 syntax has no look-arounds or back-references: %w", pattern, err)
		}
		return Discard{}, fmt.Errorf("invalid regex %q: %w", pattern, err)
	}
	re, err := regexp.Compile(`^(?:` + pattern + `)`)
	if err != nil {
		return Discard{}, fmt.Errorf("invalid regex %q: %w", pattern, err)
	}
	return Discard{Field: field, Pattern: pattern, Regex: re}, nil
}

// expandEnv replaces every ${NAME} in v by the variable's value; "$${"
// stands for a literal "${".
func expandEnv(v string, lookup func(string) (string, bool)) (string, error) {
	var missing string
	out := envRefRE.ReplaceAllStringFunc(v, func(ref string) string {
		if ref == "$${" {
			return "${"
		}
		name := ref[2 : len(ref)-1]
		val, ok := lookup(name)
		if !ok && missing == "" {
			missing = name
		}
		return val
	})
	if missing != "" {
		return "", fmt.Errorf("environment variable %s is not set", missing)
	}
	return out, nil
}

// escapeEnv is the inverse of expandEnv for a value with no references.
func escapeEnv(v string) string { return strings.ReplaceAll(v, "${", "$${") }
