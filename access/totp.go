package access

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	sb "switchboard"
	"switchboard/db"
)

// TOTP parameters: the ones every authenticator app takes (RFC 6238's
// defaults), a code of the step before or after the current one accepted
// for clock drift.
const (
	TOTPIssuer        = "Switchboard"
	totpPeriod        = 30
	RecoveryCodeCount = 10
)

// SecondFactor is what a password sign-in still needs.
type SecondFactor string

// The second factors a sign-in may need.
const (
	// SecondFactorNone: the password was enough.
	SecondFactorNone SecondFactor = ""
	// SecondFactorCode: the user is enrolled and gives a code.
	SecondFactorCode SecondFactor = "code"
	// SecondFactorEnrol: the policy requires two-factor sign-in of this
	// user (an admin), who is not enrolled yet and must enrol first.
	SecondFactorEnrol SecondFactor = "enrol"
)

// TOTPEnrolment is a pending enrolment as the enrolment page shows it.
type TOTPEnrolment struct {
	// Secret is the base32 secret, for typing into an app by hand.
	Secret string
	// URL is the otpauth:// URL the QR code holds.
	URL string
	// QRCode is a data: URL of the QR code as a PNG.
	QRCode string
}

func totpAAD(userID string) []byte { return []byte("totp:" + userID) }

// RequireAdminTwoFactor reports whether every admin must sign in with a
// second factor.
func (s *Service) RequireAdminTwoFactor(ctx context.Context) (bool, error) {
	v, err := s.store.Setting(ctx, db.SettingRequireAdminTwoFactor, "false")
	if err != nil {
		return false, sb.Internal(err)
	}
	return v == "true", nil
}

// SetRequireAdminTwoFactor turns the admin two-factor policy on or off
// (admins only). Admins not enrolled are sent to enrol at their next sign-in.
func (s *Service) SetRequireAdminTwoFactor(ctx context.Context, actor sb.Actor, on bool) error {
	if !actor.IsAdmin() || actor.TokenID != "" {
		return sb.Errorf(sb.CodeNotFound, "not found")
	}
	v := "false"
	if on {
		v = "true"
	}
	audit := Audit(actor, Event{Action: ActionSettingsTwoFactor, TargetType: "setting", TargetID: db.SettingRequireAdminTwoFactor, TeamID: "", Details: map[string]any{"require_admin_two_factor": on}})
	if err := s.store.SetSetting(ctx, db.SettingRequireAdminTwoFactor, v, audit); err != nil {
		return sb.Internal(err)
	}
	return nil
}

// TwoFactorEnrolled reports whether a user has confirmed TOTP enrolment.
func (s *Service) TwoFactorEnrolled(ctx context.Context, userID string) (bool, error) {
	t, err := s.store.TOTPByUser(ctx, userID)
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, sb.Internal(err)
	}
	return t.ConfirmedAt != nil, nil
}

// SecondFactorFor says what a user who just gave the right password still
// needs before the session starts.
func (s *Service) SecondFactorFor(ctx context.Context, userID, role string) (SecondFactor, error) {
	enrolled, err := s.TwoFactorEnrolled(ctx, userID)
	if err != nil {
		return SecondFactorNone, err
	}
	if enrolled {
		return SecondFactorCode, nil
	}
	if sb.Role(role) == sb.RoleAdmin {
		required, err := s.RequireAdminTwoFactor(ctx)
		if err != nil {
			return SecondFactorNone, err
		}
		if required {
			return SecondFactorEnrol, nil
		}
	}
	return SecondFactorNone, nil
}

