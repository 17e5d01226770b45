package secretbox_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/relaybook/relaybook/internal/secretbox"
)

const (
	keyA = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	keyB = "f0e0d0c0b0a090807060504030201000f0e0d0c0b0a090807060504030201000"
)

var webhookID = []byte("16fbf52b-a34b-469c-aa35-a7eac07ea975")

func mustBox(t *testing.T, key string) *secretbox.Box {
	t.Helper()
	b, err := secretbox.New(key)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

func mustSeal(t *testing.T, b *secretbox.Box, plaintext, aad []byte) []byte {
	t.Helper()
	sealed, err := b.Seal(plaintext, aad)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return sealed
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		plaintext []byte
		aad       []byte
	}{
		{"webhook secret", []byte("whsec_2beae64c928c7ef9f49e560d70bee05ec3369c1c0a5b3d7e9f1a2b3c4d5e6f70"), webhookID},
		{"empty plaintext", []byte{}, webhookID},
		{"no associated data", []byte("secret"), nil},
		{"binary plaintext", bytes.Repeat([]byte{0, 0xff, 7}, 400), webhookID},
	}
	box := mustBox(t, keyA)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := box.Open(mustSeal(t, box, tt.plaintext, tt.aad), tt.aad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Errorf("Open = %q, want %q", got, tt.plaintext)
			}
		})
	}
}

func TestUppercaseKeyIsTheSameKey(t *testing.T) {
	sealed := mustSeal(t, mustBox(t, keyB), []byte("s"), webhookID)
	if _, err := mustBox(t, strings.ToUpper(keyB)).Open(sealed, webhookID); err != nil {
		t.Fatalf("Open with upper-case key: %v", err)
	}
}

func TestOpenFails(t *testing.T) {
	box := mustBox(t, keyA)
	sealed := mustSeal(t, box, []byte("whsec_secret"), webhookID)
	flip := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 0x01
		return c
	}

	tests := []struct {
		name   string
		box    *secretbox.Box
		sealed []byte
		aad    []byte
	}{
		{"wrong key", mustBox(t, keyB), sealed, webhookID},
		{"wrong associated data (another webhook's row)", box, sealed, []byte("another-webhook-id")},
		{"missing associated data", box, sealed, nil},
		{"tampered nonce", box, flip(0), webhookID},
		{"tampered ciphertext", box, flip(12), webhookID},
		{"tampered tag", box, flip(len(sealed) - 1), webhookID},
		{"truncated", box, sealed[:len(sealed)-1], webhookID},
		{"shorter than nonce and tag", box, sealed[:27], webhookID},
		{"empty", box, nil, webhookID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.box.Open(tt.sealed, tt.aad)
			if !errors.Is(err, secretbox.ErrOpen) {
				t.Fatalf("Open error = %v, want ErrOpen", err)
			}
			if got != nil {
				t.Errorf("Open returned plaintext %q alongside an error", got)
			}
		})
	}
}

func TestNewRejectsBadKeys(t *testing.T) {
	tests := []struct {
		name string
		key  string
		want string // in the message
	}{
		{"empty", "", "got 0 characters"},
		{"16-byte key", keyA[:32], "got 32 characters"},
		{"one character short", keyA[:63], "got 63 characters"},
		{"one character long", keyA + "0", "got 65 characters"},
		{"non-hex", keyA[:10] + "zz" + keyA[12:], "character 11 is not"},
		{"base64 of 32 bytes + padding", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8AAECAwQFBgcICQoLDA0OD", "must be hex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := secretbox.New(tt.key)
			if b != nil || !errors.Is(err, secretbox.ErrInvalidKey) {
				t.Fatalf("New = %v, %v; want nil, ErrInvalidKey", b, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if len(tt.key) >= 8 && strings.Contains(err.Error(), tt.key[:8]) {
				t.Errorf("error %q quotes the key", err)
			}
		})
	}
}

func TestSealedDoesNotRevealPlaintext(t *testing.T) {
	box := mustBox(t, keyA)
	plaintext := []byte("whsec_2beae64c928c7ef9f49e560d70bee05ec3369c1c0a5b3d7e9f1a2b3c4d5e6f70")
	a := mustSeal(t, box, plaintext, webhookID)
	b := mustSeal(t, box, plaintext, webhookID)

	for _, sealed := range [][]byte{a, b} {
		if bytes.Contains(sealed, plaintext) || bytes.Contains(sealed, plaintext[6:22]) {
			t.Error("sealed bytes contain the plaintext")
		}
		if want := 12 + len(plaintext) + 16; len(sealed) != want {
			t.Errorf("len(sealed) = %d, want nonce+plaintext+tag = %d", len(sealed), want)
		}
	}
	if bytes.Equal(a[:12], b[:12]) {
		t.Error("two seals used the same nonce")
	}
}
