package relaybook

import (
	"errors"
	"testing"
	"time"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"90m":                       now.Add(-90 * time.Minute),
		" 24h ":                     now.Add(-24 * time.Hour),
		"0s":                        now,
		"2026-03-01T10:00:00Z":      time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
		"2026-03-01T10:00:00+02:00": time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
		"2026-03-01T10:00:00.5Z":    time.Date(2026, 3, 1, 10, 0, 0, 5e8, time.UTC),
	} {
		got, err := ParseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yesterday", "-1h", "2026-03-01", "10"} {
		if _, err := ParseSince(in, now); ErrorCode(err) != EINVALID {
			t.Errorf("ParseSince(%q) error = %v, want EINVALID", in, err)
		}
	}
}

func TestParseWindow(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	w, err := ParseWindow("2h", "", now)
	if err != nil || !w.Since.Equal(now.Add(-2*time.Hour)) || !w.Until.Equal(now) {
		t.Errorf("ParseWindow(2h, \"\") = %+v, %v; want until now", w, err)
	}
	for _, c := range []struct{ since, until, field string }{
		{"", "", "since"},
		{"soon", "", "since"},
		{"1h", "later", "until"},
		{"1h", "2h", "until"}, // until before since
	} {
		_, err := ParseWindow(c.since, c.until, now)
		var e *Error
		if !errors.As(err, &e) || e.Code != EINVALID || e.Field != c.field {
			t.Errorf("ParseWindow(%q, %q) = %v, want EINVALID on %s", c.since, c.until, err, c.field)
		}
	}
	if err := (Window{Since: now, Until: now.Add(-time.Second)}).Validate(); ErrorCode(err) != EINVALID {
		t.Errorf("inside-out window validated: %v", err)
	}
}
