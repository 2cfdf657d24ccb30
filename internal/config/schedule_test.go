package config

import (
	"reflect"
	"testing"
	"time"
)

func weekday(d time.Weekday) *time.Weekday { return &d }

func clock(h, m int) *Clock { return &Clock{Hour: h, Minute: m} }

func TestScheduleNext(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// 2025-01-06 is a Monday.
	tests := []struct {
		name  string
		s     Schedule
		after string
		want  string
	}{
		{"interval", Schedule{Interval: 10 * time.Minute}, "2025-01-06 10:05", "2025-01-06 10:15"},
		{"interval crosses midnight", Schedule{Interval: 2 * time.Hour}, "2025-01-06 23:30", "2025-01-07 01:30"},
		{"no interval uses the default", Schedule{}, "2025-01-06 10:00", "2025-01-06 10:10"},

		{"daily before time", Schedule{Interval: day, Time: clock(6, 0)}, "2025-01-06 05:00", "2025-01-06 06:00"},
		{"daily at time", Schedule{Interval: day, Time: clock(6, 0)}, "2025-01-06 06:00", "2025-01-07 06:00"},
		{"daily after time", Schedule{Interval: day, Time: clock(6, 0)}, "2025-01-06 07:00", "2025-01-07 06:00"},
		{"every 3 days", Schedule{Interval: 3 * day, Time: clock(6, 0)}, "2025-01-06 07:00", "2025-01-09 06:00"},
		{"daily end of month", Schedule{Interval: day, Time: clock(0, 30)}, "2025-01-31 01:00", "2025-02-01 00:30"},

		{"weekly later this week", Schedule{Interval: week, WDay: weekday(time.Friday), Time: clock(6, 0)}, "2025-01-06 10:00", "2025-01-10 06:00"},
		{"weekly past day wraps", Schedule{Interval: week, WDay: weekday(time.Sunday), Time: clock(6, 0)}, "2025-01-07 10:00", "2025-01-12 06:00"},
		{"weekly on the day before time", Schedule{Interval: week, WDay: weekday(time.Monday), Time: clock(6, 0)}, "2025-01-06 05:59", "2025-01-06 06:00"},
		{"weekly on the day after time", Schedule{Interval: week, WDay: weekday(time.Monday), Time: clock(6, 0)}, "2025-01-06 06:00", "2025-01-13 06:00"},
		{"every 2 weeks on the day", Schedule{Interval: 2 * week, WDay: weekday(time.Monday), Time: clock(6, 0)}, "2025-01-06 06:00", "2025-01-20 06:00"},
		// Off the day, Wazuh goes to the next such weekday whatever the interval.
		{"every 2 weeks off the day", Schedule{Interval: 2 * week, WDay: weekday(time.Monday), Time: clock(6, 0)}, "2025-01-08 06:00", "2025-01-13 06:00"},

		{"monthly before day", Schedule{Months: 1, Day: 15, Time: clock(0, 0)}, "2025-01-10 12:00", "2025-01-15 00:00"},
		{"monthly on day before time", Schedule{Months: 1, Day: 15, Time: clock(9, 0)}, "2025-01-15 08:00", "2025-01-15 09:00"},
		{"monthly on day at time", Schedule{Months: 1, Day: 15, Time: clock(9, 0)}, "2025-01-15 09:00", "2025-02-15 09:00"},
		{"monthly after day", Schedule{Months: 1, Day: 15, Time: clock(0, 0)}, "2025-01-20 00:00", "2025-02-15 00:00"},
		{"every 3 months", Schedule{Months: 3, Day: 15, Time: clock(0, 0)}, "2025-01-20 00:00", "2025-04-15 00:00"},
		{"monthly across the year", Schedule{Months: 1, Day: 5, Time: clock(0, 0)}, "2025-12-20 00:00", "2026-01-05 00:00"},
		{"every 14 months", Schedule{Months: 14, Day: 5, Time: clock(0, 0)}, "2025-12-20 00:00", "2027-02-05 00:00"},
		// As in Wazuh (mktime), 31 February rolls over to 3 March.
		{"day 31 in February", Schedule{Months: 1, Day: 31, Time: clock(0, 0)}, "2025-02-10 00:00", "2025-03-03 00:00"},
		{"months without day is day 1", Schedule{Months: 1}, "2025-02-10 00:00", "2025-03-01 00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := tt.s.Next(utc(tt.after)), utc(tt.want); !got.Equal(want) {
				t.Errorf("Next(%s) = %s, want %s", tt.after, got.Format(time.DateTime), want.Format(time.DateTime))
			}
		})
	}
}

