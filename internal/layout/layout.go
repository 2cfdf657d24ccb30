package layout

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind is a key layout. The zero value, Auto, asks a source to detect it.
type Kind int

const (
	// Auto means "detect the layout": a native tree when AWSLogs/ exists
	// under the path, Firehose otherwise. Parse never returns it.
	Auto Kind = iota
	// Firehose is PATH/YYYY/MM/DD/HH/<stream>-<n>-YYYY-MM-DD-HH-MM-SS-<uuid>[.ext].
	Firehose
	// Native is PATH/AWSLogs/[<org>/]<account>/GuardDuty/<region>/YYYY/MM/DD/<uuid>.jsonl.gz.
	Native
)

// String returns "auto", "firehose" or "native".
func (k Kind) String() string {
	switch k {
	case Auto:
		return "auto"
	case Firehose:
		return "firehose"
	case Native:
		return "native"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ParseKind reads a configured layout name: "auto" (or ""), "firehose" or
// "native".
func ParseKind(s string) (Kind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return Auto, nil
	case "firehose", "kinesis":
		return Firehose, nil
	case "native":
		return Native, nil
	}
	return Auto, fmt.Errorf("layout %q: want auto, firehose or native", s)
}

// ErrNoMatch is returned (wrapped) by Parse for keys that fit no layout:
// folder markers, other files, Firehose error output.
var ErrNoMatch = errors.New("key does not match a GuardDuty layout")

// Info is what a key says about its object.
type Info struct {
	Kind Kind
	// Time is the Firehose file-name timestamp (the arrival of the oldest
	// record), or the folder hour when the name has none; for native
	// keys, the export day. Always UTC.
	Time time.Time
	// Folder is the time of the folder holding the key: the hour folder
	// (Firehose) or the day folder (native). Keys sort by it, so listing
	// windows are computed from it.
	Folder time.Time
	// Account and Region come from a native key; empty for Firehose.
	Account string
	Region  string
	// Stream is the Firehose delivery stream name, when the name has one.
	Stream string
}

// nativeRoot is the folder GuardDuty exports under.
const nativeRoot = "AWSLogs/"

// CleanPath normalizes a configured key prefix the way Wazuh does: no
// leading '/', and a trailing '/' unless empty.
func CleanPath(p string) string {
	p = strings.TrimLeft(p, "/")
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// Parse reports which layout key has under path (cleaned with CleanPath)
// and what its name says. A key that fits no layout gives an error
// wrapping ErrNoMatch.
func Parse(path, key string) (Info, error) {
	path = CleanPath(path)
	rest, ok := strings.CutPrefix(key, path)
	switch {
	case !ok:
		return Info{}, noMatch(key, "outside path "+path)
	case rest == "" || strings.HasSuffix(rest, "/"):
		return Info{}, noMatch(key, "folder")
	}
	if tree, ok := strings.CutPrefix(rest, nativeRoot); ok {
		info, reason := parseNative(tree)
		if reason != "" {
			return Info{}, noMatch(key, reason)
		}
		return info, nil
	}
	info, reason := parseFirehose(rest)
	if reason != "" {
		return Info{}, noMatch(key, reason)
	}
	return info, nil
}

func noMatch(key, reason string) error {
	return fmt.Errorf("key %q: %w: %s", key, ErrNoMatch, reason)
}

// parseFirehose reads "YYYY/MM/DD/HH/<file>". It returns a reason when rest
// does not fit.
func parseFirehose(rest string) (Info, string) {
	const folderLen = len("2006/01/02/15/")
	if len(rest) <= folderLen {
		return Info{}, "no YYYY/MM/DD/HH/ folder after the path"
	}
	folder, ok := parseFolder(rest[:folderLen-1], true)
	if !ok || rest[folderLen-1] != '/' {
		return Info{}, "no YYYY/MM/DD/HH/ folder after the path"
	}
	file := rest[folderLen:]
	if strings.Contains(file, "/") {
		return Info{}, "extra folders below the hour folder"
	}
	info := Info{Kind: Firehose, Time: folder, Folder: folder}
	if stream, ts, ok := parseFirehoseName(file); ok {
		info.Stream, info.Time = stream, ts
	}
	return info, ""
}

// parseNative reads "[<segments>/]<account>/GuardDuty/<region>/YYYY/MM/DD/<file>",
// the part after AWSLogs/. Leading segments (an organization id, a
// configured path suffix) are tolerated.
func parseNative(tree string) (Info, string) {
	segs := strings.Split(tree, "/")
	n := len(segs)
	if n < 7 {
		return Info{}, "too few folders under AWSLogs/"
	}
	for _, s := range segs[:n-7] {
		if s == "" {
			return Info{}, "empty folder under AWSLogs/"
		}
	}
	account, service, region := segs[n-7], segs[n-6], segs[n-5]
	switch {
	case service != "GuardDuty":
		return Info{}, "no GuardDuty folder"
	case !IsAccount(account):
		return Info{}, "account is not 12 digits"
	case !IsRegion(region):
		return Info{}, "bad region folder"
	case segs[n-1] == "":
		return Info{}, "empty file name"
	}
	day, ok := parseFolder(strings.Join(segs[n-4:n-1], "/"), false)
	if !ok {
		return Info{}, "no YYYY/MM/DD folder after the region"
	}
	return Info{Kind: Native, Time: day, Folder: day, Account: account, Region: region}, ""
}

// parseFirehoseName finds "<stream>-<n>-YYYY-MM-DD-HH-MM-SS-<uuid>" in a
// Firehose object name. The stream name may hold '-', so the first place
// where the version and timestamp fit wins; the UUID's groups cannot
// look like a timestamp.
func parseFirehoseName(file string) (stream string, ts time.Time, ok bool) {
	for i := 1; i < len(file); i++ {
		if file[i] != '-' {
			continue
		}
		if ts, ok := parseVersionAndStamp(file[i+1:]); ok {
			return file[:i], ts, true
		}
	}
	return "", time.Time{}, false
}

// parseVersionAndStamp reads "<n>-YYYY-MM-DD-HH-MM-SS-<something>".
func parseVersionAndStamp(s string) (time.Time, bool) {
	j := 0
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	const stampLen = len("2006-01-02-15-04-05-")
	if j == 0 || j >= len(s) || s[j] != '-' || len(s) <= j+1+stampLen {
		return time.Time{}, false
	}
	stamp := s[j+1 : j+1+stampLen]
	ts, err := time.Parse("2006-01-02-15-04-05-", stamp)
	if err != nil || !allDigitsAt(stamp, 0, 4, 5, 7, 8, 10, 11, 13, 14, 16, 17, 19) {
		return time.Time{}, false
	}
	return ts, true
}

// parseFolder reads "YYYY/MM/DD" or, with hour, "YYYY/MM/DD/HH" as UTC.
func parseFolder(s string, hour bool) (time.Time, bool) {
	layout := "2006/01/02"
	if hour {
		layout = "2006/01/02/15"
	}
	if len(s) != len(layout) {
		return time.Time{}, false
	}
	for i := range len(s) {
		if (layout[i] == '/') != (s[i] == '/') || (s[i] != '/' && !isDigit(s[i])) {
			return time.Time{}, false
		}
	}
	t, err := time.Parse(layout, s)
	return t, err == nil
}

// allDigitsAt reports whether s holds digits in each [from,to) pair.
func allDigitsAt(s string, bounds ...int) bool {
	for k := 0; k+1 < len(bounds); k += 2 {
		for i := bounds[k]; i < bounds[k+1]; i++ {
			if !isDigit(s[i]) {
				return false
			}
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// IsAccount reports whether s is a 12-digit AWS account id.
func IsAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// IsRegion reports whether s looks like an AWS region: lowercase words
// joined by '-', starting with two letters and ending with a number
// ("us-east-1", "us-gov-west-1", "cn-north-1"). GovCloud and China are
// allowed, unlike Wazuh's fixed list.
func IsRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts[0]) != 2 {
		return false
	}
	for i, p := range parts {
		if p == "" {
			return false
		}
		last := i == len(parts)-1
		for j := range len(p) {
			c := p[j]
			if last && !isDigit(c) || !last && (c < 'a' || c > 'z') {
				return false
			}
		}
	}
	return true
}

// IsOrgFolder reports whether s is an AWS Organizations id folder
// ("o-" and 10 to 32 lowercase letters or digits), tolerated between
// AWSLogs/ and the account.
func IsOrgFolder(s string) bool {
	id, ok := strings.CutPrefix(s, "o-")
	if !ok || len(id) < 10 || len(id) > 32 {
		return false
	}
	for i := range len(id) {
		c := id[i]
		if !isDigit(c) && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}
