package secrets

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"math/big"
	"strings"
	"testing"
)

// swapCase swaps ASCII upper and lower case, converting between our base62
// alphabet and math/big's, which puts lower case before upper case.
func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		case 'A' <= r && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, s)
}

// refBase62 is an independent base62 encoder built on math/big.
func refBase62(n *big.Int, width int) string {
	s := swapCase(n.Text(62))
	return strings.Repeat("0", width-len(s)) + s
}

// refChecksum computes a token checksum with refBase62.
func refChecksum(prefix, body string) string {
	sum := crc32.ChecksumIEEE([]byte(prefix + body))
	return refBase62(new(big.Int).SetUint64(uint64(sum)), 6)
}

// mustToken returns NewToken(prefix) or fails the test.
func mustToken(t testing.TB, prefix string) string {
	t.Helper()
	tok, err := NewToken(prefix)
	if err != nil {
		t.Fatalf("NewToken(%q): %v", prefix, err)
	}
	return tok
}

func TestEncodeBase62(t *testing.T) {
	max256 := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	cases := []struct {
		name  string
		in    []byte
		width int
		want  string
	}{
		{"zero", make([]byte, 32), 43, strings.Repeat("0", 43)},
		{"one", append(make([]byte, 31), 1), 43, strings.Repeat("0", 42) + "1"},
		{"61 is z", []byte{61}, 2, "0z"},
		{"62 is 10", []byte{62}, 2, "10"},
		{"36 is a", []byte{36}, 1, "a"},
		{"10 is A", []byte{10}, 1, "A"},
		{"max 256-bit", max256.FillBytes(make([]byte, 32)), 43, refBase62(max256, 43)},
		{"max crc", []byte{0xff, 0xff, 0xff, 0xff}, 6, refBase62(big.NewInt(0xffffffff), 6)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := encodeBase62(tc.in, tc.width); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("does not modify input", func(t *testing.T) {
		in := []byte{1, 2, 3}
		encodeBase62(in, 5)
		if in[0] != 1 || in[1] != 2 || in[2] != 3 {
			t.Errorf("input changed to %v", in)
		}
	})
	t.Run("overflow panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Errorf("got no panic for 62 in one digit")
			}
		}()
		encodeBase62([]byte{62}, 1)
	})
}

func TestNewToken(t *testing.T) {
	for _, prefix := range []string{"sb_", "sbk_live_", ""} {
		t.Run("prefix "+prefix, func(t *testing.T) {
			tok := mustToken(t, prefix)
			if !strings.HasPrefix(tok, prefix) {
				t.Errorf("got %q, want prefix %q", tok, prefix)
			}
			if got, want := len(tok), len(prefix)+49; got != want {
				t.Errorf("length: got %d, want %d", got, want)
			}
			body := tok[len(prefix) : len(prefix)+43]
			for _, c := range tok[len(prefix):] {
				if !strings.ContainsRune(base62Alphabet, c) {
					t.Errorf("token %q has non-base62 character %q", tok, c)
				}
			}
			if got, want := tok[len(prefix)+43:], refChecksum(prefix, body); got != want {
				t.Errorf("checksum: got %q, want %q", got, want)
			}
			// The body must be a 256-bit value, i.e. exactly 32 random bytes.
			n, ok := new(big.Int).SetString(swapCase(body), 62)
			if !ok || n.BitLen() > 256 {
				t.Errorf("body %q is not a 256-bit base62 value", body)
			}
			if !CheckToken(prefix, tok) {
				t.Errorf("CheckToken(%q, %q): got false, want true", prefix, tok)
			}
		})
	}
	t.Run("unique", func(t *testing.T) {
		seen := map[string]bool{}
		for i := 0; i < 1000; i++ {
			tok := mustToken(t, "sb_")
			if seen[tok] {
				t.Fatalf("duplicate token after %d", i)
			}
			seen[tok] = true
		}
	})
}

