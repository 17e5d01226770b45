package relaybook

import "context"

// APIKeyPrefix starts every API key (seed 000, "Key format").
const APIKeyPrefix = "rlb_"

// APIKey is a key as listed: never the key itself, only a display prefix.
type APIKey struct {
	ID         string `json:"id" db:"id"`
	TeamID     string `json:"team_id" db:"team_id"`
	Name       string `json:"name" db:"name"`
	Prefix     string `json:"prefix" db:"prefix"`
	CreatedAt  Time   `json:"created_at" db:"created_at"`
	LastUsedAt *Time  `json:"last_used_at" db:"last_used_at"`
	RevokedAt  *Time  `json:"revoked_at" db:"revoked_at"`
}

// CreatedAPIKey is the result of creating a key: the only time the secret key
// string exists outside the caller's hands.
type CreatedAPIKey struct {
	APIKey *APIKey `json:"api_key"`
	Key    string  `json:"key"`
}

// APIKeyService manages API keys. Keys are stored as hashes; Authenticate
// compares in constant time and refuses revoked keys.
type APIKeyService interface {
	CreateAPIKey(ctx context.Context, teamID, name string) (*CreatedAPIKey, error)
	ListAPIKeys(ctx context.Context, teamID string) ([]*APIKey, error)
	RevokeAPIKey(ctx context.Context, id string) (*APIKey, error)
	// Authenticate returns the active key for a presented key string, or
	// EUNAUTHORIZED.
	Authenticate(ctx context.Context, key string) (*APIKey, error)
}
