package secrets

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"strings"
)

const (
	// base62Alphabet is digits, then upper case, then lower case. Base62
	// keeps tokens free of punctuation so they survive double-click
	// selection, URLs and shell quoting intact.
	base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	// tokenRandomBytes is the token's entropy: 256 bits, beyond guessing.
	tokenRandomBytes = 32
	// tokenBodyLen is the smallest width that holds any 256-bit value in
	// base62 (62^43 > 2^256).
	tokenBodyLen = 43
	// tokenChecksumLen is the smallest width that holds any CRC32 in
	// base62 (62^6 > 2^32).
	tokenChecksumLen = 6
	// tokenSuffixLen is everything after the prefix.
	tokenSuffixLen = tokenBodyLen + tokenChecksumLen
)

// NewToken returns prefix + base62(32 random bytes, left-padded with '0' to
// 43 characters) + base62(CRC32-IEEE of prefix+body, left-padded to 6). As
// with GitHub tokens, the prefix makes a leaked token recognisable to secret
// scanners and the checksum lets them discard false positives offline,
// without querying us.
func NewToken(prefix string) (string, error) {
	b := make([]byte, tokenRandomBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("secrets: new token: %w", err)
	}
	body := encodeBase62(b, tokenBodyLen)
	return prefix + body + tokenChecksum(prefix, body), nil
}

// CheckToken reports whether token has exactly this prefix, the right
// length, only base62 characters after the prefix, and a valid checksum. It
// does no I/O, so handlers can reject typos and garbage before touching the
// database; a true result says nothing about whether the token was issued.
func CheckToken(prefix, token string) bool {
	if len(token) != len(prefix)+tokenSuffixLen || !strings.HasPrefix(token, prefix) {
		return false
	}
	rest := token[len(prefix):]
	for i := 0; i < len(rest); i++ {
		if !isBase62(rest[i]) {
			return false
		}
	}
	// The checksum is public information, so a plain comparison is fine.
	return rest[tokenBodyLen:] == tokenChecksum(prefix, rest[:tokenBodyLen])
}

// tokenChecksum returns the 6-character base62 CRC32-IEEE of prefix+body.
// The prefix is covered so that a token moved to another prefix fails.
func tokenChecksum(prefix, body string) string {
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE([]byte(prefix+body)))
	return encodeBase62(sum[:], tokenChecksumLen)
}

// isBase62 reports whether c is in base62Alphabet.
func isBase62(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}

// encodeBase62 encodes src, read as a big-endian unsigned integer, in
// exactly width base62 digits, left-padded with '0'. Fixed width is what
// makes tokens fixed length whatever their random value. It panics if the
// value needs more than width digits, which would be a bug in this file.
func encodeBase62(src []byte, width int) string {
	num := make([]byte, len(src))
	copy(num, src)
	out := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		// Long division of num by 62, leaving the quotient in num.
		var rem uint
		for j := range num {
			acc := rem<<8 | uint(num[j])
			num[j] = byte(acc / 62)
			rem = acc % 62
		}
		out[i] = base62Alphabet[rem]
	}
	for _, b := range num {
		if b != 0 {
			panic("secrets: base62 value does not fit width")
		}
	}
	return string(out)
}

// RandomID returns n random bytes as unpadded base64url, for values that
// must be unguessable but need no checksum or prefix: reveal ids, CSRF
// tokens, session ids. It panics if n is negative. crypto/rand cannot fail
// on supported platforms, which is why there is no error result.
func RandomID(n int) string {
	if n < 0 {
		panic("secrets: RandomID with negative length")
	}
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// Never reached (crypto/rand aborts the program instead), but an
		// all-zero id must never be returned if that changes.
		panic("secrets: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Fingerprint returns a short, non-reversible label for a secret, for
// display: "sha256:" + the first 16 hex characters of its SHA-256. It is not
// a MAC and is brute-forceable for low-entropy input, so use it only for
// high-entropy tokens the user supplied and already holds, never to store
// anything.
func Fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:8])
}
