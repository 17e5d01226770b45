package relaybook_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/relaybook/relaybook/internal/relaybook"
)

func TestCleanName(t *testing.T) {
	bad := map[string]string{
		"empty":        "",
		"blank":        "   ",
		"NUL":          "a\x00b",
		"invalid UTF8": "bad\xffname",
		"too long":     strings.Repeat("é", relaybook.MaxNameLength+1),
	}
	for name, in := range bad {
		if _, err := relaybook.CleanName("name", in); relaybook.ErrorCode(err) != relaybook.EINVALID {
			t.Errorf("%s: CleanName(%q) = %v, want EINVALID", name, in, err)
		}
	}
	got, err := relaybook.CleanName("name", "  Acme  ")
	if err != nil || got != "Acme" {
		t.Fatalf("CleanName = %q, %v; want Acme", got, err)
	}
}

func TestCanonicalID(t *testing.T) {
	id, ok := relaybook.CanonicalID("01A234F3-BDA7-7DCC-90FE-64F00F02F336")
	if !ok || id != "01a234f3-bda7-7dcc-90fe-64f00f02f336" {
		t.Fatalf("CanonicalID = %q, %v", id, ok)
	}
	for _, bad := range []string{"", "01a234f3bda77dcc90fe64f00f02f336", "01a234f3-bda7-7dcc-90fe-64f00f02f33g", "{01a234f3-bda7-7dcc-90fe-64f00f02f3}", "01a234f3-bda7-7dcc-90fe_64f00f02f336"} {
		if _, ok := relaybook.CanonicalID(bad); ok {
			t.Errorf("CanonicalID(%q) accepted", bad)
		}
	}
}

func TestValidateURLPort(t *testing.T) {
	p := relaybook.URLPolicy{}
	for _, u := range []string{"https://example.com:99999/", "https://example.com:0/", "https://example.com:65536/"} {
		if err := p.ValidateURL("url", u); relaybook.ErrorCode(err) != relaybook.EINVALID {
			t.Errorf("ValidateURL(%q) = %v, want EINVALID", u, err)
		}
	}
	for _, u := range []string{"https://example.com:65535/", "https://example.com/", "https://[::1]:8443/x"} {
		if err := p.ValidateURL("url", u); err != nil {
			t.Errorf("ValidateURL(%q) = %v", u, err)
		}
	}
}

func TestCleanReceiverText(t *testing.T) {
	// A 4,096-byte cap whose last byte splits a character (issue 18, item 3).
	body := strings.Repeat("a", 4095) + "é" + "tail"
	got := relaybook.CleanReceiverText(body, relaybook.MaxStoredResponseBody)
	if len(got) != 4095 || !utf8.ValidString(got) {
		t.Fatalf("cut to %d bytes (valid UTF-8: %v), want 4095 valid bytes", len(got), utf8.ValidString(got))
	}
	// Cleaning happens before the cap, so replacement characters cannot push
	// the text past it.
	dirty := strings.Repeat("\xff\x00", 3000)
	if got := relaybook.CleanReceiverText(dirty, 100); len(got) > 100 || !utf8.ValidString(got) || strings.ContainsRune(got, 0) {
		t.Fatalf("dirty text cleaned to %q", got)
	}
	if got := relaybook.CleanReceiverText("ok", 100); got != "ok" {
		t.Fatalf("clean short text changed: %q", got)
	}
}