func TestCheckToken(t *testing.T) {
	const prefix = "sb_"
	tok := mustToken(t, prefix)
	body := tok[len(prefix) : len(prefix)+43]

	// withChecksum builds a token from prefix and body with a correct
	// checksum, so a false result can only come from the other rules.
	withChecksum := func(p, b string) string { return p + b + refChecksum(p, b) }

	cases := []struct {
		name   string
		prefix string
		token  string
		want   bool
	}{
		{"valid", prefix, tok, true},
		{"valid all zeros", prefix, withChecksum(prefix, strings.Repeat("0", 43)), true},
		{"valid empty prefix", "", withChecksum("", body), true},
		{"empty token", prefix, "", false},
		{"prefix only", prefix, prefix, false},
		{"wrong prefix same length", "sk_", tok, false},
		{"wrong prefix moved token", "sk_", "sk_" + tok[len(prefix):], false},
		{"longer prefix", "sb_x", tok, false},
		{"shorter prefix", "sb", tok, false},
		{"prefix case", "SB_", "SB_" + tok[len(prefix):], false},
		{"truncated by one", prefix, tok[:len(tok)-1], false},
		{"truncated checksum", prefix, tok[:len(tok)-6], false},
		{"extended by one", prefix, tok + "0", false},
		{"body too long with valid checksum", prefix, withChecksum(prefix, body+"0"), false},
		{"body too short with valid checksum", prefix, withChecksum(prefix, body[1:]), false},
		{"non-base62 dash with valid checksum", prefix, withChecksum(prefix, body[:42]+"-"), false},
		{"non-base62 underscore with valid checksum", prefix, withChecksum(prefix, "_"+body[1:]), false},
		{"non-base62 space with valid checksum", prefix, withChecksum(prefix, body[:20]+" "+body[21:]), false},
		{"non-base62 in checksum", prefix, tok[:len(tok)-1] + "=", false},
		{"non-ascii", prefix, prefix + body[:41] + "é" + tok[len(tok)-6:], false},
		{"bad checksum", prefix, prefix + body + "000000", false},
		{"checksum of other body", prefix, prefix + body + refChecksum(prefix, strings.Repeat("1", 43)), false},
		{"checksum without prefix", prefix, prefix + body + refChecksum("", body), false},
		{"swapped case", prefix, prefix + strings.ToUpper(body) + refChecksum(prefix, body), false},
	}
	if refChecksum(prefix, body) == "000000" {
		t.Fatal("test setup: checksum happens to be 000000; rerun")
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := CheckToken(tc.prefix, tc.token); got != tc.want {
				t.Errorf("CheckToken(%q, %q): got %v, want %v", tc.prefix, tc.token, got, tc.want)
			}
		})
	}

	// CRC32 detects every single-character change, so each position of the
	// body and checksum must fail when altered.
	t.Run("changed char at every position", func(t *testing.T) {
		for i := len(prefix); i < len(tok); i++ {
			for _, c := range []byte{'0', 'Z', 'a', 'z'} {
				if tok[i] == c {
					continue
				}
				bad := tok[:i] + string(c) + tok[i+1:]
				if CheckToken(prefix, bad) {
					t.Errorf("position %d changed to %q: got true, want false (%q)", i, c, bad)
				}
			}
		}
	})
}

func FuzzCheckToken(f *testing.F) {
	tok, err := NewToken("sb_")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("sb_", tok)
	f.Add("sb_", tok[:len(tok)-1])
	f.Add("", tok[3:])
	f.Add("", "")
	f.Add("sb_", "sb_")
	f.Add("ghp_", "ghp_"+strings.Repeat("z", 49))
	f.Add("\xff", "\xff"+strings.Repeat("0", 49))
	f.Fuzz(func(t *testing.T, prefix, token string) {
		if CheckToken(prefix, token) {
			if len(token) != len(prefix)+49 || !strings.HasPrefix(token, prefix) {
				t.Fatalf("CheckToken(%q, %q) true for wrong shape", prefix, token)
			}
			for i := len(prefix); i < len(token); i++ {
				if !strings.ContainsRune(base62Alphabet, rune(token[i])) {
					t.Fatalf("CheckToken(%q, %q) true with non-base62 byte %q", prefix, token, token[i])
				}
			}
			body := token[len(prefix) : len(prefix)+43]
			if want := refChecksum(prefix, body); token[len(prefix)+43:] != want {
				t.Fatalf("CheckToken(%q, %q) true with checksum %q, want %q", prefix, token, token[len(prefix)+43:], want)
			}
		}
		fresh, err := NewToken(prefix)
		if err != nil {
			t.Fatalf("NewToken(%q): %v", prefix, err)
		}
		if !CheckToken(prefix, fresh) {
			t.Fatalf("CheckToken(%q, NewToken) = false for %q", prefix, fresh)
		}
	})
}

func TestRandomID(t *testing.T) {
	for _, n := range []int{0, 1, 16, 32, 33} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			id := RandomID(n)
			raw, err := base64.RawURLEncoding.DecodeString(id)
			if err != nil {
				t.Fatalf("RandomID(%d) = %q: not unpadded base64url: %v", n, id, err)
			}
			if len(raw) != n {
				t.Errorf("RandomID(%d): decoded %d bytes, want %d", n, len(raw), n)
			}
			if strings.ContainsAny(id, "+/=") {
				t.Errorf("RandomID(%d) = %q: contains +, / or =", n, id)
			}
		})
	}
	t.Run("unique", func(t *testing.T) {
		seen := map[string]bool{}
		for i := 0; i < 1000; i++ {
			id := RandomID(16)
			if seen[id] {
				t.Fatalf("duplicate id after %d", i)
			}
			seen[id] = true
		}
	})
	t.Run("negative panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Errorf("RandomID(-1): got no panic")
			}
		}()
		RandomID(-1)
	})
}

func TestFingerprint(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		// SHA-256("") = e3b0c44298fc1c149afbf4c8996fb924...
		{"empty", "", "sha256:e3b0c44298fc1c14"},
		// SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223...
		{"abc", "abc", "sha256:ba7816bf8f01cfea"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Fingerprint(tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("token", func(t *testing.T) {
		tok := mustToken(t, "sb_")
		sum := sha256.Sum256([]byte(tok))
		want := "sha256:" + hex.EncodeToString(sum[:])[:16]
		got := Fingerprint(tok)
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
		if strings.Contains(got, tok[3:10]) {
			t.Errorf("fingerprint %q contains token text", got)
		}
	})
}

func BenchmarkNewToken(b *testing.B) {
	for b.Loop() {
		if _, err := NewToken("sb_"); err != nil {
			b.Fatal(err)
		}
	}
}
