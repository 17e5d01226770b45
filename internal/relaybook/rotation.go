package relaybook

import (
	"context"
	"time"
)

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

// SecretRotator replaces a webhook's signing secret. The new secret is
// returned once, like at creation; until grace has passed the old one signs
// too (webhook-signature carries both, X-Relay-Signature-Previous the old
// one's), then it is erased. teamID, when not empty, must own the webhook:
// another team's webhook is ENOTFOUND, like a missing one.
type SecretRotator interface {
	RotateSecret(ctx context.Context, teamID, id string, grace time.Duration) (*NewWebhook, error)
}
