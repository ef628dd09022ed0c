package render

import (
	"testing"
	"time"
)

func TestHumanize(t *testing.T) {
	now := time.Date(2024, 6, 1, 12, 0, 0, 500_000_000, time.UTC)
	sec := func(n int64) time.Time { return now.Add(-time.Duration(n) * time.Second) }
	tests := []struct {
		created time.Time
		want    string
	}{
		{now, "now"},
		{now.Add(-900 * time.Millisecond), "now"},
		{sec(1), "a second ago"},
		{sec(5), "5 seconds ago"},
		{sec(59), "59 seconds ago"},
		{sec(60), "a minute ago"},
		{sec(119), "a minute ago"},
		{sec(120), "2 minutes ago"},
		{sec(3599), "59 minutes ago"},
		{sec(3600), "an hour ago"},
		{sec(7200), "2 hours ago"},
		{sec(86399), "23 hours ago"},
		{sec(86400), "a day ago"},
		{sec(2 * 86400), "2 days ago"},
		{sec(1_000_000), "11 days ago"},
		{sec(31 * 86400), "a month ago"},
		{sec(10_000_000), "3 months ago"},
		{sec(365 * 86400), "a year ago"},
		{sec(366 * 86400), "1 year, 1 day ago"},
		{sec(370 * 86400), "1 year, 5 days ago"},
		{sec(400 * 86400), "1 year, 1 month ago"},
		{sec(500 * 86400), "1 year, 4 months ago"},
		{sec(100_000_000), "3 years ago"},
		{time.Date(2022, 10, 27, 4, 39, 16, 0, time.UTC), "1 year, 7 months ago"},
		{time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), "2,024 years ago"},
		{now.Add(5 * time.Second), "5 seconds from now"},
		{now.Add(5*time.Hour - 5*time.Second), "4 hours from now"}, // the original's output in New York (UTC-5)
		{now.Add(5*time.Second + 500*time.Millisecond), "5 seconds from now"},
		{now.Add(2 * time.Hour), "2 hours from now"},
		{now.Add(time.Hour + time.Second), "an hour from now"},
		{now.Add(400 * 24 * time.Hour), "1 year, 1 month from now"},
		// Zones do not matter: the ages are between instants.
		{time.Date(2024, 6, 1, 17, 29, 55, 0, time.FixedZone("IST", 5*3600+1800)), "5 seconds ago"},
	}
	for _, tt := range tests {
		if got := Humanize(now, tt.created); got != tt.want {
			t.Errorf("Humanize(%v) = %q, want %q", now.Sub(tt.created), got, tt.want)
		}
	}
}
