// Package authtoken mints and checks the HS256 JWTs that authenticate team
// admins on /api/teams/… (design.md: HS256, sub = user id). Parsing is
// strict because a bearer token is the whole of an admin's identity: the
// algorithm is pinned, an expiry is required, and sub must be a user id.
package authtoken

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Issuer is written into the iss claim of every minted token. Parse does not
// require it, since the contract only promises HS256 and sub.
const Issuer = "relaybook"

// Leeway absorbs clock skew between the process that minted a token and the
// one checking it, for exp and iat.
const Leeway = 5 * time.Second

// ErrInvalidToken wraps every reason Parse rejects a token, so HTTP handlers
// can answer 401 with errors.Is and keep the detail for the log.
var ErrInvalidToken = errors.New("invalid token")

// errNoSecret guards against an unset auth.jwt_secret: HMAC with an empty
// key would let anyone mint tokens.
var errNoSecret = errors.New("authtoken: empty signing secret")

// Mint returns a signed token for userID (a UUID) valid from now for ttl. A
// negative ttl yields a token that is already expired (once past Leeway),
// which tests use.
func Mint(secret []byte, userID string, ttl time.Duration, now time.Time) (string, error) {
	if len(secret) == 0 {
		return "", errNoSecret
	}
	if _, err := parseUserID(userID); err != nil {
		return "", fmt.Errorf("authtoken: %w", err)
	}
	claims := jwt.RegisteredClaims{
		Issuer:    Issuer,
		Subject:   userID,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("authtoken: sign: %w", err)
	}
	return s, nil
}

// Parse verifies token and returns its user id. Any failure wraps
// ErrInvalidToken; the message says why (expired, bad signature, …) and is
// meant for logs, not for the client.
func Parse(secret []byte, token string) (userID string, err error) {
	if len(secret) == 0 {
		return "", fmt.Errorf("%w: %w", ErrInvalidToken, errNoSecret)
	}
	var claims jwt.RegisteredClaims
	_, err = jwt.ParseWithClaims(token, &claims,
		func(*jwt.Token) (any, error) { return secret, nil },
		// Pinning the method is what stops "alg":"none" and the RS256/HS256
		// key-confusion trick; the key func is never asked to choose.
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
	)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if claims.Subject == "" {
		return "", fmt.Errorf("%w: missing sub", ErrInvalidToken)
	}
	id, err := parseUserID(claims.Subject)
	if err != nil {
		return "", fmt.Errorf("%w: sub: %w", ErrInvalidToken, err)
	}
	return id, nil
}

// parseUserID accepts only the 36-character UUID form (uuid.Parse also takes
// braces, "urn:uuid:" and bare hex, which would make one user look like
// several) and returns it in canonical lower case, as the database stores it.
func parseUserID(s string) (string, error) {
	u, err := uuid.Parse(s)
	if err == nil && len(s) != 36 {
		err = errors.New("not in the 8-4-4-4-12 form")
	}
	if err != nil {
		return "", fmt.Errorf("user id %q is not a UUID: %w", s, err)
	}
	return u.String(), nil
}
