// Package relaybook holds the domain of the product: the objects users see,
// the events they subscribe to, the errors every layer speaks, and the
// service interfaces that the storage, API and CLI packages meet at.
//
// It imports only the standard library, so that every other package can
// depend on it without dragging in a database driver or a web framework.
package relaybook

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// TimeFormat is how every timestamp leaves the product: ISO 8601, UTC, with
// milliseconds, so that receivers and scripts can parse one fixed layout.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Time is a time.Time that marshals with TimeFormat and scans from PostgreSQL.
type Time struct{ time.Time }

// Now returns the current time truncated to milliseconds, the precision the
// product shows everywhere, so a stored value reads back identical.
func Now() Time { return NewTime(time.Now()) }

// NewTime wraps t in UTC, truncated to milliseconds.
func NewTime(t time.Time) Time { return Time{t.UTC().Truncate(time.Millisecond)} }

func (t Time) String() string { return t.UTC().Format(TimeFormat) }

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.String() + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler; it accepts any RFC 3339 time.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("time must be a string, got %s", b)
	}
	parsed, err := time.Parse(time.RFC3339Nano, string(b[1:len(b)-1]))
	if err != nil {
		return err
	}
	*t = NewTime(parsed)
	return nil
}

// Scan implements sql.Scanner.
func (t *Time) Scan(src any) error {
	v, ok := src.(time.Time)
	if !ok {
		return fmt.Errorf("relaybook.Time: cannot scan %T", src)
	}
	*t = NewTime(v)
	return nil
}

// Value implements driver.Valuer.
func (t Time) Value() (driver.Value, error) { return t.Time, nil }
