package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/integrations"
)

// nodeKeyRequest is the body of POST /api/v1/integrations, as the seed has it.
type nodeKeyRequest struct {
	NodeID      *string
	Name        *string
	Permissions []string
	ExpiresAt   *string
}

// nodeKeyResponse is a node key in the family's shape; Secret only on create.
type nodeKeyResponse struct {
	ID          string   `json:"id"`
	NodeID      string   `json:"node_id"`
	Name        string   `json:"name"`
	APIKey      string   `json:"api_key"`
	Secret      string   `json:"secret,omitempty"`
	Permissions []string `json:"permissions"`
	ExpiresAt   *string  `json:"expires_at"`
	CreatedAt   string   `json:"created_at"`
	Status      string   `json:"status,omitempty"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func nodeKeyJSON(k integrations.NodeKey) nodeKeyResponse {
	r := nodeKeyResponse{ID: k.ID, NodeID: k.NodeID, Name: k.Name, APIKey: k.APIKey, Permissions: k.Permissions, CreatedAt: rfc3339(k.CreatedAt)}
	if k.ExpiresAt != nil {
		s := rfc3339(*k.ExpiresAt)
		r.ExpiresAt = &s
	}
	return r
}

// decodeObject reads a JSON object body and decodes each named member into
// its destination, collecting a type error per member into v so that every
// failing field is named at once. Unknown members are ignored. An error is
// returned only when the body is not one JSON object.
func decodeObject(c *fiber.Ctx, v sb.Validation, fields map[string]any) error {
	obj, err := readJSONObject(c.Body())
	if err != nil {
		return err
	}
	for name, dst := range fields {
		raw, ok := obj[name]
		if !ok {
			continue
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				v.Add(name, "must be a "+jsonType(te.Type.Kind().String()))
			} else {
				v.Add(name, "is not valid")
			}
		}
	}
	return nil
}

// readJSONObject reads a body that must be exactly one JSON object, its
// members left raw; anything else is an invalid-request error saying what.
func readJSONObject(body []byte) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&obj); err != nil || obj == nil {
		var te *json.UnmarshalTypeError
		if err == nil || errors.Is(err, io.EOF) || errors.As(err, &te) {
			return nil, sb.Errorf(sb.CodeInvalid, "the request body must be a JSON object")
		}
		return nil, sb.Errorf(sb.CodeInvalid, "the request body is not valid JSON")
	}
	if dec.More() {
		return nil, sb.Errorf(sb.CodeInvalid, "the request body must hold one JSON object")
	}
	return obj, nil
}

func jsonType(kind string) string {
	switch kind {
	case "slice":
		return "JSON array"
	case "ptr", "string":
		return "string"
	case "struct", "map":
		return "JSON object"
	default:
		return kind
	}
}

// APINodeKeyCreate is POST /api/v1/integrations: 201 with the secret, once.
func (h *Handlers) APINodeKeyCreate(c *fiber.Ctx) error {
	var req nodeKeyRequest
	v := sb.Validation{}
	if err := decodeObject(c, v, map[string]any{
		"node_id": &req.NodeID, "name": &req.Name, "permissions": &req.Permissions, "expires_at": &req.ExpiresAt,
	}); err != nil {
		// The pipeline answers an unreadable body after the read-only check.
		_, err = h.Integrations.Create(c.UserContext(), Actor(c), &integrations.NodeKeyInput{}, err)
		return nodeAPIError(c, err)
	}
	in := integrations.NodeKeyInput{Permissions: req.Permissions}
	if req.NodeID != nil {
		in.NodeID = *req.NodeID
	}
	if req.Name != nil {
		in.Name = *req.Name
	}
	if req.ExpiresAt != nil && *req.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339Nano, *req.ExpiresAt)
		if err != nil {
			v.Add("expires_at", "must be an ISO 8601 date-time such as 2026-12-31T23:59:59Z")
		} else {
			in.ExpiresAt = &t
		}
	}
	created, err := h.Integrations.Create(c.UserContext(), Actor(c), &in, v.Err())
	if err != nil {
		return nodeAPIError(c, err)
	}
	k, _, err := integrations.NodeKeyOf(created.Record)
	if err != nil {
		return nodeAPIError(c, err)
	}
	resp := nodeKeyJSON(k)
	resp.Secret = created.ShownValue("secret")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(resp)
}

// APINodeKeyList is GET /api/v1/integrations[?node_id=].
func (h *Handlers) APINodeKeyList(c *fiber.Ctx) error {
	ctx, actor := c.UserContext(), Actor(c)
	nodeID := c.Query("node_id")
	if nodeID != "" {
		in := integrations.NodeKeyInput{NodeID: nodeID, Name: "x"}
		if err := integrations.ValidateNodeKey(&in, h.Integrations.Now()); err != nil {
			return nodeAPIError(c, err)
		}
		if err := h.Integrations.CheckNode(ctx, actor, nodeID); err != nil {
			return nodeAPIError(c, err)
		}
	}
	rows, err := h.Integrations.List(ctx, actor, integrations.ListFilter{Provider: integrations.ProviderNodeKey, NodeID: nodeID, Limit: 500})
	if err != nil {
		return nodeAPIError(c, err)
	}
	out := make([]nodeKeyResponse, 0, len(rows))
	for i := range rows {
		k, _, err := integrations.NodeKeyOf(rows[i])
		if err != nil {
			return nodeAPIError(c, err)
		}
		r := nodeKeyJSON(k)
		r.Status = k.Status
		out = append(out, r)
	}
	return c.JSON(fiber.Map{"integrations": out})
}

// APINodeKeyShow is GET /api/v1/integrations/{id}; it never carries the secret.
func (h *Handlers) APINodeKeyShow(c *fiber.Ctx) error {
	r, err := h.Integrations.Get(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return nodeAPIError(c, err)
	}
	k, ok, err := integrations.NodeKeyOf(r)
	if err != nil {
		return nodeAPIError(c, err)
	}
	if !ok {
		return nodeAPIError(c, sb.Errorf(sb.CodeNotFound, "integration not found"))
	}
	resp := nodeKeyJSON(k)
	resp.Status = k.Status
	return c.JSON(resp)
}

// APINodeKeyDelete is DELETE /api/v1/integrations/{id}: it revokes the key.
func (h *Handlers) APINodeKeyDelete(c *fiber.Ctx) error {
	ctx, actor := c.UserContext(), Actor(c)
	r, err := h.Integrations.Get(ctx, actor, c.Params("id"))
	if err != nil {
		return nodeAPIError(c, err)
	}
	if r.Provider != integrations.ProviderNodeKey {
		return nodeAPIError(c, sb.Errorf(sb.CodeNotFound, "integration not found"))
	}
	if err := h.Integrations.Revoke(ctx, actor, r.ID); err != nil {
		return nodeAPIError(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}
