package web

import (
	"context"

	sb "switchboard"
	"switchboard/integrations"
)

// appConnections lets the secret-sync family open an Infisical app
// connection that an integration auth references ("Use for secret syncs"),
// through the integrations service's exported API only, so the two
// families stay apart.
type appConnections struct{ svc *integrations.Service }

// ConnectionCredentials implements syncs.ConnectionSource.
func (a appConnections) ConnectionCredentials(ctx context.Context, teamID, id string) (string, string, map[string]any, error) {
	nf := sb.Errorf(sb.CodeNotFound, "App connection with ID '%s' not found", id)
	// The engine runs for no user: look the row up as an admin, then keep
	// it only if it belongs to the auth's team.
	r, err := a.svc.Get(ctx, sb.Actor{UserID: "secret-sync", Role: sb.RoleAdmin}, id)
	if err != nil {
		if sb.ErrorCode(err) == sb.CodeNotFound {
			return "", "", nil, nf
		}
		return "", "", nil, err
	}
	if r.TeamID != teamID || r.Provider != integrations.ProviderInfisical || r.Status != integrations.StatusActive {
		return "", "", nil, nf
	}
	creds := map[string]any{}
	app, method, err := a.svc.ConnectionCredentials(r, &creds)
	if err != nil {
		return "", "", nil, err
	}
	return app, method, creds, nil
}
