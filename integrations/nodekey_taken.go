package integrations

import (
	"context"

	sb "switchboard"
	"switchboard/db"
)

// NodeKeysInUse maps each node of team that already has a node API key in
// use (active or disabled, not expired: the key a new one would conflict
// with) to that key's integration id, so the form can mark the node and
// point at Rotate. Another team's is empty.
func (s *Service) NodeKeysInUse(ctx context.Context, actor sb.Actor, teamID string) (map[string]string, error) {
	out := map[string]string{}
	if !actor.CanUseTeam(teamID) {
		return out, nil
	}
	err := s.eachLive(ctx, actor, db.IntegrationFilter{Provider: ProviderNodeKey, TeamIDs: []string{teamID}}, func(r *db.IntegrationRow) error {
		if st := nodeKeyStatus(r); r.NodeID != nil && (st == StatusActive || st == StatusDisabled) {
			if _, seen := out[*r.NodeID]; !seen {
				out[*r.NodeID] = r.ID
			}
		}
		return nil
	})
	if err != nil {
		return nil, sb.Internal(err)
	}
	return out, nil
}
