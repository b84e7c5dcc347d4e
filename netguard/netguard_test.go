package netguard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := map[string]bool{ // address → public
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "0.0.0.0": false, "::": false, "100.64.0.1": false,
		"fd00::1": false, "::ffff:127.0.0.1": false, "224.0.0.1": false,
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
