package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// testKeyBytes returns a deterministic 32-byte key; distinct seeds give
// distinct keys.
func testKeyBytes(seed byte) []byte {
	b := make([]byte, keySize)
	for i := range b {
		b[i] = seed + byte(i)*7
	}
	return b
}

// testKey returns testKeyBytes(seed) in standard base64.
func testKey(seed byte) string {
	return base64.StdEncoding.EncodeToString(testKeyBytes(seed))
}

// mustRing parses s or fails the test.
func mustRing(t testing.TB, s string) *Keyring {
	t.Helper()
	k, err := ParseKeyring(s)
	if err != nil {
		t.Fatalf("ParseKeyring: %v", err)
	}
	return k
}

// hkdfSHA256 is an independent one-block HKDF-SHA256 (RFC 5869) with a nil
// salt, used to check Derive against the spec rather than against itself.
func hkdfSHA256(secret []byte, info string) []byte {
	extract := hmac.New(sha256.New, make([]byte, sha256.Size))
	extract.Write(secret)
	prk := extract.Sum(nil)
	expand := hmac.New(sha256.New, prk)
	expand.Write([]byte(info))
	expand.Write([]byte{1})
	return expand.Sum(nil)
}

func TestParseKeyring(t *testing.T) {
	k1, k2, k3 := testKey(1), testKey(2), testKey(3)
	// 0xfb 0xef 0xbe encodes to "++++" in standard and "----" in URL-safe
	// base64, so these inputs only decode with the right alphabet.
	urlish := bytes.Repeat([]byte{0xfb, 0xef, 0xbe}, 11)[:keySize]
	urlPadded := base64.URLEncoding.EncodeToString(urlish)
	if !strings.Contains(urlPadded, "-") {
		t.Fatalf("test setup: %q has no URL-only characters", urlPadded)
	}

	valid := []struct {
		name    string
		in      string
		wantIDs []string
		wantKey []byte // of the active key
	}{
		{"single std padded", k1, []string{"k1"}, testKeyBytes(1)},
		{"single std raw", strings.TrimRight(k1, "="), []string{"k1"}, testKeyBytes(1)},
		{"single url padded", urlPadded, []string{"k1"}, urlish},
		{"single url raw", base64.RawURLEncoding.EncodeToString(urlish), []string{"k1"}, urlish},
		{"single std with plus", base64.StdEncoding.EncodeToString(urlish), []string{"k1"}, urlish},
		{"single with whitespace", "  " + k1 + "\n", []string{"k1"}, testKeyBytes(1)},
		{"one named", "main:" + k2, []string{"main"}, testKeyBytes(2)},
		{"two named", "k2:" + k2 + ",k1:" + k1, []string{"k2", "k1"}, testKeyBytes(2)},
		{"three with spaces", " a_1 : " + k3 + " , b-2:" + k2 + ",\tc:" + k1 + "\n", []string{"a_1", "b-2", "c"}, testKeyBytes(3)},
		{"mixed encodings", "u:" + urlPadded + ",s:" + k1, []string{"u", "s"}, urlish},
		{"32-char id", strings.Repeat("x", 32) + ":" + k1, []string{strings.Repeat("x", 32)}, testKeyBytes(1)},
	}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseKeyring(tc.in)
			if err != nil {
				t.Fatalf("ParseKeyring: got error %v, want nil", err)
			}
			if got := k.IDs(); !slices.Equal(got, tc.wantIDs) {
				t.Errorf("IDs: got %q, want %q", got, tc.wantIDs)
			}
			if got := k.ActiveID(); got != tc.wantIDs[0] {
				t.Errorf("ActiveID: got %q, want %q", got, tc.wantIDs[0])
			}
			if got := k.entries[0].key; !bytes.Equal(got, tc.wantKey) {
				t.Errorf("active key bytes differ from the encoded key")
			}
		})
	}

	short := base64.StdEncoding.EncodeToString(testKeyBytes(9)[:16])
	long := base64.StdEncoding.EncodeToString(append(testKeyBytes(9), 0))
	invalid := []struct {
		name    string
		in      string
		wantErr string
		secrets []string // text that must not appear in the error
	}{
		{"empty", "", "empty keyring", nil},
		{"blank", " \n\t", "empty keyring", nil},
		{"single 16 bytes", short, `key "k1" is 16 bytes, want 32`, []string{short}},
		{"named 16 bytes", "k1:" + k1 + ",k2:" + short, `key "k2" is 16 bytes, want 32`, []string{short, k1}},
		{"named 33 bytes", "k2:" + long, `key "k2" is 33 bytes, want 32`, []string{long}},
		{"single bad base64", "not*base64*at*all", `key "k1" is not valid base64`, []string{"not*base64*at*all"}},
		{"named bad base64", "k1:" + k1[:20] + "!" + k1[21:], `key "k1" is not valid base64`, []string{k1[:20]}},
		{"colon inside key", "k1:" + k1[:10] + ":" + k1[10:], `key "k1" is not valid base64`, []string{k1[:10], k1[10:]}},
		{"empty key", "k1:", `key "k1" is empty`, nil},
		{"duplicate id", "k1:" + k1 + ",k1:" + k2, `duplicate key id "k1"`, []string{k1, k2}},
		{"empty id", ":" + k1, "entry 1 has an invalid key id", []string{k1}},
		{"id too long", strings.Repeat("x", 33) + ":" + k1, "entry 1 has an invalid key id", []string{k1}},
		{"id bad char", "k1:" + k1 + ",k.2:" + k2, "entry 2 has an invalid key id", []string{k1, k2}},
		{"key in id slot", k1 + ":k1", "entry 1 has an invalid key id", []string{k1, strings.TrimRight(k1, "=")}},
		{"keys without ids", k1 + "," + k2, "entry 1 has no key id", []string{k1, k2}},
		{"trailing comma", "k1:" + k1 + ",", "entry 2 is empty", []string{k1}},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseKeyring(tc.in)
			if err == nil {
				t.Fatalf("ParseKeyring: got keyring %q, want error containing %q", k.IDs(), tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error: got %q, want it to contain %q", err, tc.wantErr)
			}
			for _, s := range tc.secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q leaks key text %q", err, s)
				}
			}
		})
	}
}

