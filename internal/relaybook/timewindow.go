package relaybook

import (
	"errors"
	"time"
)

// ParseSince reads a point in time as operators type it: a Go duration
// counted back from now ("90m", "24h"), or an RFC 3339 time. The error is
// plain; callers name the field it came from.
func ParseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, errors.New("a duration counts back from now and must not be negative")
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errors.New("must be a duration such as 90m or 24h, or an RFC 3339 time")
	}
	return t, nil
}

// Window is a time range of records; a zero bound is open.
type Window struct{ Since, Until time.Time }

// Validate refuses a window that ends before it starts.
func (w Window) Validate() error {
	if !w.Since.IsZero() && !w.Until.IsZero() && w.Until.Before(w.Since) {
		return Invalid("until", "must not be before since")
	}
	return nil
}

// ParseWindow reads the since and until inputs of a list (either may be
// empty: that bound is open), naming the field that is wrong.
func ParseWindow(since, until string, now time.Time) (Window, error) {
	var w Window
	var err error
	if since != "" {
		if w.Since, err = ParseSince(since, now); err != nil {
			return Window{}, Invalid("since", "%s, got %q", err.Error(), trimInput(since))
		}
	}
	if until != "" {
		if w.Until, err = ParseSince(until, now); err != nil {
			return Window{}, Invalid("until", "%s, got %q", err.Error(), trimInput(until))
		}
	}
	return w, w.Validate()
}

func trimInput(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
