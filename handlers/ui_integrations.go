package handlers

import (
	"net/url"

	"github.com/gofiber/fiber/v2"
	"switchboard/integrations"
	"switchboard/views"
)

func providerTitle(key string) string {
	if p, ok := integrations.ProviderByKey(key); ok {
		return p.Info().Title
	}
	return key
}

// IntegrationsList shows one keyset page of the integrations the viewer
// may see (integrations.PageSize rows), with the team, provider, status
// and name filters; an htmx request for the Older/Newer page gets only the
// results fragment. Bad filter values answer 400 with the form.
func (h *Handlers) IntegrationsList(c *fiber.Ctx) error {
	ctx, actor := c.UserContext(), Actor(c)
	q := integrations.PageQuery{TeamID: c.Query("team"), Provider: c.Query("provider"), Status: c.Query("status"),
		Name: c.Query("name"), Before: c.Query("before"), After: c.Query("after")}
	v := views.IntegrationsView{Team: q.TeamID, Provider: q.Provider, Status: q.Status, Name: q.Name,
		Filtered: q.TeamID != "" || q.Provider != "" || q.Status != "" || q.Name != ""}
	teams, err := h.Access.Teams(ctx, actor)
	if err != nil {
		return uiError(c, err)
	}
	for _, t := range teams {
		v.Teams = append(v.Teams, views.Option{Value: t.ID, Label: t.Name})
	}
	for _, p := range integrations.Providers() {
		v.Providers = append(v.Providers, views.Option{Value: p.Key, Label: p.Title})
	}
	for _, st := range []string{integrations.StatusActive, integrations.StatusDisabled, integrations.StatusRevoked, integrations.StatusExpired} {
		v.Statuses = append(v.Statuses, views.Option{Value: st, Label: st})
	}
	status := fiber.StatusOK
	p, err := h.Integrations.ListPage(ctx, actor, q)
	if err != nil {
		errs, ok := fieldErrors(err)
		if !ok {
			return uiError(c, err)
		}
		status, v.Errors = fiber.StatusBadRequest, errs
	} else {
		v.Items = make([]views.IntegrationItem, len(p.Rows))
		for i, r := range p.Rows {
			v.Items[i] = views.IntegrationItem{
				ID: r.ID, Kind: h.Integrations.Kind(r), Family: providerTitle(r.Provider), Name: r.Name, Team: r.TeamName,
				CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, Status: r.ShownStatus(), ReplacedBy: r.ReplacedBy(), Replaces: r.Replaces(),
			}
			if r.NodeName != nil {
				v.Items[i].Node = *r.NodeName
			}
			nodeKeyItem(r, &v.Items[i], h.Integrations.Now())
		}
		filter := url.Values{}
		for k, val := range map[string]string{"team": q.TeamID, "provider": q.Provider, "status": q.Status, "name": q.Name} {
			if val != "" {
				filter.Set(k, val)
			}
		}
		v.ByName = p.ByName
		if p.Older != "" {
			v.OlderHref = pageHref(filter, "before", p.Older)
		}
		if p.Newer != "" {
			v.NewerHref = pageHref(filter, "after", p.Newer)
		}
	}
	return page(c, status, "Integrations", "integrations", views.IntegrationsList(v), views.IntegrationsResults(v))
}

// pageHref is the list page with filter and one cursor.
func pageHref(filter url.Values, name, cursor string) string {
	q := url.Values{}
	for k, v := range filter {
		q[k] = v
	}
	q.Set(name, cursor)
	return "/integrations?" + q.Encode()
}

// NewIntegration shows the provider chooser.
func (h *Handlers) NewIntegration(c *fiber.Ctx) error {
	providers := integrations.Providers()
	cards := make([]views.ProviderCard, len(providers))
	for i, p := range providers {
		cards[i] = views.ProviderCard{Key: p.Key, Title: p.Title, Description: p.Description, Available: p.Available}
	}
	if on, _ := c.Locals(LocalSecretSyncs).(bool); on {
		cards = append(cards, views.ProviderCard{Key: "secret-sync", Title: "Infisical secret sync", Available: true, Href: "/secret-syncs/new",
			Description: "Keep a team's secrets synced into AWS Parameter Store, AWS Secrets Manager, HashiCorp Vault, GitHub Actions or GitLab CI/CD."})
	}
	return page(c, fiber.StatusOK, "New integration", "integrations", views.NewIntegration(cards), nil)
}

// IntegrationShow shows one integration (never its secret): the lines
// every integration has, its provider's (through pageTable), its
// lifecycle buttons.
func (h *Handlers) IntegrationShow(c *fiber.Ctx) error {
	r, err := h.Integrations.Get(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	pages, err := pagesOf(r)
	if err != nil {
		return uiError(c, err)
	}
	d := views.IntegrationDetail{ID: r.ID, Name: r.Name, Provider: providerTitle(r.Provider), Status: r.ShownStatus(), CSRF: csrf(c)}
	d.Details = append(d.Details, views.Detail{Label: "Team", Value: r.TeamName}, views.Detail{Label: "ID", Value: r.ID, Mono: true})
	if err := pages.details(h, c, r, &d); err != nil {
		return uiError(c, err)
	}
	d.Details = append(d.Details,
		views.Detail{Label: "Created by", Value: r.CreatedBy},
		views.Detail{Label: "Created", Value: views.FormatTime(r.CreatedAt)},
	)
	if r.RevokedAt != nil {
		d.Details = append(d.Details, views.Detail{Label: "Revoked", Value: views.FormatTime(*r.RevokedAt)})
	}
	d.Actions = lifecycleActions(r)
	return page(c, fiber.StatusOK, r.Name, "integrations", views.IntegrationPage(d), nil)
}

// IntegrationEdit shows the edit page of an integration whose provider has one.
func (h *Handlers) IntegrationEdit(c *fiber.Ctx) error {
	r, err := h.Integrations.Get(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	pages, err := pagesOf(r)
	if err != nil {
		return uiError(c, err)
	}
	return pages.edit(h, c, r)
}

// IntegrationUpdate saves the edit page; an empty secret field keeps the stored secret.
func (h *Handlers) IntegrationUpdate(c *fiber.Ctx) error {
	r, err := h.Integrations.Get(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	pages, err := pagesOf(r)
	if err != nil {
		return uiError(c, err)
	}
	return pages.update(h, c, r)
}

// IntegrationRevoke revokes an integration from its detail page.
func (h *Handlers) IntegrationRevoke(c *fiber.Ctx) error {
	id := c.Params("id")
	if err := h.Integrations.Revoke(c.UserContext(), Actor(c), id); err != nil {
		return uiError(c, err)
	}
	flash(c, "success", "The integration is revoked. Anything using it stops working now.")
	return redirect(c, "/integrations/"+id)
}
