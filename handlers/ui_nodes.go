package handlers

import (
	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/views"
)

// NodesPage lists the nodes of one team the viewer may use (?team=, else
// the first) with their live API key, beside the new-node form; another
// team is not found.
func (h *Handlers) NodesPage(c *fiber.Ctx) error {
	return h.renderNodes(c, fiber.StatusOK, c.Query("team"), views.NodesView{})
}

func (h *Handlers) renderNodes(c *fiber.Ctx, status int, teamID string, v views.NodesView) error {
	ctx, actor := c.UserContext(), Actor(c)
	opts, err := h.teamOptions(c)
	if err != nil {
		return uiError(c, err)
	}
	v.CSRF, v.Teams, v.Admin = csrf(c), opts, actor.IsAdmin()
	t, err := pickTeam(opts, teamID)
	if err != nil {
		return uiError(c, err)
	}
	if t != nil {
		nodes, total, err := h.Access.NodesPage(ctx, actor, t.Value)
		if err != nil {
			return uiError(c, err)
		}
		ids := make([]string, len(nodes))
		for i := range nodes {
			ids[i] = nodes[i].ID
		}
		live, err := h.Integrations.LiveNodeKeys(ctx, actor, t.Value, ids)
		if err != nil {
			return uiError(c, err)
		}
		v.Total = total
		v.TeamID, v.TeamName = t.Value, t.Label
		for _, n := range nodes {
			v.Nodes = append(v.Nodes, views.NodeRow{ID: n.ID, Name: n.Name, CreatedAt: n.CreatedAt, KeyID: live[n.ID][0], Key: live[n.ID][1]})
		}
	}
	return page(c, status, "Nodes", "nodes", views.Nodes(v), views.NodesPanel(v))
}

// NodeCreate adds a node to a team the viewer may use.
func (h *Handlers) NodeCreate(c *fiber.Ctx) error {
	var f struct {
		TeamID string `form:"team_id"`
		Name   string `form:"name"`
	}
	if err := h.decodeForm(c, &f); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	n, err := h.Access.CreateNode(c.UserContext(), Actor(c), f.TeamID, f.Name)
	if err != nil {
		errs, ok := fieldErrors(err)
		if !ok {
			return uiError(c, err)
		}
		return h.renderNodes(c, fiber.StatusUnprocessableEntity, f.TeamID, views.NodesView{Name: f.Name, Errors: errs})
	}
	flash(c, "success", "Node "+n.Name+" added. Give it an API key from New integration → Node API key.")
	return redirect(c, "/nodes?team="+n.TeamID)
}
