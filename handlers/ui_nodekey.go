package handlers

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/integrations"
	"switchboard/views"
)

type nodeKeyForm struct {
	// Reload is the <noscript> "Show this team's nodes": re-render, save nothing.
	Reload      bool     `form:"reload"`
	TeamID      string   `form:"team_id"`
	NodeID      string   `form:"node_id"`
	Name        string   `form:"name"`
	Permissions []string `form:"permissions"`
	ExpiresAt   string   `form:"expires_at"`
}

// datetimeLayouts are what an <input type="datetime-local"> sends.
var datetimeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339}

func parseFormTime(s string) (*time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	for _, l := range datetimeLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return &t, true
		}
	}
	return nil, false
}

// nodeKeyModel builds the form's model: the teams the viewer may use and,
// once a team is chosen, its nodes.
func (h *Handlers) nodeKeyModel(c *fiber.Ctx, f nodeKeyForm, errs views.Errors) (views.NodeKeyForm, error) {
	actor := Actor(c)
	m := views.NodeKeyForm{CSRF: csrf(c), TeamID: f.TeamID, NodeID: f.NodeID, Name: f.Name, ExpiresAt: f.ExpiresAt, Errors: errs,
		MinExpiry: h.Integrations.Now().UTC().Format("2006-01-02T15:04")}
	teams, err := h.teamOptions(c)
	if err != nil {
		return m, err
	}
	m.Teams = teams
	if len(teams) == 1 && m.TeamID == "" {
		m.TeamID = teams[0].Value
	}
	if m.TeamID != "" {
		// A team the viewer may not use (or none such) is no choice.
		if t, _ := pickTeam(teams, m.TeamID); t == nil {
			m.TeamID = ""
		}
	}
	if m.TeamID != "" {
		nodes, err := h.Access.Nodes(c.UserContext(), actor, m.TeamID)
		if err != nil {
			return m, err
		}
		for _, n := range nodes {
			m.Nodes = append(m.Nodes, views.Option{Value: n.ID, Label: n.Name})
		}
		// Nodes that already have a key in use are marked: a new key would
		// be refused, the way on is to rotate that key.
		if m.InUse, err = h.Integrations.NodeKeysInUse(c.UserContext(), actor, m.TeamID); err != nil {
			return m, err
		}
	}
	for _, p := range integrations.Permissions {
		m.Permissions = append(m.Permissions, views.PermissionOption{Name: p.Name, Description: p.Description, Checked: slices.Contains(f.Permissions, p.Name)})
	}
	return m, nil
}

// NodeKeyNew shows the node key form; team_id and node_id in the query
// preselect (the no-JavaScript way to load a team's nodes).
func (h *Handlers) NodeKeyNew(c *fiber.Ctx) error {
	var f nodeKeyForm
	if err := h.decodeForm(c, &f); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	m, err := h.nodeKeyModel(c, f, nil)
	if err != nil {
		return uiError(c, err)
	}
	return page(c, fiber.StatusOK, "New node API key", "integrations", views.NodeKeyPage(m), nil)
}

// NodeKeyNodes answers the htmx request of the team select with the node field.
func (h *Handlers) NodeKeyNodes(c *fiber.Ctx) error {
	m, err := h.nodeKeyModel(c, nodeKeyForm{TeamID: c.Query("team_id")}, nil)
	if err != nil {
		return uiError(c, err)
	}
	if c.Query("team_id") != "" && m.TeamID == "" {
		// Another team's nodes are not found, like any of its objects.
		return uiError(c, sb.Errorf(sb.CodeNotFound, "team not found"))
	}
	c.Vary("HX-Request")
	return render(c, fiber.StatusOK, views.NodeField(m))
}

