package relaybook

import (
	"strings"
	"time"
)

// ParseSince reads a point in time as operators write it: a Go duration
// ("90m", "24h") counted back from now, or an RFC 3339 time. The error
// names no field: the caller wraps it with the flag or key it came from.
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, Errorf(EINVALID, "is empty: give a duration such as 90m or 24h, or an RFC 3339 time")
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, Errorf(EINVALID, "%q is negative: a duration counts back from now", trimInput(s))
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, Errorf(EINVALID, "%q is neither a duration (90m, 24h) nor an RFC 3339 time (2026-01-02T15:04:05Z)", trimInput(s))
	}
	return t, nil
}

// Window is a time range [Since, Until); a zero bound is open.
type Window struct {
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
}

// Validate refuses a window that ends before it starts.
func (w Window) Validate() error {
	if !w.Since.IsZero() && !w.Until.IsZero() && w.Until.Before(w.Since) {
		return Invalid("until", "%s is before since (%s)", w.Until.UTC().Format(time.RFC3339), w.Since.UTC().Format(time.RFC3339))
	}
	return nil
}

// ParseWindow reads the since and until inputs of a list; either may be
// empty, leaving that bound open. The error names the field that is wrong.
func ParseWindow(since, until string, now time.Time) (Window, error) {
	var w Window
	var err error
	if strings.TrimSpace(since) != "" {
		if w.Since, err = ParseSince(since, now); err != nil {
			return Window{}, fieldError("since", err)
		}
	}
	if strings.TrimSpace(until) != "" {
		if w.Until, err = ParseSince(until, now); err != nil {
			return Window{}, fieldError("until", err)
		}
	}
	return w, w.Validate()
}

// ParseRecoveryWindow reads the window of a recovery: since is required,
// an empty until means now.
func ParseRecoveryWindow(since, until string, now time.Time) (Window, error) {
	if strings.TrimSpace(since) == "" {
		return Window{}, Invalid("since", "is required: a duration such as 90m or 24h, or an RFC 3339 time")
	}
	w, err := ParseWindow(since, until, now)
	if err != nil {
		return Window{}, err
	}
	if w.Until.IsZero() {
		w.Until = now
	}
	return w, w.Validate()
}

func fieldError(field string, err error) error {
	if e, ok := err.(*Error); ok {
		return &Error{Code: e.Code, Field: field, Message: e.Message}
	}
	return err
}

func trimInput(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
