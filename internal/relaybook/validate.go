package relaybook

import (
	"strings"
	"unicode/utf8"
)

// Text limits shared by every writer. Names (teams, books, keys, labels,
// members) are short and required; contact fields have their own limits in
// contact.go.
const (
	MaxNameLength  = 200
	MaxColorLength = 32
)

// CheckText is the one check every stored string goes through: PostgreSQL
// text cannot hold a NUL or invalid UTF-8 (the driver would answer with an
// error the caller cannot act on), and every field has a length limit,
// counted in characters.
func CheckText(field, v string, max int) error {
	if !utf8.ValidString(v) {
		return Invalid(field, "must be valid UTF-8")
	}
	if strings.ContainsRune(v, 0) {
		return Invalid(field, "must not contain NUL characters")
	}
	if n := utf8.RuneCountInString(v); n > max {
		return Invalid(field, "must be at most %d characters, got %d", max, n)
	}
	return nil
}

// CleanName trims a required name and checks it with CheckText.
func CleanName(field, name string) (string, error) {
	if err := CheckText(field, name, MaxNameLength); err != nil {
		return "", err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", Invalid(field, "is required")
	}
	return name, nil
}

// CheckLimit checks a list's page size: 1 to max. Callers apply their
// default to an absent (zero) limit before calling it.
func CheckLimit(limit, max int) error {
	if limit < 1 || limit > max {
		return Invalid("limit", "must be between 1 and %d, got %d", max, limit)
	}
	return nil
}

// CanonicalID returns s as a canonical id (a lower-case, hyphenated UUID)
// and whether it is one. Ids enter the product in paths, headers, flags and
// bodies in any case; every lookup and every stored reference uses the
// canonical form, so "ABC…" and "abc…" name the same row and read back the
// same.
func CanonicalID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return "", false
			}
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			b[i] = c + ('a' - 'A')
		default:
			return "", false
		}
	}
	return string(b), true
}

// Caps on what a receiver controls in the delivery log, in bytes: the
// response body is the first 4 KB (design.md), an error line is short.
const (
	MaxStoredResponseBody = 4096
	MaxStoredError        = 1024
)

// CleanReceiverText makes text a receiver sent storable and bounded: invalid
// UTF-8 becomes U+FFFD, NULs go, and the result is cut to at most maxBytes
// on a character boundary, so cleaning cannot push it past the cap.
func CleanReceiverText(s string, maxBytes int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) <= maxBytes {
		return s
	}
	cut := maxBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
