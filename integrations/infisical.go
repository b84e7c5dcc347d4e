package integrations

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	sb "switchboard"
	"switchboard/db"
)

// ProviderInfisical is the provider key of Infisical app connections. Every
// app shares it (the app is kept in Attrs), so the unique key, the
// connection's name, is unique across all apps of the organisation.
const ProviderInfisical = "infisical"

// AppConnectionInput is what creating an app connection takes, from the
// JSON family or the form.
type AppConnectionInput struct {
	App    string
	Method string
	Name   string
	// Description nil means none.
	Description *string
	// ProjectID is the team; empty defaults to the caller's only team.
	ProjectID string
	// IsPlatformManagedCredentials, when given, must be false.
	IsPlatformManagedCredentials *bool
	// GatewayID, when given, must be empty: gateways are not supported.
	GatewayID   *string
	Credentials map[string]any
}

// AppConnectionUpdate is a PATCH: nil fields are left as they are.
type AppConnectionUpdate struct {
	Name *string
	// DescriptionSet says Description was given; a nil Description then
	// clears it.
	DescriptionSet bool
	Description    *string
	// Method, when given, must be the stored one (a method cannot change).
	Method *string
	// Credentials, when non-nil, replace the stored ones after validation
	// against the stored method. Secret fields left out or blank keep their
	// stored values, so an edit never needs the secret pasted again.
	Credentials                  map[string]any
	IsPlatformManagedCredentials *bool
	GatewayID                    *string
	// ProjectID, when given, must be the connection's team: a connection
	// does not move between projects.
	ProjectID *string
}

// AppConnection is an app connection as responses show it: the returned
// credential fields only, never a secret.
type AppConnection struct {
	ID          string
	Name        string
	Description *string
	Version     int
	OrgID       string
	TeamID      string
	TeamName    string
	TeamSlug    string
	App         string
	Method      string
	// Credentials holds the fields the catalogue marks returned.
	Credentials map[string]any
	// CredentialsHash is the SHA-256 (hex) of the stored ciphertext.
	CredentialsHash string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// AppName is the app's display name ("PostgreSQL").
func (c *AppConnection) AppName() string {
	if a, ok := InfisicalAppBySlug(c.App); ok {
		return a.Name
	}
	return c.App
}

// MethodName is the method's display name ("Username & Password").
func (c *AppConnection) MethodName() string {
	if a, ok := InfisicalAppBySlug(c.App); ok {
		if m, ok := a.Method(c.Method); ok {
			return m.Name
		}
	}
	return c.Method
}

// appConnectionAttrs is what Attrs holds: metadata and the returned
// (non-secret) credential fields. All credentials are sealed.
type appConnectionAttrs struct {
	App         string         `json:"app"`
	Method      string         `json:"method"`
	Description *string        `json:"description"`
	Credentials map[string]any `json:"credentials"`
}

// slugRE is what @sindresorhus/slugify leaves unchanged for lowercase
// input: letters and digits in hyphen-separated runs.
var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func validateConnName(v sb.Validation, name string) string {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n < 1:
		v.Add("name", "name field must be at least 1 character")
	case n > 64:
		v.Add("name", "name field must be at most 64 characters")
	case !slugRE.MatchString(name):
		v.Add("name", "name field can only contain lowercase letters, numbers, and hyphens")
	}
	return name
}

func validateConnDescription(v sb.Validation, d *string) *string {
	if d == nil {
		return nil
	}
	s := strings.TrimSpace(*d)
	if utf8.RuneCountInString(s) > 256 {
		v.Add("description", "Description cannot exceed 256 characters")
	}
	if s == "" {
		// A blank description (an empty form field) is none.
		return nil
	}
	return &s
}

func validateUnsupported(v sb.Validation, app *InfisicalApp, platform *bool, gateway *string) {
	notSupported := "Not supported for " + app.Name + " Connections"
	if platform != nil && *platform {
		v.Add("isPlatformManagedCredentials", notSupported)
	}
	if gateway != nil && strings.TrimSpace(*gateway) != "" {
		v.Add("gatewayId", notSupported)
	}
}

func connNotFound(id string) error {
	return sb.Errorf(sb.CodeNotFound, "Could not find App Connection with ID %s", clip(id, 64))
}

