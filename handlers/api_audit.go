package handlers

import (
	"github.com/gofiber/fiber/v2"
	sb "switchboard"
)

// APIAuditList answers GET /api/v1/audit-events: one page of the token's
// team's events, {"events":[…],"next_cursor":"…"|null}, or with
// ?format=csv|jsonl the whole filtered set streamed as an export.
func (h *Handlers) APIAuditList(c *fiber.Ctx) error {
	switch f := c.Query("format"); f {
	case "", "json":
	case "csv", "jsonl":
		return h.auditExport(c, f, nodeAPIError)
	default:
		return nodeAPIError(c, &sb.Error{Code: sb.CodeInvalid, Message: "invalid request", Fields: map[string]string{"format": "must be json, csv or jsonl"}})
	}
	q, err := auditQuery(c, true)
	if err != nil {
		return nodeAPIError(c, err)
	}
	p, err := h.Access.AuditEvents(c.UserContext(), Actor(c), q)
	if err != nil {
		return nodeAPIError(c, err)
	}
	events := make([]auditEventJSON, 0, len(p.Events))
	for _, e := range p.Events {
		events = append(events, auditJSON(e))
	}
	var next *string
	if p.NextCursor != "" {
		next = &p.NextCursor
	}
	return c.JSON(fiber.Map{"events": events, "next_cursor": next})
}
