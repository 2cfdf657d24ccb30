package config

import (
	"reflect"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in          string
		goForm      bool
		allowMonths bool
		want        time.Duration
		months      int
		err         bool
	}{
		{"600", false, true, 10 * time.Minute, 0, false},
		{"30s", false, true, 30 * time.Second, 0, false},
		{"10m", false, true, 10 * time.Minute, 0, false},
		{"2h", false, true, 2 * time.Hour, 0, false},
		{"1d", false, true, day, 0, false},
		{"1w", false, true, week, 0, false},
		{"3M", false, true, 0, 3, false},
		{"3M", false, false, 0, 0, true},
		{"1h30m", false, true, 0, 0, true}, // Go form only in YAML
		{"1h30m", true, true, 90 * time.Minute, 0, false},
		{"10x", true, true, 0, 0, true},
		{"10 m", false, true, 0, 0, true},
		{"-1h", true, false, 0, 0, true},
		{"", true, true, 0, 0, true},
		{"99999999999999999999", false, true, 0, 0, true},
		{"9999999999999w", false, true, 0, 0, true},
	}
	for _, tt := range tests {
		d, months, err := parseDuration(tt.in, "interval", tt.goForm, tt.allowMonths)
		if (err != nil) != tt.err || d != tt.want || months != tt.months {
			t.Errorf("parseDuration(%q, go=%v, months=%v) = %v, %d, %v", tt.in, tt.goForm, tt.allowMonths, d, months, err)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 90 * time.Second: "90s", 10 * time.Minute: "10m", 36 * time.Hour: "36h",
		2 * day: "2d", 3 * week: "3w", 1500 * time.Millisecond: "1.5s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseDate(t *testing.T) {
	jan31 := time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		isoForm bool
		want    time.Time
		err     bool
	}{
		{"2024-JAN-31", false, jan31, false},
		{"2024-jan-31", false, jan31, false},
		{"2024-Jan-31", false, jan31, false},
		{"2024-FEB-1", false, time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), false},
		{"2024-FEB-29", false, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), false},
		{"2023-FEB-29", false, time.Time{}, true},
		{"2024-JANUARY-31", false, time.Time{}, true},
		{"2024-01-31", false, time.Time{}, true},
		{"2024-01-31", true, jan31, false},
		{"2024-JAN-31", true, jan31, false},
		{"31-JAN-2024", true, time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := parseDate(tt.in, tt.isoForm)
		if (err != nil) != tt.err || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("parseDate(%q, %v) = %v, %v", tt.in, tt.isoForm, got, err)
		}
	}
}

func TestParseRegions(t *testing.T) {
	good := splitList("us-east-1, eu-west-1,us-east-1,,us-gov-west-1,cn-northwest-1,us-isob-east-1,ap-southeast-10")
	got, err := parseRegions(good)
	want := []string{"ap-southeast-10", "cn-northwest-1", "eu-west-1", "us-east-1", "us-gov-west-1", "us-isob-east-1"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("parseRegions = %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{"US-EAST-1", "us-east", "useast1", "us-east-1a", "mars-north-1", "us_east_1"} {
		if _, err := parseRegions([]string{bad}); err == nil {
			t.Errorf("parseRegions(%q) accepted", bad)
		}
	}
}

func TestParseSmallValues(t *testing.T) {
	if wd, err := parseWDay("SAT"); err != nil || wd != time.Saturday {
		t.Errorf("parseWDay(SAT) = %v, %v", wd, err)
	}
	if _, err := parseWDay("saturdays"); err == nil {
		t.Error("parseWDay(saturdays) accepted")
	}
	if c, err := parseClock("7:05"); err != nil || c != (Clock{7, 5}) {
		t.Errorf("parseClock(7:05) = %v, %v", c, err)
	}
	for _, bad := range []string{"24:00", "12:60", "1200", "12:00:00", ""} {
		if _, err := parseClock(bad); err == nil {
			t.Errorf("parseClock(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"0", "32", "x"} {
		if _, err := parseDay(bad); err == nil {
			t.Errorf("parseDay(%q) accepted", bad)
		}
	}
	for in, want := range map[string]string{"": "", "a": "a/", "a/b/": "a/b/"} {
		if got, err := parseKeyPrefix(in); err != nil || got != want {
			t.Errorf("parseKeyPrefix(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{`a\b`, "a{b}", "a#", "a&amp;b", "a|b"} {
		if _, err := parseKeyPrefix(bad); err == nil {
			t.Errorf("parseKeyPrefix(%q) accepted", bad)
		}
	}
	for _, good := range []string{"arn:aws:iam::123456789012:role/r", "arn:aws-cn:iam::123456789012:role/a/b/c-d_e"} {
		if _, err := parseRoleARN(good); err != nil {
			t.Errorf("parseRoleARN(%q): %v", good, err)
		}
	}
	if _, _, err := parseEndpoint("https://user:pw@host"); err == nil {
		t.Error("parseEndpoint accepted credentials in the URL")
	}
}

func TestDiscardIsAnchoredAtStart(t *testing.T) {
	d, err := compileDiscard("type", "Recon|Policy")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]bool{"Recon:EC2/Port": true, "Policy:IAM": true, "UnauthorizedAccess:Recon": false} {
		if got := d.Regex.MatchString(in); got != want {
			t.Errorf("match %q = %v, want %v", in, got, want)
		}
	}
	// A pattern that is not valid alone must not escape the anchor.
	if _, err := compileDiscard("type", "a)|(b"); err == nil {
		t.Error(`compileDiscard("a)|(b") accepted`)
	}
}
