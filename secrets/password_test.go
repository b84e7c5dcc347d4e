package secrets

import (
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

// phcPattern is the exact shape HashPassword must produce.
var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$`)

// makePHC builds a PHC string with explicit parameters, independently of
// HashPassword, to check that CheckPassword honours what the string says.
func makePHC(password string, salt []byte, m, t uint32, p uint8, keyLen uint32) string {
	key := argon2.IDKey([]byte(password), salt, t, m, p, keyLen)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, t, p,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func TestHashPassword(t *testing.T) {
	const password = "correct horse battery staple"
	h1, err := HashPassword(password)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	h2, err := HashPassword(password)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}

	t.Run("format", func(t *testing.T) {
		if !phcPattern.MatchString(h1) {
			t.Errorf("got %q, want match for %s", h1, phcPattern)
		}
	})
	t.Run("value is argon2id of the salt", func(t *testing.T) {
		m := phcPattern.FindStringSubmatch(h1)
		if m == nil {
			t.Fatalf("got %q, not PHC", h1)
		}
		salt, err := base64.RawStdEncoding.DecodeString(m[1])
		if err != nil {
			t.Fatal(err)
		}
		want := base64.RawStdEncoding.EncodeToString(argon2.IDKey([]byte(password), salt, 2, 19456, 1, 32))
		if m[2] != want {
			t.Errorf("hash: got %q, want %q", m[2], want)
		}
	})
	t.Run("salted", func(t *testing.T) {
		if h1 == h2 {
			t.Errorf("two hashes of the same password are equal: %q", h1)
		}
	})
	t.Run("no plaintext", func(t *testing.T) {
		if strings.Contains(h1, password) || strings.Contains(h1, base64.RawStdEncoding.EncodeToString([]byte(password))) {
			t.Errorf("hash %q contains the password", h1)
		}
	})
	t.Run("both verify", func(t *testing.T) {
		for _, h := range []string{h1, h2} {
			if ok, err := CheckPassword(h, password); !ok || err != nil {
				t.Errorf("CheckPassword(%q): got (%v, %v), want (true, nil)", h, ok, err)
			}
		}
	})
}

func TestCheckPassword(t *testing.T) {
	const password = "Tr0ub4dour&3 ünïcode"
	hash, err := HashPassword(password)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	salt := []byte("0123456789abcdef")
	// Cheaper than the default so the table stays fast; also proves that
	// parameters come from the string, not from constants.
	cheap := makePHC(password, salt, 64, 1, 2, 32)
	_, _, _, cheapSalt, cheapKey := splitPHC(t, cheap)

	matches := []struct {
		name, hash, password string
		want                 bool
	}{
		{"match", hash, password, true},
		{"mismatch", hash, "Tr0ub4dour&3 unicode", false},
		{"empty password", hash, "", false},
		{"prefix of password", hash, password[:len(password)-1], false},
		{"trailing space", hash, password + " ", false},
		{"other parameters match", cheap, password, true},
		{"other parameters mismatch", cheap, "nope", false},
		{"longer key", makePHC(password, salt, 64, 1, 1, 64), password, true},
		{"stated time is used", "$argon2id$v=19$m=64,t=2,p=2$" + cheapSalt + "$" + cheapKey, password, false},
		{"stated memory is used", "$argon2id$v=19$m=128,t=1,p=2$" + cheapSalt + "$" + cheapKey, password, false},
		{"stated lanes are used", "$argon2id$v=19$m=64,t=1,p=1$" + cheapSalt + "$" + cheapKey, password, false},
		{"empty password hashed", makePHC("", salt, 64, 1, 1, 32), "", true},
	}
	for _, tc := range matches {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckPassword(tc.hash, tc.password)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}

	head := "$argon2id$v=19$m=64,t=1,p=2$"
	malformed := []struct{ name, hash string }{
		{"empty", ""},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=2$" + cheapSalt + "$" + cheapKey},
		{"argon2d", "$argon2d$v=19$m=64,t=1,p=2$" + cheapSalt + "$" + cheapKey},
		{"old version", "$argon2id$v=16$m=64,t=1,p=2$" + cheapSalt + "$" + cheapKey},
		{"no version", "$argon2id$m=64,t=1,p=2$" + cheapSalt + "$" + cheapKey},
		{"missing leading $", strings.TrimPrefix(cheap, "$")},
		{"trailing field", cheap + "$"},
		{"params order", "$argon2id$v=19$t=1,m=64,p=2$" + cheapSalt + "$" + cheapKey},
		{"params missing", "$argon2id$v=19$m=64,t=1$" + cheapSalt + "$" + cheapKey},
		{"params extra", "$argon2id$v=19$m=64,t=1,p=2,k=1$" + cheapSalt + "$" + cheapKey},
		{"param not a number", "$argon2id$v=19$m=abc,t=1,p=2$" + cheapSalt + "$" + cheapKey},
		{"param signed", "$argon2id$v=19$m=+64,t=1,p=2$" + cheapSalt + "$" + cheapKey},
		{"param empty", "$argon2id$v=19$m=,t=1,p=2$" + cheapSalt + "$" + cheapKey},
		{"time zero", "$argon2id$v=19$m=64,t=0,p=2$" + cheapSalt + "$" + cheapKey},
		{"time huge", "$argon2id$v=19$m=64,t=1000,p=2$" + cheapSalt + "$" + cheapKey},
		{"lanes zero", "$argon2id$v=19$m=64,t=1,p=0$" + cheapSalt + "$" + cheapKey},
		{"lanes over 255", "$argon2id$v=19$m=4096,t=1,p=256$" + cheapSalt + "$" + cheapKey},
		{"memory below 8 per lane", "$argon2id$v=19$m=15,t=1,p=2$" + cheapSalt + "$" + cheapKey},
		{"memory huge", "$argon2id$v=19$m=4294967295,t=1,p=2$" + cheapSalt + "$" + cheapKey},
		{"memory overflow", "$argon2id$v=19$m=4294967296,t=1,p=2$" + cheapSalt + "$" + cheapKey},
		{"salt padded", head + base64.StdEncoding.EncodeToString(salt) + "$" + cheapKey},
		{"salt url-safe chars", head + "____" + cheapSalt[4:] + "$" + cheapKey},
		{"salt empty", head + "$" + cheapKey},
		{"salt too short", head + base64.RawStdEncoding.EncodeToString(salt[:7]) + "$" + cheapKey},
		{"hash empty", head + cheapSalt + "$"},
		{"hash too short", head + cheapSalt + "$" + base64.RawStdEncoding.EncodeToString(make([]byte, 15))},
		{"hash too long", head + cheapSalt + "$" + base64.RawStdEncoding.EncodeToString(make([]byte, 65))},
		{"hash not base64", head + cheapSalt + "$" + cheapKey[:10] + "!" + cheapKey[11:]},
	}
	for _, tc := range malformed {
		t.Run("malformed "+tc.name, func(t *testing.T) {
			got, err := CheckPassword(tc.hash, password)
			if err == nil {
				t.Fatalf("CheckPassword(%q): got (%v, nil), want error", tc.hash, got)
			}
			if got {
				t.Errorf("got true alongside error %v", err)
			}
			if !errors.Is(err, errMalformedHash) {
				t.Errorf("error %v does not wrap errMalformedHash", err)
			}
			if tc.hash != "" && strings.Contains(err.Error(), tc.hash) {
				t.Errorf("error %q quotes the hash", err)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error %q contains the password", err)
			}
		})
	}
}

// splitPHC returns the five $-separated fields of a PHC string.
func splitPHC(t *testing.T, s string) (alg, version, params, salt, key string) {
	t.Helper()
	f := strings.Split(s, "$")
	if len(f) != 6 {
		t.Fatalf("test setup: %q has %d fields", s, len(f))
	}
	return f[1], f[2], f[3], f[4], f[5]
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTimingHash: the hash an unknown email is checked against has the
// parameters of a real new hash, so its check costs what a real check costs,
// and no password matches it.
func TestTimingHash(t *testing.T) {
	h, err := parseArgon2id(TimingHash())
	if err != nil {
		t.Fatalf("TimingHash does not parse: %v", err)
	}
	if h.memory != argonMemory || h.time != argonTime || h.threads != argonThreads || len(h.salt) != argonSaltLen || uint32(len(h.key)) != argonKeyLen {
		t.Fatalf("TimingHash parameters m=%d t=%d p=%d salt=%d key=%d, want those of HashPassword", h.memory, h.time, h.threads, len(h.salt), len(h.key))
	}
	for _, pw := range []string{"", "switchboard-timing-equaliser", "password"} {
		if ok, err := CheckPassword(TimingHash(), pw); ok || err != nil {
			t.Fatalf("CheckPassword(TimingHash(), %q) = %v, %v; want false, nil", pw, ok, err)
		}
	}
}