// PendingTOTP returns the user's pending enrolment, making one when there
// is none; a user already enrolled is refused (conflict).
func (s *Service) PendingTOTP(ctx context.Context, userID string) (*TOTPEnrolment, error) {
	u, err := s.store.UserByID(ctx, userID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, sb.Errorf(sb.CodeUnauthorized, "signed out")
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	email := u.Email
	t, err := s.store.TOTPByUser(ctx, userID)
	switch {
	case err == nil && t.ConfirmedAt != nil:
		return nil, sb.Errorf(sb.CodeConflict, "two-factor sign-in is already set up")
	case err == nil:
		secret, err := s.keys.Open(t.KeyID, t.Ciphertext, totpAAD(userID))
		if err != nil {
			return nil, sb.Internal(err)
		}
		return enrolment(email, secret)
	case !errors.Is(err, db.ErrNotFound):
		return nil, sb.Internal(err)
	}
	secret := make([]byte, 20)
	if _, err := rand.Read(secret); err != nil {
		return nil, sb.Internal(err)
	}
	keyID, ct, err := s.keys.Seal(secret, totpAAD(userID))
	if err != nil {
		return nil, sb.Internal(err)
	}
	if err := s.store.BeginTOTP(ctx, &db.UserTOTP{UserID: userID, KeyID: keyID, Ciphertext: ct}); err != nil {
		return nil, sb.Internal(err)
	}
	return enrolment(email, secret)
}

func enrolment(email string, secret []byte) (*TOTPEnrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: email, Secret: secret, Period: totpPeriod})
	if err != nil {
		return nil, sb.Internal(err)
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, sb.Internal(err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, sb.Internal(err)
	}
	return &TOTPEnrolment{Secret: key.Secret(), URL: key.URL(), QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// matchStep returns the time step whose code is code (the current step or
// one either side), comparing in constant time.
func matchStep(secret []byte, code string, now time.Time) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	b32 := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
	for _, d := range []int64{-1, 0, 1} {
		t := now.Add(time.Duration(d*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(b32, t, totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / totpPeriod, true
		}
	}
	return 0, false
}

// ConfirmTOTP finishes a user's enrolment with the first code from the app
// and returns the user and the ten recovery codes, to be shown once (only
// their keyed hashes are kept).
func (s *Service) ConfirmTOTP(ctx context.Context, userID, code string, m Meta) (*db.User, []string, error) {
	u, err := s.store.UserByID(ctx, userID)
	if errors.Is(err, db.ErrNotFound) || (err == nil && u.DisabledAt != nil) {
		return nil, nil, sb.Errorf(sb.CodeUnauthorized, "signed out")
	} else if err != nil {
		return nil, nil, sb.Internal(err)
	}
	actor := sb.Actor{UserID: u.ID, Email: u.Email, Role: sb.Role(u.Role), IP: m.IP, UserAgent: m.UserAgent}
	t, err := s.store.TOTPByUser(ctx, userID)
	if errors.Is(err, db.ErrNotFound) || (err == nil && t.ConfirmedAt != nil) {
		return nil, nil, sb.Errorf(sb.CodeConflict, "no two-factor set-up is waiting: start again")
	} else if err != nil {
		return nil, nil, sb.Internal(err)
	}
	secret, err := s.keys.Open(t.KeyID, t.Ciphertext, totpAAD(userID))
	if err != nil {
		return nil, nil, sb.Internal(err)
	}
	step, ok := matchStep(secret, code, s.Now())
	if !ok {
		return nil, nil, &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{"code": "does not match: enter the 6-digit code your app shows now"}}
	}
	codes := make([]string, RecoveryCodeCount)
	hashes := make([]string, RecoveryCodeCount)
	for i := range codes {
		raw := make([]byte, 10)
		if _, err := rand.Read(raw); err != nil {
			return nil, nil, sb.Internal(err)
		}
		c := strings.ToLower(base32.StdEncoding.EncodeToString(raw)) // 16 characters, 80 bits
		codes[i] = c[:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:]
		hashes[i] = s.keys.MAC("recovery-code", []byte(c))
	}
	if err := s.store.ConfirmTOTP(ctx, userID, step, hashes, Audit(actor, Event{Action: ActionUserTwoFactorEnable, TargetType: "user", TargetID: userID, TeamID: "", Details: nil})); errors.Is(err, db.ErrNotFound) {
		return nil, nil, sb.Errorf(sb.CodeConflict, "no two-factor set-up is waiting: start again")
	} else if err != nil {
		return nil, nil, sb.Internal(err)
	}
	return u, codes, nil
}

func normaliseRecoveryCode(code string) string {
	return strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
}

// VerifySecondFactor checks the second factor of a user who gave the right
// password: a TOTP code (of a time step newer than any accepted before, so
// a used code cannot be replayed) or an unused recovery code (spent by the
// check). Tries are claimed from the sign-in throttle (key totp:<user id>,
// MaxFailsPerUser per FailWindow) before any check; failures are audited.
func (s *Service) VerifySecondFactor(ctx context.Context, userID, code string, m Meta) (*db.User, error) {
	u, err := s.store.UserByID(ctx, userID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, sb.Errorf(sb.CodeUnauthorized, "signed out")
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	tc, err := s.claim(ctx, []string{"totp:" + u.ID}, []int{MaxFailsPerUser}, errCodeThrottled)
	if err != nil {
		return nil, err
	}
	method, ok := "totp", false
	if rc := normaliseRecoveryCode(code); len(rc) == 16 {
		method = "recovery_code"
		ok, err = s.store.UseRecoveryCode(ctx, u.ID, s.keys.MACCandidates("recovery-code", []byte(rc)))
		if err != nil {
			return nil, sb.Internal(err)
		}
	} else if t, err := s.store.TOTPByUser(ctx, u.ID); err == nil && t.ConfirmedAt != nil {
		secret, err := s.keys.Open(t.KeyID, t.Ciphertext, totpAAD(u.ID))
		if err != nil {
			return nil, sb.Internal(err)
		}
		if step, match := matchStep(secret, code, s.Now()); match {
			if ok, err = s.store.UseTOTPStep(ctx, u.ID, step); err != nil {
				return nil, sb.Internal(err)
			}
		}
	} else if err != nil && !errors.Is(err, db.ErrNotFound) {
		return nil, sb.Internal(err)
	}
	actor := sb.Actor{UserID: u.ID, Email: u.Email, Role: sb.Role(u.Role), IP: m.IP, UserAgent: m.UserAgent}
	if !ok || u.DisabledAt != nil {
		if err := s.store.RecordAudit(ctx, Audit(actor, Event{Action: ActionUserTwoFactorFailed, TargetType: "user", TargetID: u.ID, TeamID: "", Details: map[string]any{"method": method}})); err != nil {
			return nil, sb.Internal(err)
		}
		return nil, sb.Errorf(sb.CodeUnauthorized, "wrong or already used code")
	}
	tc.refund(ctx)
	if err := s.store.RecordAudit(ctx, Audit(actor, Event{Action: ActionUserTwoFactor, TargetType: "user", TargetID: u.ID, TeamID: "", Details: map[string]any{"method": method}})); err != nil {
		return nil, sb.Internal(err)
	}
	return u, nil
}

// RecoveryCodesLeft counts a user's unused recovery codes.
func (s *Service) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	n, err := s.store.RecoveryCodesLeft(ctx, userID)
	if err != nil {
		return 0, sb.Internal(err)
	}
	return n, nil
}