func TestGenerateKey(t *testing.T) {
	a, err := GenerateKey()
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	b, err := GenerateKey()
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	t.Run("std base64 of 32 bytes", func(t *testing.T) {
		raw, err := base64.StdEncoding.DecodeString(a)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if len(raw) != keySize {
			t.Errorf("decoded length: got %d, want %d", len(raw), keySize)
		}
	})
	t.Run("parses", func(t *testing.T) {
		k := mustRing(t, a)
		if got := k.ActiveID(); got != "k1" {
			t.Errorf("ActiveID: got %q, want %q", got, "k1")
		}
	})
	t.Run("distinct", func(t *testing.T) {
		if a == b {
			t.Errorf("two generated keys are equal")
		}
	})
}

func TestKeyring_IDs(t *testing.T) {
	k := mustRing(t, "b:"+testKey(1)+",a:"+testKey(2))
	t.Run("order", func(t *testing.T) {
		if got, want := k.IDs(), []string{"b", "a"}; !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("copy", func(t *testing.T) {
		ids := k.IDs()
		ids[0] = "mutated"
		if got := k.ActiveID(); got != "b" {
			t.Errorf("ActiveID after mutating IDs(): got %q, want %q", got, "b")
		}
	})
}

func TestKeyring_Seal(t *testing.T) {
	k := mustRing(t, "k2:"+testKey(2)+",k1:"+testKey(1))
	cases := []struct {
		name      string
		plaintext []byte
		aad       []byte
	}{
		{"empty", nil, nil},
		{"short", []byte("hunter2"), []byte("row-1")},
		{"no aad", []byte("sk_live_abcdef"), nil},
		{"binary", bytes.Repeat([]byte{0, 0xff}, 1000), []byte{0}},
		{"large", bytes.Repeat([]byte("x"), 1<<20), []byte("row-2")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, ct, err := k.Seal(tc.plaintext, tc.aad)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if id != "k2" {
				t.Errorf("key id: got %q, want %q", id, "k2")
			}
			if got, want := len(ct), 12+len(tc.plaintext)+16; got != want {
				t.Errorf("ciphertext length: got %d, want %d", got, want)
			}
			if len(tc.plaintext) > 4 && bytes.Contains(ct, tc.plaintext) {
				t.Errorf("ciphertext contains the plaintext")
			}
			got, err := k.Open(id, ct, tc.aad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tc.plaintext) {
				t.Errorf("round trip: got %d bytes %.20q, want %d bytes %.20q", len(got), got, len(tc.plaintext), tc.plaintext)
			}
		})
	}

	// The stored format is a contract with the database: check it with a
	// plain AES-GCM rather than through Open.
	t.Run("wire format", func(t *testing.T) {
		_, ct, err := k.Seal([]byte("payload"), []byte("aad"))
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		block, err := aes.NewCipher(testKeyBytes(2))
		if err != nil {
			t.Fatal(err)
		}
		gcm, err := cipher.NewGCM(block)
		if err != nil {
			t.Fatal(err)
		}
		got, err := gcm.Open(nil, ct[:12], ct[12:], []byte("aad"))
		if err != nil {
			t.Fatalf("standard AES-GCM with the prepended nonce: %v", err)
		}
		if string(got) != "payload" {
			t.Errorf("got %q, want %q", got, "payload")
		}
	})

	t.Run("10000 seals are distinct", func(t *testing.T) {
		const n = 10000
		seen := make(map[string]struct{}, n)
		nonces := make(map[string]struct{}, n)
		for i := 0; i < n; i++ {
			_, ct, err := k.Seal([]byte("same plaintext"), []byte("same aad"))
			if err != nil {
				t.Fatalf("Seal %d: %v", i, err)
			}
			seen[string(ct)] = struct{}{}
			nonces[string(ct[:12])] = struct{}{}
		}
		if len(seen) != n {
			t.Errorf("distinct ciphertexts: got %d, want %d", len(seen), n)
		}
		if len(nonces) != n {
			t.Errorf("distinct nonces: got %d, want %d", len(nonces), n)
		}
	})
}

func TestKeyring_Open(t *testing.T) {
	k := mustRing(t, testKey(1))
	plaintext, aad := []byte("xoxb-secret-slack-token"), []byte("integration:42")
	id, ct, err := k.Seal(plaintext, aad)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}

	t.Run("tampered", func(t *testing.T) {
		for _, pos := range []int{0, 11, 12, 12 + len(plaintext)/2, len(ct) - 16, len(ct) - 1} {
			for _, mask := range []byte{0x01, 0x80, 0xff} {
				bad := bytes.Clone(ct)
				bad[pos] ^= mask
				got, err := k.Open(id, bad, aad)
				if !errors.Is(err, ErrDecrypt) {
					t.Errorf("byte %d ^ %#x: got (%q, %v), want ErrDecrypt", pos, mask, got, err)
				}
			}
		}
	})

	t.Run("short or altered length", func(t *testing.T) {
		inputs := map[string][]byte{
			"nil":             nil,
			"nonce only":      ct[:12],
			"one short":       ct[:27],
			"drop last byte":  ct[:len(ct)-1],
			"extra byte":      append(bytes.Clone(ct), 0),
			"drop first byte": ct[1:],
		}
		for name, in := range inputs {
			got, err := k.Open(id, in, aad)
			if !errors.Is(err, ErrDecrypt) {
				t.Errorf("%s: got (%q, %v), want ErrDecrypt", name, got, err)
			}
		}
	})

	t.Run("wrong aad", func(t *testing.T) {
		for _, bad := range [][]byte{nil, []byte("integration:43"), []byte("integration:4"), append(bytes.Clone(aad), 0)} {
			got, err := k.Open(id, ct, bad)
			if !errors.Is(err, ErrDecrypt) {
				t.Errorf("aad %q: got (%q, %v), want ErrDecrypt", bad, got, err)
			}
		}
	})

	t.Run("unknown key id", func(t *testing.T) {
		for _, bad := range []string{"", "k2", "K1", "k1 "} {
			got, err := k.Open(bad, ct, aad)
			if !errors.Is(err, ErrUnknownKey) {
				t.Errorf("id %q: got (%q, %v), want ErrUnknownKey", bad, got, err)
			}
		}
	})

	t.Run("wrong key under same id", func(t *testing.T) {
		other := mustRing(t, testKey(2))
		got, err := other.Open(id, ct, aad)
		if !errors.Is(err, ErrDecrypt) {
			t.Errorf("got (%q, %v), want ErrDecrypt", got, err)
		}
	})

	t.Run("errors do not leak", func(t *testing.T) {
		bad := bytes.Clone(ct)
		bad[len(bad)-1] ^= 1
		_, err := k.Open(id, bad, aad)
		if err == nil {
			t.Fatal("Open of tampered ciphertext: got nil error")
		}
		if msg := err.Error(); strings.Contains(msg, string(plaintext)) || strings.Contains(msg, testKey(1)) {
			t.Errorf("error %q contains plaintext or key", msg)
		}
	})

	t.Run("rotation", func(t *testing.T) {
		old := mustRing(t, "k1:"+testKey(1))
		rotated := mustRing(t, "k2:"+testKey(2)+",k1:"+testKey(1))
		oldID, oldCT, err := old.Seal([]byte("before"), aad)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		got, err := rotated.Open(oldID, oldCT, aad)
		if err != nil || string(got) != "before" {
			t.Fatalf("old ciphertext after rotation: got (%q, %v), want (%q, nil)", got, err, "before")
		}
		newID, newCT, err := rotated.Seal([]byte("after"), aad)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if newID != "k2" {
			t.Errorf("new seal key id: got %q, want %q", newID, "k2")
		}
		got, err = rotated.Open(newID, newCT, aad)
		if err != nil || string(got) != "after" {
			t.Errorf("new ciphertext: got (%q, %v), want (%q, nil)", got, err, "after")
		}
		if _, err := old.Open(newID, newCT, aad); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("old ring opening k2 ciphertext: got %v, want ErrUnknownKey", err)
		}
		// A ciphertext relabelled with the other key's id must not open.
		if _, err := rotated.Open("k1", newCT, aad); !errors.Is(err, ErrDecrypt) {
			t.Errorf("k2 ciphertext opened as k1: got %v, want ErrDecrypt", err)
		}
	})
}

