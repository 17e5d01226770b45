package cli_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/relaybook/relaybook/internal/authtoken"
)

func TestToken(t *testing.T) {
	e := newEnv(t)
	team := e.object("teams", "create", "--name", "Acme")["id"].(string)
	admin := e.object("members", "add", "--team", team, "--email", "tina@token.test", "--role", "admin")["user_id"].(string)

	before := time.Now()
	r := e.ok("token", "--user", admin)
	raw := strings.TrimSuffix(r.Stdout, "\n")
	if strings.ContainsAny(raw, " \n\t") || r.Stderr != "" {
		t.Fatalf("token printed %q (stderr %q), want the JWT alone", r.Stdout, r.Stderr)
	}
	// The API's own check accepts it.
	if user, err := authtoken.Parse([]byte(testJWTSecret), raw); err != nil || user != admin {
		t.Fatalf("authtoken.Parse(token) = %q, %v; want %s", user, err, admin)
	}
	claims := parseToken(t, raw)
	sub, _ := claims.GetSubject()
	exp, _ := claims.GetExpirationTime()
	if sub != admin || exp == nil {
		t.Fatalf("claims = %v, want sub %s and exp", claims, admin)
	}
	if d := exp.Sub(before); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("exp is %s from now, want the default --ttl 1h", d)
	}

	minted := e.object("token", "--user", admin, "--ttl", "24h")
	if minted["user_id"] != admin || len(minted) != 3 {
		t.Errorf("token -o json = %v, want {token, user_id, expires_at}", minted)
	}
	exp, _ = parseToken(t, minted["token"].(string)).GetExpirationTime()
	if want := exp.UTC().Format("2006-01-02T15:04:05.000Z"); minted["expires_at"] != want {
		t.Errorf("expires_at = %v, want the token's exp %s", minted["expires_at"], want)
	}

	e.note("a negative --ttl gives a token that has already expired")
	expired := strings.TrimSpace(e.ok("token", "--user", admin, "--ttl", "-1h").Stdout)
	if _, err := authtoken.Parse([]byte(testJWTSecret), expired); !errors.Is(err, authtoken.ErrInvalidToken) {
		t.Errorf("authtoken.Parse(token --ttl -1h) = %v, want %v", err, authtoken.ErrInvalidToken)
	}

	e.note("errors")
	e.fails(2, []string{"token"}, "--user is required")
	e.fails(2, []string{"token", "--user", "tina@token.test"}, `--user must be a user id`, "tina@token.test")
	e.fails(2, []string{"token", "--user", admin, "--ttl", "soon"}, "invalid argument")
	e.fails(1, []string{"token", "--user", "00000000-0000-4000-8000-000000000000"}, "user", "not found")
	t.Setenv("RELAYBOOK_AUTH_JWT_SECRET", "")
	e.fails(2, []string{"token", "--user", admin}, "auth.jwt_secret: is required", "RELAYBOOK_AUTH_JWT_SECRET")
	e.golden("token")
}

func hmacKey(*jwt.Token) (any, error) { return []byte(testJWTSecret), nil }

// parseToken verifies a token with the test secret and returns its claims.
func parseToken(t *testing.T, raw string) jwt.MapClaims {
	t.Helper()
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(raw, claims, hmacKey, jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
	if err != nil || !tok.Valid {
		t.Fatalf("token %q does not verify with auth.jwt_secret: %v", raw, err)
	}
	return claims
}