// errUnknownApp is the answer for an app outside the catalogue.
func errUnknownApp(app string) error {
	if len(app) > 64 {
		app = app[:64] + "…"
	}
	return sb.Errorf(sb.CodeNotFound, "App Connection app %q not found", app)
}

// ValidateAppConnection checks a create input against the catalogue and
// normalises it in place (trimmed name and description, credentials as
// ValidateCredentials returns them). An app outside the catalogue is not
// found; every other failure is an invalid-input error naming each field as
// the JSON body names it (name, description, method, credentials.<field>,
// isPlatformManagedCredentials, gatewayId).
func ValidateAppConnection(in *AppConnectionInput) error {
	app, ok := InfisicalAppBySlug(in.App)
	if !ok {
		return errUnknownApp(in.App)
	}
	v := sb.Validation{}
	in.Name = validateConnName(v, in.Name)
	in.Description = validateConnDescription(v, in.Description)
	validateUnsupported(v, app, in.IsPlatformManagedCredentials, in.GatewayID)
	in.Method = strings.TrimSpace(in.Method)
	m, mok := app.Method(in.Method)
	switch {
	case in.Method == "":
		v.Add("method", "Required")
	case !mok:
		v.Add("method", enumMessage(app.MethodSlugs(), in.Method))
	}
	switch {
	case in.Credentials == nil:
		v.Add("credentials", "Required")
	case mok:
		creds, err := m.ValidateCredentials(in.Credentials)
		if err != nil {
			v.Merge(err)
		} else {
			in.Credentials = creds
		}
	}
	return v.Err()
}

// connTeam returns the team a connection goes to: the given one if the
// actor may use it, else (none given) the actor's only team. An unknown
// team is Infisical's 404, naming projectId so a form can show it there.
func (s *Service) connTeam(ctx context.Context, actor sb.Actor, projectID string) (*db.Team, error) {
	return s.ResolveTeam(ctx, actor, projectID, TeamRule{
		Missing: &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{"projectId": "Required: the project (team) id, as you have more than one"}},
		Unknown: &sb.Error{Code: sb.CodeNotFound, Message: fmt.Sprintf("Could not find project with ID %s", clip(strings.TrimSpace(projectID), 64)), Fields: map[string]string{"projectId": "choose one of your teams"}},
	})
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func duplicateName(name string) error {
	msg := fmt.Sprintf("An App Connection with the name %q already exists", name)
	return &sb.Error{Code: sb.CodeConflict, Message: msg, Fields: map[string]string{"name": msg}}
}

// appConnectionOf reads the response view of a row.
func (s *Service) appConnectionOf(ctx context.Context, r *db.IntegrationRow) (*AppConnection, error) {
	org, err := s.OrgID(ctx)
	if err != nil {
		return nil, sb.Internal(err)
	}
	c, err := appConnectionFrom(r)
	if err != nil {
		return nil, sb.Internal(err)
	}
	c.OrgID = org
	return c, nil
}

func appConnectionFrom(r *db.IntegrationRow) (*AppConnection, error) {
	var a appConnectionAttrs
	if err := json.Unmarshal([]byte(r.Attrs), &a); err != nil {
		return nil, fmt.Errorf("app connection %s: attrs: %w", r.ID, err)
	}
	if a.Credentials == nil {
		a.Credentials = map[string]any{}
	}
	return &AppConnection{
		ID: r.ID, Name: r.Name, Description: a.Description, Version: r.Version, TeamID: r.TeamID, TeamName: r.TeamName, TeamSlug: r.TeamSlug,
		App: a.App, Method: a.Method, Credentials: a.Credentials, CredentialsHash: CredentialsHash(r.SecretCiphertext),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}, nil
}

// AppConnectionOf reads the app connection view of a record the caller has
// already loaded (a detail page shows a revoked connection too), or false
// for a record of another provider. Attributes that do not parse are an
// internal error.
func AppConnectionOf(r *Record) (*AppConnection, bool, error) {
	if r.Provider != ProviderInfisical {
		return nil, false, nil
	}
	c, err := appConnectionFrom(r.row)
	if err != nil {
		return nil, true, sb.Internal(err)
	}
	return c, true, nil
}

