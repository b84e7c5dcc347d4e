// Package session keeps a browser session in a gorilla/sessions cookie
// (authenticated and encrypted with keys derived from the master key) under
// Fiber. A cookie cannot be revoked by itself, so it carries the user's
// session generation, which every request checks against the user row:
// disabling a user or changing a password bumps it and ends every session.
package session

import (
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"switchboard/secrets"
)

const localsKey = "switchboard.session"

// Store reads and writes session cookies.
type Store struct {
	cookies  *sessions.CookieStore
	name     string
	Idle     time.Duration
	Absolute time.Duration
	// Now is the clock, replaceable in tests.
	Now func() time.Time

	// decoded keeps what recent cookies decoded to (see decode).
	mu      sync.Mutex
	decoded map[string]decodedCookie
}

// decodedCookie is the values one cookie string decoded to, until exp (unix
// nanoseconds).
type decodedCookie struct {
	values map[any]any
	exp    int64
}

// Decoding a cookie (HMAC check, AES-CTR, gob) costs more than the rest of
// a signed-in page's session handling: a browser sends the same cookie
// until it changes (at most once a minute, when "seen" moves), so what a
// cookie string decoded to is kept for decodeTTL, at most decodeMax of
// them. Only an exact string that already authenticated is served from
// here; the idle, absolute, generation and session-row checks still run on
// every request on the values.
const (
	decodeTTL = 30 * time.Second
	decodeMax = 4096
)

