package secrets

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Parameters for new hashes: the OWASP Password Storage Cheat Sheet's
// argon2id configuration (19 MiB, 2 passes, 1 lane). They are encoded in
// every hash, so raising them later only affects new hashes.
const (
	argonTime    uint32 = 2
	argonMemory  uint32 = 19456 // KiB
	argonThreads uint8  = 1
	argonSaltLen        = 16
	argonKeyLen  uint32 = 32
)

// Limits on parameters read from a stored hash. A corrupted or planted hash
// row must not be able to make one login attempt allocate gigabytes or spin
// for minutes, yet there is ample headroom to raise the defaults.
const (
	maxArgonTime   = 64
	maxArgonMemory = 1 << 20 // KiB, i.e. 1 GiB
	minArgonSalt   = 8
	maxArgonSalt   = 64
	minArgonKey    = 16
	maxArgonKey    = 64
)

// errMalformedHash is wrapped by every CheckPassword parse error, so callers
// can tell a broken hash row from a wrong password.
var errMalformedHash = errors.New("secrets: malformed password hash")

// HashPassword hashes password with argon2id (t=2, m=19456 KiB, p=1) and a
// fresh 16-byte salt, returning a PHC string
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" in unpadded standard base64,
// the format other argon2 libraries read.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("secrets: hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key)), nil
}

// TimingHash returns a well-formed hash with the parameters HashPassword
// uses today, of no password anyone can know (an all-zero salt and key), for
// a sign-in of an unknown email to run the same argon2 work as a real check.
// It is built from the constants, so it costs nothing at start: computing a
// real hash at package init ran argon2 (19 MiB, tens of milliseconds) on
// every start and left the 19 MiB in the heap until the next GC.
func TimingHash() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(make([]byte, argonSaltLen)),
		base64.RawStdEncoding.EncodeToString(make([]byte, argonKeyLen)))
}

// CheckPassword reports whether password matches hash, comparing in constant
// time. The parameters are read from hash rather than assumed, so hashes made
// with older or newer settings keep verifying. The error is non-nil only for
// a malformed hash, never for a wrong password.
func CheckPassword(hash, password string) (bool, error) {
	p, err := parseArgon2id(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(got, p.key) == 1, nil
}

// argon2idHash is a parsed PHC string.
type argon2idHash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// parseArgon2id parses and bounds-checks a PHC argon2id string. Error text
// names the faulty part but never quotes the hash, which is sensitive.
func parseArgon2id(s string) (argon2idHash, error) {
	var h argon2idHash
	bad := func(what string) (argon2idHash, error) {
		return argon2idHash{}, fmt.Errorf("%w: %s", errMalformedHash, what)
	}

	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("want $argon2id$v=19$m=...,t=...,p=...$salt$hash")
	}
	if parts[1] != "argon2id" {
		return bad("algorithm is not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported argon2 version")
	}

	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return bad("want parameters m=...,t=...,p=...")
	}
	m, errM := parseParam(params[0], "m=", 32)
	t, errT := parseParam(params[1], "t=", 32)
	p, errP := parseParam(params[2], "p=", 8)
	if errM != nil || errT != nil || errP != nil {
		return bad("want parameters m=...,t=...,p=...")
	}
	// Argon2 itself requires at least 8 KiB per lane; x/crypto would
	// silently round up instead, hashing with parameters the string does
	// not state.
	if p < 1 || t < 1 || t > maxArgonTime || m < 8*p || m > maxArgonMemory {
		return bad("parameters out of range")
	}
	h.memory, h.time, h.threads = uint32(m), uint32(t), uint8(p)

	var err error
	if h.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil {
		return bad("salt is not unpadded base64")
	}
	if len(h.salt) < minArgonSalt || len(h.salt) > maxArgonSalt {
		return bad("salt length out of range")
	}
	if h.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil {
		return bad("hash is not unpadded base64")
	}
	if len(h.key) < minArgonKey || len(h.key) > maxArgonKey {
		return bad("hash length out of range")
	}
	return h, nil
}

// parseParam parses "name=<decimal>" into an unsigned integer of bitSize.
func parseParam(s, name string, bitSize int) (uint64, error) {
	v, ok := strings.CutPrefix(s, name)
	if !ok {
		return 0, errMalformedHash
	}
	// ParseUint rejects signs, spaces and empty strings, keeping the
	// accepted syntax as narrow as the PHC format.
	return strconv.ParseUint(v, 10, bitSize)
}
