package integrations

import (
	"context"
	"fmt"

	sb "switchboard"
	"switchboard/access"
)

// integrationAAD binds a sealed integration secret to its row.
func integrationAAD(id string) []byte { return []byte("integration:" + id) }

// RotateKeys re-encrypts every sealed value that is not under the active
// master key and returns how many it re-encrypted. Running it again changes
// nothing. The audit row records only counts and key ids.
func (s *Service) RotateKeys(ctx context.Context, actor sb.Actor) (int, error) {
	active := s.keys.ActiveID()
	rows, err := s.store.SealedNotUnder(ctx, active)
	if err != nil {
		return 0, sb.Internal(err)
	}
	done := 0
	for _, r := range rows {
		aad := integrationAAD(r.ID)
		if r.Table == "reveals" {
			aad = revealAAD(r.ID)
		}
		if r.AAD != "" {
			aad = []byte(r.AAD)
		}
		plain, err := s.keys.Open(r.KeyID, r.Ciphertext, aad)
		if err != nil {
			return done, sb.Internal(fmt.Errorf("open %s %s under key %q: %w", r.Table, r.ID, r.KeyID, err))
		}
		keyID, ct, err := s.keys.Seal(plain, aad)
		clear(plain)
		if err != nil {
			return done, sb.Internal(err)
		}
		ok, err := s.store.Reseal(ctx, r, keyID, ct)
		if err != nil {
			return done, sb.Internal(err)
		}
		if ok {
			done++
		}
	}
	if err := s.store.RecordAudit(ctx, access.Audit(actor, access.Event{Action: access.ActionKeysRotate, TargetType: "keyring", TargetID: active, TeamID: "", Details: map[string]any{"resealed": done, "active_key": active}})); err != nil {
		return done, sb.Internal(err)
	}
	return done, nil
}