func TestScheduleNextKeepsLocation(t *testing.T) {
	zone := time.FixedZone("UTC+2", 2*3600)
	s := Schedule{Interval: day, Time: clock(6, 0)}
	got := s.Next(time.Date(2025, 1, 6, 7, 0, 0, 0, zone))
	if want := time.Date(2025, 1, 7, 6, 0, 0, 0, zone); !got.Equal(want) || got.Location() != zone {
		t.Errorf("Next = %s, want %s", got, want)
	}
}

func TestScheduleNormalize(t *testing.T) {
	tests := []struct {
		name        string
		in          Schedule
		intervalSet bool
		want        Schedule
		warnings    int
		err         bool
	}{
		{"interval", Schedule{Interval: time.Hour}, true, Schedule{Interval: time.Hour}, 0, false},
		{"day gets 1M and 00:00", Schedule{Interval: DefaultInterval, Day: 3}, false,
			Schedule{Months: 1, Day: 3, Time: clock(0, 0)}, 0, false},
		{"day with hour interval warns", Schedule{Interval: time.Hour, Day: 3}, true,
			Schedule{Months: 1, Day: 3, Time: clock(0, 0)}, 1, false},
		{"day keeps months", Schedule{Months: 2, Day: 3, Time: clock(1, 2)}, true,
			Schedule{Months: 2, Day: 3, Time: clock(1, 2)}, 0, false},
		{"wday gets 1w", Schedule{Interval: DefaultInterval, WDay: weekday(time.Monday)}, false,
			Schedule{Interval: week, WDay: weekday(time.Monday), Time: clock(0, 0)}, 0, false},
		{"wday keeps 2w", Schedule{Interval: 2 * week, WDay: weekday(time.Monday)}, true,
			Schedule{Interval: 2 * week, WDay: weekday(time.Monday), Time: clock(0, 0)}, 0, false},
		{"wday with 3d warns", Schedule{Interval: 3 * day, WDay: weekday(time.Monday)}, true,
			Schedule{Interval: week, WDay: weekday(time.Monday), Time: clock(0, 0)}, 1, false},
		{"time gets 1d", Schedule{Interval: DefaultInterval, Time: clock(5, 0)}, false,
			Schedule{Interval: day, Time: clock(5, 0)}, 0, false},
		{"time keeps 2d", Schedule{Interval: 2 * day, Time: clock(5, 0)}, true,
			Schedule{Interval: 2 * day, Time: clock(5, 0)}, 0, false},
		{"months alone", Schedule{Months: 1}, true, Schedule{Months: 1, Day: 1, Time: clock(0, 0)}, 1, false},
		{"day and wday", Schedule{Day: 1, WDay: weekday(time.Monday)}, true, Schedule{}, 0, true},
		{"zero interval", Schedule{}, true, Schedule{}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.in
			warnings, err := s.normalize(tt.intervalSet)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if tt.err {
				return
			}
			if !reflect.DeepEqual(s, tt.want) {
				t.Errorf("normalized = %+v, want %+v", s, tt.want)
			}
			if len(warnings) != tt.warnings {
				t.Errorf("warnings = %q, want %d", warnings, tt.warnings)
			}
		})
	}
}

func TestScheduleString(t *testing.T) {
	tests := []struct {
		s    Schedule
		want string
	}{
		{Schedule{Interval: 10 * time.Minute}, "every 10m"},
		{Schedule{Interval: day, Time: clock(6, 5)}, "daily at 06:05 every 1d"},
		{Schedule{Interval: 2 * week, WDay: weekday(time.Monday), Time: clock(0, 0)}, "weekly on Monday at 00:00 every 2w"},
		{Schedule{Months: 1, Day: 5, Time: clock(0, 0)}, "monthly on day 5 at 00:00 every 1M"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