// NodeKeyCreate creates the key and sends the browser to its reveal.
func (h *Handlers) NodeKeyCreate(c *fiber.Ctx) error {
	var f nodeKeyForm
	if err := h.decodeForm(c, &f); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	if f.Reload {
		// A POST, not a GET, so the CSRF token never lands in a URL.
		m, err := h.nodeKeyModel(c, f, nil)
		if err != nil {
			return uiError(c, err)
		}
		return page(c, fiber.StatusOK, "New node API key", "integrations", views.NodeKeyPage(m), nil)
	}
	expires, ok := parseFormTime(f.ExpiresAt)
	in := integrations.NodeKeyInput{TeamID: f.TeamID, NodeID: f.NodeID, Name: f.Name, Permissions: f.Permissions, ExpiresAt: expires}
	// What only the form can get wrong (no team, an unreadable date) is
	// reported with every other failing field, as the API does.
	formErrs := sb.Validation{}
	if !ok {
		formErrs.Add("expires_at", "must be a date and time like 2026-12-31 23:59, or left empty")
	}
	if strings.TrimSpace(f.TeamID) == "" {
		formErrs.Add("team_id", "is required")
	}
	refused := formErrs.Err()
	created, err := h.Integrations.Create(c.UserContext(), Actor(c), &in, refused)
	if err != nil {
		errs, ok := fieldErrors(err)
		if !ok && sb.ErrorCode(err) != sb.CodeNotFound {
			return uiError(c, err)
		}
		if !ok {
			errs = views.Errors{"node_id": "choose a node of this team"}
		}
		if _, bad := errs["team_id"]; bad {
			f.TeamID = ""
			if f.NodeID == "" {
				// No team, so no node to choose yet: the team is the field to fix.
				delete(errs, "node_id")
			}
		}
		m, merr := h.nodeKeyModel(c, f, errs)
		if merr != nil {
			return uiError(c, merr)
		}
		m.Alert = "The key was not created: fix the fields marked below."
		return page(c, fiber.StatusUnprocessableEntity, "New node API key", "integrations", views.NodeKeyPage(m), views.NodeKeyFormFragment(m))
	}
	return redirect(c, "/reveal/"+created.RevealID)
}

// nodeKeyPages are a node key's detail lines; it has no edit page (a key
// is rotated instead).
type nodeKeyPages struct{ notEditable }

func (nodeKeyPages) details(h *Handlers, c *fiber.Ctx, r *integrations.Record, d *views.IntegrationDetail) error {
	k, _, err := integrations.NodeKeyOf(r)
	if err != nil {
		return err
	}
	node := ""
	if r.NodeName != nil {
		node = *r.NodeName
	}
	perms := strings.Join(k.Permissions, ", ")
	if perms == "" {
		perms = "none"
	}
	d.Details = append(d.Details,
		views.Detail{Label: "Node", Value: node},
		views.Detail{Label: "API key", Value: k.APIKey, Mono: true},
		views.Detail{Label: "Secret", Value: "stored as a keyed hash; shown once at creation"},
		views.Detail{Label: "Permissions", Value: perms, Mono: true},
		views.Detail{Label: "Expires", Value: views.FormatTimePtr(k.ExpiresAt, "never"), TestID: "key-expires"},
	)
	return nodeKeyUseDetails(h, c, k, d)
}

// nodeKeyUseDetails adds a key's use (last verified, verifications today)
// and, for a key rolled with a grace period, its successor.
func nodeKeyUseDetails(h *Handlers, c *fiber.Ctx, k integrations.NodeKey, d *views.IntegrationDetail) error {
	n, err := h.Integrations.KeyVerificationsToday(c.UserContext(), Actor(c), k.ID)
	if err != nil {
		return err
	}
	d.Details = append(d.Details,
		views.Detail{Label: "Last used", Value: views.FormatTimePtr(k.LastUsedAt, "never"), TestID: "key-last-used"},
		views.Detail{Label: "Verified today", Value: strconv.FormatInt(n, 10), TestID: "key-verified-today"},
	)
	if k.RolledTo != "" {
		d.Details = append(d.Details, views.Detail{Label: "Rolled into", Value: k.RolledTo, Mono: true, TestID: "key-rolled-to"})
	}
	d.SecretNote = "The secret was shown once when this integration was created and is stored only as a keyed hash: it cannot be shown again. Revoke the key and create a new one if it was lost."
	return nil
}

// nodeKeyItem adds a node key's use and ending to its row of the list
// (read from the list's own columns: a list row carries no attrs).
func nodeKeyItem(r *integrations.Record, it *views.IntegrationItem, now time.Time) {
	if r.Provider != integrations.ProviderNodeKey {
		return
	}
	lastUsed, rolled := r.KeyUse()
	if lastUsed != nil {
		it.LastUsed = views.FormatTime(*lastUsed)
	} else {
		it.LastUsed = "never"
	}
	it.Ending = views.Ending(r.ShownStatus(), rolled, r.ExpiresAt, now)
}
