package authtoken_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/relaybook/relaybook/internal/authtoken"
)

var secret = []byte("test-jwt-secret-0123456789abcdef")

const userID = "5e1c820d-b605-4f9e-ae4f-47be164176ca"

func mint(t *testing.T, ttl time.Duration, now time.Time) string {
	t.Helper()
	tok, err := authtoken.Mint(secret, userID, ttl, now)
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	return tok
}

// sign makes a token with arbitrary claims, for the shapes Mint refuses to
// produce.
func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return tok
}

func TestRoundTrip(t *testing.T) {
	tok := mint(t, time.Hour, time.Now())
	got, err := authtoken.Parse(secret, tok)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got != userID {
		t.Errorf("Parse = %q, want %q", got, userID)
	}

	var claims jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &claims); err != nil {
		t.Fatal(err)
	}
	if claims["iss"] != authtoken.Issuer || claims["sub"] != userID || claims["iat"] == nil || claims["exp"] == nil {
		t.Errorf("claims = %v, want iss, sub, iat and exp", claims)
	}
}

func TestParseAcceptsTokensFromOtherMinters(t *testing.T) {
	// The contract is HS256 + sub; a script's token without iss or iat works.
	tok := sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{
		"sub": strings.ToUpper(userID),
		"exp": time.Now().Add(time.Minute).Unix(),
	})
	got, err := authtoken.Parse(secret, tok)
	if err != nil || got != userID {
		t.Fatalf("Parse = %q, %v; want %q (canonical case)", got, err, userID)
	}
}

func TestParseAllowsClockSkewWithinLeeway(t *testing.T) {
	tok := mint(t, time.Minute, time.Now().Add(-time.Minute-authtoken.Leeway/2))
	if _, err := authtoken.Parse(secret, tok); err != nil {
		t.Fatalf("token expired by half the leeway was rejected: %v", err)
	}
}

func TestParseRejects(t *testing.T) {
	now := time.Now()
	future := now.Add(time.Hour).Unix()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		token string
		why   string // in the error message
	}{
		{"expired", mint(t, -time.Minute, now), "expired"},
		{"wrong secret", sign(t, jwt.SigningMethodHS256, []byte("another-secret"), jwt.MapClaims{"sub": userID, "exp": future}), "signature is invalid"},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"sub": userID, "exp": future}), "signing method none is invalid"},
		{"RS256", sign(t, jwt.SigningMethodRS256, rsaKey, jwt.MapClaims{"sub": userID, "exp": future}), "signing method RS256 is invalid"},
		{"HS512 with the right secret", sign(t, jwt.SigningMethodHS512, secret, jwt.MapClaims{"sub": userID, "exp": future}), "signing method HS512 is invalid"},
		{"tampered payload", tamper(t, mint(t, time.Hour, now)), "signature is invalid"},
		{"missing exp", sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": userID}), "exp claim is required"},
		{"missing sub", sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"exp": future}), "missing sub"},
		{"empty sub", sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "", "exp": future}), "missing sub"},
		{"sub not a UUID", sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "admin", "exp": future}), "not a UUID"},
		{"sub UUID in braces", sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "{" + userID + "}", "exp": future}), "not a UUID"},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": userID, "exp": future, "iat": future - 60}), "before issued"},
		{"not a JWT", "not-a-jwt", "malformed"},
		{"empty", "", "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := authtoken.Parse(secret, tt.token)
			if !errors.Is(err, authtoken.ErrInvalidToken) {
				t.Fatalf("Parse = %q, %v; want ErrInvalidToken", got, err)
			}
			if got != "" {
				t.Errorf("Parse returned user %q alongside an error", got)
			}
			if !strings.Contains(err.Error(), tt.why) {
				t.Errorf("error %q does not say %q", err, tt.why)
			}
		})
	}
}

// tamper swaps the payload for one naming another user, keeping the
// original signature.
func tamper(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(string(payload), userID, "00000000-0000-4000-8000-000000000001", 1)
	if forged == string(payload) {
		t.Fatal("payload does not contain the user id")
	}
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(forged))
	return strings.Join(parts, ".")
}

func TestEmptySecretIsRefused(t *testing.T) {
	if _, err := authtoken.Mint(nil, userID, time.Hour, time.Now()); err == nil {
		t.Error("Mint with an empty secret succeeded")
	}
	tok := sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": userID, "exp": time.Now().Add(time.Hour).Unix()})
	if _, err := authtoken.Parse(nil, tok); !errors.Is(err, authtoken.ErrInvalidToken) {
		t.Errorf("Parse with an empty secret = %v, want ErrInvalidToken", err)
	}
}

func TestMintRejectsNonUUIDUser(t *testing.T) {
	for _, id := range []string{"", "admin", strings.ReplaceAll(userID, "-", "")} {
		if _, err := authtoken.Mint(secret, id, time.Hour, time.Now()); err == nil {
			t.Errorf("Mint(%q) succeeded", id)
		}
	}
}
