// Package signature signs webhook bodies the way the public docs tell
// receivers to verify them: lowercase hex HMAC-SHA256 of the exact body
// bytes, keyed with the secret string exactly as shown ("whsec_…").
package signature

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

// SecretPrefix starts every signing secret.
const SecretPrefix = "whsec_"

// Sign returns the X-Relay-Signature value for body.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Verify reports in constant time whether sig is body's signature.
func Verify(secret string, body []byte, sig string) bool {
	return hmac.Equal([]byte(sig), []byte(Sign(secret, body)))
}

// NewSecret returns a fresh secret: "whsec_" and 64 lowercase hex
// characters from 32 random bytes.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return SecretPrefix + hex.EncodeToString(b), nil
}
