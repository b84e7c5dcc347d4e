package handlers

import (
	"bytes"
	"encoding/json"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/integrations"
)

// Infisical's app connections family (/api/v1/app-connections), in the
// shapes of seeds/infisical-create-app-connection-1password.md: every
// success is {"appConnection":{…}} or {"appConnections":[…]}, every error
// Infisical's {"reqId","statusCode","message","error"} (infisicalAPIError).

// infisicalProject is the connection's project: the team.
type infisicalProject struct {
	Name string `json:"name"`
	ID   string `json:"id"`
	Type string `json:"type"`
	Slug string `json:"slug"`
}

// infisicalConnection is an app connection in Infisical's response shape.
// Credentials hold only the fields the catalogue marks returned.
type infisicalConnection struct {
	ID                           string           `json:"id"`
	Name                         string           `json:"name"`
	Description                  *string          `json:"description"`
	Version                      int              `json:"version"`
	OrgID                        string           `json:"orgId"`
	CreatedAt                    string           `json:"createdAt"`
	UpdatedAt                    string           `json:"updatedAt"`
	IsPlatformManagedCredentials bool             `json:"isPlatformManagedCredentials"`
	GatewayID                    *string          `json:"gatewayId"`
	ProjectID                    string           `json:"projectId"`
	CredentialsHash              string           `json:"credentialsHash"`
	Project                      infisicalProject `json:"project"`
	App                          string           `json:"app"`
	Method                       string           `json:"method"`
	Credentials                  map[string]any   `json:"credentials"`
}

func infisicalJSON(c *integrations.AppConnection) infisicalConnection {
	creds := c.Credentials
	if creds == nil {
		creds = map[string]any{}
	}
	return infisicalConnection{
		ID: c.ID, Name: c.Name, Description: c.Description, Version: c.Version, OrgID: c.OrgID,
		CreatedAt: jsTime(c.CreatedAt), UpdatedAt: jsTime(c.UpdatedAt), ProjectID: c.TeamID, CredentialsHash: c.CredentialsHash,
		Project: infisicalProject{Name: c.TeamName, ID: c.TeamID, Type: "secret-manager", Slug: c.TeamSlug},
		App:     c.App, Method: c.Method, Credentials: creds,
	}
}

func infisicalOne(c *fiber.Ctx, ac *integrations.AppConnection) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"appConnection": infisicalJSON(ac)})
}

// infisicalApp checks the {app} of the URL against the catalogue.
func infisicalApp(c *fiber.Ctx) (string, error) {
	app := c.Params("app")
	if _, ok := integrations.InfisicalAppBySlug(app); !ok {
		return "", sb.Errorf(sb.CodeNotFound, "App Connection app %q not found", clipString(app, 64))
	}
	return app, nil
}