func TestKeyring_ConcurrentUse(t *testing.T) {
	k := mustRing(t, "k2:"+testKey(2)+",k1:"+testKey(1))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				msg := []byte(fmt.Sprintf("g%d-%d", g, i))
				id, ct, err := k.Seal(msg, msg)
				if err == nil {
					var got []byte
					got, err = k.Open(id, ct, msg)
					if err == nil && !bytes.Equal(got, msg) {
						err = fmt.Errorf("got %q, want %q", got, msg)
					}
				}
				if err == nil && !k.VerifyMAC("p", msg, k.MAC("p", msg)) {
					err = errors.New("VerifyMAC false for fresh MAC")
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestKeyring_Format(t *testing.T) {
	// Someone will eventually log a config struct holding the keyring; no
	// fmt verb may print key bytes in any encoding, yet the ids should show.
	raw := testKeyBytes(5)
	k := mustRing(t, "k1:"+base64.StdEncoding.EncodeToString(raw))
	forbidden := []string{
		base64.StdEncoding.EncodeToString(raw),
		hex.EncodeToString(raw),
		strings.ToUpper(hex.EncodeToString(raw)),
		strings.Trim(fmt.Sprintf("%q", raw[:8]), `"`),
		fmt.Sprint(raw),
		fmt.Sprintf("%v", raw[:8]),
		fmt.Sprintf("%d", raw)[1:20],
		string(raw[:8]),
	}
	type config struct {
		Name string
		Ring *Keyring
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
		t.Run(verb, func(t *testing.T) {
			for _, v := range []any{k, *k, config{"c", k}, &config{"c", k}, []*Keyring{k}} {
				out := fmt.Sprintf(verb, v)
				for _, f := range forbidden {
					if strings.Contains(out, strings.Trim(f, "[]")) {
						t.Errorf("fmt %s of %T prints key material: %s", verb, v, out)
					}
				}
				if !strings.Contains(out, "k1") {
					t.Errorf("fmt %s of %T: got %q, want it to show key id %q", verb, v, out, "k1")
				}
			}
		})
	}
}

func TestKeyring_Derive(t *testing.T) {
	old := mustRing(t, "k1:"+testKey(1))
	k := mustRing(t, "k2:"+testKey(2)+",k1:"+testKey(1))

	t.Run("matches HKDF-SHA256 of active key", func(t *testing.T) {
		got := k.Derive("cookie/hash")
		want := hkdfSHA256(testKeyBytes(2), "switchboard/cookie/hash")
		if !bytes.Equal(got, want) {
			t.Errorf("got %x, want %x", got, want)
		}
	})
	t.Run("length", func(t *testing.T) {
		if got := len(k.Derive("x")); got != 32 {
			t.Errorf("got %d bytes, want 32", got)
		}
	})
	t.Run("stable", func(t *testing.T) {
		if a, b := k.Derive("p"), mustRing(t, "k2:"+testKey(2)).Derive("p"); !bytes.Equal(a, b) {
			t.Errorf("same key and purpose gave %x and %x", a, b)
		}
	})
	t.Run("purposes separate", func(t *testing.T) {
		seen := map[string]string{}
		for _, p := range []string{"", "a", "b", "cookie/hash", "cookie/block", "mac/a"} {
			d := string(k.Derive(p))
			if prev, dup := seen[d]; dup {
				t.Errorf("purposes %q and %q derive the same key", prev, p)
			}
			seen[d] = p
		}
	})
	t.Run("not the master key", func(t *testing.T) {
		if bytes.Equal(k.Derive(""), testKeyBytes(2)) {
			t.Errorf("Derive returned the master key")
		}
	})
	t.Run("fresh slice", func(t *testing.T) {
		d := k.Derive("p")
		want := bytes.Clone(d)
		d[0] ^= 0xff
		if got := k.Derive("p"); !bytes.Equal(got, want) {
			t.Errorf("mutating a returned subkey changed the next one")
		}
	})
	t.Run("DeriveAll", func(t *testing.T) {
		all := k.DeriveAll("cookie/hash")
		if len(all) != 2 {
			t.Fatalf("got %d subkeys, want 2", len(all))
		}
		if !bytes.Equal(all[0], k.Derive("cookie/hash")) {
			t.Errorf("first subkey is not the active key's")
		}
		if !bytes.Equal(all[1], old.Derive("cookie/hash")) {
			t.Errorf("second subkey is not the old key's")
		}
		if bytes.Equal(all[0], all[1]) {
			t.Errorf("subkeys of different keys are equal")
		}
	})
}

func TestKeyring_MAC(t *testing.T) {
	k := mustRing(t, "k2:"+testKey(2)+",k1:"+testKey(1))
	msg := []byte("sb_generated_secret")

	t.Run("format and value", func(t *testing.T) {
		h := hmac.New(sha256.New, hkdfSHA256(testKeyBytes(2), "switchboard/mac/api-token"))
		h.Write(msg)
		want := "k2:" + hex.EncodeToString(h.Sum(nil))
		if got := k.MAC("api-token", msg); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("stable", func(t *testing.T) {
		again := mustRing(t, "k2:"+testKey(2)+",k1:"+testKey(1))
		if a, b := k.MAC("p", msg), again.MAC("p", msg); a != b {
			t.Errorf("got %q then %q", a, b)
		}
	})
	t.Run("inputs separate", func(t *testing.T) {
		base := k.MAC("p", msg)
		others := map[string]string{
			"purpose": k.MAC("q", msg),
			"message": k.MAC("p", append(bytes.Clone(msg), '!')),
			"key":     mustRing(t, "k2:"+testKey(3)).MAC("p", msg),
		}
		for name, o := range others {
			if o == base {
				t.Errorf("changing the %s did not change the MAC", name)
			}
		}
	})
	t.Run("no plaintext", func(t *testing.T) {
		if got := k.MAC("p", msg); strings.Contains(got, string(msg)) || strings.Contains(got, hex.EncodeToString(msg)) {
			t.Errorf("MAC %q contains the message", got)
		}
	})
}

func TestKeyring_VerifyMAC(t *testing.T) {
	old := mustRing(t, "k1:"+testKey(1))
	k := mustRing(t, "k2:"+testKey(2)+",k1:"+testKey(1))
	msg := []byte("token-value")
	good := k.MAC("p", msg)
	_, sum, _ := strings.Cut(good, ":")

	cases := []struct {
		name    string
		purpose string
		msg     []byte
		stored  string
		want    bool
	}{
		{"valid", "p", msg, good, true},
		{"valid uppercase hex", "p", msg, "k2:" + strings.ToUpper(sum), true},
		{"made before rotation", "p", msg, old.MAC("p", msg), true},
		{"wrong message", "p", []byte("token-valuf"), good, false},
		{"empty message", "p", nil, good, false},
		{"wrong purpose", "q", msg, good, false},
		{"relabelled key id", "p", msg, "k1:" + sum, false},
		{"unknown key id", "p", msg, "k9:" + sum, false},
		{"empty", "p", msg, "", false},
		{"no colon", "p", msg, "k2" + sum, false},
		{"no id", "p", msg, ":" + sum, false},
		{"no sum", "p", msg, "k2:", false},
		{"truncated sum", "p", msg, good[:len(good)-2], false},
		{"odd length sum", "p", msg, good[:len(good)-1], false},
		{"extended sum", "p", msg, good + "00", false},
		{"non-hex sum", "p", msg, good[:len(good)-1] + "g", false},
		{"flipped digit", "p", msg, good[:len(good)-1] + flipHex(good[len(good)-1]), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := k.VerifyMAC(tc.purpose, tc.msg, tc.stored); got != tc.want {
				t.Errorf("VerifyMAC(%q, %q, %q): got %v, want %v", tc.purpose, tc.msg, tc.stored, got, tc.want)
			}
		})
	}
	t.Run("old ring rejects new MAC", func(t *testing.T) {
		if old.VerifyMAC("p", msg, good) {
			t.Errorf("ring without k2 verified a k2 MAC")
		}
	})
}

// flipHex returns a hex digit different from c.
func flipHex(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

func TestKeyring_MACCandidates(t *testing.T) {
	old := mustRing(t, "k1:"+testKey(1))
	k := mustRing(t, "k3:"+testKey(3)+",k2:"+testKey(2)+",k1:"+testKey(1))
	msg := []byte("lookup-me")
	got := k.MACCandidates("api-token", msg)

	t.Run("one per key, active first", func(t *testing.T) {
		if len(got) != 3 {
			t.Fatalf("got %d candidates, want 3", len(got))
		}
		for i, id := range []string{"k3", "k2", "k1"} {
			if !strings.HasPrefix(got[i], id+":") {
				t.Errorf("candidate %d: got %q, want key id %q", i, got[i], id)
			}
		}
		if got[0] != k.MAC("api-token", msg) {
			t.Errorf("first candidate %q is not MAC() %q", got[0], k.MAC("api-token", msg))
		}
	})
	t.Run("finds hash stored before rotation", func(t *testing.T) {
		stored := old.MAC("api-token", msg)
		if !slices.Contains(got, stored) {
			t.Errorf("candidates %q do not include pre-rotation MAC %q", got, stored)
		}
	})
	t.Run("all verify", func(t *testing.T) {
		for _, c := range got {
			if !k.VerifyMAC("api-token", msg, c) {
				t.Errorf("candidate %q does not verify", c)
			}
		}
	})
}

func BenchmarkSeal(b *testing.B) {
	k := mustRing(b, testKey(1))
	for _, size := range []int{64, 4096} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			pt, aad := make([]byte, size), []byte("row-123")
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, _, err := k.Seal(pt, aad); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
