package handlers

import (
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

// IntegrationsList shows every integration the viewer may see.
func (h *Handlers) IntegrationsList(c *fiber.Ctx) error {
	rows, err := h.Integrations.List(c.UserContext(), Actor(c), integrations.ListFilter{Limit: 200})
	if err != nil {
		return uiError(c, err)
	}
	items := make([]views.IntegrationItem, len(rows))
	for i, r := range rows {
		items[i] = views.IntegrationItem{
			ID: r.ID, Provider: providerTitle(r.Provider), Name: r.Name, Team: r.TeamName,
			CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, Status: r.ShownStatus(),
		}
		if r.NodeName != nil {
			items[i].Node = *r.NodeName
		}
		if err := nodeKeyItem(r, &items[i], h.Integrations.Now()); err != nil {
			return uiError(c, err)
		}
	}
	return page(c, fiber.StatusOK, "Integrations", "integrations", views.IntegrationsList(items), nil)
}

// NewIntegration shows the provider chooser.
func (h *Handlers) NewIntegration(c *fiber.Ctx) error {
	providers := integrations.Providers()
	cards := make([]views.ProviderCard, len(providers))
	for i, p := range providers {
		cards[i] = views.ProviderCard{Key: p.Key, Title: p.Title, Description: p.Description, Available: p.Available}
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
