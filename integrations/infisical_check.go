package integrations

import (
	"context"

	sb "switchboard"
	"switchboard/access"
	"switchboard/integrations/conntest"
)

// HasConnectionTester reports whether app has a "Test connection" (the
// form shows the button only then).
func (s *Service) HasConnectionTester(app string) bool { return s.Testers.Has(app) }

// runTester runs the app's tester on creds and scrubs the secrets of m from
// whatever it answers.
func (s *Service) runTester(ctx context.Context, app *InfisicalApp, m *InfisicalMethod, creds map[string]any) (string, error) {
	t, ok := s.Testers[app.Slug]
	if !ok {
		return "", sb.Errorf(sb.CodeBadRequest, "Testing credentials is not supported for %s Connections", app.Name)
	}
	ctx, cancel := context.WithTimeout(ctx, conntest.Timeout)
	defer cancel()
	secrets := m.secretValues(creds)
	summary, err := t(ctx, s.Guard, m.Slug, creds)
	if err != nil {
		e := sb.AsError(err)
		if e.Code == sb.CodeInternal {
			e = conntest.Failed(conntest.Scrub(err.Error(), secrets)).(*sb.Error)
		}
		out := *e
		out.Message = conntest.Scrub(e.Message, secrets)
		out.Err = nil
		return "", &out
	}
	return conntest.Scrub(summary, secrets), nil
}

// TestAppConnection tests the stored credentials of a connection against
// the live service and records the attempt (app and outcome only) in the
// audit log. A failure is a CodeBadRequest error in Infisical's wording,
// "Failed to validate credentials: <reason>", that never holds a secret.
func (s *Service) TestAppConnection(ctx context.Context, actor sb.Actor, app, id string) (*AppConnection, string, error) {
	r, a, err := s.appConnectionRow(ctx, actor, app, id)
	if err != nil {
		return nil, "", err
	}
	if actor.ReadOnly {
		return nil, "", errReadOnly
	}
	if r.Status == StatusDisabled {
		return nil, "", sb.Errorf(sb.CodeBadRequest, "This App Connection is disabled: enable it before testing it")
	}
	m, err := catalogueMethod(a)
	if err != nil {
		return nil, "", err
	}
	catApp, _ := InfisicalAppBySlug(a.App)
	creds, err := s.openAppCredentials(r)
	if err != nil {
		return nil, "", err
	}
	summary, terr := s.runTester(ctx, catApp, m, creds)
	clear(creds)
	audit := access.Audit(actor, access.Event{Action: access.ActionIntegrationTest, TargetType: "integration", TargetID: r.ID, TeamID: r.TeamID, Details: map[string]any{
		"provider": ProviderInfisical, "app": a.App, "ok": terr == nil,
	}})

	if err := s.store.RecordAudit(ctx, audit); err != nil {
		return nil, "", sb.Internal(err)
	}
	if terr != nil {
		return nil, "", terr
	}
	c, err := s.appConnectionOf(ctx, r)
	if err != nil {
		return nil, "", err
	}
	return c, summary, nil
}

// TestAppCredentials tests credentials that are not stored yet (the form's
// "Test connection" before saving). With existingID, secret fields left
// blank are taken from that stored connection of the same app and method,
// as an edit keeps them. The credentials are validated first, as a create
// would.
func (s *Service) TestAppCredentials(ctx context.Context, actor sb.Actor, app, method string, creds map[string]any, existingID string) (string, error) {
	catApp, ok := InfisicalAppBySlug(app)
	if !ok {
		return "", errUnknownApp(app)
	}
	m, ok := catApp.Method(method)
	if !ok {
		return "", &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{"method": enumMessage(catApp.MethodSlugs(), method)}}
	}
	if actor.ReadOnly {
		return "", errReadOnly
	}
	if creds == nil {
		creds = map[string]any{}
	}
	if existingID != "" {
		r, a, err := s.appConnectionRow(ctx, actor, app, existingID)
		if err != nil {
			return "", err
		}
		if a.Method == m.Slug {
			stored, err := s.openAppCredentials(r)
			if err != nil {
				return "", err
			}
			creds = m.keepStoredSecrets(creds, stored)
			defer clear(stored)
		}
	}
	valid, err := m.ValidateCredentials(creds)
	if err != nil {
		return "", err
	}
	return s.runTester(ctx, catApp, m, valid)
}
