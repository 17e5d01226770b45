package delivery

import (
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
)

// A tenant's delivery log must not show the relay's own resolver address
// (issue 18, item 7).
func TestDescribeDNSErrorHidesResolver(t *testing.T) {
	dns := &net.DNSError{Err: "no such host", Name: "hooks.example.invalid", Server: "10.1.2.3:53", IsNotFound: true}
	err := &url.Error{Op: "Post", URL: "https://hooks.example.invalid/x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: dns}}
	got := describeError(err)
	if got != "network error: could not resolve host hooks.example.invalid" {
		t.Fatalf("describeError = %q", got)
	}
	if strings.Contains(got, "10.1.2.3") || strings.Contains(describeError(errors.Join(err)), "10.1.2.3") {
		t.Fatalf("resolver address leaked: %q", got)
	}
}
