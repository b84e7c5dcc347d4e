package access

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db"
	"switchboard/secrets"
)

// PasswordTokenPrefix starts every set-password token, so a leaked link is
// recognisable and a mistyped one is refused before any query.
const PasswordTokenPrefix = "sbp_"

// PasswordTokenTTL is how long a set-password link works.
const PasswordTokenTTL = 72 * time.Hour

// newPasswordToken makes a set-password token for userID and returns its
// plaintext (shown once) and the row that keeps only its keyed hash.
func (s *Service) newPasswordToken(userID, purpose string) (string, *db.PasswordToken, error) {
	plain, err := secrets.NewToken(PasswordTokenPrefix)
	if err != nil {
		return "", nil, sb.Internal(err)
	}
	return plain, &db.PasswordToken{
		ID: uuid.NewString(), UserID: userID, Purpose: purpose,
		TokenHash: s.keys.MAC("password-token", []byte(plain)),
		ExpiresAt: s.Now().Add(PasswordTokenTTL),
	}, nil
}

// PasswordLink is what the set-password page shows about a live link.
type PasswordLink struct {
	Email   string
	Purpose string
}

// Invite reports whether the link is an invitation (the first password)
// rather than a reset.
func (l *PasswordLink) Invite() bool { return l.Purpose == db.PasswordTokenInvite }

var (
	errLinkUnknown = sb.Errorf(sb.CodeNotFound, "this link is not valid")
	errLinkSpent   = sb.Errorf(sb.CodeGone, "this link was already used, was replaced by a newer one, or expired")
)

// CheckPasswordLink tells whether token is a live set-password link: not
// found when it never existed, gone when it was used, replaced or expired.
func (s *Service) CheckPasswordLink(ctx context.Context, token string) (*PasswordLink, error) {
	if !secrets.CheckToken(PasswordTokenPrefix, token) {
		return nil, errLinkUnknown
	}
	t, err := s.store.PasswordTokenByHash(ctx, s.keys.MACCandidates("password-token", []byte(token)))
	if errors.Is(err, db.ErrNotFound) {
		return nil, errLinkUnknown
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	if t.UsedAt != nil || t.RevokedAt != nil || !s.Now().Before(t.ExpiresAt) {
		return nil, errLinkSpent
	}
	u, err := s.store.UserByID(ctx, t.UserID)
	if err != nil {
		return nil, sb.Internal(err)
	}
	if u.DisabledAt != nil {
		return nil, errLinkSpent
	}
	return &PasswordLink{Email: u.Email, Purpose: t.Purpose}, nil
}

// SetPasswordWithLink spends a set-password link: the user gets password
// (checked by ValidatePassword; confirm must match) and every session of the
// user ends. The link works once, even under concurrent use.
func (s *Service) SetPasswordWithLink(ctx context.Context, token, password, confirm string, m Meta) (*db.User, error) {
	if _, err := s.CheckPasswordLink(ctx, token); err != nil {
		return nil, err
	}
	v := sb.Validation{}
	ValidatePassword(v, "password", password)
	if password != confirm {
		v.Add("confirm", "does not match the password")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	u, err := s.store.UsePasswordToken(ctx, s.keys.MACCandidates("password-token", []byte(token)), hash, func(u *db.User) *db.AuditEvent {
		return &db.AuditEvent{ActorType: "user", ActorID: u.ID, ActorLabel: u.Email, Action: string(ActionUserPasswordSet), TargetType: "user", TargetID: u.ID, IP: m.IP, UserAgent: m.UserAgent, Details: `{"via":"link"}`}
	})
	switch {
	case errors.Is(err, db.ErrNotFound):
		return nil, errLinkUnknown
	case errors.Is(err, db.ErrTokenSpent):
		return nil, errLinkSpent
	case err != nil:
		return nil, sb.Internal(err)
	}
	return u, nil
}

// ChangePassword changes the signed-in user's own password after checking
// the current one, and returns the user with its new session generation:
// every other session of the user ends, the caller re-issues its own.
func (s *Service) ChangePassword(ctx context.Context, actor sb.Actor, current, password, confirm string) (*db.User, error) {
	if actor.UserID == "" || actor.TokenID != "" {
		return nil, sb.Errorf(sb.CodeUnauthorized, "sign in first")
	}
	u, err := s.store.UserByID(ctx, actor.UserID)
	if err != nil {
		return nil, sb.Internal(err)
	}
	v := sb.Validation{}
	var ok bool
	if err := s.withHashSlot(ctx, 0, func() (err error) {
		ok, err = checkPassword(u.PasswordHash, current)
		return err
	}); errors.Is(err, errHashBusy) {
		return nil, err
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	if !ok {
		v.Add("current", "is not your current password")
	}
	ValidatePassword(v, "password", password)
	if password != confirm {
		v.Add("confirm", "does not match the new password")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	u, err = s.store.SetPassword(ctx, u.ID, hash, Audit(actor, Event{Action: ActionUserPasswordChange, TargetType: "user", TargetID: u.ID, TeamID: "", Details: map[string]any{"email": u.Email}}))
	if errors.Is(err, db.ErrNotFound) {
		return nil, sb.Errorf(sb.CodeUnauthorized, "signed out")
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	return u, nil
}

// SignOutEverywhere ends every session of the signed-in user, this one too.
func (s *Service) SignOutEverywhere(ctx context.Context, actor sb.Actor) error {
	if actor.UserID == "" || actor.TokenID != "" {
		return sb.Errorf(sb.CodeUnauthorized, "sign in first")
	}
	err := s.store.BumpSessionGeneration(ctx, actor.UserID, Audit(actor, Event{Action: ActionUserSignOutEverywhere, TargetType: "user", TargetID: actor.UserID, TeamID: "", Details: nil}))
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return sb.Internal(err)
	}
	return nil
}

// checkPassword is secrets.CheckPassword that treats a user without a
// password (db.UnusablePassword) as a mismatch, spending the same time.
func checkPassword(hash, password string) (bool, error) {
	if hash == db.UnusablePassword {
		secrets.CheckPassword(dummyHash, password)
		return false, nil
	}
	return secrets.CheckPassword(hash, password)
}

// SignOut records that a signed-in user ended this browser's session (the
// cookie is cleared by the caller; other sessions go on: see
// SignOutEverywhere).
func (s *Service) SignOut(ctx context.Context, actor sb.Actor) error {
	if actor.UserID == "" {
		return nil
	}
	if err := s.store.RecordAudit(ctx, Audit(actor, Event{Action: ActionUserSignOut, TargetType: "user", TargetID: actor.UserID, TeamID: "", Details: nil})); err != nil {
		return sb.Internal(err)
	}
	return nil
}
