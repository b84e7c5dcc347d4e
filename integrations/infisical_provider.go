package integrations

import (
	"context"

	sb "switchboard"
	"switchboard/db"
)

func (in *AppConnectionInput) create(ctx context.Context, s *Service, actor sb.Actor, refused error) (*Created, error) {
	return create(ctx, s, actor, infisicalProvider{}, in, refused)
}

// appConnectionValid is a checked input with its app and method.
type appConnectionValid struct {
	*AppConnectionInput
	app    *InfisicalApp
	method *InfisicalMethod
}

// infisicalProvider declares Infisical app connections. Every credential is
// sealed to the row; Attrs keep the returned fields and metadata. The name
// is the row's unique key, so two concurrent creates of one name cannot
// both succeed: the loser gets Infisical's 400 wording.
type infisicalProvider struct{}

func (infisicalProvider) Info() ProviderInfo {
	return ProviderInfo{Key: ProviderInfisical, Title: "Infisical app connection", Description: "Paste the credentials of one of " + countWord(len(InfisicalApps)) + " apps (" + appExamples() + "…) and test the connection before saving.", Available: true}
}

func (infisicalProvider) Validate(_ *Service, in *AppConnectionInput) (appConnectionValid, error) {
	if err := ValidateAppConnection(in); err != nil {
		return appConnectionValid{}, err
	}
	app, _ := InfisicalAppBySlug(in.App)
	m, _ := app.Method(in.Method)
	return appConnectionValid{AppConnectionInput: in, app: app, method: m}, nil
}

func (infisicalProvider) Team(ctx context.Context, s *Service, actor sb.Actor, c appConnectionValid) (*db.Team, error) {
	return s.connTeam(ctx, actor, c.ProjectID)
}

// Draft shows the secret fields once, masked, and the credentials hash.
func (infisicalProvider) Draft(_ *Service, _ sb.Actor, _ *db.Team, c appConnectionValid) (*Draft, error) {
	app, m := c.app, c.method
	shown := []RevealField{}
	for _, f := range m.Fields {
		if sv, ok := c.Credentials[f.Name].(string); ok && f.Secret {
			shown = append(shown, RevealField{Label: f.Label, Name: f.Name, Value: sv, Masked: true})
		}
	}
	return &Draft{
		Name: c.Name, UniqueKey: ptr(c.Name),
		Attrs: appConnectionAttrs{App: app.Slug, Method: m.Slug, Description: c.Description, Credentials: m.Returned(c.Credentials)},
		Seal:  c.Credentials,
		Shown: shown,
		ShownSealed: func(ct []byte) []RevealField {
			return []RevealField{{Label: "Credentials hash", Name: "credentialsHash", Value: CredentialsHash(ct)}}
		},
		RevealTitle: app.Name + " connection " + c.Name,
		Audit:       map[string]any{"app": app.Slug, "method": m.Slug, "name": c.Name},
		Conflict:    duplicateName(c.Name),
	}, nil
}

func (infisicalProvider) Status(r *Record) string { return r.Status }

func (infisicalProvider) Actions(r *Record) []string { return defaultActions(r, r.Status, false) }

// AppConnectionOfRecord reads the response view of a record the caller
// has (a create's), with the organisation id.
func (s *Service) AppConnectionOfRecord(ctx context.Context, r *Record) (*AppConnection, error) {
	return s.appConnectionOf(ctx, r.row)
}