// NewStore returns a Store whose cookie keys derive from keys (every key of
// the ring decodes, the active one encodes, so a master key rotation keeps
// sessions). secure sets the Secure flag and the __Host- name prefix.
func NewStore(keys *secrets.Keyring, secure bool, idle, absolute time.Duration) *Store {
	var pairs [][]byte
	hashKeys := keys.DeriveAll("session/hash")
	blockKeys := keys.DeriveAll("session/block")
	for i := range hashKeys {
		pairs = append(pairs, hashKeys[i], blockKeys[i])
	}
	cs := sessions.NewCookieStore(pairs...)
	cs.Options = &sessions.Options{Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
	cs.MaxAge(int(absolute / time.Second))
	name := "switchboard"
	if secure {
		name = "__Host-switchboard"
	}
	return &Store{cookies: cs, name: name, Idle: idle, Absolute: absolute, Now: time.Now}
}

// Session is one request's session.
type Session struct {
	s     *sessions.Session
	dirty bool
	// Expired is set when the request carried a signed-in session that timed out.
	Expired bool
	// loadedSID is the session id the request's cookie carried while signed
	// in (even one that timed out), so the middleware can tell a sign-out,
	// a new sign-in or a re-issue from the same session going on.
	loadedSID string
	// fresh is set by SignIn: the session is a new one, not a re-issue.
	fresh bool
}

// Load decodes the request's cookie. A missing, forged or undecodable
// cookie gives a new empty session, never an error. An idle or absolute
// timeout signs the session out.
func (st *Store) Load(c *fiber.Ctx) *Session {
	// What gorilla's CookieStore.New does, with the decode cached.
	s := sessions.NewSession(st.cookies, st.name)
	opts := *st.cookies.Options
	s.Options = &opts
	s.IsNew = true
	if v := st.decode(c.Cookies(st.name)); v != nil {
		s.Values, s.IsNew = v, false
	}
	sess := &Session{s: s}
	if sess.UserID() != "" {
		sess.loadedSID = sess.SID()
		now := st.Now().Unix()
		started, seen := sess.int64("started"), sess.int64("seen")
		if now-seen > int64(st.Idle/time.Second) || now-started > int64(st.Absolute/time.Second) {
			sess.signOut()
			sess.Expired = true
		} else if now-seen >= 60 {
			sess.s.Values["seen"] = now
			sess.dirty = true
		}
	}
	if sess.CSRF() == "" {
		sess.s.Values["csrf"] = secrets.RandomID(32)
		sess.dirty = true
	}
	c.Locals(localsKey, sess)
	return sess
}

// decode returns the values the cookie string raw carries (a copy the
// request may change), or nil when it is empty or does not decode.
func (st *Store) decode(raw string) map[any]any {
	if raw == "" {
		return nil
	}
	now := st.Now().UnixNano()
	st.mu.Lock()
	d, ok := st.decoded[raw]
	st.mu.Unlock()
	if ok && now < d.exp {
		return maps.Clone(d.values)
	}
	values := map[any]any{}
	if err := securecookie.DecodeMulti(st.name, raw, &values, st.cookies.Codecs...); err != nil {
		return nil
	}
	st.mu.Lock()
	if len(st.decoded) >= decodeMax {
		for k, e := range st.decoded {
			if now >= e.exp {
				delete(st.decoded, k)
			}
		}
		if len(st.decoded) >= decodeMax {
			clear(st.decoded)
		}
	}
	if st.decoded == nil {
		st.decoded = map[string]decodedCookie{}
	}
	// A copy of the key: without fiber's Immutable the string is the
	// request buffer's, reused by the next request.
	st.decoded[strings.Clone(raw)] = decodedCookie{values: maps.Clone(values), exp: now + int64(decodeTTL)}
	st.mu.Unlock()
	return values
}

// From returns the request's session (Load must have run).
func From(c *fiber.Ctx) *Session {
	s, _ := c.Locals(localsKey).(*Session)
	return s
}

// Save writes the cookie when the session changed, adding (never setting)
// the Set-Cookie header so other cookies survive.
func (st *Store) Save(c *fiber.Ctx, s *Session) error {
	if s == nil || !s.dirty {
		return nil
	}
	w := headerWriter{h: http.Header{}}
	if err := st.cookies.Save(&http.Request{Header: http.Header{}}, w, s.s); err != nil {
		return err
	}
	for _, v := range w.h.Values("Set-Cookie") {
		c.Response().Header.Add(fiber.HeaderSetCookie, v)
	}
	s.dirty = false
	return nil
}

// headerWriter is the http.ResponseWriter gorilla/sessions writes cookies to.
type headerWriter struct{ h http.Header }

func (w headerWriter) Header() http.Header         { return w.h }
func (w headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w headerWriter) WriteHeader(int)             {}

func (s *Session) str(k string) string {
	v, _ := s.s.Values[k].(string)
	return v
}

func (s *Session) int64(k string) int64 {
	v, _ := s.s.Values[k].(int64)
	return v
}

// UserID is the signed-in user, empty when signed out.
func (s *Session) UserID() string { return s.str("uid") }

// SID is the session's random id, empty when signed out. A signed-in
// session's id names its row in the sessions list.
func (s *Session) SID() string { return s.str("sid") }

// LoadedSID is the session id the request arrived with (signed in, even if
// it timed out on arrival); empty for a signed-out request.
func (s *Session) LoadedSID() string { return s.loadedSID }

// Generation is the user's session generation at sign-in.
func (s *Session) Generation() int { return int(s.int64("gen")) }

// CSRF is the session's anti-forgery token.
func (s *Session) CSRF() string { return s.str("csrf") }

// SignIn starts a new session for a user: every old value (and so the
// pre-sign-in identity and CSRF token) is dropped and a new session id minted.
func (s *Session) SignIn(userID string, generation int, now time.Time) {
	for k := range s.s.Values {
		delete(s.s.Values, k)
	}
	s.s.Values["sid"] = secrets.RandomID(16)
	s.s.Values["uid"] = userID
	s.s.Values["gen"] = int64(generation)
	s.s.Values["started"] = now.Unix()
	s.s.Values["seen"] = now.Unix()
	s.s.Values["csrf"] = secrets.RandomID(32)
	s.dirty = true
	s.fresh = true
}

// PendingTTL is how long a sign-in waits for its second factor.
const PendingTTL = 5 * time.Minute

// SetPending marks a sign-in whose password was right and which waits for a
// second factor (enrol: the user must set one up first). The session is not
// signed in; the values are dropped by SignIn or SignOut.
func (s *Session) SetPending(userID string, enrol bool, now time.Time) {
	s.s.Values["p_uid"] = userID
	s.s.Values["p_at"] = now.Unix()
	s.s.Values["p_enrol"] = enrol
	s.dirty = true
}

// Pending returns the user of a sign-in waiting for its second factor, if
// it is younger than PendingTTL.
func (s *Session) Pending(now time.Time) (userID string, enrol bool, ok bool) {
	uid := s.str("p_uid")
	if uid == "" || now.Unix()-s.int64("p_at") > int64(PendingTTL/time.Second) {
		return "", false, false
	}
	enrol, _ = s.s.Values["p_enrol"].(bool)
	return uid, enrol, true
}

// SetOIDC keeps a single sign-on flow's state, nonce and PKCE verifier
// (and where to go after it) until the provider sends the browser back.
func (s *Session) SetOIDC(state, nonce, verifier, next string, now time.Time) {
	s.s.Values["o_state"], s.s.Values["o_nonce"], s.s.Values["o_verifier"], s.s.Values["o_next"] = state, nonce, verifier, next
	s.s.Values["o_at"] = now.Unix()
	s.dirty = true
}

// TakeOIDC returns and drops the pending single sign-on flow, so a state
// works once; ok is false when there is none younger than PendingTTL.
func (s *Session) TakeOIDC(now time.Time) (state, nonce, verifier, next string, ok bool) {
	state, nonce, verifier, next = s.str("o_state"), s.str("o_nonce"), s.str("o_verifier"), s.str("o_next")
	at := s.int64("o_at")
	for _, k := range []string{"o_state", "o_nonce", "o_verifier", "o_next", "o_at"} {
		delete(s.s.Values, k)
	}
	s.dirty = true
	if state == "" || now.Unix()-at > int64(PendingTTL/time.Second) {
		return "", "", "", "", false
	}
	return state, nonce, verifier, next, true
}

// SignedInNow reports whether SignIn ran during this request.
func (s *Session) SignedInNow() bool { return s.fresh }

// Reissue keeps the user signed in under a new session generation (after
// a password change ended every other session) with a new session id; the
// sign-in time, and so the absolute lifetime, is kept.
func (s *Session) Reissue(generation int) {
	s.s.Values["sid"] = secrets.RandomID(16)
	s.s.Values["gen"] = int64(generation)
	s.dirty = true
}

// SignOut drops the user from the session and mints a new CSRF token.
func (s *Session) SignOut() { s.signOut() }

func (s *Session) signOut() {
	flashes := s.s.Values["flash"]
	for k := range s.s.Values {
		delete(s.s.Values, k)
	}
	if flashes != nil {
		s.s.Values["flash"] = flashes
	}
	s.s.Values["csrf"] = secrets.RandomID(32)
	s.dirty = true
}

// Flash is a message for the next page.
type Flash struct {
	Kind    string
	Message string
}

// Bounds on the queued flash messages. A browser that never follows the
// redirects (a script, a crashed tab) would otherwise queue one message per
// POST until the cookie passes the 4 KB a server accepts and every request
// answers 431 (issue 11 item 4). The newest messages are the ones kept:
// they describe what the user did last.
const (
	// MaxFlashes is how many messages the cookie holds at once.
	MaxFlashes = 3
	// MaxFlashBytes bounds one message; a longer one is cut at a rune boundary.
	MaxFlashBytes = 240
)

// AddFlash queues a message for the next rendered page, keeping at most
// MaxFlashes of the newest and dropping an exact repeat of one queued.
func (s *Session) AddFlash(kind, msg string) {
	if len(msg) > MaxFlashBytes {
		cut := MaxFlashBytes - len("…")
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	if len(kind) > 16 {
		kind = kind[:16]
	}
	entry := kind + "\x00" + msg
	list, _ := s.s.Values["flash"].([]string)
	kept := make([]string, 0, MaxFlashes)
	for _, v := range list {
		if v != entry {
			kept = append(kept, v)
		}
	}
	kept = append(kept, entry)
	if len(kept) > MaxFlashes {
		kept = kept[len(kept)-MaxFlashes:]
	}
	s.s.Values["flash"] = kept
	s.dirty = true
}

// TakeFlashes returns and clears the queued messages.
func (s *Session) TakeFlashes() []Flash {
	list, _ := s.s.Values["flash"].([]string)
	if len(list) == 0 {
		return nil
	}
	delete(s.s.Values, "flash")
	s.dirty = true
	out := make([]Flash, 0, len(list))
	for _, v := range list {
		for i := 0; i < len(v); i++ {
			if v[i] == 0 {
				out = append(out, Flash{Kind: v[:i], Message: v[i+1:]})
				break
			}
		}
	}
	return out
}

// Name is the cookie name.
func (st *Store) Name() string { return st.name }
