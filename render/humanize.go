package render

import (
	"strconv"
	"time"
)

// Humanize returns the age of t seen at now as humanize 4.x's naturaltime
// prints it ("now", "a second ago", "5 seconds ago", "an hour ago",
// "11 days ago", "3 months ago", "1 year, 1 month ago", "4 years ago"), with
// " from now" instead of " ago" when t is after now. Both times are compared
// as instants, so the original client's local-time bug is not copied.
// Fractions of a second are dropped, as timedelta.seconds does.
func Humanize(now, t time.Time) string {
	// Whole seconds of |now - t|, computed without time.Duration, which
	// overflows after 292 years.
	secs := now.Unix() - t.Unix()
	nanos := now.Nanosecond() - t.Nanosecond()
	if nanos < 0 {
		secs--
		nanos += 1e9
	}
	future := secs < 0
	if future {
		secs = -secs
		if nanos > 0 {
			secs--
		}
	}
	text := naturalDelta(secs)
	if text == "" {
		return "now"
	}
	if future {
		return text + " from now"
	}
	return text + " ago"
}

// naturalDelta is humanize 4.x's naturaldelta(months=True) for a
// non-negative whole number of seconds; "" stands for "a moment".
func naturalDelta(total int64) string {
	days := total / 86400
	seconds := total % 86400
	years := days / 365
	days %= 365
	months := int64(float64(days) / 30.5)
	plural := func(n int64, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + many
	}
	switch {
	case years == 0 && days < 1:
		switch {
		case seconds == 0:
			return ""
		case seconds == 1:
			return "a second"
		case seconds < 60:
			return plural(seconds, "second", "seconds")
		case seconds < 120:
			return "a minute"
		case seconds < 3600:
			return plural(seconds/60, "minute", "minutes")
		case seconds < 7200:
			return "an hour"
		}
		return plural(seconds/3600, "hour", "hours")
	case years == 0:
		switch {
		case days == 1:
			return "a day"
		case months == 0:
			return plural(days, "day", "days")
		case months == 1:
			return "a month"
		}
		return plural(months, "month", "months")
	case years == 1:
		switch {
		case months == 0 && days == 0:
			return "a year"
		case months == 0:
			return "1 year, " + plural(days, "day", "days")
		case months == 1:
			return "1 year, 1 month"
		}
		return "1 year, " + plural(months, "month", "months")
	}
	// humanize writes the number of years with thousands separators.
	return intComma(years) + " years"
}

// intComma is humanize's intcomma for a non-negative integer: 1000 is
// "1,000".
func intComma(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
