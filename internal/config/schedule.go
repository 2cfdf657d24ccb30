package config

import (
	"errors"
	"fmt"
	"time"
)

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// Schedule says when a source runs, with Wazuh's scheduling options
// (interval, day, wday, time). Times of day are wall-clock times in the
// location of the time passed to Next.
type Schedule struct {
	// Interval is the time between the starts of two runs. With WDay it is
	// a whole number of weeks, with Time alone a whole number of days.
	Interval time.Duration
	// Months is the interval in calendar months (Wazuh's "1M"); it goes
	// with Day, and Interval is then 0.
	Months int
	// Day, 1–31, runs monthly on that day of the month; 0 when unset.
	Day int
	// WDay runs weekly on that day; nil when unset.
	WDay *time.Weekday
	// Time is the time of day of a daily, weekly or monthly run; nil when
	// unset.
	Time *Clock
}

// Clock is a time of day, hh:mm.
type Clock struct {
	Hour, Minute int
}

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

// Next returns when the run after the one that started at after should
// start, the way Wazuh's scheduler (schedule_scan.c) computes it:
//
//   - interval only: after + Interval;
//   - Time alone (daily): today at Time if that is still ahead, else that
//     time Interval/24h days later;
//   - WDay (weekly): the next WDay at Time; on WDay itself, once Time has
//     passed, Interval/7d weeks later;
//   - Day (monthly): Day of this month at Time while it is ahead, else Day
//     of the month Months later. As in Wazuh, a day past the end of a month
//     rolls into the next (31 February is 3 March).
//
// Wazuh's first run without run_on_start waits one day (or week) instead
// of the interval; Next always uses the interval.
func (s Schedule) Next(after time.Time) time.Time {
	var clock Clock
	if s.Time != nil {
		clock = *s.Time
	}
	at := func(addDays int) time.Time {
		y, m, d := after.Date()
		return time.Date(y, m, d+addDays, clock.Hour, clock.Minute, 0, 0, after.Location())
	}
	switch {
	case s.Day > 0 || s.Months > 0:
		return s.nextMonthly(after, clock)
	case s.WDay != nil:
		wd := *s.WDay
		if after.Weekday() != wd {
			return at((int(wd) - int(after.Weekday()) + 7) % 7)
		}
		if t := at(0); t.After(after) {
			return t
		}
		return at(7 * max(1, int(s.Interval/week)))
	case s.Time != nil:
		if t := at(0); t.After(after) {
			return t
		}
		return at(max(1, int(s.Interval/day)))
	case s.Interval > 0:
		return after.Add(s.Interval)
	default:
		return after.Add(DefaultInterval)
	}
}

func (s Schedule) nextMonthly(after time.Time, clock Clock) time.Time {
	mday := s.Day
	if mday == 0 {
		mday = 1
	}
	y, m, d := after.Date()
	t := time.Date(y, m, mday, clock.Hour, clock.Minute, 0, 0, after.Location())
	if d < mday || (d == mday && t.After(after)) {
		return t
	}
	return time.Date(y, m+time.Month(max(1, s.Months)), mday, clock.Hour, clock.Minute, 0, 0, after.Location())
}

// String describes the schedule for logs, e.g. "every 10m" or
// "weekly on Monday at 06:00 every 1w".
func (s Schedule) String() string {
	clock := "00:00"
	if s.Time != nil {
		clock = s.Time.String()
	}
	switch {
	case s.Day > 0 || s.Months > 0:
		return fmt.Sprintf("monthly on day %d at %s every %dM", max(1, s.Day), clock, max(1, s.Months))
	case s.WDay != nil:
		return fmt.Sprintf("weekly on %s at %s every %s", *s.WDay, clock, formatDuration(s.Interval))
	case s.Time != nil:
		return fmt.Sprintf("daily at %s every %s", clock, formatDuration(s.Interval))
	default:
		return "every " + formatDuration(s.Interval)
	}
}

// normalize applies Wazuh's rules (sched_scan_read): day and wday exclude
// each other; day needs a month interval, wday a whole number of weeks,
// time alone a whole number of days, each defaulting to one unit (with a
// warning when another interval was given); a month interval without day
// runs on day 1. A missing time is 00:00. intervalSet reports whether the
// interval was written in the configuration.
func (s *Schedule) normalize(intervalSet bool) (warnings []string, err error) {
	warnIf := func(msg string) {
		if intervalSet {
			warnings = append(warnings, msg)
		}
	}
	switch {
	case s.Day > 0 && s.WDay != nil:
		return nil, errors.New("day and wday cannot be used together")
	case s.Day > 0:
		if s.Months == 0 {
			warnIf("interval must be a whole number of months with day; using 1M")
			s.Months, s.Interval = 1, 0
		}
	case s.WDay != nil:
		if s.Months > 0 || s.Interval <= 0 || s.Interval%week != 0 {
			warnIf("interval must be a whole number of weeks with wday; using 1w")
			s.Months, s.Interval = 0, week
		}
	case s.Time != nil:
		if s.Months > 0 || s.Interval <= 0 || s.Interval%day != 0 {
			warnIf("interval must be a whole number of days with time; using 1d")
			s.Months, s.Interval = 0, day
		}
	case s.Months > 0:
		warnings = append(warnings, "interval is in months; running on day 1 of the month at 00:00")
		s.Day = 1
	case s.Interval <= 0:
		return nil, errors.New("interval must be positive")
	}
	if (s.Day > 0 || s.WDay != nil) && s.Time == nil {
		s.Time = &Clock{}
	}
	return warnings, nil
}
