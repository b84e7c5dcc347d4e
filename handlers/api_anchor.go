package handlers

import (
	"time"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/integrations"
)

// anchorIntegration is Anchor's IntegrationItem.
type anchorIntegration struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	Path      string `json:"path"`
	CreatedAt string `json:"createdAt"`
}

// jsTime formats a time as JavaScript's toISOString does (Anchor, Infisical).
func jsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func anchorItem(r *integrations.Record) anchorIntegration {
	return anchorIntegration{ID: r.ID, Name: r.Name, Type: integrations.OnePasswordType, Path: "integrations/" + r.TeamID + "/" + r.ID, CreatedAt: jsTime(r.CreatedAt)}
}

// APIAnchorCreate is POST /v1/integrations: a 1Password service account.
func (h *Handlers) APIAnchorCreate(c *fiber.Ctx) error {
	var (
		name, typ   *string
		credentials map[string]any
	)
	v := sb.Validation{}
	if err := decodeObject(c, v, map[string]any{"name": &name, "type": &typ, "credentials": &credentials}); err != nil {
		// The pipeline answers an unreadable body after the read-only check.
		_, err = h.Integrations.Create(c.UserContext(), Actor(c), &integrations.OnePasswordInput{}, err)
		return anchorAPIError(c, err)
	}
	in := integrations.OnePasswordInput{}
	// tokenGiven: the credentials object was well formed down to a string
	// serviceAccount, so the token's own checks apply.
	tokenGiven := false
	switch {
	case name == nil:
		v.Add("name", "is required")
	default:
		in.Name = *name
	}
	switch {
	case typ == nil:
		v.Add("type", "is required")
	case *typ != integrations.OnePasswordType:
		v.Add("type", "must be one of: 1PASSWORD")
	}
	in.Token, tokenGiven = anchorToken(v, credentials)
	created, err := h.Integrations.Create(c.UserContext(), Actor(c), &in, v.Err())
	if sb.ErrorCode(err) == sb.CodeInvalid {
		// Anchor names the token where its body has it.
		named := sb.Validation{}
		anchorFields(named, err, tokenGiven)
		err = named.Err()
	}
	if err != nil {
		return anchorAPIError(c, err)
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"integration": anchorItem(created.Record)}})
}

// anchorToken reads Anchor's credentials object,
// {"type":"serviceAccount","data":{"serviceAccount":"ops_…"}}, recording
// what is wrong with its shape in v; given reports that a string token was
// found, so the token's own checks apply to it.
func anchorToken(v sb.Validation, credentials map[string]any) (token string, given bool) {
	if _, bad := v["credentials"]; bad {
		return "", false // not an object: decodeObject said so
	}
	switch {
	case credentials == nil:
		v.Add("credentials", "is required")
	case credentials["type"] != "serviceAccount":
		v.Add("credentials.type", "must be serviceAccount")
	default:
		data, _ := credentials["data"].(map[string]any)
		tok, ok := data["serviceAccount"].(string)
		switch {
		case data == nil:
			v.Add("credentials.data", "is required")
		case !ok:
			v.Add("credentials.data.serviceAccount", "is required and must be a string")
		default:
			return tok, true
		}
	}
	return "", false
}

// anchorFields adds the domain's field errors to v under Anchor's member
// names (the token is credentials.data.serviceAccount, reported only when
// one was given: a missing one is already said).
func anchorFields(v sb.Validation, err error, tokenGiven bool) {
	if err == nil {
		return
	}
	for f, m := range sb.AsError(err).Fields {
		if f == "token" {
			if !tokenGiven {
				continue
			}
			f = "credentials.data.serviceAccount"
		}
		v.Add(f, m)
	}
}

// APIAnchorList is GET /v1/integrations: the team's 1Password integrations.
func (h *Handlers) APIAnchorList(c *fiber.Ctx) error {
	rows, err := h.Integrations.List(c.UserContext(), Actor(c), integrations.ListFilter{Provider: integrations.ProviderOnePassword, Limit: 500})
	if err != nil {
		return anchorAPIError(c, err)
	}
	items := make([]anchorIntegration, 0, len(rows))
	for i := range rows {
		items = append(items, anchorItem(rows[i]))
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"integrations": items}})
}

func (h *Handlers) anchorRow(c *fiber.Ctx) (*integrations.Record, error) {
	r, err := h.Integrations.Get(c.UserContext(), Actor(c), c.Params("id"))
	if err == nil && r.Provider != integrations.ProviderOnePassword {
		err = sb.Errorf(sb.CodeNotFound, "integration not found")
	}
	return r, err
}

// APIAnchorShow is GET /v1/integrations/{id}.
func (h *Handlers) APIAnchorShow(c *fiber.Ctx) error {
	r, err := h.anchorRow(c)
	if err != nil {
		return anchorAPIError(c, err)
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"integration": anchorItem(r)}})
}

// APIAnchorDelete is DELETE /v1/integrations/{id}: the integration and its
// stored token are deleted.
func (h *Handlers) APIAnchorDelete(c *fiber.Ctx) error {
	r, err := h.anchorRow(c)
	if err != nil {
		return anchorAPIError(c, err)
	}
	if _, err := h.Integrations.Delete(c.UserContext(), Actor(c), r.ID); err != nil {
		return anchorAPIError(c, err)
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"integration": fiber.Map{"id": r.ID, "deleted": true, "path": "integrations/" + r.TeamID + "/" + r.ID}}})
}
