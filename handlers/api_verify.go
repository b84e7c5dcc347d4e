package handlers

import (
	"bytes"
	"time"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/integrations"
	"switchboard/views"
)

// verifyResponse is the answer for a live key: its node and permissions.
type verifyResponse struct {
	Active      bool     `json:"active"`
	ID          string   `json:"id"`
	NodeID      string   `json:"node_id"`
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
	ExpiresAt   *string  `json:"expires_at"`
}

// APINodeKeyVerify is POST /api/v1/integrations/verify with
// {"api_key":"apex_…","secret":"apexs_…"}, for the services of the token's
// team: 200 with the key's node and permissions when the key is live,
// else one 401 whatever failed (unknown, another team's, revoked,
// disabled, expired, wrong secret). A body that is not an object with the
// two strings is a 400, naming the fields.
func (h *Handlers) APINodeKeyVerify(c *fiber.Ctx) error {
	var apiKey, secret *string
	v := sb.Validation{}
	if err := decodeObject(c, v, map[string]any{"api_key": &apiKey, "secret": &secret}); err != nil {
		return nodeAPIError(c, err)
	}
	if apiKey == nil {
		v.Add("api_key", "is required")
	}
	if secret == nil {
		v.Add("secret", "is required")
	}
	if err := v.Err(); err != nil {
		return nodeAPIError(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	k, err := h.Integrations.VerifyNodeKey(c.UserContext(), Actor(c), *apiKey, *secret)
	if err != nil {
		return nodeAPIError(c, err)
	}
	resp := verifyResponse{Active: true, ID: k.ID, NodeID: k.NodeID, Name: k.Name, Permissions: k.Permissions}
	if k.ExpiresAt != nil {
		s := rfc3339(*k.ExpiresAt)
		resp.ExpiresAt = &s
	}
	return c.JSON(resp)
}

// rotateGrace reads expires_old_in from a rotate request's JSON body; an
// empty body (as before grace periods existed) is now.
func rotateGrace(c *fiber.Ctx) (time.Duration, error) {
	if len(bytes.TrimSpace(c.Body())) == 0 {
		return 0, nil
	}
	var grace *string
	v := sb.Validation{}
	if err := decodeObject(c, v, map[string]any{"expires_old_in": &grace}); err != nil {
		return 0, err
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	if grace == nil {
		return 0, nil
	}
	return integrations.ParseGrace(*grace)
}

// graceOptions are the choices of a roll's confirmation.
func graceOptions() []views.Option {
	out := make([]views.Option, len(integrations.Graces))
	for i, g := range integrations.Graces {
		out[i] = views.Option{Value: g.Value, Label: g.Label}
	}
	return out
}
