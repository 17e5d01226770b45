// Package signature signs webhook requests. X-Relay-Signature is computed
// exactly the way the public docs (seed 004) tell receivers to verify it:
// lowercase hex HMAC-SHA256 over the exact body bytes, keyed with the secret
// string exactly as it was shown to the user ("whsec_…", UTF-8). The key is the string, not
// the hex it contains, because the documented Node, Python and Go snippets
// key with the string; decoding the hex here would break every receiver.
// Beside it, standard.go adds the Standard Webhooks headers, whose key is
// derived differently (see StandardKey).
package signature

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// SecretPrefix starts every signing secret, so users can recognise one in a
// config file and secret scanners can find leaked ones.
const SecretPrefix = "whsec_"

// secretBytes is the entropy behind a secret: 256 bits, matching the HMAC
// key size of SHA-256.
const secretBytes = 32

// Sign returns the X-Relay-Signature value for body.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body) // hash.Hash.Write never returns an error
	return hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether sig is body's signature under secret. The
// comparison is constant-time so a caller probing signatures learns nothing
// from response timing. sig must be lowercase hex, as Sign produces.
func Verify(secret string, body []byte, sig string) bool {
	return hmac.Equal([]byte(sig), []byte(Sign(secret, body)))
}

// NewSecret returns a fresh signing secret: SecretPrefix followed by 64
// lowercase hex characters from 32 crypto/rand bytes.
func NewSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate webhook secret: %w", err)
	}
	return SecretPrefix + hex.EncodeToString(b), nil
}
