// Package secrets holds Switchboard's cryptography: the master keyring that
// encrypts stored third-party secrets, keyed hashes for secrets we only need
// to recognise, API token generation, and password hashing.
//
// Everything here is deliberately small and built only on the standard
// library and golang.org/x/crypto, so that it can be audited in one sitting.
// No error returned by this package contains key material or plaintext:
// errors end up in logs and HTTP responses, and those are not places where
// secrets may appear.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownKey is returned by Open when a ciphertext names a key id that is
// not in the keyring, typically because a key was retired before every row
// sealed under it had been re-encrypted.
var ErrUnknownKey = errors.New("secrets: unknown key id")

// ErrDecrypt is returned by Open for every authentication failure: tampered
// or truncated ciphertext, wrong AAD, or wrong key. It is deliberately one
// generic error so that callers (and attackers) cannot tell the cases apart.
var ErrDecrypt = errors.New("secrets: cannot decrypt")

const (
	// keySize is the AES-256 key size, and also the size of derived subkeys.
	keySize = 32
	// maxKeyIDLen bounds key ids because they are stored next to every
	// ciphertext and embedded in every MAC string.
	maxKeyIDLen = 32
	// singleKeyID is the id given to a key supplied without one, so that a
	// deployment can start with a bare key and add named keys later while
	// existing rows (tagged "k1") keep opening.
	singleKeyID = "k1"
	// deriveInfoPrefix namespaces HKDF info strings so subkeys of the master
	// key can never collide with another application's use of the same key.
	deriveInfoPrefix = "switchboard/"
	// macPurposePrefix separates MAC subkeys from every other Derive purpose.
	macPurposePrefix = "mac/"
)

// Keyring is an ordered, immutable set of 32-byte master keys. The first key
// is active: it seals new data and signs new MACs. The others are kept only
// so that data written before a rotation stays readable. A Keyring must come
// from ParseKeyring, and is safe for concurrent use.
type Keyring struct {
	// entries is ordered, active first.
	entries []*keyEntry
	byID    map[string]*keyEntry
}

// keyEntry is one key of a Keyring with its AEAD prepared once at parse time.
type keyEntry struct {
	id   string
	key  []byte
	aead cipher.AEAD
}

// Format implements fmt.Formatter so that printing a Keyring with any verb
// (%v, %+v, %#v, %s, %x, ...) shows only its key ids. Without it fmt would
// walk the unexported fields and print the keys and AES round keys, and a
// keyring inside a logged config struct is an easy mistake to make. fmt
// cannot call this for a Keyring reached through an unexported field of
// another struct, so such structs must not be printed wholesale.
func (k Keyring) Format(f fmt.State, verb rune) {
	ids := make([]string, len(k.entries))
	for i, e := range k.entries {
		ids[i] = e.id
	}
	fmt.Fprintf(f, "secrets.Keyring{ids: %q}", ids)
}

// ParseKeyring parses the SWITCHBOARD_MASTER_KEY value: either one base64 key
// (whose id is "k1") or a comma-separated list "id1:base64,id2:base64" whose
// first key is active. Each key must decode (standard base64 with or without
// padding, or URL-safe base64 with or without padding) to exactly 32 bytes;
// ids are 1-32 characters of [A-Za-z0-9_-] and unique. Whitespace around
// entries is ignored because values pasted into env files often carry it.
// Errors say what is wrong without printing key bytes.
func ParseKeyring(s string) (*Keyring, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, keyringError("empty keyring")
	}
	// Base64 never contains ':' or ',', so their absence unambiguously means
	// the single-key form.
	if !strings.ContainsAny(s, ":,") {
		e, err := newKeyEntry(singleKeyID, s)
		if err != nil {
			return nil, err
		}
		return &Keyring{
			entries: []*keyEntry{e},
			byID:    map[string]*keyEntry{e.id: e},
		}, nil
	}

	parts := strings.Split(s, ",")
	k := &Keyring{
		entries: make([]*keyEntry, 0, len(parts)),
		byID:    make(map[string]*keyEntry, len(parts)),
	}
	for i, part := range parts {
		// Entries are identified by position, not content, until the id has
		// been validated: a malformed entry may well be a key pasted into
		// the id slot, and must not be echoed.
		n := i + 1
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, keyringError("entry %d is empty", n)
		}
		id, b64, ok := strings.Cut(part, ":")
		if !ok {
			return nil, keyringError("entry %d has no key id (want id:base64)", n)
		}
		id, b64 = strings.TrimSpace(id), strings.TrimSpace(b64)
		if !validKeyID(id) {
			return nil, keyringError("entry %d has an invalid key id (want 1-%d characters of A-Z a-z 0-9 _ -)", n, maxKeyIDLen)
		}
		if _, dup := k.byID[id]; dup {
			return nil, keyringError("duplicate key id %q", id)
		}
		e, err := newKeyEntry(id, b64)
		if err != nil {
			return nil, err
		}
		k.entries = append(k.entries, e)
		k.byID[id] = e
	}
	return k, nil
}

