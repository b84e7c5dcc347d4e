package handlers

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/integrations"
)

// The lifecycle routes of the JSON families: disable and enable in every
// family, rotate where the vendor shape has no update (a node key gets a
// new key and secret; Anchor replaces the service account token; Infisical
// rotates through PATCH, LaunchDarkly through its JSON Patch).

// APINodeKeyRotate is POST /api/v1/integrations/{id}/rotate with an
// optional {"expires_old_in":"now|1h|24h|7d"}: 201 with the new key and
// secret, once; the old key is revoked in the same transaction (now, the
// default and an empty body) or keeps verifying until the grace ends.
func (h *Handlers) APINodeKeyRotate(c *fiber.Ctx) error {
	grace, err := rotateGrace(c)
	if err != nil {
		return nodeAPIError(c, err)
	}
	created, err := h.Integrations.RollNodeKey(c.UserContext(), Actor(c), c.Params("id"), grace)
	if err != nil {
		return nodeAPIError(c, err)
	}
	k, _, err := integrations.NodeKeyOf(created.Record)
	if err != nil {
		return nodeAPIError(c, err)
	}
	resp := nodeKeyJSON(k)
	resp.Secret, resp.Status = created.ShownValue("secret"), k.Status
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(resp)
}

// APINodeKeyDisable is POST /api/v1/integrations/{id}/disable.
func (h *Handlers) APINodeKeyDisable(c *fiber.Ctx) error { return h.nodeKeySetEnabled(c, false) }

// APINodeKeyEnable is POST /api/v1/integrations/{id}/enable.
func (h *Handlers) APINodeKeyEnable(c *fiber.Ctx) error { return h.nodeKeySetEnabled(c, true) }

func (h *Handlers) nodeKeySetEnabled(c *fiber.Ctx, enabled bool) error {
	r, err := h.Integrations.SetEnabled(c.UserContext(), Actor(c), c.Params("id"), integrations.ProviderNodeKey, enabled)
	if err != nil {
		return nodeAPIError(c, err)
	}
	k, _, err := integrations.NodeKeyOf(r)
	if err != nil {
		return nodeAPIError(c, err)
	}
	resp := nodeKeyJSON(k)
	resp.Status = k.Status
	return c.JSON(resp)
}

// APIAnchorDisable is POST /v1/integrations/{id}/disable.
func (h *Handlers) APIAnchorDisable(c *fiber.Ctx) error { return h.anchorSetEnabled(c, false) }

// APIAnchorEnable is POST /v1/integrations/{id}/enable.
func (h *Handlers) APIAnchorEnable(c *fiber.Ctx) error { return h.anchorSetEnabled(c, true) }

// anchorSetEnabled answers the integration in Anchor's item shape, with
// its status beside it (the item itself has no status member).
func (h *Handlers) anchorSetEnabled(c *fiber.Ctx, enabled bool) error {
	r, err := h.Integrations.SetEnabled(c.UserContext(), Actor(c), c.Params("id"), integrations.ProviderOnePassword, enabled)
	if err != nil {
		return anchorAPIError(c, err)
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"integration": anchorItem(r), "status": r.Status}})
}

// APIAnchorRotate is POST /v1/integrations/{id}/rotate with
// {"credentials":{"type":"serviceAccount","data":{"serviceAccount":"ops_…"}}}:
// the stored token is replaced (version + 1).
func (h *Handlers) APIAnchorRotate(c *fiber.Ctx) error {
	r, err := h.anchorRow(c)
	if err != nil {
		return anchorAPIError(c, err)
	}
	var credentials map[string]any
	v := sb.Validation{}
	if err := decodeObject(c, v, map[string]any{"credentials": &credentials}); err != nil {
		return anchorAPIError(c, err)
	}
	token, given := anchorToken(v, credentials)
	if given && strings.TrimSpace(token) == "" {
		// A blank token would keep the stored one: no rotation at all.
		v.Add("credentials.data.serviceAccount", "is required")
	}
	if err := v.Err(); err != nil {
		return anchorAPIError(c, err)
	}
	row, err := h.Integrations.UpdateOnePassword(c.UserContext(), Actor(c), r.ID, integrations.OnePasswordInput{Name: r.Name, Token: token})
	if sb.ErrorCode(err) == sb.CodeInvalid {
		anchorFields(v, err, given)
		err = v.Err()
	}
	if err != nil {
		return anchorAPIError(c, err)
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"integration": anchorItem(row), "version": row.Version}})
}

// APIInfisicalDisable is POST /api/v1/app-connections/{app}/{id}/disable.
func (h *Handlers) APIInfisicalDisable(c *fiber.Ctx) error { return h.infisicalSetEnabled(c, false) }

// APIInfisicalEnable is POST /api/v1/app-connections/{app}/{id}/enable.
func (h *Handlers) APIInfisicalEnable(c *fiber.Ctx) error { return h.infisicalSetEnabled(c, true) }

func (h *Handlers) infisicalSetEnabled(c *fiber.Ctx, enabled bool) error {
	app, err := infisicalApp(c)
	if err != nil {
		return infisicalAPIError(c, err)
	}
	ac, err := h.Integrations.SetAppConnectionEnabled(c.UserContext(), Actor(c), app, c.Params("id"), enabled)
	if err != nil {
		return infisicalAPIError(c, err)
	}
	return infisicalOne(c, ac)
}
