package signature_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/signature"
)

// The test vector published with the Standard Webhooks specification (its
// reference libraries test against the same values).
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignStandardPublishedVector(t *testing.T) {
	got, err := signature.SignStandard(vectorSecret, vectorID, vectorTimestamp, []byte(vectorBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != vectorSignature {
		t.Errorf("SignStandard = %s, want %s", got, vectorSignature)
	}
	h := http.Header{}
	h.Set("webhook-id", vectorID)
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", vectorSignature)
	if err := signature.VerifyStandard(vectorSecret, h, []byte(vectorBody), time.Unix(vectorTimestamp+60, 0)); err != nil {
		t.Errorf("VerifyStandard rejected the published vector: %v", err)
	}
}

// Our secrets are whsec_ and 64 hex characters; the libraries base64-decode
// those 64 characters into a 48-byte key, and so must we.
func TestStandardKeyOfOurSecrets(t *testing.T) {
	secret, err := signature.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	key, err := signature.StandardKey(secret)
	if err != nil {
		t.Fatalf("StandardKey(%s…): %v", secret[:10], err)
	}
	if len(key) != 48 {
		t.Errorf("key is %d bytes, want 48", len(key))
	}
	if _, err := signature.StandardKey("whsec_not base64!"); err == nil {
		t.Error("StandardKey accepted a secret that is not base64")
	}
}

func TestSetHeaders(t *testing.T) {
	const (
		current  = "whsec_2beae64c928c7ef9f49e560d70bee05ec3369c1c0a5b3d7e9f1a2b3c4d5e6f70"
		previous = "whsec_0000000000000000000000000000000000000000000000000000000000000000"
		id       = "4b0e3c52-6a43-4a4b-9d55-4f0d9c1f3a11"
	)
	body := []byte(`{"event":"contact.created"}`)
	sent := time.Unix(1700000000, 0)

	t.Run("one secret", func(t *testing.T) {
		h := http.Header{}
		h.Set("X-Relay-Signature-Previous", "stale from a reused header")
		if err := signature.SetHeaders(h, id, sent, body, current); err != nil {
			t.Fatal(err)
		}
		want, _ := signature.SignStandard(current, id, sent.Unix(), body)
		checkHeader(t, h, "webhook-id", id)
		checkHeader(t, h, "webhook-timestamp", "1700000000")
		checkHeader(t, h, "webhook-signature", want)
		checkHeader(t, h, "X-Relay-Signature", signature.Sign(current, body))
		checkHeader(t, h, "X-Relay-Signature-Previous", "")
	})

	t.Run("during a rotation's grace", func(t *testing.T) {
		h := http.Header{}
		if err := signature.SetHeaders(h, id, sent, body, current, previous); err != nil {
			t.Fatal(err)
		}
		newSig, _ := signature.SignStandard(current, id, sent.Unix(), body)
		oldSig, _ := signature.SignStandard(previous, id, sent.Unix(), body)
		checkHeader(t, h, "webhook-signature", newSig+" "+oldSig)
		checkHeader(t, h, "X-Relay-Signature", signature.Sign(current, body))
		checkHeader(t, h, "X-Relay-Signature-Previous", signature.Sign(previous, body))
		for _, s := range []string{current, previous} {
			if err := signature.VerifyStandard(s, h, body, sent); err != nil {
				t.Errorf("VerifyStandard with one of the two secrets: %v", err)
			}
		}
	})

	if err := signature.SetHeaders(http.Header{}, id, sent, body); err == nil {
		t.Error("SetHeaders without a secret succeeded")
	}
}

func checkHeader(t *testing.T, h http.Header, name, want string) {
	t.Helper()
	if got := h.Get(name); got != want {
		t.Errorf("%s = %q, want %q", name, got, want)
	}
}

func TestVerifyStandardRejects(t *testing.T) {
	const secret = "whsec_2beae64c928c7ef9f49e560d70bee05ec3369c1c0a5b3d7e9f1a2b3c4d5e6f70"
	body := []byte(`{"event":"contact.created"}`)
	sent := time.Unix(1700000000, 0)
	signed := func() http.Header {
		h := http.Header{}
		if err := signature.SetHeaders(h, "evt_1", sent, body, secret); err != nil {
			t.Fatal(err)
		}
		return h
	}

	tests := []struct {
		name   string
		secret string
		edit   func(h http.Header)
		body   []byte
		now    time.Time
		want   string // a piece of the error
	}{
		{"other secret", "whsec_0000000000000000000000000000000000000000000000000000000000000000", nil, body, sent, "no matching"},
		{"tampered body", secret, nil, []byte(`{"event":"contact.deleted"}`), sent, "no matching"},
		{"other id", secret, func(h http.Header) { h.Set("webhook-id", "evt_2") }, body, sent, "no matching"},
		{"other timestamp", secret, func(h http.Header) { h.Set("webhook-timestamp", "1700000001") }, body, sent, "no matching"},
		{"replayed after the tolerance", secret, nil, body, sent.Add(signature.Tolerance + time.Second), "away from now"},
		{"from the future", secret, nil, body, sent.Add(-signature.Tolerance - time.Second), "away from now"},
		{"timestamp not a number", secret, func(h http.Header) { h.Set("webhook-timestamp", "soon") }, body, sent, "unix seconds"},
		{"missing signature", secret, func(h http.Header) { h.Del("webhook-signature") }, body, sent, "missing"},
		{"other version", secret, func(h http.Header) {
			h.Set("webhook-signature", "v2,"+strings.TrimPrefix(h.Get("webhook-signature"), "v1,"))
		}, body, sent, "no matching"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := signed()
			if tt.edit != nil {
				tt.edit(h)
			}
			err := signature.VerifyStandard(tt.secret, h, tt.body, tt.now)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("VerifyStandard = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if err := signature.VerifyStandard("whsec_0000000000000000000000000000000000000000000000000000000000000000", signed(), body, sent); !errors.Is(err, signature.ErrNoMatch) {
		t.Errorf("VerifyStandard with another secret = %v, want ErrNoMatch", err)
	}
}
