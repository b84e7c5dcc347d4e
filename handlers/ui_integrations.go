package handlers

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"switchboard/db"
	"switchboard/integrations"
	"switchboard/views"
)

func providerTitle(key string) string {
	if p, ok := integrations.ProviderByKey(key); ok {
		return p.Title
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
			CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, Status: displayStatus(&r),
		}
		if r.NodeName != nil {
			items[i].Node = *r.NodeName
		}
	}
	return page(c, fiber.StatusOK, "Integrations", "integrations", views.IntegrationsList(items), nil)
}

func displayStatus(r *db.IntegrationRow) string {
	if k, ok := integrations.NodeKeyOf(r); ok {
		return k.Status
	}
	return r.Status
}

// NewIntegration shows the provider chooser.
func (h *Handlers) NewIntegration(c *fiber.Ctx) error {
	cards := make([]views.ProviderCard, len(integrations.Providers))
	for i, p := range integrations.Providers {
		cards[i] = views.ProviderCard{Key: p.Key, Title: p.Title, Description: p.Description, Available: p.Available}
	}
	return page(c, fiber.StatusOK, "New integration", "integrations", views.NewIntegration(cards), nil)
}

// IntegrationShow shows one integration (never its secret).
func (h *Handlers) IntegrationShow(c *fiber.Ctx) error {
	r, err := h.Integrations.Get(c.UserContext(), Actor(c), c.Params("id"))
	if err != nil {
		return uiError(c, err)
	}
	d := views.IntegrationDetail{ID: r.ID, Name: r.Name, Provider: providerTitle(r.Provider), Status: displayStatus(r), CSRF: csrf(c)}
	d.Details = append(d.Details, views.Detail{Label: "Team", Value: r.TeamName}, views.Detail{Label: "ID", Value: r.ID, Mono: true})
	if k, ok := integrations.NodeKeyOf(r); ok {
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
			views.Detail{Label: "Expires", Value: views.FormatTimePtr(k.ExpiresAt, "never")},
		)
	}
	if op, ok := integrations.OnePasswordOf(&r.Integration); ok {
		d.Details = append(d.Details,
			views.Detail{Label: "Sign-in address", Value: op.SignInAddress},
			views.Detail{Label: "Token", Value: "stored encrypted; fingerprint " + op.Fingerprint, Mono: true},
			views.Detail{Label: "Version", Value: itoa(op.Version)},
		)
		if r.Status != integrations.StatusRevoked {
			d.EditHref = "/integrations/" + r.ID + "/edit"
		}
		d.SecretNote = "The token was shown once, when it was saved, and is stored encrypted. To change it, edit the integration and paste a new one."
	}
	if conn, ok := integrations.AppConnectionOf(r); ok {
		d.Provider = "Infisical app connection"
		d.Details = append(d.Details, views.Detail{Label: "App", Value: conn.AppName() + " · " + conn.MethodName()})
		if conn.Description != nil {
			d.Details = append(d.Details, views.Detail{Label: "Description", Value: *conn.Description})
		}
		app, _ := integrations.InfisicalAppBySlug(conn.App)
		m, _ := app.Method(conn.Method)
		for _, f := range m.Fields {
			if v, ok := conn.Credentials[f.Name]; ok && f.Returned && !f.Secret {
				val := fmt.Sprint(v)
				if b, isBool := v.(bool); isBool {
					val = map[bool]string{true: "yes", false: "no"}[b]
				}
				d.Details = append(d.Details, views.Detail{Label: f.Label, Value: val, Mono: f.Type != integrations.CredBool})
			} else if f.Secret {
				d.Details = append(d.Details, views.Detail{Label: f.Label, Value: "stored encrypted"})
			}
		}
		d.Details = append(d.Details,
			views.Detail{Label: "Version", Value: itoa(conn.Version)},
			views.Detail{Label: "Credentials hash", Value: conn.CredentialsHash, Mono: true},
		)
		if r.Status == integrations.StatusActive {
			d.EditHref = "/integrations/" + r.ID + "/edit"
			d.CanTest = integrations.HasConnectionTester(conn.App)
		}
		d.SecretNote = "Secret credentials were shown once, when they were saved, and are stored encrypted. To change them, edit the connection; fields left empty keep their stored values."
	}
	if cfg, ok := integrations.LDConfigOf(r); ok {
		h.ldDetails(&d, cfg)
	}
	d.Details = append(d.Details,
		views.Detail{Label: "Created by", Value: r.CreatedBy},
		views.Detail{Label: "Created", Value: views.FormatTime(r.CreatedAt)},
	)
	if r.RevokedAt != nil {
		d.Details = append(d.Details, views.Detail{Label: "Revoked", Value: views.FormatTime(*r.RevokedAt)})
	}
	d.Actions = lifecycleActions(r)
	if d.SecretNote == "" {
		d.SecretNote = "The secret was shown once when this integration was created and is stored only as a keyed hash: it cannot be shown again. Revoke the key and create a new one if it was lost."
	}
	return page(c, fiber.StatusOK, r.Name, "integrations", views.IntegrationPage(d), nil)
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
