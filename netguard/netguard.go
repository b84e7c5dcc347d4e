// Package netguard keeps "Test connection" from becoming a way into the
// network Switchboard runs in: outbound connections to any address of the
// IANA special-purpose registries (loopback, private, link-local,
// documentation, NAT64, benchmarking, ...), to multicast and to the host's
// own interface addresses are refused unless explicitly allowed. The check runs on the resolved address at dial time,
// so a hostname that resolves (or re-resolves) to a private address is
// refused too.
package netguard

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// Guard dials outbound connections for connection tests.
type Guard struct {
	// AllowPrivate permits non-public targets (SWITCHBOARD_ALLOW_PRIVATE_TARGETS).
	AllowPrivate bool
	// Timeout bounds each dial.
	Timeout time.Duration
}

// RefusedError says why a target was refused.
type RefusedError struct {
	Addr   string
	Reason string
}

// Error implements error.
func (e *RefusedError) Error() string {
	return fmt.Sprintf("refusing to connect to %s: it is %s (set SWITCHBOARD_ALLOW_PRIVATE_TARGETS=1 to allow private targets)", e.Addr, e.Reason)
}

// special lists the IANA IPv4 and IPv6 special-purpose address registries
// (RFC 6890 and its updates) plus multicast, the reserved class E block and
// deprecated site-local space, each with the reason a refusal names. Every
// entry is refused, including the few the registries mark globally
// reachable (AS112, AMT, anycast relays): no connection test has a reason
// to reach them, and refusing the whole registry is simpler to promise.
var special = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private-network address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT) address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private-network address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol assignment"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address (TEST-NET-1)"},
	{netip.MustParsePrefix("192.31.196.0/24"), "an AS112 address"},
	{netip.MustParsePrefix("192.52.193.0/24"), "an AMT address"},
	{netip.MustParsePrefix("192.88.99.0/24"), "a 6to4 relay anycast address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private-network address"},
	{netip.MustParsePrefix("192.175.48.0/24"), "an AS112 address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address (TEST-NET-2)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address (TEST-NET-3)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"}, // includes 255.255.255.255
	{netip.MustParsePrefix("::/128"), "an unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("::/96"), "an IPv4-compatible address (deprecated)"},
	{netip.MustParsePrefix("64:ff9b::/96"), "a NAT64 translation address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a NAT64 translation address"},
	{netip.MustParsePrefix("100::/64"), "a discard-only address"},
	{netip.MustParsePrefix("100:0:0:1::/64"), "a dummy-prefix address"},
	{netip.MustParsePrefix("2001::/23"), "an IETF protocol assignment (Teredo, benchmarking, ORCHID, AMT, AS112)"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("2002::/16"), "a 6to4 address"},
	{netip.MustParsePrefix("2620:4f:8000::/48"), "an AS112 address"},
	{netip.MustParsePrefix("3fff::/20"), "a documentation address"},
	{netip.MustParsePrefix("5f00::/16"), "an SRv6 segment identifier"},
	{netip.MustParsePrefix("fc00::/7"), "a private-network (unique local) address"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

// Classify returns why addr is not a public address, or "" when it is.
// It does not know the host's own addresses; the dialer checks those too.
func Classify(addr netip.Addr) string {
	addr = addr.Unmap()
	if !addr.IsValid() {
		return "not a usable address"
	}
	for _, s := range special {
		if s.prefix.Contains(addr) {
			return s.reason
		}
	}
	return ""
}

// ownAddrs lists the addresses of this host's interfaces. It is read at
// every dial, not cached, because interfaces come and go (containers, VPNs).
var ownAddrs = defaultOwnAddrs

func defaultOwnAddrs() ([]netip.Addr, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("netguard: list interface addresses: %w", err)
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr().Unmap())
		} else if ip, err := netip.ParseAddr(a.String()); err == nil {
			out = append(out, ip.Unmap())
		}
	}
	return out, nil
}

// classifyHost adds the host's own interface addresses to Classify: a
// service bound to 0.0.0.0 answers on eth0's public address as well as on
// loopback, so that address is as internal as 127.0.0.1.
func classifyHost(addr netip.Addr) string {
	if why := Classify(addr); why != "" {
		return why
	}
	own, err := ownAddrs()
	if err != nil {
		return "not checkable against this host's addresses" // fail closed
	}
	addr = addr.Unmap()
	for _, o := range own {
		if o.WithZone("") == addr.WithZone("") {
			return "an address of this host"
		}
	}
	return ""
}

// control runs after name resolution, on the exact address being dialled.
func (g Guard) control(network, address string, _ syscall.RawConn) error {
	if g.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Addr: address, Reason: "not an IP address"}
	}
	if why := classifyHost(ap.Addr()); why != "" {
		return &RefusedError{Addr: address, Reason: why}
	}
	return nil
}

// Dialer returns a net.Dialer that enforces the guard.
func (g Guard) Dialer() *net.Dialer {
	t := g.Timeout
	if t == 0 {
		t = 5 * time.Second
	}
	return &net.Dialer{Timeout: t, Control: g.control}
}

// DialContext dials through the guard.
func (g Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return g.Dialer().DialContext(ctx, network, addr)
}

// Failure classes that Describe names. A connection test reports only the
// class, never the socket error: "connection refused" against "i/o timeout"
// against "connection reset" would tell a caller which ports are open,
// closed or filtered (a port-scan oracle).
const (
	ClassRefused = "the address is not allowed"
	ClassDNS     = "the host name could not be resolved"
	ClassConnect = "could not connect"
	ClassTimeout = "the server did not answer in time"
	ClassTLS     = "the TLS handshake failed"
)

// Describe names the class of a dial or request failure. A refusal keeps
// its reason (it describes the address the caller gave, not the network);
// every socket-level failure (refused, reset, unreachable, dial timeout)
// is one class, so a closed port and a filtered one look the same.
func Describe(err error) string {
	var (
		refused *RefusedError
		dnsErr  *net.DNSError
		opErr   *net.OpError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &refused):
		return refused.Error()
	case errors.As(err, &dnsErr):
		return ClassDNS
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return ClassConnect
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return ClassTimeout
	case isTLS(err):
		return ClassTLS
	}
	return ClassConnect
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isTLS(err error) bool {
	var (
		rec  tls.RecordHeaderError
		cert *tls.CertificateVerificationError
		ae   tls.AlertError
	)
	return errors.As(err, &rec) || errors.As(err, &cert) || errors.As(err, &ae)
}
