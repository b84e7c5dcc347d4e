package integrations

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	sb "switchboard"
	"switchboard/db"
	"switchboard/secrets"
)

// DraftTTL is how long secrets typed into a refused form are kept for the
// retry.
const DraftTTL = 15 * time.Minute

func draftAAD(id string) []byte { return []byte("form_draft:" + id) }

func sessionHash(session string) string {
	sum := sha256.Sum256([]byte(session))
	return hex.EncodeToString(sum[:])
}

// KeepDraft seals the secrets a user typed into a form that was refused for
// another field (values: form field name → typed value; empty ones are not
// kept) and returns the draft's id, the only thing the page carries. The
// draft is bound to the user, to the browser session (session is its id,
// stored only hashed) and to form (the form's path), and can be taken once
// within DraftTTL. With nothing to keep, or no session, it returns "".
func (s *Service) KeepDraft(ctx context.Context, actor sb.Actor, session, form string, values map[string]string) (string, error) {
	kept := map[string]string{}
	for k, v := range values {
		if v != "" {
			kept[k] = v
		}
	}
	if len(kept) == 0 || actor.UserID == "" || actor.TokenID != "" || session == "" {
		return "", nil
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return "", sb.Internal(err)
	}
	id := secrets.RandomID(24)
	keyID, ct, err := s.keys.Seal(b, draftAAD(id))
	clear(b)
	if err != nil {
		return "", sb.Internal(err)
	}
	d := &db.FormDraft{ID: id, UserID: actor.UserID, SessionHash: sessionHash(session), Form: form, KeyID: keyID, Payload: ct, ExpiresAt: s.Now().Add(DraftTTL)}
	if err := s.store.CreateFormDraft(ctx, d); err != nil {
		return "", sb.Internal(err)
	}
	return id, nil
}

// TakeDraft returns the secrets of draft id and deletes it, if it belongs
// to the actor, the session and form and has not expired; otherwise it
// returns nil (a stale or foreign draft id is as good as none: the form
// asks for the secret again).
func (s *Service) TakeDraft(ctx context.Context, actor sb.Actor, session, form, id string) (map[string]string, error) {
	if id == "" || len(id) > 64 || actor.UserID == "" || actor.TokenID != "" || session == "" {
		return nil, nil
	}
	d, err := s.store.TakeFormDraft(ctx, id, actor.UserID, sessionHash(session), form)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, sb.Internal(err)
	}
	plain, err := s.keys.Open(d.KeyID, d.Payload, draftAAD(d.ID))
	if err != nil {
		return nil, sb.Internal(err)
	}
	defer clear(plain)
	var out map[string]string
	if err := json.Unmarshal(plain, &out); err != nil {
		return nil, sb.Internal(err)
	}
	return out, nil
}

// RevealKind says what reveal id of the actor showed (or would have): one
// of the Reveal* kinds, RevealIntegration when it is not known. It is for
// the page of a reveal already gone.
func (s *Service) RevealKind(ctx context.Context, actor sb.Actor, id string) string {
	if actor.UserID == "" || len(id) > 64 {
		return RevealIntegration
	}
	r, err := s.store.RevealByID(ctx, id)
	if err != nil || r.UserID != actor.UserID || r.Kind == "" {
		return RevealIntegration
	}
	return r.Kind
}
