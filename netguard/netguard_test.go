package netguard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := map[string]bool{ // address → public
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "0.0.0.0": false, "::": false, "100.64.0.1": false,
		"fd00::1": false, "::ffff:127.0.0.1": false, "224.0.0.1": false,
		// The rest of the IANA special-purpose registries (issue 11 item 9).
		"192.0.2.1": false, "198.51.100.7": false, "203.0.113.9": false, "198.18.0.1": false, "198.19.255.254": false,
		"192.88.99.1": false, "192.0.0.8": false, "192.31.196.1": false, "192.52.193.1": false, "192.175.48.1": false,
		"240.0.0.1": false, "255.255.255.255": false, "0.1.2.3": false, "239.255.255.250": false,
		"64:ff9b::808:808": false, "64:ff9b:1::1": false, "100::1": false, "2001:db8::1": false, "3fff::1": false,
		"2002:c000:0201::1": false, "2001::1": false, "2001:2::1": false, "2001:20::1": false, "2620:4f:8000::1": false,
		"5f00::1": false, "fec0::1": false, "ff02::1": false, "ff0e::1": false, "::808:808": false,
		"::ffff:192.0.2.1": false, "::ffff:8.8.8.8": true, "198.20.0.1": true, "2001:4860:4860::8888": true,
		"8.8.8.8": true, "1.1.1.1": true, "2606:4700:4700::1111": true,
	}
	for addr, public := range tests {
		t.Run(addr, func(t *testing.T) {
			got := Classify(netip.MustParseAddr(addr)) == ""
			if got != public {
				t.Errorf("Classify(%s) public = %v, want %v", addr, got, public)
			}
		})
	}
}

func TestGuard_DialContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := ln.Addr().String()
	_, err = Guard{}.DialContext(context.Background(), "tcp", addr)
	var re *RefusedError
	if !errors.As(err, &re) || re.Reason != "a loopback address" {
		t.Fatalf("dial %s without AllowPrivate: err = %v, want a loopback refusal", addr, err)
	}
	// The name resolves to loopback: refused after resolution too.
	_, port, _ := net.SplitHostPort(addr)
	if _, err := (Guard{}).DialContext(context.Background(), "tcp", "localhost:"+port); !errors.As(err, &re) {
		t.Errorf("dial localhost: err = %v, want a refusal", err)
	}
	c, err := Guard{AllowPrivate: true}.DialContext(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatalf("dial with AllowPrivate: %v", err)
	}
	c.Close()
}

// TestGuard_OwnAddresses: an address of one of this host's interfaces is
// refused even when it is public, because a service bound to all
// interfaces answers there (issue 11 item 9: "Test connection" reached
// this machine through its own eth0 address).
func TestGuard_OwnAddresses(t *testing.T) {
	own := netip.MustParseAddr("8.8.4.4") // public, so only the own-address rule can refuse it
	defer func(f func() ([]netip.Addr, error)) { ownAddrs = f }(ownAddrs)
	ownAddrs = func() ([]netip.Addr, error) { return []netip.Addr{own}, nil }
	err := Guard{}.control("tcp4", "8.8.4.4:5432", nil)
	var re *RefusedError
	if !errors.As(err, &re) || re.Reason != "an address of this host" {
		t.Fatalf("control(own address) = %v, want an own-address refusal", err)
	}
	if err := (Guard{}).control("tcp4", "8.8.8.8:5432", nil); err != nil {
		t.Errorf("control(other public address) = %v, want nil", err)
	}
	if err := (Guard{AllowPrivate: true}).control("tcp4", "8.8.4.4:5432", nil); err != nil {
		t.Errorf("control(own address, AllowPrivate) = %v, want nil", err)
	}
	// The real interface list: every address of this machine is refused.
	real, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	ownAddrs = func() ([]netip.Addr, error) { return nil, errors.New("no list") }
	if err := (Guard{}).control("tcp4", "8.8.8.8:53", nil); err == nil {
		t.Error("control with an unreadable interface list = nil, want a refusal (fail closed)")
	}
	ownAddrs = defaultOwnAddrs
	for _, a := range real {
		p, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		if err := (Guard{}).control("tcp", netip.AddrPortFrom(p.Addr(), 80).String(), nil); err == nil {
			t.Errorf("control(%s, this host's interface address) = nil, want a refusal", p.Addr())
		}
	}
}

// TestDescribe: a closed port, a silent one and an unroutable one give the
// same class, with no socket detail (no port-scan oracle).
func TestDescribe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens there now
	_, err = Guard{AllowPrivate: true}.DialContext(context.Background(), "tcp", closed)
	if err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
	got := Describe(err)
	if got != ClassConnect {
		t.Errorf("Describe(closed port) = %q, want %q", got, ClassConnect)
	}
	for _, leak := range []string{"refused", "127.0.0.1", "dial", "tcp"} {
		if strings.Contains(got, leak) {
			t.Errorf("Describe(closed port) = %q names socket detail %q", got, leak)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Guard{AllowPrivate: true}.DialContext(ctx, "tcp", "192.0.2.1:80")
	if got := Describe(err); got != ClassConnect {
		t.Errorf("Describe(cancelled dial) = %q, want %q", got, ClassConnect)
	}
	_, err = Guard{}.DialContext(context.Background(), "tcp", "192.0.2.1:80")
	if got := Describe(err); !strings.Contains(got, "TEST-NET-1") {
		t.Errorf("Describe(refusal) = %q, want the refusal's reason", got)
	}
	if got := Describe(&net.DNSError{Err: "no such host", Name: "x.invalid"}); got != ClassDNS {
		t.Errorf("Describe(DNS error) = %q, want %q", got, ClassDNS)
	}
}
