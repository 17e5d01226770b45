package safehttp

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

// ErrBlockedAddress matches, with errors.Is, every dial the SSRF guard
// refuses. A refusal is final: retrying the same URL cannot succeed.
var ErrBlockedAddress = errors.New("safehttp: destination address is not allowed")

// BlockedAddressError is the error of a refused dial. It deliberately does
// not Unwrap to ErrBlockedAddress (it matches it through Is instead), so the
// innermost error in a chain is this one, whose message names the address.
type BlockedAddressError struct {
	Addr   string // the address being dialed, "ip:port"
	Reason string // which range it is in, e.g. "loopback"
}

func (e *BlockedAddressError) Error() string {
	return fmt.Sprintf("refusing to connect to %s: %s address", e.Addr, e.Reason)
}

// Is makes errors.Is(err, ErrBlockedAddress) true.
func (e *BlockedAddressError) Is(target error) bool { return target == ErrBlockedAddress }

// guard is a net.Dialer.Control function: it sees the resolved address of
// every connection attempt and refuses the ones in a blocked range.
func guard(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// Fail closed: an address we cannot classify is not dialed.
		return &BlockedAddressError{Addr: address, Reason: "unparseable"}
	}
	if reason := blockedReason(ap.Addr()); reason != "" {
		return &BlockedAddressError{Addr: address, Reason: reason}
	}
	return nil
}

type blockedRange struct {
	prefix netip.Prefix
	reason string
}

// blockedV4 lists the IPv4 ranges a webhook must never reach: everything
// that is not a routable public unicast address (RFC 6890 and friends).
var blockedV4 = []blockedRange{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"}, // Linux dials 0.0.0.0 as loopback
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"}, // incl. 169.254.169.254 metadata
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"}, // incl. 255.255.255.255 broadcast
}

// blockedV6 lists the IPv6 ranges refused outright.
var blockedV6 = []blockedRange{
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("fc00::/7"), "private"}, // unique local, incl. fd00:ec2::254 metadata
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// embedsV4 lists IPv6 ranges that carry an IPv4 address in their last 32
// bits and may be translated to it on the way (NAT64, IPv4-compatible), so
// the embedded address is judged instead. IPv4-mapped addresses are unmapped
// before any check.
var embedsV4 = []netip.Prefix{
	netip.MustParsePrefix("::/96"),          // IPv4-compatible (deprecated)
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64 well-known prefix
	netip.MustParsePrefix("64:ff9b:1::/48"), // NAT64 local-use prefix
}

// sixToFour is 2002::/16, whose bits 16–47 are an IPv4 address a relay
// router would forward to.
var sixToFour = netip.MustParsePrefix("2002::/16")

// blockedReason says why ip may not be dialed, or "" if it may.
func blockedReason(ip netip.Addr) string {
	ip = ip.WithZone("").Unmap()
	if ip.Is4() {
		for _, r := range blockedV4 {
			if r.prefix.Contains(ip) {
				return r.reason
			}
		}
		return ""
	}
	for _, r := range blockedV6 {
		if r.prefix.Contains(ip) {
			return r.reason
		}
	}
	b := ip.As16()
	for _, p := range embedsV4 {
		if p.Contains(ip) {
			if reason := blockedReason(netip.AddrFrom4([4]byte(b[12:16]))); reason != "" {
				return reason + " (embedded in IPv6)"
			}
			return ""
		}
	}
	if sixToFour.Contains(ip) {
		if reason := blockedReason(netip.AddrFrom4([4]byte(b[2:6]))); reason != "" {
			return reason + " (embedded in 6to4)"
		}
	}
	return ""
}