// appConnectionRow returns the live app connection id of app ("" for any)
// that the actor may see. Another team's connection, another app's, another
// provider's row or a revoked one is not found.
func (s *Service) appConnectionRow(ctx context.Context, actor sb.Actor, app, id string) (*db.IntegrationRow, *appConnectionAttrs, error) {
	if app != "" {
		if _, ok := InfisicalAppBySlug(app); !ok {
			return nil, nil, errUnknownApp(app)
		}
	}
	r, err := s.get(ctx, actor, id)
	if sb.ErrorCode(err) == sb.CodeNotFound {
		return nil, nil, connNotFound(id)
	} else if err != nil {
		return nil, nil, err
	}
	if r.Provider != ProviderInfisical || r.Status == StatusRevoked {
		return nil, nil, connNotFound(id)
	}
	var a appConnectionAttrs
	if err := json.Unmarshal([]byte(r.Attrs), &a); err != nil {
		return nil, nil, sb.Internal(fmt.Errorf("app connection %s: attrs: %w", r.ID, err))
	}
	if app != "" && a.App != app {
		return nil, nil, connNotFound(id)
	}
	return r, &a, nil
}

// AppConnection returns one app connection of app ("" for any app).
func (s *Service) AppConnection(ctx context.Context, actor sb.Actor, app, id string) (*AppConnection, error) {
	r, _, err := s.appConnectionRow(ctx, actor, app, id)
	if err != nil {
		return nil, err
	}
	return s.appConnectionOf(ctx, r)
}

// AppConnectionFilter narrows a list of app connections.
type AppConnectionFilter struct {
	// App keeps one app's connections ("" for all).
	App string
	// ProjectID keeps one team's ("" for every team the actor may use).
	ProjectID string
}

// ListAppConnections returns the live app connections the actor may see,
// ordered by name as Infisical orders them.
func (s *Service) ListAppConnections(ctx context.Context, actor sb.Actor, f AppConnectionFilter) ([]AppConnection, error) {
	if f.App != "" {
		if _, ok := InfisicalAppBySlug(f.App); !ok {
			return nil, errUnknownApp(f.App)
		}
	}
	filter := db.IntegrationFilter{Provider: ProviderInfisical}
	if f.ProjectID != "" {
		t, err := s.connTeam(ctx, actor, f.ProjectID)
		if err != nil {
			return nil, err
		}
		filter.TeamIDs = []string{t.ID}
	}
	org, err := s.OrgID(ctx)
	if err != nil {
		return nil, sb.Internal(err)
	}
	out := []AppConnection{}
	err = s.eachLive(ctx, actor, filter, func(r *db.IntegrationRow) error {
		c, err := appConnectionFrom(r)
		if err != nil {
			return err
		}
		if f.App == "" || c.App == f.App {
			c.OrgID = org
			out = append(out, *c)
		}
		return nil
	})
	if err != nil {
		return nil, sb.Internal(err)
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
}

// openAppCredentials opens the sealed credentials of a row.
func (s *Service) openAppCredentials(r *db.IntegrationRow) (map[string]any, error) {
	var creds map[string]any
	if err := s.OpenCredentials(&r.Integration, &creds); err != nil {
		return nil, sb.Internal(fmt.Errorf("open app connection %s: %w", r.ID, err))
	}
	if creds == nil {
		creds = map[string]any{}
	}
	return creds, nil
}

// AppConnectionEditValues returns every non-secret credential value of a
// connection, including those responses leave out (a role ARN, a Vault
// URL), for an edit form to fill in. Secret values never leave the store.
func (s *Service) AppConnectionEditValues(ctx context.Context, actor sb.Actor, app, id string) (map[string]any, error) {
	r, a, err := s.appConnectionRow(ctx, actor, app, id)
	if err != nil {
		return nil, err
	}
	m, err := catalogueMethod(a)
	if err != nil {
		return nil, err
	}
	creds, err := s.openAppCredentials(r)
	if err != nil {
		return nil, err
	}
	return m.NonSecret(creds), nil
}

func catalogueMethod(a *appConnectionAttrs) (*InfisicalMethod, error) {
	app, ok := InfisicalAppBySlug(a.App)
	if !ok {
		return nil, sb.Internal(fmt.Errorf("stored app %q is not in the catalogue", a.App))
	}
	m, ok := app.Method(a.Method)
	if !ok {
		return nil, sb.Internal(fmt.Errorf("stored method %q of app %q is not in the catalogue", a.Method, a.App))
	}
	return m, nil
}
