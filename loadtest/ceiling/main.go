// Command ceiling serves the load test's list-page ceiling: the integrations
// page's own templates (views.Layout around views.IntegrationsList) with 50
// fixed rows, its filter form and Older link, on a bare Fiber app with no database, session or middleware.
// Switchboard's signed-in list page is measured against it, so the ratio
// shows what the request path costs beyond rendering the same HTML.
//
// With --database it reads its rows as the list page does on every request
// (db.ListIntegrationSummaries, the first page of 50 of every team): the
// bare page plus the one query, the most any design that reads the page
// from the database per request can serve.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/gofiber/fiber/v2"
	"switchboard/db"
	"switchboard/views"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18090", "address to listen on")
	rows := flag.Int("rows", 50, "table rows on the page")
	database := flag.String("database", "", "read the rows from this Switchboard database on every request")
	flag.Parse()
	var store *db.DB
	if *database != "" {
		var err error
		if store, err = db.Open(context.Background(), *database); err != nil {
			log.Fatalf("ceiling: %v", err)
		}
	}

	items := make([]views.IntegrationItem, *rows)
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range items {
		items[i] = views.IntegrationItem{
			ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Kind: "1Password", Family: "1Password service account",
			Name: fmt.Sprintf("loadtest-%06d", i), Team: "Load test", CreatedBy: "admin@loadtest.invalid",
			CreatedAt: created.Add(-time.Duration(i) * time.Minute), Status: "active",
		}
	}
	v := views.IntegrationsView{Items: items, Teams: []views.Option{{Value: "00000000-0000-4000-8000-000000000001", Label: "Load test"}},
		Providers: []views.Option{{Value: "1password", Label: "1Password service account"}, {Value: "node-api-key", Label: "Node API key"}},
		Statuses:  []views.Option{{Value: "active", Label: "active"}, {Value: "disabled", Label: "disabled"}},
		OlderHref: "/integrations?before=1767225600000000.00000000-0000-4000-8000-000000000049"}
	page := views.Page{Title: "Integrations", Nav: "integrations", CSRF: "ceiling-csrf-token-ceiling-csrf-token",
		Viewer: &views.Viewer{Email: "admin@loadtest.invalid", Admin: true}}

	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/integrations", func(c *fiber.Ctx) error {
		c.Type("html", "utf-8")
		v := v
		if store != nil {
			list, err := store.ListIntegrationSummaries(c.UserContext(), db.IntegrationFilter{Limit: *rows + 1})
			if err != nil {
				return err
			}
			v.Items = make([]views.IntegrationItem, 0, len(list))
			for _, r := range list[:min(len(list), *rows)] {
				v.Items = append(v.Items, views.IntegrationItem{ID: r.ID, Kind: "1Password", Family: "1Password service account",
					Name: r.Name, Team: r.TeamName, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, Status: r.Status})
			}
		}
		return views.Layout(page, views.IntegrationsList(v)).Render(context.Background(), c.Response().BodyWriter())
	})
	if err := app.Listen(*addr); err != nil {
		log.Fatalf("ceiling: %v", err)
	}
}
