package relaybook

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Cursor is a keyset position in a list ordered by (time, id): the last row
// of the page before. Clients see it only encoded, as an opaque string.
type Cursor struct {
	At time.Time
	ID string
}

// A cursor's time lies in years 1..9999, inside PostgreSQL's range, so a
// forged one is a bad request rather than a driver error.
var (
	minCursorTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxCursorTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// String encodes the cursor: base64 of "<unix microseconds>|<id>".
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.At.UnixMicro(), 10) + "|" + c.ID))
}

// ParseCursor decodes a cursor from String; the empty string is the zero
// Cursor (the first page). Anything else is an EINVALID error on "cursor".
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	bad := Invalid("cursor", "is not a cursor returned by this API")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, bad
	}
	micros, id, ok := strings.Cut(string(raw), "|")
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil || !ok {
		return Cursor{}, bad
	}
	id, ok = CanonicalID(id)
	at := time.UnixMicro(us).UTC()
	if !ok || at.Before(minCursorTime) || at.After(maxCursorTime) {
		return Cursor{}, bad
	}
	return Cursor{At: at, ID: id}, nil
}
