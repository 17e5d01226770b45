// Package delivery makes webhook delivery attempts: load the delivery, sign
// the stored payload, POST it, classify the outcome, record it durably, and
// schedule the next attempt on the retry schedule.
package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/relaybook/relaybook/internal/relaybook"
	"github.com/relaybook/relaybook/internal/safehttp"
	"github.com/relaybook/relaybook/internal/signature"
)

// UserAgent identifies our requests to receivers (seed 004).
const UserAgent = "RelayBook-Webhooks/1.0"

// Outcome is how an attempt ended.
type Outcome int

const (
	// Succeeded: a 2xx response.
	Succeeded Outcome = iota
	// Retryable: a 5xx, a timeout or a network error.
	Retryable
	// Final: a 3xx or 4xx (redirects are not followed), or a target the
	// SSRF guard refuses; retrying cannot help.
	Final
)

// Result is one attempt's outcome, as the log records it.
type Result struct {
	Outcome    Outcome
	Status     int // 0 when there was no response
	Body       string
	Duration   time.Duration
	Err        string
	FinishedAt time.Time
}

// Classify maps a status code to an outcome.
func Classify(status int) Outcome {
	switch {
	case status >= 200 && status < 300:
		return Succeeded
	case status >= 500:
		return Retryable
	default:
		return Final
	}
}

// Send makes one attempt: POST the payload, signed, with the headers of
// design.md, and read at most relaybook.MaxStoredResponseBody of the answer.
func Send(ctx context.Context, client *http.Client, job *relaybook.DeliveryJob, attempt int) Result {
	start := time.Now()
	res := send(ctx, client, job, attempt)
	res.FinishedAt = time.Now()
	res.Duration = res.FinishedAt.Sub(start)
	return res
}

func send(ctx context.Context, client *http.Client, job *relaybook.DeliveryJob, attempt int) Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, job.URL, bytes.NewReader(job.Payload))
	if err != nil {
		return Result{Outcome: Final, Err: "invalid webhook URL: " + err.Error()}
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", UserAgent)
	h.Set("X-Relay-Event", job.EventType)
	h.Set("X-Relay-Event-ID", job.EventID)
	h.Set("X-Relay-Attempt", strconv.Itoa(attempt))
	// webhook-timestamp is this attempt's send time, so a captured request
	// cannot be replayed past the receivers' tolerance.
	if err := signature.SetHeaders(h, job.EventID, time.Now(), job.Payload, signingSecrets(job)...); err != nil {
		return Result{Outcome: Final, Err: "signing: " + err.Error()}
	}
	if job.Test {
		h.Set("X-Relay-Test", "true")
	}

	resp, err := client.Do(req)
	if err != nil {
		return Result{Outcome: classifyError(err), Err: describeError(err)}
	}
	defer resp.Body.Close()
	body, readErr := safehttp.ReadCapped(resp.Body, relaybook.MaxStoredResponseBody)
	res := Result{Outcome: Classify(resp.StatusCode), Status: resp.StatusCode, Body: string(body)}
	if readErr != nil && res.Outcome == Succeeded {
		// The receiver said 2xx; a body cut short does not undo that.
		res.Err = "reading response: " + readErr.Error()
	}
	if res.Outcome == Final && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		res.Err = "redirect not followed (" + resp.Header.Get("Location") + ")"
	}
	return res
}

// signingSecrets lists the secrets that sign a request: the current one,
// then the previous one while a rotation's grace lasts.
func signingSecrets(job *relaybook.DeliveryJob) []string {
	if job.PreviousSecret != "" {
		return []string{job.Secret, job.PreviousSecret}
	}
	return []string{job.Secret}
}

func classifyError(err error) Outcome {
	if errors.Is(err, safehttp.ErrBlockedAddress) {
		return Final
	}
	return Retryable
}

// describeError turns a transport error into one line for the log, without
// Go's "Post \"url\":" prefix noise.
func describeError(err error) string {
	var ue interface{ Timeout() bool }
	switch {
	case errors.Is(err, safehttp.ErrBlockedAddress):
		return "refused: " + relaybook.Innermost(err)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ue) && ue.Timeout():
		return "timeout: no response in time"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		// Not dnsErr.Error(): it names our resolver's address, which is the
		// relay's business, not the tenant's.
		return "network error: could not resolve host " + dnsErr.Name
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return fmt.Sprintf("network error: %s %s", opErr.Op, relaybook.Innermost(opErr))
	}
	return "network error: " + relaybook.Innermost(err)
}
