package relaybook_test

import (
	"errors"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/relaybook"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"90m", now.Add(-90 * time.Minute), true},
		{"24h", now.Add(-24 * time.Hour), true},
		{"0s", now, true},
		{"2026-12-01T08:30:00Z", time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC), true},
		{"2026-12-01T08:30:00.250+02:00", time.Date(2026, 12, 1, 6, 30, 0, 250e6, time.UTC), true},
		{"-5m", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"2026-12-01", time.Time{}, false},
		{"", time.Time{}, false},
	} {
		got, err := relaybook.ParseSince(c.in, now)
		if (err == nil) != c.ok || (c.ok && !got.Equal(c.want)) {
			t.Errorf("ParseSince(%q) = %s, %v; want %s, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestParseWindowNamesTheField(t *testing.T) {
	now := time.Now()
	for _, c := range []struct{ since, until, field string }{
		{"nope", "", "since"},
		{"", "nope", "until"},
		{"1h", "2h", "until"}, // until before since
	} {
		_, err := relaybook.ParseWindow(c.since, c.until, now)
		var e *relaybook.Error
		if !errors.As(err, &e) || e.Code != relaybook.EINVALID {
			t.Errorf("ParseWindow(%q, %q) = %v, want EINVALID", c.since, c.until, err)
			continue
		}
		if e.Field != c.field {
			t.Errorf("ParseWindow(%q, %q) names %q, want %q", c.since, c.until, e.Field, c.field)
		}
	}
	w, err := relaybook.ParseWindow("2h", "1h", now)
	if err != nil || !w.Since.Equal(now.Add(-2*time.Hour)) || !w.Until.Equal(now.Add(-time.Hour)) {
		t.Errorf("ParseWindow(2h, 1h) = %+v, %v", w, err)
	}
	if w, err := relaybook.ParseWindow("", "", now); err != nil || !w.Since.IsZero() || !w.Until.IsZero() {
		t.Errorf("an empty window must be open: %+v, %v", w, err)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := relaybook.Cursor{At: time.Date(2026, 12, 2, 5, 6, 7, 123456000, time.UTC), ID: "0190f000-0000-7000-8000-000000000001"}
	got, err := relaybook.ParseCursor(c.String())
	if err != nil || !got.At.Equal(c.At) || got.ID != c.ID {
		t.Errorf("round trip: %+v, %v; want %+v (microseconds kept)", got, err, c)
	}
	if got, err := relaybook.ParseCursor(""); err != nil || got != (relaybook.Cursor{}) {
		t.Errorf("the empty cursor is the first page: %+v, %v", got, err)
	}
	for _, bad := range []string{"!!", "bm90aGluZw", relaybook.Cursor{At: time.Unix(0, 0), ID: "x"}.String()} {
		if _, err := relaybook.ParseCursor(bad); relaybook.ErrorCode(err) != relaybook.EINVALID {
			t.Errorf("ParseCursor(%q) = %v, want EINVALID on cursor", bad, err)
		}
	}
}

func TestSampleEventShapes(t *testing.T) {
	for _, typ := range relaybook.EventTypes {
		ev, err := relaybook.SampleEvent("0190f000-0000-7000-8000-000000000001", typ, "0190f000-0000-7000-8000-000000000002",
			"0190f000-0000-7000-8000-000000000003", "0190f000-0000-7000-8000-000000000004", relaybook.Now())
		if err != nil || ev.Type != typ || len(ev.Payload) == 0 {
			t.Errorf("SampleEvent(%s) = %+v, %v", typ, ev, err)
		}
		if member := typ == relaybook.EventMemberJoined || typ == relaybook.EventMemberRemoved; member != (ev.BookID == "") {
			t.Errorf("SampleEvent(%s): book id %q (member events carry none)", typ, ev.BookID)
		}
	}
	if _, err := relaybook.SampleEvent("a", "contact.exploded", "b", "c", "d", relaybook.Now()); relaybook.ErrorCode(err) != relaybook.EINVALID {
		t.Errorf("unknown type: %v", err)
	}
}

func TestParseRecoveryWindow(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	w, err := relaybook.ParseRecoveryWindow("2h", "", now)
	if err != nil || !w.Since.Equal(now.Add(-2*time.Hour)) || !w.Until.Equal(now) {
		t.Errorf("ParseRecoveryWindow(2h, \"\") = %+v, %v; want until now", w, err)
	}
	for _, c := range []struct{ since, until, field string }{
		{"", "", "since"},
		{"soon", "", "since"},
		{"1h", "later", "until"},
		{"1h", "2h", "until"}, // until before since
	} {
		_, err := relaybook.ParseRecoveryWindow(c.since, c.until, now)
		var e *relaybook.Error
		if !errors.As(err, &e) || e.Code != relaybook.EINVALID || e.Field != c.field {
			t.Errorf("ParseRecoveryWindow(%q, %q) = %v, want EINVALID on %s", c.since, c.until, err, c.field)
		}
	}
}
