// Package secretbox encrypts webhook signing secrets at rest with
// AES-256-GCM under security.encryption_key, so a database dump or backup
// alone does not let anyone forge webhook signatures.
//
// Every Seal takes associated data that callers set to the webhook id: GCM
// authenticates it without storing it, so a ciphertext copied onto another
// webhook's row fails to open instead of silently signing with the wrong
// webhook's secret.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// KeyHexLen is the length of an encryption key in hex: 32 bytes, AES-256.
const KeyHexLen = 64

var (
	// ErrInvalidKey reports an encryption key that is not 64 hex characters.
	ErrInvalidKey = errors.New("secretbox: invalid encryption key")
	// ErrOpen reports a sealed value that does not decrypt: too short, wrong
	// key, wrong associated data, or tampered bytes. GCM cannot tell those
	// last three apart, by design.
	ErrOpen = errors.New("secretbox: cannot open sealed secret")
)

// Box seals and opens secrets under one key. It is safe for concurrent use.
type Box struct{ aead cipher.AEAD }

// New returns a Box for a key of exactly 64 hex characters (32 bytes). The
// error says what is wrong with the key but never quotes it.
func New(hexKey string) (*Box, error) {
	if len(hexKey) != KeyHexLen {
		return nil, fmt.Errorf("%w: must be %d hex characters (32 bytes), got %d characters", ErrInvalidKey, KeyHexLen, len(hexKey))
	}
	key, err := hex.DecodeString(hexKey)
	if err != nil {
		// hex's own error quotes the offending character; give its
		// position instead so no key material reaches the logs.
		return nil, fmt.Errorf("%w: must be hex, character %d is not", ErrInvalidKey, firstNonHex(hexKey)+1)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return &Box{aead: aead}, nil
}

func firstNonHex(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return i
		}
	}
	return -1
}

// Seal encrypts plaintext bound to aad (the webhook id) and returns
// nonce||ciphertext||tag. The 12-byte nonce is random per call; with one
// key and well under 2^32 seals, a repeat is not a practical concern.
func (b *Box) Seal(plaintext, aad []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	out := make([]byte, n, n+len(plaintext)+b.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("secretbox: read nonce: %w", err)
	}
	return b.aead.Seal(out, out[:n], plaintext, aad), nil
}

// Open decrypts what Seal returned for the same aad. Every failure wraps
// ErrOpen.
func (b *Box) Open(sealed, aad []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if minLen := n + b.aead.Overhead(); len(sealed) < minLen {
		return nil, fmt.Errorf("%w: %d bytes is shorter than nonce and tag (%d bytes)", ErrOpen, len(sealed), minLen)
	}
	out, err := b.aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, fmt.Errorf("%w: wrong key, wrong associated data, or tampered data", ErrOpen)
	}
	return out, nil
}
