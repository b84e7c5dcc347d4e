package access

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"runtime"
	"strings"
	"time"

	sb "switchboard"
	"switchboard/db"
	"switchboard/secrets"
)

// Throttling of sign-in tries: per account, per address and per user's
// second factor, in fixed windows of FailWindow counted in the
// sign_in_throttle table. A try claims its slot with one atomic statement
// before any password is hashed, so the limits hold under concurrent tries
// and across every instance sharing the database. Only tries that reach the
// check and fail stay counted: a successful try, and a try refused before
// the check (throttled or busy), give their claims back. A success does
// not wipe the failures before it.
const (
	FailWindow      = 15 * time.Minute
	MaxFailsPerUser = 5
	MaxFailsPerIP   = 20
)

// SignInHashWait is how long a sign-in waits for a free password-hashing
// slot before it is refused with "busy" (429).
const SignInHashWait = 2 * time.Second

var (
	errThrottled     = sb.Errorf(sb.CodeRateLimited, "too many failed sign-ins: wait 15 minutes and try again")
	errCodeThrottled = sb.Errorf(sb.CodeRateLimited, "too many wrong codes: wait 15 minutes and try again")
	errHashBusy      = sb.Errorf(sb.CodeRateLimited, "too many sign-ins at once: try again in a moment")
)

// hashSlots bounds the argon2id hashes running at once (each takes 19 MiB):
// one slot per core the Go scheduler uses.
func newHashSlots() chan struct{} { return make(chan struct{}, runtime.GOMAXPROCS(0)) }

// withHashSlot runs fn while holding a hashing slot, waiting at most wait
// for one (0: as long as ctx allows); it answers errHashBusy when none came.
func (s *Service) withHashSlot(ctx context.Context, wait time.Duration, fn func() error) error {
	var timeout <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case s.hashSlots <- struct{}{}:
	case <-timeout:
		return errHashBusy
	case <-ctx.Done():
		return errHashBusy
	}
	defer func() { <-s.hashSlots }()
	return fn()
}

// hashPassword is secrets.HashPassword in a hashing slot.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	var hash string
	err := s.withHashSlot(ctx, 0, func() (err error) {
		hash, err = secrets.HashPassword(password)
		if err != nil {
			return sb.Internal(err)
		}
		return nil
	})
	return hash, err
}

// throttleClaim is the slots one try holds.
type throttleClaim struct {
	s    *Service
	keys []string
}

// claim counts a try against each key in order, stopping at the first over
// its limit: refused is then errThrottled (and the claims are given back).
func (s *Service) claim(ctx context.Context, keys []string, limits []int, refused error) (*throttleClaim, error) {
	tc := &throttleClaim{s: s}
	now := s.Now()
	for i, k := range keys {
		n, err := s.store.ClaimThrottle(ctx, k, now, FailWindow)
		if err != nil {
			tc.refund(ctx)
			return nil, sb.Internal(err)
		}
		tc.keys = append(tc.keys, k)
		if n == 1 && i == 0 {
			// A new window of the first key: a cheap moment to drop the
			// rows whose windows ended.
			if err := s.store.PruneThrottle(ctx, now.Add(-FailWindow)); err != nil {
				s.log.Warn("prune sign-in throttle", "err", err)
			}
		}
		if n > limits[i] {
			tc.refund(ctx)
			return nil, refused
		}
	}
	return tc, nil
}

// refund gives back the try's claims (it succeeded, or never reached the check).
func (tc *throttleClaim) refund(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	for _, k := range tc.keys {
		if err := tc.s.store.RefundThrottle(ctx, k); err != nil {
			tc.s.log.Warn("refund sign-in throttle", "err", err)
		}
	}
	tc.keys = nil
}

// accountKey is the throttle key of an email; a long one (no account has
// it) is hashed so the key stays small.
func accountKey(email string) string {
	if len(email) > 254 {
		sum := sha256.Sum256([]byte(email))
		return "account:#" + hex.EncodeToString(sum[:])
	}
	return "account:" + email
}

// SignIn checks a password and returns the user. Tries are throttled per
// address and per account before any hashing (429), hashes run in a bounded
// number of slots (429 when none frees up within SignInHashWait), failures
// are audited, and the answer and its cost never tell whether the email
// exists.
func (s *Service) SignIn(ctx context.Context, email, password string, m Meta) (*db.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	tc, err := s.claim(ctx, []string{"addr:" + m.IP, accountKey(email)}, []int{MaxFailsPerIP, MaxFailsPerUser}, errThrottled)
	if err != nil {
		return nil, err
	}
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		tc.refund(ctx)
		return nil, sb.Internal(err)
	}
	ok := false
	err = s.withHashSlot(ctx, s.HashWait, func() (err error) {
		if u == nil {
			// Spend the same time and memory as a real check so neither
			// tells whether the address exists.
			secrets.CheckPassword(dummyHash, password)
			return nil
		}
		ok, err = checkPassword(u.PasswordHash, password)
		return err
	})
	if errors.Is(err, errHashBusy) {
		tc.refund(ctx)
		return nil, err
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	if !ok || u.DisabledAt != nil {
		fail := &db.AuditEvent{ActorType: "anonymous", ActorLabel: email, Action: string(ActionUserSignInFailed), TargetType: "user", TargetID: email, IP: m.IP, UserAgent: m.UserAgent}
		if err := s.store.RecordAudit(ctx, fail); err != nil {
			return nil, sb.Internal(err)
		}
		return nil, sb.Errorf(sb.CodeUnauthorized, "wrong email or password")
	}
	tc.refund(ctx)
	if err := s.store.RecordAudit(ctx, &db.AuditEvent{ActorType: "user", ActorID: u.ID, ActorLabel: u.Email, Action: string(ActionUserSignIn), TargetType: "user", TargetID: u.ID, IP: m.IP, UserAgent: m.UserAgent}); err != nil {
		return nil, sb.Internal(err)
	}
	return u, nil
}

// dummyHash is checked against when there is no user (or no password) to
// check, so the reply takes as long as a wrong password's.
var dummyHash = secrets.TimingHash()
