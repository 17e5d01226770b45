package delivery_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/signature"
	"github.com/relaybook/relaybook/internal/signature/standardtest"
)

// TestStandardWebhooksLibraryVerifies sends one event that fails once, so
// the receiver gets a first attempt and a retry, and has the official npm
// standardwebhooks library verify both as a receiver would, alongside the
// seed's X-Relay-Signature.
func TestStandardWebhooksLibraryVerifies(t *testing.T) {
	lib := standardtest.New(t) // before the deliveries: the timestamps are checked against the clock
	e := newEnv(t)
	e.dispatch()
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("OK"))
	})
	hook := e.webhook(rc.URL, relaybook.EventContactCreated)
	// A retry over a second later, so its webhook-timestamp must differ.
	e.startWorker(workerOpts{delays: []time.Duration{1100 * time.Millisecond, time.Second, time.Second}})
	e.createContact(e.book(), "Standard")
	reqs := rc.waitFor(t, 2, 10*time.Second)

	var captured []standardtest.Request
	for i, r := range reqs {
		id := r.Header.Get("webhook-id")
		if id == "" || id != r.Header.Get("X-Relay-Event-ID") {
			t.Errorf("request %d: webhook-id %q, X-Relay-Event-ID %q", i+1, id, r.Header.Get("X-Relay-Event-ID"))
		}
		if err := signature.VerifyStandard(hook.Secret, r.Header, r.Body, time.Now()); err != nil {
			t.Errorf("request %d: VerifyStandard: %v", i+1, err)
		}
		if !verifySignature(r.Body, r.Header.Get("X-Relay-Signature"), hook.Secret) {
			t.Errorf("request %d: the seed's snippet rejects X-Relay-Signature", i+1)
		}
		if r.Header.Get("X-Relay-Signature-Previous") != "" {
			t.Errorf("request %d carries X-Relay-Signature-Previous without a rotation", i+1)
		}
		captured = append(captured, standardtest.Request{Secret: hook.Secret, Header: r.Header, Body: r.Body})
	}
	first, _ := strconv.ParseInt(reqs[0].Header.Get("webhook-timestamp"), 10, 64)
	retry, _ := strconv.ParseInt(reqs[1].Header.Get("webhook-timestamp"), 10, 64)
	if first < reqs[0].At.Unix()-1 || first > reqs[0].At.Unix() || retry <= first {
		t.Errorf("webhook-timestamp %d then %d, want each attempt's send time (%d, %d)", first, retry, reqs[0].At.Unix(), reqs[1].At.Unix())
	}

	// What the library must refuse: another secret, and a body changed on the way.
	other, err := signature.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	captured = append(captured,
		standardtest.Request{Secret: other, Header: reqs[0].Header, Body: reqs[0].Body},
		standardtest.Request{Secret: hook.Secret, Header: reqs[1].Header, Body: append(reqs[1].Body[:len(reqs[1].Body):len(reqs[1].Body)], ' ')})
	verdicts := lib.Verify(t, captured)
	for i, v := range verdicts {
		switch {
		case i < len(reqs) && v != "":
			t.Errorf("standardwebhooks refused attempt %d: %s", i+1, v)
		case i >= len(reqs) && v == "":
			t.Errorf("standardwebhooks accepted forged request %d", i-len(reqs)+1)
		}
	}
}
