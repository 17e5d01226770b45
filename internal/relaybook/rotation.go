package relaybook

import "time"

// A secret rotation's grace: how long the old secret keeps signing beside
// the new one, so receivers can deploy the new secret without refusing a
// request in between. Thirty days bounds how long a leaked secret stays
// useful.
const (
	DefaultRotationGrace = 24 * time.Hour
	MaxRotationGrace     = 30 * 24 * time.Hour
)

// ValidateGrace checks a rotation's grace, naming field (the API's "grace",
// the CLI's "--grace") in the error.
func ValidateGrace(field string, grace time.Duration) error {
	switch {
	case grace < 0:
		return Invalid(field, "must not be negative, got %s", grace)
	case grace > MaxRotationGrace:
		return Invalid(field, "must be at most 720h (30 days), got %s", grace)
	}
	return nil
}
