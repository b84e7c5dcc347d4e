// Package netguard keeps "Test connection" from becoming a way into the
// network Switchboard runs in: outbound connections to loopback, private,
// link-local, unspecified or other non-public addresses are refused unless
// explicitly allowed. The check runs on the resolved address at dial time,
// so a hostname that resolves (or re-resolves) to a private address is
// refused too.
package netguard

import (
	"context"
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

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Classify returns why addr is not a public address, or "" when it is.
func Classify(addr netip.Addr) string {
	addr = addr.Unmap()
	switch {
	case addr.IsLoopback():
		return "a loopback address"
	case addr.IsPrivate():
		return "a private-network address"
	case addr.IsLinkLocalUnicast(), addr.IsLinkLocalMulticast():
		return "a link-local address"
	case addr.IsUnspecified():
		return "an unspecified address"
	case addr.IsMulticast(), addr.IsInterfaceLocalMulticast():
		return "a multicast address"
	case cgnat.Contains(addr):
		return "a shared (carrier-grade NAT) address"
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
	if why := Classify(ap.Addr()); why != "" {
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
