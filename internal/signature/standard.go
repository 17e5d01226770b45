package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers (standardwebhooks.com). They ride beside the
// seed's X-Relay-* headers so that receivers using the specification's
// libraries (npm and Python standardwebhooks, Svix's) verify us unchanged.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// The seed's header, and the one that carries the old secret's signature
// while a rotation's grace lasts.
const (
	HeaderRelay         = "X-Relay-Signature"
	HeaderRelayPrevious = "X-Relay-Signature-Previous"
)

// Tolerance is how far a webhook-timestamp may be from the verifier's clock,
// the window the specification's libraries use: a captured request replayed
// later than this is refused.
const Tolerance = 5 * time.Minute

// ErrNoMatch is returned by VerifyStandard when no signature in the header
// was made with the secret.
var ErrNoMatch = errors.New("no matching signature")

// StandardKey is the HMAC key the Standard Webhooks libraries derive from a
// secret: the base64 decoding of what follows "whsec_". Our secrets are
// whsec_ and 64 lowercase hex characters, which happen to be valid base64, so
// the libraries accept them as they are and derive 48 bytes.
func StandardKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil {
		return nil, fmt.Errorf("secret is not whsec_ followed by base64: %w", err)
	}
	return key, nil
}

// SignStandard returns one webhook-signature entry, "v1," and the base64
// HMAC-SHA256 of "{id}.{timestamp}.{body}" under secret's StandardKey.
func SignStandard(secret, id string, timestamp int64, body []byte) (string, error) {
	key, err := StandardKey(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(standardMAC(key, id, timestamp, body)), nil
}

func standardMAC(key []byte, id string, timestamp int64, body []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write(strconv.AppendInt(nil, timestamp, 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// SetHeaders sets every signature header of one request: webhook-id,
// webhook-timestamp (sent) and webhook-signature, plus X-Relay-Signature.
// secrets[0] is the current secret; a second one is the previous secret
// during a rotation's grace: webhook-signature then carries both, new first,
// and X-Relay-Signature-Previous the old one's seed signature. A delivery and
// `relaybook listen` both sign through here, so they cannot drift apart.
func SetHeaders(h http.Header, id string, sent time.Time, body []byte, secrets ...string) error {
	if len(secrets) == 0 {
		return errors.New("sign request: no secret")
	}
	ts := sent.Unix()
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sig, err := SignStandard(s, id, ts, body)
		if err != nil {
			return err
		}
		sigs = append(sigs, sig)
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, strings.Join(sigs, " "))
	h.Set(HeaderRelay, Sign(secrets[0], body))
	if len(secrets) > 1 {
		h.Set(HeaderRelayPrevious, Sign(secrets[1], body))
	} else {
		h.Del(HeaderRelayPrevious)
	}
	return nil
}

// VerifyStandard checks a request the way the Standard Webhooks libraries
// do: the timestamp within Tolerance of now, and at least one v1 entry of
// webhook-signature made with secret over id, timestamp and body.
func VerifyStandard(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := StandardKey(secret)
	if err != nil {
		return err
	}
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q is not unix seconds: %w", tsText, err)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("webhook-timestamp %d is %s away from now", ts, d.Round(time.Second))
	}
	want := standardMAC(key, id, ts, body)
	for _, entry := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrNoMatch
}
