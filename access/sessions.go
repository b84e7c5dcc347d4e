package access

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	sb "switchboard"
	"switchboard/db"
)

// SessionTouchEvery is how often a session's last-seen time is written: at
// most once a minute, so a busy browser costs one write a minute, not one a
// request.
const SessionTouchEvery = time.Minute

// SessionRef is what a session cookie says about its session.
type SessionRef struct {
	UserID     string
	Generation int
	// SID is the cookie's random session id (only its hash is stored).
	SID string
}

func hashSID(sid string) string {
	sum := sha256.Sum256([]byte("switchboard-session\x00" + sid))
	return hex.EncodeToString(sum[:])
}

// SessionActor loads the signed-in user of a session cookie, as
// ActorForSession does, and also wants the session's row to be live: a
// session ended from the sessions list (or signed out elsewhere from a copy
// of the cookie) answers unauthorized on its next request. It returns the
// row's id and records the request's time and address at most once a minute.
func (s *Service) SessionActor(ctx context.Context, ref SessionRef, m Meta) (sb.Actor, string, error) {
	if ref.SID == "" {
		return sb.Actor{}, "", sb.Errorf(sb.CodeUnauthorized, "signed out")
	}
	// The session row, its user and the user's teams in one query (what
	// ActorForSession checks, without its two further round trips), or
	// the row a request of the last RecentFor read, while nothing has been
	// written since (recent.go). Every check below runs again on a kept
	// row, with this request's clock.
	key, now := hashSID(ref.SID), s.Now()
	row, kept := s.sessions.get(key)
	changes := s.sessions.mark()
	if !kept || now.Sub(row.LastSeenAt) >= SessionTouchEvery {
		r, err := s.store.SessionUserBySID(ctx, key)
		if errors.Is(err, db.ErrNotFound) {
			return sb.Actor{}, "", sb.Errorf(sb.CodeUnauthorized, "signed out")
		} else if err != nil {
			return sb.Actor{}, "", sb.Internal(err)
		}
		row, kept = *r, false
	}
	if row.UserID != ref.UserID || row.Generation != ref.Generation {
		return sb.Actor{}, "", sb.Errorf(sb.CodeUnauthorized, "signed out")
	}
	if row.DisabledAt != nil || row.SessionGeneration != ref.Generation {
		return sb.Actor{}, "", sb.Errorf(sb.CodeUnauthorized, "signed out")
	}
	actor := sb.Actor{UserID: row.UserID, Email: row.Email, Role: sb.Role(row.Role), Teams: slices.Clone(row.TeamIDs), IP: m.IP, UserAgent: m.UserAgent}
	if now.Sub(row.LastSeenAt) >= SessionTouchEvery {
		if err := s.store.TouchSession(ctx, row.SessionID, m.IP); err != nil {
			return sb.Actor{}, "", sb.Internal(err)
		}
		row.LastSeenAt = now
	}
	if !kept {
		s.sessions.put(key, changes, row)
	}
	return actor, row.SessionID, nil
}

// StartSession records a new signed-in session (its browser and address).
func (s *Service) StartSession(ctx context.Context, ref SessionRef, m Meta) error {
	ua := m.UserAgent
	if len(ua) > 512 {
		ua = ua[:512]
	}
	row := &db.UserSession{ID: uuid.NewString(), UserID: ref.UserID, SIDHash: hashSID(ref.SID), Generation: ref.Generation, UserAgent: ua, IP: m.IP}
	if err := s.store.CreateSession(ctx, row); err != nil {
		return sb.Internal(err)
	}
	return nil
}

// ReissueSession moves the session with oldSID to a new id and generation
// (after a password change); a session that was not live is started anew.
func (s *Service) ReissueSession(ctx context.Context, oldSID string, ref SessionRef, m Meta) error {
	err := s.store.ReissueSession(ctx, hashSID(oldSID), hashSID(ref.SID), ref.Generation)
	if errors.Is(err, db.ErrNotFound) {
		return s.StartSession(ctx, ref, m)
	} else if err != nil {
		return sb.Internal(err)
	}
	return nil
}

// EndSessionByCookie ends the session a cookie named (sign-out, timeout), so
// a copy of the cookie taken before is signed out too.
func (s *Service) EndSessionByCookie(ctx context.Context, sid string) error {
	if sid == "" {
		return nil
	}
	if err := s.store.EndSessionBySID(ctx, hashSID(sid)); err != nil {
		return sb.Internal(err)
	}
	return nil
}

// Sessions lists a user's active sessions, most recently seen first: the
// actor's own, or (admins only) any user's.
func (s *Service) Sessions(ctx context.Context, actor sb.Actor, userID string) ([]db.UserSession, error) {
	if err := canManageSessions(actor, userID); err != nil {
		return nil, err
	}
	now := s.Now()
	startedAfter, seenAfter := time.Time{}, time.Time{}
	if s.SessionAbsolute > 0 {
		startedAfter = now.Add(-s.SessionAbsolute)
	}
	if s.SessionIdle > 0 {
		// last_seen_at lags a live session by up to SessionTouchEvery.
		seenAfter = now.Add(-s.SessionIdle - SessionTouchEvery)
	}
	list, err := s.store.ActiveSessions(ctx, userID, startedAfter, seenAfter)
	if err != nil {
		return nil, sb.Internal(err)
	}
	return list, nil
}

// EndSession ends one session of a user (id), or every session of the user
// when id is empty: the actor's own, or (admins only) any user's. Ending
// the actor's current session signs it out on its next request.
func (s *Service) EndSession(ctx context.Context, actor sb.Actor, userID, id string) (int, error) {
	if err := canManageSessions(actor, userID); err != nil {
		return 0, err
	}
	action := ActionSessionEnd
	if id == "" {
		action = ActionSessionEndAll
	} else if !isUUID(id) {
		return 0, sb.Errorf(sb.CodeNotFound, "session not found")
	}
	details := map[string]any{"user_id": userID}
	if id != "" {
		details["session_id"] = id
	}
	n, err := s.store.EndSessions(ctx, userID, id, Audit(actor, Event{Action: action, TargetType: "user", TargetID: userID, TeamID: "", Details: details}))
	if errors.Is(err, db.ErrNotFound) {
		return 0, sb.Errorf(sb.CodeNotFound, "session not found: it may have ended already")
	} else if err != nil {
		return 0, sb.Internal(err)
	}
	return n, nil
}

func canManageSessions(actor sb.Actor, userID string) error {
	if actor.UserID == "" || actor.TokenID != "" {
		return sb.Errorf(sb.CodeUnauthorized, "sign in first")
	}
	if actor.UserID != userID && !actor.IsAdmin() {
		return sb.Errorf(sb.CodeNotFound, "user not found")
	}
	if !isUUID(userID) {
		return sb.Errorf(sb.CodeNotFound, "user not found")
	}
	return nil
}