func clipString(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// optionalJSON is a body member that distinguishes absent, null and a value.
type optionalJSON struct {
	raw json.RawMessage
}

func (o *optionalJSON) UnmarshalJSON(b []byte) error {
	o.raw = append(json.RawMessage{}, b...)
	return nil
}

func (o optionalJSON) present() bool { return o.raw != nil }
func (o optionalJSON) null() bool    { return bytes.Equal(bytes.TrimSpace(o.raw), []byte("null")) }

// nullableString decodes a member that may be absent, null or a string;
// set reports whether it was given at all.
func nullableString(v sb.Validation, field string, o optionalJSON) (s *string, set bool) {
	if !o.present() {
		return nil, false
	}
	if o.null() {
		return nil, true
	}
	var str string
	if err := json.Unmarshal(o.raw, &str); err != nil {
		v.Add(field, "Expected string, received "+jsonKindOf(o.raw))
		return nil, true
	}
	return &str, true
}

func jsonKindOf(raw json.RawMessage) string {
	var x any
	if json.Unmarshal(raw, &x) != nil {
		return "invalid JSON"
	}
	switch x.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return "null"
}

// infisicalBody is a create or update body, decoded member by member so
// that each type error names its field.
type infisicalBody struct {
	name, method, projectID *string
	description, gatewayID  optionalJSON
	platform                *bool
	// credentials is nil when absent or null.
	credentials map[string]any
}

func decodeInfisical(c *fiber.Ctx, v sb.Validation) (*infisicalBody, error) {
	b := &infisicalBody{}
	err := decodeObject(c, v, map[string]any{
		"name": &b.name, "method": &b.method, "projectId": &b.projectID, "description": &b.description,
		"gatewayId": &b.gatewayID, "isPlatformManagedCredentials": &b.platform, "credentials": &b.credentials,
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// APIInfisicalCreate is POST /api/v1/app-connections/{app}.
func (h *Handlers) APIInfisicalCreate(c *fiber.Ctx) error {
	app, err := infisicalApp(c)
	if err != nil {
		return infisicalAPIError(c, err)
	}
	v := sb.Validation{}
	b, err := decodeInfisical(c, v)
	if err != nil {
		// The pipeline answers an unreadable body after the read-only check.
		_, err = h.Integrations.Create(c.UserContext(), Actor(c), &integrations.AppConnectionInput{App: app}, err)
		return infisicalAPIError(c, err)
	}
	in := integrations.AppConnectionInput{App: app, Credentials: b.credentials, IsPlatformManagedCredentials: b.platform}
	if b.name != nil {
		in.Name = *b.name
	}
	if b.method != nil {
		in.Method = *b.method
	}
	if b.projectID != nil {
		in.ProjectID = *b.projectID
	}
	in.Description, _ = nullableString(v, "description", b.description)
	in.GatewayID, _ = nullableString(v, "gatewayId", b.gatewayID)
	// The pipeline reports every failing field at once, the decoding ones
	// first.
	created, err := h.Integrations.Create(c.UserContext(), Actor(c), &in, v.Err())
	if err != nil {
		return infisicalAPIError(c, err)
	}
	ac, err := h.Integrations.AppConnectionOfRecord(c.UserContext(), created.Record)
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return infisicalOne(c, ac)
}

// APIInfisicalList is GET /api/v1/app-connections[?projectId=] and
// GET /api/v1/app-connections/{app}.
func (h *Handlers) APIInfisicalList(c *fiber.Ctx) error {
	f := integrations.AppConnectionFilter{ProjectID: c.Query("projectId")}
	if c.Params("app") != "" {
		app, err := infisicalApp(c)
		if err != nil {
			return infisicalAPIError(c, err)
		}
		f.App = app
	}
	list, err := h.Integrations.ListAppConnections(c.UserContext(), Actor(c), f)
	if err != nil {
		return infisicalAPIError(c, err)
	}
	out := make([]infisicalConnection, len(list))
	for i := range list {
		out[i] = infisicalJSON(&list[i])
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"appConnections": out})
}

// APIInfisicalOptions is GET /api/v1/app-connections/options: the apps of
// the catalogue with their methods, as Infisical's listAppConnectionOptions
// ({name, app, methods}).
func (h *Handlers) APIInfisicalOptions(c *fiber.Ctx) error {
	type option struct {
		Name    string   `json:"name"`
		App     string   `json:"app"`
		Methods []string `json:"methods"`
	}
	out := make([]option, len(integrations.InfisicalApps))
	for i := range integrations.InfisicalApps {
		a := &integrations.InfisicalApps[i]
		out[i] = option{Name: a.Name, App: a.Slug, Methods: a.MethodSlugs()}
	}
	return c.JSON(fiber.Map{"appConnectionOptions": out})
}

// APIInfisicalShow is GET /api/v1/app-connections/{app}/{id}.
func (h *Handlers) APIInfisicalShow(c *fiber.Ctx) error {
	app, err := infisicalApp(c)
	if err != nil {
		return infisicalAPIError(c, err)
	}
	ac, err := h.Integrations.AppConnection(c.UserContext(), Actor(c), app, c.Params("id"))
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return infisicalOne(c, ac)
}

// APIInfisicalUpdate is PATCH /api/v1/app-connections/{app}/{id}: name,
// description, credentials. Secret credential fields left out keep their
// stored values.
func (h *Handlers) APIInfisicalUpdate(c *fiber.Ctx) error {
	app, err := infisicalApp(c)
	if err != nil {
		return infisicalAPIError(c, err)
	}
	v := sb.Validation{}
	b, err := decodeInfisical(c, v)
	if err != nil {
		return infisicalAPIError(c, err)
	}
	up := integrations.AppConnectionUpdate{Name: b.name, Method: b.method, IsPlatformManagedCredentials: b.platform, Credentials: b.credentials}
	up.Description, up.DescriptionSet = nullableString(v, "description", b.description)
	up.GatewayID, _ = nullableString(v, "gatewayId", b.gatewayID)
	up.ProjectID = b.projectID
	if err := v.Err(); err != nil {
		return infisicalAPIError(c, err)
	}
	ac, err := h.Integrations.UpdateAppConnection(c.UserContext(), Actor(c), app, c.Params("id"), up)
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return infisicalOne(c, ac)
}

// APIInfisicalDelete is DELETE /api/v1/app-connections/{app}/{id}: the
// connection and its sealed credentials are deleted; the answer is the
// connection as it was.
func (h *Handlers) APIInfisicalDelete(c *fiber.Ctx) error {
	app, err := infisicalApp(c)
	if err != nil {
		return infisicalAPIError(c, err)
	}
	ac, err := h.Integrations.DeleteAppConnection(c.UserContext(), Actor(c), app, c.Params("id"))
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return infisicalOne(c, ac)
}

// APIInfisicalTest is POST /api/v1/app-connections/{app}/{id}/test: the
// stored credentials are tried against the live service. Success is 200
// with the connection and a one-line "message" of what was checked; a
// failure is 400 "Failed to validate credentials: <reason>", Infisical's
// wording for a refused connection.
func (h *Handlers) APIInfisicalTest(c *fiber.Ctx) error {
	app, err := infisicalApp(c)
	if err != nil {
		return infisicalAPIError(c, err)
	}
	ac, summary, err := h.Integrations.TestAppConnection(c.UserContext(), Actor(c), app, c.Params("id"))
	if err != nil {
		return infisicalAPIError(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"appConnection": infisicalJSON(ac), "message": summary})
}

// APIInfisicalNotFound answers any other path of the family.
func APIInfisicalNotFound(c *fiber.Ctx) error {
	return infisicalAPIError(c, sb.Errorf(sb.CodeNotFound, "Route %s:%s not found", c.Method(), clipString(c.Path(), 200)))
}
