// Package safehttp builds the HTTP client that delivers webhooks to URLs
// chosen by users. Because anyone who can create a webhook chooses where our
// workers connect, the client refuses internal destinations (loopback,
// private networks, cloud metadata) at dial time, never follows redirects,
// ignores proxy environment variables, and bounds time and memory per
// request.
package safehttp

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

const (
	// DefaultTimeout bounds a whole attempt when Options.Timeout is zero, so
	// a forgotten setting cannot leave a worker waiting forever.
	DefaultTimeout = 10 * time.Second

	// DefaultMaxIdleConnsPerHost is used when Options.MaxIdleConnsPerHost is
	// zero. Go's default of 2 would make a busy receiver pay a TCP and TLS
	// handshake on nearly every delivery.
	DefaultMaxIdleConnsPerHost = 100

	// maxDrain is how much of an unread response ReadCapped discards so the
	// connection can go back to the pool. Beyond it, closing and redialling
	// is cheaper than reading a large body we do not keep.
	maxDrain = 64 << 10
)

// Options configures NewClient.
type Options struct {
	// Timeout bounds a whole request: dial, TLS, headers and body.
	// Zero means DefaultTimeout.
	Timeout time.Duration
	// AllowPrivateNetworks turns the SSRF guard off, for development and
	// tests whose receivers listen on loopback or a private network.
	AllowPrivateNetworks bool
	// MaxIdleConnsPerHost is how many keep-alive connections to one
	// receiver stay open. Zero means DefaultMaxIdleConnsPerHost.
	MaxIdleConnsPerHost int
}

// NewClient returns an *http.Client for webhook deliveries; see the package
// doc for what it refuses. A 3xx is returned to the caller as the response.
func NewClient(opts Options) *http.Client {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	perHost := opts.MaxIdleConnsPerHost
	if perHost <= 0 {
		perHost = DefaultMaxIdleConnsPerHost
	}
	dialer := &net.Dialer{
		Timeout:   timeout,
		KeepAlive: 30 * time.Second,
	}
	if !opts.AllowPrivateNetworks {
		// Control runs after DNS resolution, on the exact IP about to be
		// connected to, so a name that resolves (or re-resolves) to an
		// internal address is caught too.
		dialer.Control = guard
	}
	transport := &http.Transport{
		Proxy:                  nil, // a proxy would dial for us and bypass the guard
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           max(1000, perHost),
		MaxIdleConnsPerHost:    perHost,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    timeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			// A redirect could point anywhere, and receivers are told a
			// 3xx is final (design.md), so hand it back unfollowed.
			return http.ErrUseLastResponse
		},
	}
}

// ReadCapped reads at most n bytes of r, then reads and discards up to 64 KB
// more so that an http.Response.Body is consumed and its keep-alive
// connection can be reused. It never holds more than n bytes. An error
// reading the first n bytes is returned with whatever was read before it;
// errors while discarding are ignored, as they only cost a reconnect.
func ReadCapped(r io.Reader, n int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max(n, 0)))
	if err != nil {
		return b, fmt.Errorf("safehttp: read response body: %w", err)
	}
	_, _ = io.CopyN(io.Discard, r, maxDrain)
	return b, nil
}