// keyringError formats a ParseKeyring error. Callers must only pass
// validated ids and numbers, never key text.
func keyringError(format string, args ...any) error {
	return fmt.Errorf("secrets: parse keyring: "+format, args...)
}

// validKeyID reports whether id is 1-32 characters of [A-Za-z0-9_-]. The
// charset keeps ids safe in MAC strings (which split on ':'), in the env var
// (which splits on ',' and ':') and in log lines.
func validKeyID(id string) bool {
	if len(id) == 0 || len(id) > maxKeyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// keyEncodings are tried in order when decoding a key. Operators generate
// keys with whatever tool is at hand (openssl, GenerateKey, a URL-safe
// generator), and a 32-byte key cannot decode validly under two of these to
// different bytes, so accepting all of them costs nothing.
var keyEncodings = []*base64.Encoding{
	base64.StdEncoding,
	base64.RawStdEncoding,
	base64.URLEncoding,
	base64.RawURLEncoding,
}

// newKeyEntry decodes b64 and prepares its AEAD. id must already be valid.
func newKeyEntry(id, b64 string) (*keyEntry, error) {
	if b64 == "" {
		return nil, keyringError("key %q is empty", id)
	}
	var key []byte
	for _, enc := range keyEncodings {
		if b, err := enc.DecodeString(b64); err == nil {
			key = b
			break
		}
	}
	if key == nil {
		// The decoder's own error is dropped: it is harmless today, but the
		// guarantee that errors never describe key text should not depend
		// on another package's wording.
		return nil, keyringError("key %q is not valid base64", id)
	}
	if len(key) != keySize {
		return nil, keyringError("key %q is %d bytes, want %d", id, len(key), keySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		// Unreachable with a 32-byte key; kept so a future change cannot
		// silently produce a keyring that fails at first use.
		return nil, keyringError("key %q: cannot create cipher", id)
	}
	// NewGCMWithRandomNonce produces exactly the documented wire format
	// (12-byte random nonce || GCM ciphertext || tag), so no nonce handling
	// is written by hand here.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, keyringError("key %q: cannot create AEAD", id)
	}
	return &keyEntry{id: id, key: key, aead: aead}, nil
}

// GenerateKey returns a new key for SWITCHBOARD_MASTER_KEY: 32 random bytes
// in standard base64. It exists so that operators never invent keys by hand.
func GenerateKey() (string, error) {
	b := make([]byte, keySize)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("secrets: generate key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// ActiveID returns the id of the key that seals new data and signs new MACs.
func (k *Keyring) ActiveID() string {
	return k.entries[0].id
}

// IDs returns every key id, active first. The slice is a copy, so callers
// cannot reorder the ring by accident.
func (k *Keyring) IDs() []string {
	ids := make([]string, len(k.entries))
	for i, e := range k.entries {
		ids[i] = e.id
	}
	return ids
}

// Seal encrypts plaintext with AES-256-GCM under the active key and returns
// that key's id, to be stored alongside the ciphertext. The ciphertext is a
// 12-byte random nonce followed by the GCM output. aad (for example the row
// id) is authenticated but not stored, so a ciphertext copied to another row
// will not open there.
func (k *Keyring) Seal(plaintext, aad []byte) (keyID string, ciphertext []byte, err error) {
	e := k.entries[0]
	// The random-nonce AEAD reads crypto/rand, which cannot fail on
	// supported platforms; the error result exists so that callers already
	// handle failure if that ever changes.
	return e.id, e.aead.Seal(nil, nil, plaintext, aad), nil
}

// Open reverses Seal. It returns ErrUnknownKey if keyID is not in the ring,
// and ErrDecrypt for short input or any authentication failure.
func (k *Keyring) Open(keyID string, ciphertext, aad []byte) ([]byte, error) {
	e, ok := k.byID[keyID]
	if !ok {
		return nil, ErrUnknownKey
	}
	// Short input is rejected by the AEAD itself (it needs nonce and tag).
	plaintext, err := e.aead.Open(nil, nil, ciphertext, aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plaintext, nil
}

// Derive returns a 32-byte subkey of the active key for purpose, via
// HKDF-SHA256 with a nil salt and info "switchboard/"+purpose. Subkeys let
// one master key serve cookies, MACs and so on without any two uses sharing
// key material.
func (k *Keyring) Derive(purpose string) []byte {
	return k.entries[0].derive(purpose)
}

// DeriveAll returns the subkey for purpose of every key, active first. It is
// meant for gorilla/securecookie key pairs, so that cookies issued before a
// rotation stay readable while new ones use the active key.
func (k *Keyring) DeriveAll(purpose string) [][]byte {
	out := make([][]byte, len(k.entries))
	for i, e := range k.entries {
		out[i] = e.derive(purpose)
	}
	return out
}

// derive returns a fresh copy of this key's subkey for purpose.
func (e *keyEntry) derive(purpose string) []byte {
	sub, err := hkdf.Key(sha256.New, e.key, nil, deriveInfoPrefix+purpose, keySize)
	if err != nil {
		// hkdf.Key only fails for lengths over 255*32 bytes; 32 is constant.
		panic("secrets: hkdf: " + err.Error())
	}
	return sub
}

// MAC returns "<activeKeyID>:<hex HMAC-SHA256>" of msg under
// Derive("mac/"+purpose). Generated secrets and API tokens are stored only
// as such keyed hashes: a leaked database alone does not allow offline
// guessing, and the key id says which key to verify with after a rotation.
func (k *Keyring) MAC(purpose string, msg []byte) string {
	return k.entries[0].mac(purpose, msg)
}

// MACCandidates returns the MAC of msg under every key, active first. It
// serves lookups by hash across a rotation (WHERE hash IN (...)), since a
// stored MAC may have been made with any key still in the ring.
func (k *Keyring) MACCandidates(purpose string, msg []byte) []string {
	out := make([]string, len(k.entries))
	for i, e := range k.entries {
		out[i] = e.mac(purpose, msg)
	}
	return out
}

// VerifyMAC reports whether stored (as produced by MAC) is the MAC of msg for
// purpose, using the key named inside stored and comparing in constant time.
// It returns false for an unknown key id or a malformed stored value.
func (k *Keyring) VerifyMAC(purpose string, msg []byte, stored string) bool {
	id, hexSum, ok := strings.Cut(stored, ":")
	if !ok {
		return false
	}
	e, ok := k.byID[id]
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	return hmac.Equal(got, e.macSum(purpose, msg))
}

// mac formats this key's MAC of msg for purpose.
func (e *keyEntry) mac(purpose string, msg []byte) string {
	return e.id + ":" + hex.EncodeToString(e.macSum(purpose, msg))
}

// macSum returns the raw HMAC-SHA256 of msg under this key's MAC subkey.
func (e *keyEntry) macSum(purpose string, msg []byte) []byte {
	h := hmac.New(sha256.New, e.derive(macPurposePrefix+purpose))
	h.Write(msg)
	return h.Sum(nil)
}
