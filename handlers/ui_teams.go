package handlers

import (
	"github.com/gofiber/fiber/v2"
	sb "switchboard"
	"switchboard/views"
)

// TeamsList shows every team and the new-team form (admins).
func (h *Handlers) TeamsList(c *fiber.Ctx) error {
	return h.renderTeams(c, fiber.StatusOK, views.TeamsView{})
}

func (h *Handlers) renderTeams(c *fiber.Ctx, status int, v views.TeamsView) error {
	teams, err := h.Access.Teams(c.UserContext(), Actor(c))
	if err != nil {
		return uiError(c, err)
	}
	v.CSRF = csrf(c)
	for _, t := range teams {
		v.Teams = append(v.Teams, views.TeamItem{ID: t.ID, Slug: t.Slug, Name: t.Name, CreatedAt: t.CreatedAt})
	}
	return page(c, status, "Teams", "teams", views.Teams(v), nil)
}

type teamForm struct {
	Slug string `form:"slug"`
	Name string `form:"name"`
}

// TeamCreate creates a team.
func (h *Handlers) TeamCreate(c *fiber.Ctx) error {
	var f teamForm
	if err := h.decodeForm(c, &f); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	t, err := h.Access.CreateTeam(c.UserContext(), Actor(c), f.Slug, f.Name)
	if err != nil {
		if errs, ok := fieldErrors(err); ok {
			return h.renderTeams(c, fiber.StatusUnprocessableEntity, views.TeamsView{Slug: f.Slug, Name: f.Name, Errors: errs})
		}
		return uiError(c, err)
	}
	flash(c, "success", "Team "+t.Name+" created. Add its nodes and members here.")
	return redirect(c, "/teams/"+t.ID)
}

// TeamShow shows a team's nodes and members, with a link to its API tokens.
func (h *Handlers) TeamShow(c *fiber.Ctx) error {
	return h.renderTeam(c, fiber.StatusOK, views.TeamView{})
}

func (h *Handlers) renderTeam(c *fiber.Ctx, status int, v views.TeamView) error {
	ctx, actor := c.UserContext(), Actor(c)
	t, err := h.Access.Team(ctx, actor, c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	nodes, total, err := h.Access.NodesPage(ctx, actor, t.ID)
	if err != nil {
		return uiError(c, err)
	}
	v.NodesTotal = total
	members, err := h.Access.Members(ctx, actor, t.ID)
	if err != nil {
		return uiError(c, err)
	}
	v.CSRF, v.ID, v.Name, v.Slug = csrf(c), t.ID, t.Name, t.Slug
	for _, n := range nodes {
		v.Nodes = append(v.Nodes, views.NodeItem{ID: n.ID, Name: n.Name, CreatedAt: n.CreatedAt})
	}
	for _, m := range members {
		v.Members = append(v.Members, views.MemberItem{Email: m.Email, Role: m.Role})
	}
	return page(c, status, t.Name, "teams", views.Team(v), nil)
}

type nameForm struct {
	Name  string `form:"name"`
	Email string `form:"email"`
}

// TeamAddNode adds a node to a team.
func (h *Handlers) TeamAddNode(c *fiber.Ctx) error {
	var f nameForm
	if err := h.decodeForm(c, &f); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	n, err := h.Access.CreateNode(c.UserContext(), Actor(c), c.Params("id"), f.Name)
	if err != nil {
		if errs, ok := fieldErrors(err); ok {
			return h.renderTeam(c, fiber.StatusUnprocessableEntity, views.TeamView{NodeName: f.Name, Errors: views.Errors{"node_name": errs["name"]}})
		}
		return uiError(c, err)
	}
	flash(c, "success", "Node "+n.Name+" added.")
	return redirect(c, "/teams/"+n.TeamID)
}

// TeamAddMember adds an existing user to a team.
func (h *Handlers) TeamAddMember(c *fiber.Ctx) error {
	var f nameForm
	if err := h.decodeForm(c, &f); err != nil {
		return uiError(c, sb.Errorf(sb.CodeInvalid, "the form could not be read"))
	}
	teamID := c.Params("id")
	if err := h.Access.AddMember(c.UserContext(), Actor(c), teamID, f.Email); err != nil {
		if errs, ok := fieldErrors(err); ok {
			return h.renderTeam(c, fiber.StatusUnprocessableEntity, views.TeamView{MemberEmail: f.Email, Errors: errs})
		}
		return uiError(c, err)
	}
	flash(c, "success", f.Email+" is now a member.")
	return redirect(c, "/teams/"+teamID)
}
