package safehttp

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

// testCap is a read cap like the delivery log's.
const testCap = 4096

func TestBlockedReason(t *testing.T) {
	tests := []struct {
		addr    string
		blocked bool
	}{
		// IPv4 that must be refused.
		{"127.0.0.1", true},
		{"127.255.255.254", true},
		{"10.0.0.1", true},
		{"10.255.255.255", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.168.1.1", true},
		{"169.254.169.254", true}, // cloud metadata
		{"169.254.0.1", true},
		{"100.64.0.1", true},
		{"100.127.255.255", true},
		{"0.0.0.0", true},
		{"0.1.2.3", true},
		{"224.0.0.1", true},
		{"239.255.255.250", true},
		{"255.255.255.255", true},
		{"198.18.0.1", true},
		// IPv6 that must be refused.
		{"::1", true},
		{"::", true},
		{"fc00::1", true},
		{"fd00:ec2::254", true}, // AWS metadata over IPv6
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		{"febf:ffff::1", true},
		{"ff02::1", true},
		// IPv4 hidden in IPv6.
		{"::ffff:127.0.0.1", true},
		{"::ffff:169.254.169.254", true},
		{"::ffff:10.0.0.1", true},
		{"::ffff:0.0.0.0", true},
		{"::127.0.0.1", true},
		{"64:ff9b::a9fe:a9fe", true}, // NAT64 of 169.254.169.254
		{"2002:7f00:1::", true},      // 6to4 of 127.0.0.1
		// Public addresses that must be allowed.
		{"8.8.8.8", false},
		{"1.1.1.1", false},
		{"93.184.216.34", false},
		{"172.32.0.1", false},
		{"172.15.255.255", false},
		{"100.128.0.1", false},
		{"100.63.255.255", false},
		{"169.255.0.1", false},
		{"192.169.0.1", false},
		{"::ffff:8.8.8.8", false},
		{"64:ff9b::808:808", false},
		{"2002:808:808::1", false},
		{"2606:4700:4700::1111", false},
		{"2001:4860:4860::8888", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			reason := blockedReason(netip.MustParseAddr(tt.addr))
			if blocked := reason != ""; blocked != tt.blocked {
				t.Errorf("blocked = %v (reason %q), want %v", blocked, reason, tt.blocked)
			}
		})
	}
}

func TestGuardErrorNamesAddress(t *testing.T) {
	tests := []struct {
		address string
		reason  string
	}{
		{"127.0.0.1:8080", "loopback"},
		{"[::1]:443", "loopback"},
		{"[::ffff:169.254.169.254]:80", "link-local"},
		{"[fe80::1%eth0]:80", "link-local"},
		{"not-an-address", "unparseable"},
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			err := guard("tcp", tt.address, nil)
			var be *BlockedAddressError
			if !errors.As(err, &be) || !errors.Is(err, ErrBlockedAddress) {
				t.Fatalf("guard = %v, want a *BlockedAddressError matching ErrBlockedAddress", err)
			}
			if be.Reason != tt.reason || !strings.Contains(err.Error(), tt.address) {
				t.Errorf("error %q: want reason %q and the address in the message", err, tt.reason)
			}
		})
	}
	if err := guard("tcp", "8.8.8.8:443", nil); err != nil {
		t.Errorf("guard(8.8.8.8:443) = %v, want nil", err)
	}
}

func okServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, "OK")
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestClientRefusesLoopbackUnlessAllowed(t *testing.T) {
	srv, hits := okServer(t)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]

	for _, url := range []string{srv.URL, "http://localhost:" + port + "/"} {
		t.Run("refused "+url, func(t *testing.T) {
			resp, err := NewClient(Options{Timeout: 2 * time.Second}).Post(url, "application/json", strings.NewReader("{}"))
			if err == nil {
				resp.Body.Close()
				t.Fatal("request to a loopback receiver succeeded")
			}
			var be *BlockedAddressError
			if !errors.Is(err, ErrBlockedAddress) || !errors.As(err, &be) {
				t.Fatalf("err = %v, want ErrBlockedAddress", err)
			}
			if !strings.Contains(err.Error(), ":"+port) {
				t.Errorf("error %q does not name the address", err)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("receiver got %d requests through the guard", n)
	}

	resp, err := NewClient(Options{Timeout: 2 * time.Second, AllowPrivateNetworks: true}).Get(srv.URL)
	if err != nil {
		t.Fatalf("with AllowPrivateNetworks: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || hits.Load() != 1 {
		t.Fatalf("status %d, hits %d; want 200 and 1", resp.StatusCode, hits.Load())
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	var followed atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	mux.HandleFunc("/elsewhere", func(http.ResponseWriter, *http.Request) { followed.Add(1) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := NewClient(Options{Timeout: 2 * time.Second, AllowPrivateNetworks: true}).Post(srv.URL+"/hook", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/elsewhere" {
		t.Errorf("got %d Location %q, want the 302 itself", resp.StatusCode, resp.Header.Get("Location"))
	}
	if followed.Load() != 0 {
		t.Error("the redirect was followed")
	}
}

// TestClientTimeout: the receiver holds the request for 5 s, far past the
// client's Timeout, so only a timeout error can end it before then.
func TestClientTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer srv.Close()

	resp, err := NewClient(Options{Timeout: 150 * time.Millisecond, AllowPrivateNetworks: true}).Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("a receiver slower than Timeout did not time out")
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("err = %v, want a timeout", err)
	}
}

func TestClientIgnoresProxyEnvironment(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://203.0.113.1:3128")
	t.Setenv("HTTPS_PROXY", "http://203.0.113.1:3128")
	tr, ok := NewClient(Options{}).Transport.(*http.Transport)
	if !ok {
		t.Fatal("Transport is not an *http.Transport")
	}
	if tr.Proxy != nil {
		t.Error("Transport.Proxy is set; a proxy would bypass the dial-time guard")
	}
	if tr.MaxIdleConnsPerHost != DefaultMaxIdleConnsPerHost {
		t.Errorf("MaxIdleConnsPerHost = %d, want %d", tr.MaxIdleConnsPerHost, DefaultMaxIdleConnsPerHost)
	}
}

func TestReadCapped(t *testing.T) {
	tests := []struct {
		name    string
		bodyLen int
		n       int64
		wantLen int
	}{
		{"shorter than the cap", 10, testCap, 10},
		{"exactly the cap", testCap, testCap, testCap},
		{"longer than the cap", testCap + 1, testCap, testCap},
		{"much longer than cap and drain", 1 << 20, testCap, testCap},
		{"empty", 0, testCap, 0},
		{"zero cap", 100, 0, 0},
		{"negative cap", 100, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Repeat("x", tt.bodyLen)
			r := strings.NewReader(body)
			got, err := ReadCapped(r, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.wantLen || string(got) != body[:tt.wantLen] {
				t.Errorf("read %d bytes, want the first %d", len(got), tt.wantLen)
			}
			// It reads the cap plus at most maxDrain, never the whole of a huge body.
			consumed := tt.bodyLen - r.Len()
			if limit := max(int(tt.n), 0) + maxDrain; consumed > limit {
				t.Errorf("consumed %d bytes, want at most %d", consumed, limit)
			}
		})
	}
}

func TestReadCappedReturnsReadErrors(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("part"), iotest.ErrReader(boom))
	got, err := ReadCapped(r, testCap)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want it to wrap %v", err, boom)
	}
	if string(got) != "part" {
		t.Errorf("got %q, want what was read before the error", got)
	}
}

// TestReadCappedLetsConnectionsBeReused is why ReadCapped drains: a body
// longer than the cap but within the drain is consumed, so the next request
// reuses the keep-alive connection instead of dialling again.
func TestReadCappedLetsConnectionsBeReused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("y", 20<<10))
	}))
	defer srv.Close()
	client := NewClient(Options{Timeout: 2 * time.Second, AllowPrivateNetworks: true})

	var reused []bool
	for range 3 {
		trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { reused = append(reused, info.Reused) }}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), http.MethodGet, srv.URL, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := ReadCapped(resp.Body, testCap)
		resp.Body.Close()
		if err != nil || len(body) != testCap {
			t.Fatalf("ReadCapped = %d bytes, %v", len(body), err)
		}
	}
	if len(reused) != 3 || reused[0] || !reused[1] || !reused[2] {
		t.Errorf("connection reused per request = %v, want [false true true]", reused)
	}
}
